"""Content in each language: names, places, checklists and authored texts in English, Russian
and Chinese, from the demo bundle to every format of a compiled statement."""

import datetime
import io
import json
import re
from io import StringIO

import docx
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from missions.bundle import BundleError, mission_export, mission_import
from missions.demo import DEMO_SLUG
from missions.models import Candidate, Mission
from observers.models import Observer, Participation
from reports.checklist_files import ChecklistFileError, checklist_dump, checklist_load
from reports.models import Statement, StatementText
from reports.statements.jobs import statement_compile
from reports.statements.missing_translations import (
    missing_translations,
    missing_translations_by_language,
)
from tests.statement_figures_support import html_paragraphs
from tests.test_statement_language_figures import DATED, compiled
from tests.test_statement_truth import EXTRACT, pdf_text, stored

DEMO_FILE = "missions/demo/sco-kazakhstan-2022.json"


def demo_data() -> dict:
    with open(DEMO_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def demo_people(language: str) -> list[str]:
    """The 18 members' names in a language, as the demo file (not the database) gives them."""
    names = []
    for delegation in demo_data()["delegations"]:
        for member in delegation["members"]:
            names.append(member["translations"][language]["full_name"])
    return names


def demo_candidates(language: str) -> list[str]:
    return [c["translations"][language]["full_name"] for c in demo_data()["election"]["candidates"]]


@pytest.fixture(autouse=True)
def fresh_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.fixture
def demo(db) -> Mission:
    call_command("load_demo", stdout=StringIO())
    return Mission.objects.get(slug=DEMO_SLUG)


def compile_final(mission: Mission, language: str) -> Statement:
    statement = Statement.objects.create(
        mission=mission,
        kind=Statement.Kind.FINAL,
        language=language,
        version=1,
        dated_on=datetime.date(2022, 11, 20),
        assessment=Statement.Assessment.NO_VIOLATIONS,
    )
    statement_compile(statement_id=statement.pk)
    statement.refresh_from_db()
    assert statement.status == Statement.Status.READY, statement.error
    return statement


def squeezed(text: str) -> str:
    """Text without any whitespace: a PDF may break a Chinese name across lines."""
    return re.sub(r"\s+", "", text.replace("\u00ad", ""))


# ---------------------------------------------------------------------------------------
# The demo in three languages


def test_the_demo_file_gives_every_member_a_russian_and_a_chinese_name_and_position():
    data = demo_data()
    members = [m for d in data["delegations"] for m in d["members"]]
    assert len(members) == 18
    for member in members:
        for language in ("ru", "zh-hans"):
            forms = member["translations"][language]
            assert forms["full_name"] and forms["position"], (member["full_name"], language)
            assert forms["full_name"] != member["full_name"]
    head = next(m for m in members if m["role"] == "head")
    # The SCO's Russian page spells the head of mission so.
    assert head["translations"]["ru"]["full_name"] == "Чжан Мин"
    assert head["translations"]["zh-hans"]["full_name"] == "张明"


def test_the_demo_areas_are_named_in_each_language(demo):
    with translation.override("ru"):
        names = set(demo.election.areas.values_list("name_ru", flat=True))
    assert {"Астана", "Акмолинская область"} <= names
    assert {"阿斯塔纳", "阿克莫拉州"} <= set(
        demo.election.areas.values_list("name_zh_hans", flat=True)
    )


def test_nothing_the_demo_statements_print_is_missing_in_russian_or_chinese(demo):
    assert missing_translations_by_language(mission=demo) == {"ru": [], "zh-hans": []}


# The proper names the demo's statements quote in Latin script in every language.
LATIN_NAMES = {"YouTube"}


def statement_texts(statement: Statement) -> dict[str, str]:
    """What a reader reads of each format: the page's paragraphs, the PDF's text, and the
    Word document's paragraphs and table cells."""
    page = html_paragraphs(stored(statement, "html").decode())
    document = docx.Document(io.BytesIO(stored(statement, "docx")))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return {
        "html": "\n".join(text for part in page.values() for text in part),
        "pdf": pdf_text(stored(statement, "pdf")),
        "docx": "\n".join([*(paragraph.text for paragraph in document.paragraphs), *cells]),
    }


@pytest.mark.parametrize("language", ["ru", "zh-hans"])
def test_the_demos_statements_in_russian_and_chinese_print_no_english(demo, language):
    # The checklists' phrases (“railings and ramps at the entrance”, “a fully staffed
    # commission”) and every other text: no word in Latin script but a proper name.
    for kind in DATED:
        statement = compiled(demo, kind, language)
        for file_format, text in statement_texts(statement).items():
            runs = re.findall(r"[A-Za-z][A-Za-z’'-]*(?:[\s,;:.()-]+[A-Za-z][A-Za-z’'-]*)*", text)
            english = [run for run in runs if run not in LATIN_NAMES]
            assert english == [], (kind, file_format)


@pytest.mark.parametrize("language", ["ru", "zh-hans"])
def test_the_compiled_statement_names_every_member_candidate_and_the_head_in_its_language(
    demo, language
):
    statement = compile_final(demo, language)
    people = demo_people(language)
    candidates = demo_candidates(language)
    head = {"ru": "Генеральный секретарь ШОС Чжан Мин", "zh-hans": "上合组织秘书长张明"}[language]
    english = ["Zhang Ming", "Konstantin Mazurevsky", "Kassym-Jomart Tokayev", "Astana"]

    for file_format, extract in EXTRACT.items():
        text = squeezed(extract(stored(statement, file_format)))
        absent = [name for name in [*people, *candidates, head] if squeezed(name) not in text]
        assert absent == [], (file_format, absent)
        assert [name for name in english if squeezed(name) in text] == [], file_format

    html = stored(statement, "html").decode()
    area = {"ru": "Астан", "zh-hans": "阿斯塔纳"}[language]
    assert area in html
    authored = {"ru": "Рабочая группа Секретариата", "zh-hans": "秘书处工作组"}[language]
    assert authored in html


def test_the_chinese_statement_is_punctuated_as_chinese_is_written(demo):
    statement = compile_final(demo, "zh-hans")
    text = re.sub(r"<[^>]+>", "\n", stored(statement, "html").decode())

    # Sentences follow one another with no space, each closed by its own full stop.
    assert "。 " not in text
    assert "。." not in text
    assert "。，" not in text
    assert "。" in text


def test_the_english_statement_keeps_the_english_names(demo):
    statement = compile_final(demo, "en")

    text = EXTRACT["html"](stored(statement, "html"))

    assert "Zhang Ming" in text and "Kassym-Jomart Tokayev" in text
    assert "Чжан Мин" not in text and "张明" not in text


# ---------------------------------------------------------------------------------------
# Fallback and the coordinator's warning


def test_a_name_missing_in_russian_is_printed_in_english_and_listed_before_compiling(demo):
    observer = Observer.objects.get(full_name_en="Konstantin Mazurevsky")
    observer.position_ru = ""
    observer.save()
    introduction = StatementText.objects.get(mission=demo, section="introduction")
    introduction.body_ru = ""
    introduction.save()

    missing = missing_translations(mission=demo, language="ru")
    statement = compile_final(demo, "ru")
    text = EXTRACT["html"](stored(statement, "html"))

    assert [(m.name, m.field) for m in missing] == [
        ("Konstantin Mazurevsky", "position"),
        ("Introduction", "text"),
    ]
    assert missing[0].url == reverse("admin:observers_observer_change", args=[observer.pk])
    assert missing_translations(mission=demo, language="zh-hans") == []
    # The name falls back to English; the authored section is left out rather than printed
    # in English.
    assert "Member of the Central Election Commission of the Russian Federation" in text
    assert "Константин Мазуревский" in text
    assert "international observers as indicative" not in text
    assert "приглашение международных наблюдателей" not in text


def test_a_checklist_phrase_missing_in_russian_is_listed_before_compiling(demo):
    from reports.models import Question

    question = Question.objects.get(
        checklist__mission=demo, checklist__code="voting", code="info_materials"
    )
    question.clear_item_ru = ""
    question.save()

    missing = missing_translations(mission=demo, language="ru")
    statement = compile_final(demo, "ru")
    text = EXTRACT["html"](stored(statement, "html"))

    assert [(m.name, m.field) for m in missing] == [
        ("voting/info_materials", "what every clear station had"),
    ]
    assert missing[0].url == reverse("admin:reports_question_change", args=[question.pk])
    assert missing_translations(mission=demo, language="zh-hans") == []
    # The statement lists the English phrase among the Russian ones: the coordinator was told.
    assert "the required information and reference materials" in text
    assert "полный состав комиссии" in text


def test_the_statements_page_lists_what_is_missing_in_each_language(demo, client):
    from django.contrib.auth import get_user_model

    from missions.models import MissionMembership

    user = get_user_model().objects.create_user("coordinator-x", password="x", is_staff=True)
    MissionMembership.objects.create(mission=demo, user=user, role="coordinator")
    Candidate.objects.filter(full_name_en="Karakat Abden").update(nominated_by_zh_hans="")
    client.force_login(user)

    page = client.get(reverse("statements:list", args=[demo.slug])).content.decode()

    chinese = page[page.index('data-language="zh-hans"') :]
    russian = page[page.index('data-language="ru"') : page.index('data-language="zh-hans"')]
    assert "every text the statement prints is written in this language" in russian
    assert "1 text is not written in this language" in chinese
    assert "Karakat Abden" in chinese and "nominated by" in chinese


# ---------------------------------------------------------------------------------------
# Bundles and checklist files carry every language


def test_a_bundle_carries_every_language_and_imports_them_back(demo):
    exported = json.loads(json.dumps(mission_export(mission=demo)))

    copy = mission_import(bundle=exported, slug="sco-copy")

    head = Participation.objects.get(mission=copy, role="head").observer
    assert (head.full_name_en, head.full_name_ru, head.full_name_zh_hans) == (
        "Zhang Ming",
        "Чжан Мин",
        "张明",
    )
    assert copy.organisation_acronym_zh_hans == "上合组织"
    again = mission_export(mission=copy)
    assert {**again, "mission": None} == {**exported, "mission": None}


def test_a_bundle_exported_in_a_russian_session_still_carries_english_under_the_plain_keys(demo):
    with translation.override("ru"):
        exported = mission_export(mission=demo)

    assert exported["mission"]["organisation_acronym"] == "SCO"
    assert exported["mission"]["translations"]["ru"]["organisation_acronym"] == "ШОС"


def test_an_older_bundle_with_one_statement_text_per_language_is_read(demo):
    data = json.loads(json.dumps(mission_export(mission=demo)))
    data["statement_texts"] = [
        {"section": "introduction", "language": "en", "body": "In English."},
        {"section": "introduction", "language": "ru", "body": "По-русски."},
    ]

    copy = mission_import(bundle=data, slug="sco-older")

    text = StatementText.objects.get(mission=copy)
    assert (text.body_en, text.body_ru, text.body_zh_hans) == ("In English.", "По-русски.", None)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (
            lambda d: d["delegations"][0]["members"][0]["translations"].update(de={"x": "y"}),
            "delegations[0].members[0].translations.de",
        ),
        (
            lambda d: d["election"]["candidates"][0]["translations"]["ru"].update(ballot="1"),
            "election.candidates[0].translations.ru",
        ),
    ],
)
def test_a_bundle_with_a_bad_translation_is_refused_with_its_place(demo, change, where):
    data = json.loads(json.dumps(mission_export(mission=demo)))
    change(data)

    with pytest.raises(BundleError) as refused:
        mission_import(bundle=data, slug="sco-bad")

    assert refused.value.where == where
    assert not Mission.objects.filter(slug="sco-bad").exists()


