import copy
import datetime
import json
import re

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import reverse

from missions.bundle import BundleError, mission_export, mission_import
from missions.content_languages import in_language
from missions.models import Mission
from missions.services import coordinators_group_ensure
from reports.checklist_files import (
    ChecklistFileError,
    checklist_dump,
    checklist_load,
    standard_checklists,
)
from reports.models import Checklist, Question, Section, Visit
from reports.statements.missing_translations import QUESTION_FIELDS
from tests.factories import MissionFactory, PollingStationFactory

STANDARD_PHASES = {
    "pre_election": "pre_election",
    "opening": "opening",
    "voting": "voting",
    "closing": "closing",
    "accessibility": "voting",
}

# A small checklist using every key of the format.
SAMPLE = {
    "format": "observa-checklist",
    "version": 1,
    "code": "sample",
    "title": "Sample",
    "phase": "voting",
    "description": "First line.\nSecond line.",
    "sections": [
        {
            "title": "Polling station",
            "questions": [
                {
                    "code": "info_materials",
                    "text": "Were the required information and reference materials on display?",
                    "help": "Voting instructions, information on the candidates.",
                    "type": "yes_no",
                    "required": True,
                    "concern": ["no"],
                    "severity": "minor",
                    "reference": "ICCPR art. 25",
                    "clear": "All polling stations featured the required information.",
                    "clear_item": "the required information and reference materials",
                    "concern_sentence": "Information was missing at {concerns} of {stations}.",
                    "translations": {
                        "ru": {
                            "text": "Были ли вывешены необходимые информационные материалы?",
                            "clear": "На всех участках были информационные материалы.",
                            "clear_item": "необходимые информационно-справочные материалы",
                        }
                    },
                },
                {
                    "code": "voters_waiting",
                    "text": "How many voters were waiting?",
                    "type": "number",
                    "required": False,
                    "min": 0,
                    "max": 10000,
                    "concern_above": 50.5,
                    "severity": "minor",
                },
                {
                    "code": "atmosphere",
                    "text": "The atmosphere",
                    "type": "single",
                    "required": True,
                    "choices": [["calm", "Calm"], ["tense", "Tense"], ["no", "None of these"]],
                    "concern": ["tense"],
                    "severity": "serious",
                },
            ],
        },
        {
            "title": "Notes",
            "questions": [
                {"code": "opened_at", "text": "Opening time", "type": "time", "required": True},
                {
                    "code": "present",
                    "text": "Who was present?",
                    "type": "multiple",
                    "required": False,
                    "choices": [["media", "Media"], ["1", "One"]],
                },
                {"code": "notes", "text": "Notes", "type": "text", "required": False},
            ],
        },
    ],
}


def sample_text(document=None) -> str:
    return yaml.safe_dump(document or SAMPLE, allow_unicode=True, sort_keys=False)


def load_standard(mission, name: str) -> Checklist:
    path = standard_checklists()[name]
    return checklist_load(mission=mission, text=path.read_text(encoding="utf-8"), source=path.name)


def database_counts() -> tuple[int, int, int]:
    return (Checklist.objects.count(), Section.objects.count(), Question.objects.count())


def file_visit(personas, checklist: Checklist) -> Visit:
    mission = checklist.mission
    return Visit.objects.create(
        mission=mission,
        station=PollingStationFactory(election=mission.election),
        checklist=checklist,
        filed_by=personas.observer_participation,
        arrived_at=datetime.datetime(2022, 11, 20, 10, 0, tzinfo=datetime.UTC),
    )


@pytest.fixture
def checklist_permissions(personas):
    # Coordinators manage their missions' checklists through the group's own permissions.
    group = coordinators_group_ensure()
    assert group.permissions.filter(codename="change_checklist").exists()


# ---------------------------------------------------------------------------------------
# The file format and the standard checklists


def test_the_standard_checklists_are_the_five_the_product_ships():
    assert set(standard_checklists()) == set(STANDARD_PHASES)


