"""Languages as users meet them: the codes they type, the switch on every page, each user's
remembered language, dates in each language's conventions, every language compiled in one
action, and fonts in the documents that cover Chinese."""

import datetime
import io
import re
from html import unescape

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext
from docx import Document as WordDocument
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from missions.languages import language_code, public_code
from missions.models import MissionMembership, UserPreference
from reports import tasks
from reports.checklist_files import translations_read
from reports.models import Statement
from reports.statements.composer import figure, statement_compose
from reports.statements.document import Document, Paragraph, Section
from reports.statements.findings import findings_compute
from reports.statements.jobs import statement_request
from reports.statements.periods import period
from reports.statements.renderers import render_docx, render_pdf
from tests.factories import MembershipFactory, MissionFactory, UserFactory
from tests.test_statement_pages import add_documents


def text_of(response) -> str:
    """The page's words as a reader sees them: no tags, single spaces."""
    words = " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())
    return re.sub(r" ([.,;:])", r"\1", words)


class TaskRecorder:
    def __init__(self):
        self.sent: list[int] = []

    def delay(self, statement_id):
        self.sent.append(statement_id)


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    recorder = TaskRecorder()
    monkeypatch.setattr(tasks, "statement_compile_task", recorder)
    return recorder.sent


# -- the codes users type -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("en-GB", "en"),
        ("ru", "ru"),
        ("ru-RU", "ru"),
        ("zh", "zh-hans"),
        ("zh-hans", "zh-hans"),
        ("zh_Hans", "zh-hans"),
        ("zh-CN", "zh-hans"),
        (" zh ", "zh-hans"),
    ],
)
def test_a_typed_language_code_names_one_of_the_products_languages(typed, code):
    assert language_code(typed) == code


@pytest.mark.parametrize("typed", ["", "xx", "de", "zh-hant", "zh-TW", "all"])
def test_a_language_the_product_does_not_speak_is_refused(typed):
    with pytest.raises(LookupError):
        language_code(typed)


def test_users_read_zh_for_simplified_chinese():
    assert [public_code(code) for code in ("en", "ru", "zh-hans")] == ["en", "ru", "zh"]


# -- compiling ----------------------------------------------------------------------------


@pytest.fixture
def mission(db):
    return MissionFactory(slug="sco-test")


def test_compile_statement_takes_zh(mission, enqueued, django_capture_on_commit_callbacks):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "compile_statement", mission="sco-test", kind="final", language="zh", stdout=out
        )

    statement = Statement.objects.get(mission=mission)
    assert statement.language == "zh-hans"
    assert enqueued == [statement.pk]
    assert "(zh)" in out.getvalue()


def test_compile_statement_refuses_an_unknown_language_and_names_the_known_ones(mission, enqueued):
    with pytest.raises(CommandError, match="en, ru, zh"):
        call_command("compile_statement", mission="sco-test", kind="final", language="de")
    assert not Statement.objects.exists()
    assert enqueued == []


def test_compile_statement_all_makes_one_version_and_one_job_per_language(
    mission, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        statement_request(mission=mission, kind="final", language="ru", requested_by=None)
        call_command(
            "compile_statement",
            mission="sco-test",
            kind="final",
            language="all",
            stdout=io.StringIO(),
        )

    versions = dict(
        Statement.objects.filter(mission=mission)
        .order_by("language", "version")
        .values_list("language", "version")
    )
    assert versions == {"en": 1, "ru": 2, "zh-hans": 1}
    assert len(enqueued) == 4
    assert len(set(enqueued)) == 4


def test_the_coordinator_compiles_every_language_in_one_action(
    mission, enqueued, django_capture_on_commit_callbacks
):
    coordinator = UserFactory(username="coordinator")
    MembershipFactory(mission=mission, user=coordinator, role=MissionMembership.Role.COORDINATOR)
    client = Client()
    client.force_login(coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("statements:list", args=[mission.slug]),
            {"kind": "final", "language": "all"},
            follow=True,
        )

    statements = Statement.objects.filter(mission=mission)
    assert sorted(statements.values_list("language", flat=True)) == ["en", "ru", "zh-hans"]
    assert set(statements.values_list("version", flat=True)) == {1}
    assert sorted(enqueued) == sorted(statements.values_list("pk", flat=True))
    assert "3 language versions are queued for compiling." in text_of(response)


# -- the switch and each user's language --------------------------------------------------


@pytest.mark.parametrize(
    "page", ["home", "login", "press:list", "admin:login", "admin:index"], ids=str
)
def test_every_page_has_the_language_switch(db, page):
    client = Client()
    if page in ("home", "admin:index"):
        client.force_login(UserFactory(username="editor", is_staff=True, is_superuser=True))
    html = client.get(reverse(page)).content.decode()

    form = re.search(r'<form[^>]*action="/i18n/setlang/"[^>]*>(.*?)</form>', html, re.S)
    assert form, f"no language switch on {page}"
    options = re.findall(r'<option value="([^"]+)"', form.group(1))
    assert options == ["en", "ru", "zh-hans"]
    assert "<script>" not in html and 'style="' not in form.group(0)


def test_a_signed_in_users_choice_is_remembered_over_their_browsers(db):
    user = UserFactory(username="observer")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)

    response = client.post(reverse("set_language"), {"language": "ru", "next": "/"}, follow=True)

    assert UserPreference.objects.get(user=user).language == "ru"
    assert "Мои миссии" in text_of(response)
    # Another browser, asking for English: after logging in, the pages are in Russian.
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(user)
    assert "Мои миссии" in text_of(other.get(reverse("home")))


