"""The observer's filing page, the statement pages and the press page in Russian and Chinese,
in a real browser: no English word of the interface is left on them.

The mission's own data (names, stations, the checklist) is written in the reader's language
here, so any Latin word left on the page is an interface string the catalogue lacks. The
screenshots are kept in the artefacts folder.
"""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from missions.models import MissionMembership
from missions.services import user_language_set
from reports.models import Checklist, Question, Section, Statement
from reports.statements.composer import statement_compose
from reports.statements.findings import findings_compute
from tests.factories import (
    AreaFactory,
    DelegationFactory,
    MembershipFactory,
    MissionFactory,
    ObserverFactory,
    ParticipationFactory,
    PollingStationFactory,
    UserFactory,
)
from tests.test_statement_pages import add_documents

# What may stay in Latin letters on a Russian or Chinese page: the product's name, file
# formats, and "English" as the English option of the language switch. (Question codes are
# identifiers in ASCII: q1, q2 here.)
ALLOWED_LATIN = {"Observa", "PDF", "DOCX", "HTML", "JPEG", "PNG", "WebP", "English", "SHA"}
# The browser's own widgets (date pickers, file choosers) speak the reader's language, while
# the browser asks the server for English: the page's language comes from the product.
BROWSER_LOCALE = {"ru": "ru-RU", "zh-hans": "zh-CN"}


def browser_in(page_for, user, language: str):
    """A page in a browser set to `language` that nonetheless asks the server for English."""
    page = page_for(user, locale=BROWSER_LOCALE[language])

    def ask_for_english(route):
        route.continue_(headers={**route.request.headers, "accept-language": "en-US,en;q=0.9"})

    page.route("**/*", ask_for_english)
    return page


DATA = {
    "ru": {
        "organisation": "Шанхайская организация сотрудничества",
        "acronym": "ШОС",
        "mission": "Миссия наблюдателей ШОС на выборах Президента Республики Казахстан",
        "inviter": "Министерство иностранных дел Республики Казахстан",
        "country": "Республика Казахстан",
        "commission": "Центральная избирательная комиссия Республики Казахстан",
        "area": "Астана",
        "station": "Школа № 11",
        "address": "проспект Кабанбай батыра, 11",
        "observer": "Александр Высокинский",
        "position": "член Совета Федерации",
        "delegation": "Российская Федерация",
        "checklist": "Голосование",
        "section": "Избирательный участок",
        "question": "Были ли вывешены информационные материалы?",
        "count_question": "Сколько избирателей стояло в очереди?",
        "users": ("наблюдатель", "координатор", "глава"),
        "heading": "Заявления",
        "press_heading": "Заявления для прессы",
        "filing_button": "Отправить сведения о посещении",
    },
    "zh-hans": {
        "organisation": "上海合作组织",
        "acronym": "上合组织",
        "mission": "上合组织观察团：哈萨克斯坦共和国总统选举",
        "inviter": "哈萨克斯坦共和国外交部",
        "country": "哈萨克斯坦共和国",
        "commission": "哈萨克斯坦共和国中央选举委员会",
        "area": "阿斯塔纳",
        "station": "第11学校",
        "address": "卡班拜巴特尔大街11号",
        "observer": "张明",
        "position": "上海合作组织秘书长",
        "delegation": "中华人民共和国",
        "checklist": "投票",
        "section": "投票站",
        "question": "是否张贴了宣传材料？",
        "count_question": "排队的选民有多少？",
        "users": ("观察员", "协调员", "团长"),
        "heading": None,
        "press_heading": None,
        "filing_button": None,
    },
}
LANGUAGES = list(DATA)


def latin_words(text: str) -> list[str]:
    """Words in Latin letters a reader of the page would see, less those allowed."""
    return sorted({w for w in re.findall(r"[A-Za-z][A-Za-z'’]+", text) if w not in ALLOWED_LATIN})


def mission_in(language: str):
    """A mission whose every name is written in `language`: an observer, a coordinator and
    a head, one station, one checklist, and a statement in each language."""
    data = DATA[language]
    mission = MissionFactory(
        organisation=data["organisation"],
        organisation_acronym=data["acronym"],
        name=data["mission"],
        slug=f"mission-{language}",
        inviting_body=data["inviter"],
        time_zone="Asia/Almaty",
        election__country=data["country"],
        election__commission=data["commission"],
    )
    election = mission.election
    area = AreaFactory(election=election, name=data["area"])
    station = PollingStationFactory(
        election=election, area=area, number="11", name=data["station"], address=data["address"]
    )
    observer_name, coordinator_name, head_name = data["users"]
    observer = UserFactory(username=observer_name)
    ParticipationFactory(
        mission=mission,
        user=observer,
        accredited=True,
        accreditation_number="0001",
        accredited_by=data["commission"],
        observer=ObserverFactory(full_name=data["observer"], position=data["position"]),
        delegation=DelegationFactory(mission=mission, name=data["delegation"]),
    )
    coordinator = UserFactory(username=coordinator_name, is_staff=False)
    MembershipFactory(mission=mission, user=coordinator, role=MissionMembership.Role.COORDINATOR)
    head = UserFactory(username=head_name)
    MembershipFactory(mission=mission, user=head, role=MissionMembership.Role.HEAD)

    checklist = Checklist.objects.create(
        mission=mission, code="voting", version=1, title=data["checklist"], phase="voting"
    )
    section = Section.objects.create(checklist=checklist, position=0, title=data["section"])
    Question.objects.create(
        checklist=checklist,
        section=section,
        position=0,
        code="q1",
        text=data["question"],
        kind="yes_no",
        concern_answers=["no"],
        severity="minor",
    )
    Question.objects.create(
        checklist=checklist,
        section=section,
        position=1,
        code="q2",
        text=data["count_question"],
        kind="number",
        required=False,
    )

    findings = findings_compute(mission=mission)
    statements = {}
    for code in ("en", "ru", "zh-hans"):
        document = statement_compose(
            mission=mission,
            kind=Statement.Kind.FINAL,
            language=code,
            findings=findings,
            dated_on=datetime.date(2022, 11, 21),
        )
        statement = Statement.objects.create(
            mission=mission,
            kind=Statement.Kind.FINAL,
            language=code,
            version=1,
            status=Statement.Status.PUBLISHED,
            dated_on=datetime.date(2022, 11, 21),
            content=document.as_dict(),
            compiled_at=timezone.now(),
            approved_at=timezone.now(),
            approved_by=head,
            published_at=timezone.now(),
            assessment=Statement.Assessment.NO_VIOLATIONS,
        )
        add_documents(statement)
        statements[code] = statement
    return mission, station, checklist, observer, coordinator, statements