@pytest.mark.parametrize(("name", "phase"), STANDARD_PHASES.items())
def test_every_standard_checklist_loads_with_its_phase(db, name, phase):
    mission = MissionFactory()

    checklist = load_standard(mission, name)

    assert (checklist.code, checklist.phase, checklist.version) == (name, phase, 1)
    questions = list(checklist.questions.all())
    assert questions
    for question in questions:
        if question.concern_answers or question.concern_above is not None:
            # The statement needs both sentences for every question that can raise a concern.
            assert question.clear_sentence, question.code
            assert "{concerns}" in question.concern_sentence, question.code
            # …and the short phrase it lists among what every station had.
            assert question.clear_item, question.code
            assert not question.clear_item.endswith("."), question.code


@pytest.mark.parametrize("name", STANDARD_PHASES)
def test_every_standard_checklist_writes_what_a_statement_prints_in_russian_and_chinese(db, name):
    checklist = load_standard(MissionFactory(), name)

    missing = [
        (question.code, field, language)
        for question in checklist.questions.all()
        for field in QUESTION_FIELDS
        for language in ("ru", "zh-hans")
        if in_language(question, field, "en") and not in_language(question, field, language)
    ]

    assert missing == []
    # The phrases fit where the statement lists them: after “…имелось следующее:” joined by
    # commas and “и”, after “…均符合以下各项：” joined by “、” and “和”.
    for question in checklist.questions.all():
        if question.clear_item:
            assert "," not in in_language(question, "clear_item", "ru"), question.code
            assert not re.search(r"[，、；。,.]", in_language(question, "clear_item", "zh-hans"))


def test_the_voting_checklist_asks_what_the_statement_reports(db):
    checklist = load_standard(MissionFactory(), "voting")
    questions = {q.code: q for q in checklist.questions.all()}

    assert 25 <= len(questions) <= 40
    assert {"number", "time", "single", "multiple", "text", "yes_no"} >= {
        q.kind for q in questions.values()
    }
    assert questions["ballot_box_sealed"].severity == "critical"
    assert questions["secrecy"].severity == "serious"
    assert questions["evacuation_plan"].severity == "minor"
    assert questions["info_materials"].signals_concern("no")
    assert not questions["info_materials"].signals_concern("yes")
    assert questions["voters_waiting"].signals_concern(51)
    assert questions["complaints_recorded"].clear_sentence == (
        "No complaints and remarks were recorded at polling stations."
    )


@pytest.mark.parametrize("name", [*STANDARD_PHASES, "sample"])
def test_a_dump_loads_into_another_mission_and_dumps_the_same(db, name):
    first, second = MissionFactory(), MissionFactory()
    if name == "sample":
        original = checklist_load(mission=first, text=sample_text(), source="sample.yaml")
    else:
        original = load_standard(first, name)

    text = checklist_dump(checklist=original)
    copied = checklist_load(mission=second, text=text, source="dump.yaml")

    assert copied.mission == second
    assert checklist_dump(checklist=copied) == text


def test_the_dump_keeps_every_value(db):
    checklist = checklist_load(mission=MissionFactory(), text=sample_text(), source="s.yaml")

    dumped = yaml.safe_load(checklist_dump(checklist=checklist))

    assert dumped == SAMPLE


def test_a_files_clear_item_is_stored_with_its_translation(db):
    checklist = checklist_load(mission=MissionFactory(), text=sample_text(), source="s.yaml")
    question = checklist.questions.get(code="info_materials")

    assert question.clear_item == "the required information and reference materials"
    assert question.localized("clear_item", "ru") == (
        "необходимые информационно-справочные материалы"
    )
    assert question.localized("clear_item", "zh-hans") == question.clear_item


BARE_YES_NO = """\
format: observa-checklist
version: 1
code: bare
title: Bare
phase: opening
sections:
  - title: Station
    questions:
      - code: evacuation_plan
        text: Were emergency evacuation plans on display?
        type: yes_no
        concern: [no]
      - code: lights
        text: Lights
        type: single
        required: false
        choices: [[yes, Yes], [no, No], [off, Off]]
        concern: [no, off]
"""