def test_the_switch_takes_zh_as_users_type_it(db):
    user = UserFactory(username="observer")
    client = Client()
    client.force_login(user)

    client.post(reverse("set_language"), {"language": "zh", "next": "/"})

    assert UserPreference.objects.get(user=user).language == "zh-hans"
    assert client.cookies["django_language"].value == "zh-hans"


def test_an_anonymous_visitors_choice_lives_in_their_browser_only(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(reverse("set_language"), {"language": "ru", "next": "/press/"})

    assert response["Location"] == "/press/"
    assert not UserPreference.objects.exists()
    assert "Заявления для прессы" in text_of(client.get(reverse("press:list")))


def test_an_unknown_language_changes_nothing(db):
    user = UserFactory(username="observer")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)

    client.post(reverse("set_language"), {"language": "xx", "next": "/"})

    assert not UserPreference.objects.exists()
    assert "My missions" in text_of(client.get(reverse("home")))


def test_a_users_language_costs_no_query_on_their_pages(db, django_assert_num_queries):
    english, russian = UserFactory(username="en-user"), UserFactory(username="ru-user")
    UserPreference.objects.create(user=russian, language="ru")
    counts = []
    for user in (english, russian):
        client = Client()
        client.force_login(user)
        with django_assert_num_queries(3) as captured:
            client.get(reverse("home"))
        counts.append(len(captured.captured_queries))
    assert counts == [3, 3]


# -- dates in each language's conventions ---------------------------------------------------


@pytest.mark.parametrize(
    ("language", "dates"),
    [
        ("en", "17 November 2022 – 20 November 2022"),
        ("ru", "17 ноября 2022 г. – 20 ноября 2022 г."),
        ("zh-hans", "2022年11月17日 – 2022年11月20日"),
    ],
)
def test_the_press_page_writes_dates_as_the_language_does(mission, language, dates):
    statement = Statement.objects.create(
        mission=mission,
        kind="final",
        language="en",
        version=1,
        status=Statement.Status.PUBLISHED,
        dated_on=mission.ends_on,
        content={},
        published_at=timezone.now(),
    )
    add_documents(statement)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)

    assert dates in text_of(client.get(reverse("press:list")))


@pytest.mark.parametrize(
    ("language", "formed"),
    [("en", "27 September 2022"), ("ru", "27 сентября 2022 года")],
)
def test_the_statement_writes_its_dates_as_the_language_does(mission, language, formed):
    document = statement_compose(
        mission=mission,
        kind="final",
        language=language,
        findings=findings_compute(mission=mission),
        dated_on=datetime.date(2022, 11, 21),
    )
    activities = next(s for s in document.sections if s.number == 2)
    assert formed in activities.blocks[0].text
    assert "September" not in str(document.as_dict()) or language == "en"


@pytest.mark.parametrize(
    ("language", "first", "last", "written"),
    [
        ("en", (2022, 11, 17), (2022, 11, 20), "from 17 November to 20 November 2022"),
        ("ru", (2022, 11, 17), (2022, 11, 20), "с 17 по 20 ноября 2022 года"),
        ("zh-hans", (2022, 11, 17), (2022, 11, 20), "2022年11月17日至20日"),
        ("ru", (2022, 10, 28), (2022, 11, 3), "с 28 октября по 3 ноября 2022 года"),
        ("zh-hans", (2022, 10, 28), (2022, 11, 3), "2022年10月28日至11月3日"),
        ("en", (2022, 12, 28), (2023, 1, 3), "from 28 December 2022 to 3 January 2023"),
        ("ru", (2022, 12, 28), (2023, 1, 3), "с 28 декабря 2022 года по 3 января 2023 года"),
        ("zh-hans", (2022, 12, 28), (2023, 1, 3), "2022年12月28日至2023年1月3日"),
        ("en", (2022, 11, 20), (2022, 11, 20), "on 20 November 2022"),
        ("ru", (2022, 11, 20), (2022, 11, 20), "20 ноября 2022 года"),
        ("zh-hans", (2022, 11, 20), (2022, 11, 20), "2022年11月20日"),
    ],
)
def test_the_statement_writes_a_period_saying_once_what_its_days_share(
    language, first, last, written
):
    with translation.override(language):
        assert period(datetime.date(*first), datetime.date(*last)) == written