CHECKLIST = """\
format: observa-checklist
version: 1
code: voting
title: Voting
phase: voting
translations:
  ru: {title: Голосование}
  zh: {title: 投票}
sections:
  - title: Polling station
    translations: {ru: {title: Избирательный участок}, zh-hans: {title: 投票站}}
    questions:
      - code: info_materials
        text: Were the information materials on display?
        type: yes_no
        concern: ['no']
        clear: All stations displayed them.
        translations:
          ru:
            text: Были ли вывешены информационные материалы?
            clear: На всех участках они были вывешены.
          zh-hans:
            text: 是否张贴了宣传材料？
"""


def test_a_checklist_file_carries_every_language_and_writes_it_back(demo):
    checklist = checklist_load(mission=demo, text=CHECKLIST, source="voting.yaml")

    question = checklist.questions.get()
    assert (checklist.title_ru, checklist.title_zh_hans) == ("Голосование", "投票")
    assert checklist.sections.get().title_zh_hans == "投票站"
    assert question.localized("text", "zh-hans") == "是否张贴了宣传材料？"
    # No Chinese sentence: the English one stands in.
    assert question.localized("clear_sentence", "zh-hans") == "All stations displayed them."
    written = checklist_dump(checklist=checklist)
    assert "zh-hans:\n    title: 投票" in written
    again = checklist_load(mission=demo, text=written, source="again.yaml")
    assert checklist_dump(checklist=again) == written