def test_a_bare_no_is_an_answer_not_a_boolean(db):
    checklist = checklist_load(mission=MissionFactory(), text=BARE_YES_NO, source="bare.yaml")

    plan = checklist.questions.get(code="evacuation_plan")
    lights = checklist.questions.get(code="lights")
    assert plan.concern_answers == ["no"]
    assert plan.signals_concern("no")
    assert lights.choices == [["yes", "Yes"], ["no", "No"], ["off", "Off"]]
    assert lights.concern_answers == ["no", "off"]
    assert not lights.required
    # The dump quotes them, so YAML 1.1 readers get text as well.
    assert "concern: ['no']" in checklist_dump(checklist=checklist)


def test_json_is_read_too_and_json_booleans_name_yes_no_answers(db):
    document = copy.deepcopy(SAMPLE)
    document["sections"][0]["questions"][0]["concern"] = [False]

    checklist = checklist_load(
        mission=MissionFactory(), text=json.dumps(document), source="sample.json"
    )

    assert checklist.questions.get(code="info_materials").concern_answers == ["no"]


def _question(document, section, index):
    return document["sections"][section]["questions"][index]


@pytest.mark.parametrize(
    ("damage", "where", "message"),
    [
        (
            lambda d: _question(d, 0, 1).update(colour="red"),
            "sections[0].questions[1]",
            "unknown key “colour”",
        ),
        (
            lambda d: d.update(author="someone"),
            "",
            "unknown key “author”",
        ),
        (
            lambda d: _question(d, 0, 1).update(type="yesno"),
            "sections[0].questions[1].type",
            "“yesno” is not one of yes_no, single, multiple, number, time, text.",
        ),
        (
            lambda d: _question(d, 0, 2).update(concern=["angry"]),
            "sections[0].questions[2].concern",
            "“angry” is not one of the answers.",
        ),
        (
            lambda d: _question(d, 0, 0).update(concern=["maybe"]),
            "sections[0].questions[0].concern",
            "“maybe” is not one of the answers.",
        ),
        (
            lambda d: _question(d, 0, 0).update(concern_sentence="At {visits} stations."),
            "sections[0].questions[0].concern_sentence",
            "Unknown placeholder {visits}.",
        ),
        (
            lambda d: _question(d, 0, 0)["translations"]["ru"].update(
                concern_sentence="На {участках}."
            ),
            "sections[0].questions[0].translations.ru.concern_sentence",
            "unknown placeholder {участках}.",
        ),
        (
            lambda d: _question(d, 1, 2).pop("text"),
            "sections[1].questions[2]",
            "the key “text” is missing.",
        ),
        (lambda d: d.pop("phase"), "", "the key “phase” is missing."),
        (
            lambda d: d.update(phase="counting"),
            "phase",
            "“counting” is not one of pre_election, opening, voting, closing, other.",
        ),
        (
            lambda d: _question(d, 1, 0).update(code="opening time"),
            "sections[1].questions[0].code",
            "valid “slug”",
        ),
        (
            lambda d: _question(d, 1, 1).update(code="atmosphere"),
            "sections[1].questions[1].code",
            "the code “atmosphere” is already used at sections[0].questions[2].",
        ),
        (
            lambda d: _question(d, 0, 1).update(min=100, max=10),
            "sections[0].questions[1]",
            "The smallest allowed value exceeds the largest.",
        ),
        (
            lambda d: _question(d, 0, 1).update(concern_above=1.234),
            "sections[0].questions[1].concern_above",
            "2 decimal places",
        ),
        (
            lambda d: _question(d, 0, 0).update(min=0),
            "sections[0].questions[0].min",
            "only number questions have “min”.",
        ),
        (
            lambda d: _question(d, 1, 2).update(concern=["nothing"]),
            "sections[1].questions[2].concern",
            "Only yes/no and choice answers signal concerns.",
        ),
        (
            lambda d: _question(d, 0, 2).update(choices=[["calm", "Calm"], ["calm", "Quiet"]]),
            "sections[0].questions[2].choices[1][0]",
            "the value “calm” appears twice.",
        ),
        (
            lambda d: _question(d, 0, 2).update(choices=["calm", "tense"]),
            "sections[0].questions[2].choices[0]",
            "expected a pair [value, label].",
        ),
        (
            lambda d: _question(d, 1, 2).update(required="sometimes"),
            "sections[1].questions[2].required",
            "expected true or false",
        ),
        (
            lambda d: _question(d, 0, 0).update(severity="grave"),
            "sections[0].questions[0].severity",
            "“grave” is not one of minor, serious, critical.",
        ),
        (
            lambda d: _question(d, 0, 0).update(translations={"Russian": {"text": "?"}}),
            "sections[0].questions[0].translations.Russian",
            "not one of the languages",
        ),
        (lambda d: d["sections"][1].update(questions={}), "sections[1].questions", "a list"),
        (lambda d: d.update(title="x" * 201), "title", "at most 200 characters"),
        (lambda d: d.update(version=2), "version", "not supported"),
        (lambda d: d.update(format="observa-mission-bundle"), "format", "not a checklist file"),
    ],
)
def test_a_bad_file_is_refused_with_its_place_and_writes_nothing(db, damage, where, message):
    mission = MissionFactory()
    document = copy.deepcopy(SAMPLE)
    damage(document)
    before = database_counts()

    with pytest.raises(ChecklistFileError) as error:
        checklist_load(mission=mission, text=sample_text(document), source="bad.yaml")

    assert error.value.where == where
    assert message in error.value.message
    assert str(error.value).startswith("bad.yaml: ")
    assert database_counts() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("format: observa-checklist\nsections: [unclosed\n", "not a YAML or JSON document (line"),
        ('{"format": "observa-checklist",', "not a YAML or JSON document"),
        ("Dear colleagues, please find the checklist attached.", "not a checklist file"),
        ("", "the document is empty."),
        ("format: observa-checklist\nformat: other\n", "the key “format” appears twice"),
        (
            "format: observa-checklist\nversion: 1\nx: &a [1, 1]\ny: [*a, *a]\n",
            "references (*name) are not allowed",
        ),
        ("format: observa-checklist\ncode: voting\n", "the key “version” is missing."),
    ],
)
def test_a_document_that_is_not_a_checklist_file_is_refused(db, text, message):
    with pytest.raises(ChecklistFileError) as error:
        checklist_load(mission=MissionFactory(), text=text, source="mail.txt")

    assert message in error.value.message
    assert database_counts() == (0, 0, 0)