def test_the_chinese_statement_opens_with_its_period_as_chinese_writes_it(mission):
    mission.starts_on, mission.ends_on = datetime.date(2022, 11, 17), datetime.date(2022, 11, 20)
    mission.save()
    document = statement_compose(
        mission=mission,
        kind="final",
        language="zh-hans",
        findings=findings_compute(mission=mission),
        dated_on=datetime.date(2022, 11, 20),
    )
    assert "于2022年11月17日至20日" in document.preamble[0].text


@pytest.mark.parametrize(
    ("language", "written"), [("en", "10,101"), ("ru", "10\xa0101"), ("zh-hans", "10,101")]
)
def test_the_composer_writes_numbers_as_the_language_does(language, written):
    with translation.override(language):
        assert figure(10101) == written


# -- fonts ------------------------------------------------------------------------------------


def test_the_word_document_names_a_chinese_font_for_east_asian_text():
    document = Document(
        title="上海合作组织观察团声明",
        language="zh-hans",
        sections=[
            Section(title="张明", number=1, blocks=[Paragraph.of("观察团访问了22个投票站。")])
        ],
    )
    word = WordDocument(io.BytesIO(render_docx(document)))
    styles = word.styles.element

    defaults = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    fonts = defaults.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "Noto Serif CJK SC"
    assert fonts.get(qn("w:ascii")) == "DejaVu Serif"
    # No theme font is left to win over the named ones.
    for element in styles.iter(qn("w:rFonts")):
        assert not any(name.lower().endswith("theme") for name in element.attrib)
        if element.get(qn("w:eastAsia")) is not None:
            assert "CJK" in element.get(qn("w:eastAsia"))


def pdf_fonts(pdf: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return fonts


@pytest.mark.parametrize(
    ("language", "title", "sentence", "family"),
    [
        ("ru", "Заявление Миссии наблюдателей ШОС", "Миссию возглавлял Чжан Мин.", "DejaVu"),
        ("zh-hans", "上海合作组织观察团声明", "观察团由张明率领。", "Noto-Serif-CJK"),
    ],
)
def test_the_pdf_prints_cyrillic_and_chinese_with_fonts_that_have_them(
    language, title, sentence, family
):
    document = Document(
        title=title,
        language=language,
        sections=[Section(title=title, number=1, blocks=[Paragraph.of(sentence)])],
    )
    pdf = render_pdf(document)

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert sentence in text.replace("\n", "")
    assert any(font.startswith(family) for font in pdf_fonts(pdf)), pdf_fonts(pdf)


def test_a_checklist_file_may_name_chinese_zh():
    assert translations_read({"zh": {"text": "是否张贴了宣传材料？"}}, "questions[0]") == {
        "zh-hans": {"text": "是否张贴了宣传材料？"}
    }


def russian_plural_form(n: int) -> str:
    """Which form a Russian count takes, by the grammar's rule: one, few or many."""
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


RUSSIAN_FORMS = {
    # (singular, plural) as the code marks them → what each Russian form ends with.
    ("%(count)d complaint", "%(count)d complaints"): {
        "one": "жалоба",
        "few": "жалобы",
        "many": "жалоб",
    },
    ("%(count)s polling station", "%(count)s polling stations"): {
        "one": "избирательном участке",
        "few": "избирательных участках",
        "many": "избирательных участках",
    },
    ("%(counter)s visit", "%(counter)s visits"): {
        "one": "посещение",
        "few": "посещения",
        "many": "посещений",
    },
}


@given(n=st.integers(min_value=0, max_value=10**7))
@settings(max_examples=300, deadline=None)
def test_russian_counts_take_the_form_russian_grammar_gives_them(n):
    with translation.override("ru"):
        for (singular, plural), endings in RUSSIAN_FORMS.items():
            key = "counter" if "counter" in singular else "count"
            text = ngettext(singular, plural, n) % {key: n}
            assert text.startswith((str(n), "на " + str(n)))
            assert text.endswith(endings[russian_plural_form(n)]), (n, text)