def test_a_checklist_file_in_a_language_the_installation_lacks_is_refused(demo):
    text = CHECKLIST.replace("zh: {title: 投票}", "fr: {title: Vote}")

    with pytest.raises(ChecklistFileError) as refused:
        checklist_load(mission=demo, text=text, source="voting.yaml")

    assert refused.value.where == "translations.fr"
    assert "ru, zh-hans" in refused.value.message


def test_the_standard_checklists_ship_in_three_languages(demo):
    from reports.models import Question

    questions = Question.objects.filter(checklist__mission=demo)
    assert questions.count() > 50
    for question in questions:
        for language in ("ru", "zh_hans"):
            assert getattr(question, f"text_{language}"), (question.code, language)
            for field in ("clear_sentence", "clear_item", "concern_sentence"):
                if getattr(question, f"{field}_en"):
                    written = getattr(question, f"{field}_{language}")
                    assert written, (question.code, field, language)


# ---------------------------------------------------------------------------------------
# The admin edits the languages side by side


def test_the_admin_edits_a_persons_name_in_each_language_side_by_side(demo, admin_client):
    observer = Observer.objects.get(full_name_en="Zhang Ming")
    url = reverse("admin:observers_observer_change", args=[observer.pk])

    page = admin_client.get(url).content.decode()

    for column in ("full_name_en", "full_name_ru", "full_name_zh_hans"):
        assert f'name="{column}"' in page
    assert 'value="Чжан Мин"' in page and 'value="张明"' in page


def test_the_admin_finds_a_person_by_a_name_in_any_language(demo, admin_client):
    changelist = reverse("admin:observers_observer_changelist")

    with translation.override("ru"):
        by_english = admin_client.get(changelist, {"q": "Mazurevsky"}, HTTP_ACCEPT_LANGUAGE="ru")
    by_russian = admin_client.get(changelist, {"q": "Мазуревский"})
    by_chinese = admin_client.get(changelist, {"q": "马祖列夫斯基"})

    for response in (by_english, by_russian, by_chinese):
        assert response.context["cl"].result_count == 1


def test_a_station_list_imported_in_a_russian_session_is_stored_as_english(demo):
    from stations.imports import stations_import
    from tests.test_imports import csv_file

    with translation.override("ru"):
        stations_import(
            election=demo.election,
            file_name="stations.csv",
            content=csv_file([["number", "name"], ["83", "Gymnasium No. 3, renamed"]]),
        )

    station = demo.election.stations.get(number="83")
    assert station.name_en == "Gymnasium No. 3, renamed"
    assert station.name_ru == "Гимназия № 3"