def test_importing_twice_makes_version_two_and_leaves_version_one(db):
    mission = MissionFactory()
    first = load_standard(mission, "voting")
    first_questions = set(first.questions.values_list("pk", "code"))

    second = load_standard(mission, "voting")

    assert (first.version, second.version) == (1, 2)
    assert set(first.questions.values_list("pk", "code")) == first_questions
    assert second.questions.count() == len(first_questions)
    # Another mission's numbering is its own.
    assert load_standard(MissionFactory(), "voting").version == 1


# ---------------------------------------------------------------------------------------
# Commands


def test_the_import_command_imports_a_standard_checklist_and_counts_versions(personas, capsys):
    call_command("import_checklist", "--mission", "mission-a", "--standard", "voting")
    call_command("import_checklist", "--mission", "mission-a", "--standard", "voting")

    out = capsys.readouterr().out
    assert "Imported “Voting” as version 1 of “voting”." in out
    assert "Imported “Voting” as version 2 of “voting”." in out
    versions = Checklist.objects.filter(mission=personas.mission_a, code="voting")
    assert sorted(versions.values_list("version", flat=True)) == [1, 2]


def test_the_import_command_imports_every_standard_checklist(personas, capsys):
    call_command("import_checklist", "--mission", "mission-a", "--all-standard")

    codes = Checklist.objects.filter(mission=personas.mission_a).values_list("code", flat=True)
    assert sorted(codes) == sorted(STANDARD_PHASES)
    assert capsys.readouterr().out.count("Imported") == 5