def switch_language(page, language: str) -> None:
    """Choose a language in the switch every page has; the page comes back in it."""
    with page.expect_navigation():
        page.locator("select[name=language]").first.select_option(language)


def assert_no_english(page_or_part, where: str) -> str:
    part = page_or_part.locator("body") if hasattr(page_or_part, "goto") else page_or_part
    text = part.inner_text()
    left = latin_words(text)
    assert not left, f"{where}: English left on the page: {left}"
    return text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_observer_files_a_visit_in_their_own_language(
    page_for, live_server, artefacts, language
):
    mission, station, checklist, observer, *_ = mission_in(language)
    # The observer chose their language once; their browser asks for English.
    user_language_set(user=observer, language=language)
    page = browser_in(page_for, observer, language)
    page.goto(
        live_server.url
        + reverse("reports:visit_new", args=[mission.slug])
        + f"?checklist={checklist.pk}&station={station.pk}"
    )
    page.screenshot(path=artefacts / f"filing-{language}.png", full_page=True)

    assert page.locator("html").get_attribute("lang") == language
    text = assert_no_english(page, "the filing page")
    assert DATA[language]["question"] in text
    if DATA[language]["filing_button"]:
        assert page.get_by_role("button", name=DATA[language]["filing_button"]).is_visible()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_statement_pages_in_the_coordinators_language(
    page_for, live_server, artefacts, language
):
    mission, _station, _checklist, _observer, coordinator, statements = mission_in(language)
    page = browser_in(page_for, coordinator, language)
    page.goto(live_server.url + reverse("statements:list", args=[mission.slug]))
    assert page.locator("html").get_attribute("lang") == "en"
    switch_language(page, language)
    page.screenshot(path=artefacts / f"statements-{language}.png", full_page=True)
    assert page.locator("html").get_attribute("lang") == language
    text = assert_no_english(page, "the statement list")
    if DATA[language]["heading"]:
        assert page.get_by_role("heading", name=DATA[language]["heading"]).is_visible()
    assert mission.name in text

    # The choice is remembered: the next page, and the statement itself, are in it too.
    page.goto(
        live_server.url + reverse("statements:detail", args=[mission.slug, statements[language].pk])
    )
    page.screenshot(path=artefacts / f"statement-{language}.png", full_page=True)
    assert page.locator("html").get_attribute("lang") == language
    assert_no_english(page, "the statement page")
    assert coordinator.preference.language == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_press_page_shows_the_language_versions_side_by_side(
    page_for, live_server, artefacts, language
):
    mission, *_rest, statements = mission_in(language)
    page = browser_in(page_for, None, language)
    page.goto(live_server.url + reverse("press:list"))
    switch_language(page, language)
    page.screenshot(path=artefacts / f"press-{language}.png", full_page=True)

    text = assert_no_english(page, "the press page")
    if DATA[language]["press_heading"]:
        assert page.get_by_role("heading", name=DATA[language]["press_heading"]).is_visible()
    # One card for the final statement, a column per language, each with its documents.
    columns = page.locator(".card .col")
    assert columns.count() == 3
    assert [columns.nth(i).get_attribute("lang") for i in range(3)] == ["en", "ru", "zh-hans"]
    for i, statement in enumerate(statements.values()):
        link = columns.nth(i).locator("a", has_text="PDF")
        assert link.get_attribute("href") == reverse("press:download", args=[statement.pk, "pdf"])
    assert mission.name in text


ADMIN_VISITS_HEADING = {"ru": "Выберите посещение для изменения", "zh-hans": None}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_admin_speaks_the_coordinators_language(page_for, live_server, artefacts, language):
    mission_in(language)
    admin = UserFactory(username=DATA[language]["users"][1] + "-админ", is_staff=True)
    admin.is_superuser = True
    admin.save()
    user_language_set(user=admin, language=language)
    page = browser_in(page_for, admin, language)
    page.goto(live_server.url + reverse("admin:reports_visit_changelist"))
    page.screenshot(path=artefacts / f"admin-visits-{language}.png", full_page=True)

    assert page.locator("html").get_attribute("lang") == language
    assert_no_english(page.locator("#content"), "the admin's list of visits")
    if ADMIN_VISITS_HEADING[language]:
        assert page.get_by_role("heading", name=ADMIN_VISITS_HEADING[language]).is_visible()