def test_the_export_command_writes_what_the_import_command_reads(personas, tmp_path, capsys):
    checklist_load(mission=personas.mission_a, text=sample_text(), source="s.yaml")
    second = load_standard(personas.mission_a, "voting")
    second.code = "sample"
    second.version = 2
    second.save()

    call_command("export_checklist", "--mission", "mission-a", "sample", "--version", "1")
    exported = capsys.readouterr().out
    call_command("export_checklist", "--mission", "mission-a", "sample")
    latest = capsys.readouterr().out
    path = tmp_path / "sample.yaml"
    path.write_text(exported, encoding="utf-8")
    call_command("import_checklist", str(path), "--mission", "mission-b")

    assert "title: Sample" in exported
    assert "title: Voting" in latest
    copied = Checklist.objects.get(mission=personas.mission_b)
    assert checklist_dump(checklist=copied) == exported


def test_the_import_command_names_the_place_of_an_error_and_writes_nothing(personas, tmp_path):
    document = copy.deepcopy(SAMPLE)
    _question(document, 1, 0)["type"] = "clock"
    path = tmp_path / "bad.yaml"
    path.write_text(sample_text(document), encoding="utf-8")

    with pytest.raises(CommandError) as error:
        call_command("import_checklist", str(path), "--mission", "mission-a")

    assert "bad.yaml: sections[1].questions[0].type: “clock” is not one of" in str(error.value)
    assert "Nothing was imported." in str(error.value)
    assert database_counts() == (0, 0, 0)


def test_the_import_command_refuses_unknown_missions_files_and_names(personas, tmp_path):
    with pytest.raises(CommandError, match="No mission with the slug “nowhere”"):
        call_command("import_checklist", "--mission", "nowhere", "--standard", "voting")
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_checklist", str(tmp_path / "none.yaml"), "--mission", "mission-a")
    with pytest.raises(CommandError, match="No standard checklist “counting”"):
        call_command("import_checklist", "--mission", "mission-a", "--standard", "counting")
    assert database_counts() == (0, 0, 0)


def test_the_export_command_refuses_an_unknown_checklist_or_version(personas):
    load_standard(personas.mission_a, "voting")

    with pytest.raises(CommandError, match="No checklist “opening”"):
        call_command("export_checklist", "--mission", "mission-a", "opening")
    with pytest.raises(CommandError, match="No version 3 of the checklist “voting”"):
        call_command("export_checklist", "--mission", "mission-a", "voting", "--version", "3")


# ---------------------------------------------------------------------------------------
# Admin


def test_a_frozen_version_is_read_only_for_its_coordinator(
    personas, checklist_permissions, coordinator_client
):
    checklist = load_standard(personas.mission_a, "opening")
    file_visit(personas, checklist)
    question = checklist.questions.get(code="ballot_box_sealed")
    change_url = reverse("admin:reports_checklist_change", args=[checklist.pk])
    question_url = reverse("admin:reports_question_change", args=[question.pk])

    page = coordinator_client.get(change_url)
    question_page = coordinator_client.get(question_url)
    posted = coordinator_client.post(change_url, {"title": "Changed"})
    question_posted = coordinator_client.post(question_url, {"text": "Changed"})
    delete = coordinator_client.get(reverse("admin:reports_checklist_delete", args=[checklist.pk]))

    assert page.status_code == 200
    content = page.content.decode()
    assert "This checklist version is frozen: 1 visit was filed with it" in content
    assert "Edit as a new version" in content
    assert 'name="_save"' not in content
    assert question_page.status_code == 200
    assert "frozen checklist version" in question_page.content.decode()
    assert 'name="_save"' not in question_page.content.decode()
    assert (posted.status_code, question_posted.status_code, delete.status_code) == (403, 403, 403)
    question.refresh_from_db()
    assert (
        question.text == "Were the ballot boxes, including the mobile ballot box, properly sealed?"
    )


def test_an_unused_version_is_editable(personas, checklist_permissions, coordinator_client):
    checklist = load_standard(personas.mission_a, "opening")

    page = coordinator_client.get(reverse("admin:reports_checklist_change", args=[checklist.pk]))

    content = page.content.decode()
    assert 'name="_save"' in content
    assert "frozen" not in content.split('id="content-main"')[1].split("<form")[0]
    assert "Create a new version" in content


def test_edit_as_a_new_version_copies_the_questions_and_leaves_the_old_ones(
    personas, checklist_permissions, coordinator_client
):
    checklist = load_standard(personas.mission_a, "voting")
    file_visit(personas, checklist)
    old = list(checklist.questions.order_by("pk").values())

    response = coordinator_client.post(
        reverse("admin:reports_checklist_new_version", args=[checklist.pk])
    )

    copy_ = Checklist.objects.get(mission=personas.mission_a, code="voting", version=2)
    assert response.status_code == 302
    assert response.url == reverse("admin:reports_checklist_change", args=[copy_.pk])
    assert list(checklist.questions.order_by("pk").values()) == old
    assert sorted(copy_.questions.values_list("code", flat=True)) == sorted(q["code"] for q in old)
    assert not copy_.is_frozen
    editable = coordinator_client.get(response.url)
    assert 'name="_save"' in editable.content.decode()


def test_edit_as_a_new_version_from_a_question_opens_its_copy(
    personas, checklist_permissions, coordinator_client
):
    checklist = load_standard(personas.mission_a, "voting")
    file_visit(personas, checklist)
    question = checklist.questions.get(code="secrecy")

    response = coordinator_client.post(
        reverse("admin:reports_question_new_version", args=[question.pk])
    )

    copied = Question.objects.get(checklist__version=2, code="secrecy")
    assert response.url == reverse("admin:reports_question_change", args=[copied.pk])
    assert copied.pk != question.pk


def test_the_changelist_action_creates_one_new_version_per_code(
    personas, checklist_permissions, coordinator_client
):
    first = load_standard(personas.mission_a, "voting")
    second = load_standard(personas.mission_a, "voting")
    opening = load_standard(personas.mission_a, "opening")

    response = coordinator_client.post(
        reverse("admin:reports_checklist_changelist"),
        {
            "action": "create_new_version",
            "_selected_action": [first.pk, second.pk, opening.pk],
        },
    )

    assert response.status_code == 302
    versions = Checklist.objects.filter(mission=personas.mission_a).values_list("code", "version")
    assert sorted(versions) == [
        ("opening", 1),
        ("opening", 2),
        ("voting", 1),
        ("voting", 2),
        ("voting", 3),
    ]


def test_adding_a_checklist_in_the_admin_takes_the_next_version(
    personas, checklist_permissions, coordinator_client
):
    load_standard(personas.mission_a, "voting")
    url = reverse("admin:reports_checklist_add")

    response = coordinator_client.post(
        url,
        {
            "mission": personas.mission_a.pk,
            "code": "voting",
            "title_en": "Voting, our own",
            "title_ru": "Голосование",
            "phase": "voting",
            "description_en": "",
            "sections-TOTAL_FORMS": "1",
            "sections-INITIAL_FORMS": "0",
            "sections-0-position": "0",
            "sections-0-title_en": "Polling station",
            "sections-0-title_zh_hans": "投票站",
        },
    )

    assert response.status_code == 302
    added = Checklist.objects.get(title="Voting, our own")
    assert added.version == 2
    assert list(added.sections.values_list("title", flat=True)) == ["Polling station"]
    assert (added.title_ru, added.sections.get().title_zh_hans) == ("Голосование", "投票站")


def test_the_question_page_refuses_what_a_checklist_file_could_not_carry(
    personas, checklist_permissions, coordinator_client
):
    checklist = checklist_load(mission=personas.mission_a, text=sample_text(), source="s")
    question = checklist.questions.get(code="info_materials")
    url = reverse("admin:reports_question_change", args=[question.pk])
    page = coordinator_client.get(url)
    data = {
        name: value
        for name, value in page.context["adminform"].form.initial.items()
        if value is not None
    }
    data.update(
        section=question.section_id,
        choices="[]",
        concern_answers='["no"]',
        clear_sentence_ru="На {участках}.",
        min_value="",
        max_value="",
        concern_above="",
    )
    data.pop("checklist", None)

    refused = coordinator_client.post(url, data)
    data.update(clear_sentence_ru="", text_ru="Вопрос")
    accepted = coordinator_client.post(url, data)

    assert refused.status_code == 200
    assert "unknown placeholder {участках}" in refused.content.decode()
    assert accepted.status_code == 302
    question.refresh_from_db()
    assert question.text_ru == "Вопрос"
    assert not question.clear_sentence_ru
    assert question.localized("text", "ru") == "Вопрос"


def test_the_outsider_cannot_see_or_reach_another_missions_checklists(
    personas, checklist_permissions, outsider_client
):
    checklist = load_standard(personas.mission_a, "opening")
    question = checklist.questions.first()
    load_standard(personas.mission_b, "closing")

    changelist = outsider_client.get(reverse("admin:reports_checklist_changelist"))
    questions = outsider_client.get(reverse("admin:reports_question_changelist"))
    change = outsider_client.get(reverse("admin:reports_checklist_change", args=[checklist.pk]))
    question_change = outsider_client.get(
        reverse("admin:reports_question_change", args=[question.pk])
    )
    new_version = outsider_client.post(
        reverse("admin:reports_checklist_new_version", args=[checklist.pk])
    )
    export = outsider_client.get(reverse("admin:reports_checklist_export", args=[checklist.pk]))

    assert [c.title for c in changelist.context["cl"].result_list] == ["Closing and counting"]
    assert {q.checklist.mission for q in questions.context["cl"].result_list} == {
        personas.mission_b
    }
    # The admin answers an object outside the user's queryset with a redirect to its index.
    assert change.status_code == 302
    assert question_change.status_code == 302
    assert (new_version.status_code, export.status_code) == (404, 404)
    assert Checklist.objects.filter(mission=personas.mission_a).count() == 1


def test_the_import_page_offers_only_the_users_missions(
    personas, checklist_permissions, coordinator_client, client
):
    url = reverse("admin:reports_checklist_import")
    page = coordinator_client.get(url)
    missions = list(page.context["form"].fields["mission"].queryset)

    response = coordinator_client.post(
        url, {"mission": personas.mission_a.pk, "standard": ["voting", "accessibility"]}
    )
    refused = coordinator_client.post(
        url, {"mission": personas.mission_b.pk, "standard": ["voting"]}
    )

    assert missions == [personas.mission_a]
    assert response.status_code == 302
    codes = Checklist.objects.filter(mission=personas.mission_a).values_list("code", flat=True)
    assert sorted(codes) == ["accessibility", "voting"]
    assert refused.status_code == 200
    assert "mission" in refused.context["form"].errors
    assert not Checklist.objects.filter(mission=personas.mission_b).exists()


def test_the_import_page_reads_an_uploaded_file_and_shows_its_errors(
    personas, checklist_permissions, coordinator_client
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("admin:reports_checklist_import")
    document = copy.deepcopy(SAMPLE)
    _question(document, 0, 2)["concern"] = ["angry"]
    bad = SimpleUploadedFile("shared.yaml", sample_text(document).encode())
    good = SimpleUploadedFile("shared.yaml", sample_text().encode())

    refused = coordinator_client.post(url, {"mission": personas.mission_a.pk, "file": bad})
    accepted = coordinator_client.post(url, {"mission": personas.mission_a.pk, "file": good})

    assert "shared.yaml: sections[0].questions[2].concern:" in refused.content.decode()
    assert accepted.status_code == 302
    assert Checklist.objects.get(mission=personas.mission_a).code == "sample"


def test_the_export_link_downloads_the_yaml(personas, checklist_permissions, coordinator_client):
    checklist = load_standard(personas.mission_a, "closing")

    response = coordinator_client.get(
        reverse("admin:reports_checklist_export", args=[checklist.pk])
    )

    assert response["Content-Type"].startswith("application/yaml")
    assert 'filename="closing-v1.yaml"' in response["Content-Disposition"]
    assert response.content.decode() == checklist_dump(checklist=checklist)


def _grow(personas, checklists: int) -> None:
    mission = personas.mission_a
    for index in range(checklists):
        checklist = checklist_load(mission=mission, text=sample_text(), source="s")
        if index % 2:
            file_visit(personas, checklist)


@pytest.mark.parametrize("checklists", [1, 6])
def test_the_checklist_changelist_makes_the_same_queries_at_any_size(
    personas, checklist_permissions, coordinator_client, django_assert_num_queries, checklists
):
    _grow(personas, checklists)
    url = reverse("admin:reports_checklist_changelist")

    # session, user, the user's own and group permissions (2), the mission filter's choices,
    # the count, the unfiltered count, the rows with their mission and counted questions and
    # visits.
    with django_assert_num_queries(8):
        response = coordinator_client.get(url)

    assert len(response.context["cl"].result_list) == checklists


@pytest.mark.parametrize("checklists", [1, 6])
def test_the_question_changelist_makes_the_same_queries_at_any_size(
    personas, checklist_permissions, coordinator_client, django_assert_num_queries, checklists
):
    _grow(personas, checklists)
    url = reverse("admin:reports_question_changelist")

    # session, user, the user's own and group permissions (2), the mission filter's choices,
    # the count, the unfiltered count, the rows with their checklist, mission and section.
    with django_assert_num_queries(8):
        response = coordinator_client.get(url)

    assert response.context["cl"].result_count == 6 * checklists


# ---------------------------------------------------------------------------------------
# The mission bundle


@pytest.fixture
def mission_with_checklists(personas):
    mission = personas.mission_a
    load_standard(mission, "voting")
    load_standard(mission, "voting")
    checklist_load(mission=mission, text=sample_text(), source="s")
    return mission


def test_the_bundle_carries_every_checklist_version(mission_with_checklists):
    exported = json.loads(json.dumps(mission_export(mission=mission_with_checklists)))

    copied = mission_import(bundle=exported, slug="mission-a-copy")

    again = mission_export(mission=copied)
    again["mission"]["slug"] = exported["mission"]["slug"]
    assert again == exported
    assert [(c["code"], c["checklist_version"]) for c in exported["checklists"]] == [
        ("sample", 1),
        ("voting", 1),
        ("voting", 2),
    ]
    assert "format" not in exported["checklists"][0]
    assert Checklist.objects.filter(mission=copied).count() == 3


def test_a_bundle_without_checklists_still_imports(mission_with_checklists):
    bundle = mission_export(mission=mission_with_checklists)
    del bundle["checklists"]

    copied = mission_import(bundle=bundle, slug="no-checklists")

    assert not copied.checklists.exists()


@pytest.mark.parametrize(
    ("damage", "where", "message"),
    [
        (
            lambda b: b["checklists"][0]["sections"][1]["questions"][2].update(type="essay"),
            "checklists[0].sections[1].questions[2].type",
            "“essay” is not one of",
        ),
        (
            lambda b: b["checklists"][1].pop("checklist_version"),
            "checklists[1]",
            "the key “checklist_version” is missing.",
        ),
        (
            lambda b: b["checklists"][2].update(checklist_version=1),
            "checklists[2]",
            "already has that version",
        ),
        (
            lambda b: b["checklists"][1].update(version=1),
            "checklists[1]",
            "unknown key “version”",
        ),
        (lambda b: b.update(checklists={}), "checklists", "expected a list"),
    ],
)
def test_a_bundle_with_a_damaged_checklist_is_refused_and_writes_nothing(
    mission_with_checklists, damage, where, message
):
    bundle = copy.deepcopy(mission_export(mission=mission_with_checklists))
    damage(bundle)
    before = (Mission.objects.count(), *database_counts())

    with pytest.raises(BundleError) as error:
        mission_import(bundle=bundle, slug="broken")

    assert error.value.where == where
    assert message in error.value.message
    assert (Mission.objects.count(), *database_counts()) == before


def test_the_example_in_the_documentation_loads(db, settings):
    text = (settings.BASE_DIR / "docs" / "checklists.md").read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]

    checklist = checklist_load(mission=MissionFactory(), text=example, source="checklists.md")

    assert checklist.questions.count() == 3
