"""Checklist choices in each language: an observer reads the labels in their language on the
form and in their answers, a checklist file carries them under `translations.<lang>.choices`,
and a label not written in a language is shown in English."""

import json
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from missions.demo import DEMO_SLUG
from missions.models import Mission, UserPreference
from missions.services import coordinators_group_ensure
from reports.checklist_files import ChecklistFileError, checklist_dump, checklist_load
from reports.forms import answer_field
from reports.models import Answer, Checklist, Question

CHECKLIST = """\
format: observa-checklist
version: 1
code: street_atmosphere
title: Voting
phase: voting
sections:
  - title: Polling station
    questions:
      - code: atmosphere
        text: How would you describe the atmosphere?
        type: single
        choices:
          - [calm, Calm and orderly]
          - [tense, Tense]
          - ['yes', 'Yes']
        concern: [tense]
        translations:
          ru:
            text: Как бы вы описали обстановку?
            choices:
              calm: Спокойная и организованная
              'yes': Да
          zh-hans:
            choices: {calm: 平静有序, tense: 紧张, 'yes': 是}
"""


@pytest.fixture
def coordinators(personas):
    # Coordinators edit their missions' questions through the group's own permissions.
    coordinators_group_ensure()


@pytest.fixture
def demo(db) -> Mission:
    call_command("load_demo", stdout=StringIO())
    return Mission.objects.get(slug=DEMO_SLUG)


def test_a_checklist_file_carries_choice_labels_in_every_language_and_writes_them_back(demo):
    checklist = checklist_load(mission=demo, text=CHECKLIST, source="voting.yaml")

    question = checklist.questions.get()
    assert question.choice_labels("en") == [
        ("calm", "Calm and orderly"),
        ("tense", "Tense"),
        ("yes", "Yes"),
    ]
    assert question.choice_labels("zh-hans") == [
        ("calm", "平静有序"),
        ("tense", "紧张"),
        ("yes", "是"),
    ]
    # No Russian label for “tense”: the English one stands in.
    assert question.choice_labels("ru") == [
        ("calm", "Спокойная и организованная"),
        ("tense", "Tense"),
        ("yes", "Да"),
    ]
    assert question.choice_values == ["calm", "tense", "yes"]
    written = checklist_dump(checklist=checklist)
    assert (
        "choices:\n              calm: Спокойная и организованная\n              'yes': Да\n"
        in written
    )
    again = checklist_load(mission=demo, text=written, source="again.yaml")
    assert checklist_dump(checklist=again) == written
    assert again.questions.get().choices_ru == [
        ["calm", "Спокойная и организованная"],
        ["yes", "Да"],
    ]


def test_a_label_for_a_value_the_question_lacks_is_refused_with_its_place(demo):
    text = CHECKLIST.replace("'yes': Да", "maybe: Возможно")

    with pytest.raises(ChecklistFileError) as refused:
        checklist_load(mission=demo, text=text, source="voting.yaml")

    assert refused.value.where == "sections[0].questions[0].translations.ru.choices"
    assert "maybe" in refused.value.message
    assert not Checklist.objects.filter(mission=demo, code="street_atmosphere").exists()


def test_the_standard_checklists_label_every_choice_in_russian_and_chinese(demo):
    questions = Question.objects.filter(checklist__mission=demo).exclude(choices_en=[])
    assert questions.count() == 15
    for question in questions:
        for language in ("ru", "zh-hans"):
            labels = question.choice_labels(language)
            english = question.choice_labels("en")
            assert [value for value, _ in labels] == [value for value, _ in english]
            assert all(
                label != english_label
                for (_, label), (_, english_label) in zip(labels, english, strict=True)
            ), (question.code, language)


def test_a_russian_observer_sees_russian_choice_labels_on_the_form(db, client, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("load_demo", "--accounts", stdout=out)
    password = dict(re.findall(r"username: (\S+)\s+password: (\S+)", out.getvalue()))["observer"]
    user = get_user_model().objects.get(username="observer")
    UserPreference.objects.update_or_create(user=user, defaults={"language": "ru"})
    assert client.login(username="observer", password=password)
    checklist = Checklist.objects.get(mission__slug=DEMO_SLUG, code="voting")

    url = reverse("reports:visit_new", args=[DEMO_SLUG])
    page = client.get(f"{url}?checklist={checklist.pk}").text

    assert "Спокойная и организованная" in page
    assert "Оживлённая, но организованная" in page
    assert "Доверенные лица кандидатов" in page
    assert "Calm and orderly" not in page
    assert "Candidates&#x27; proxies" not in page and "Candidates' proxies" not in page


def test_an_answer_reads_in_the_observers_language_falling_back_to_english(demo):
    answer = (
        Answer.objects.filter(
            question__code="atmosphere", question__checklist__code="voting", value="calm"
        )
        .select_related("question")
        .first()
    )
    question = answer.question

    with translation.override("ru"):
        assert answer.display_value == "Спокойная и организованная"
        assert answer_field(question).choices[0] == ("calm", "Спокойная и организованная")
    with translation.override("zh-hans"):
        assert answer.display_value == "平静有序"
    with translation.override("en"):
        assert answer.display_value == "Calm and orderly"
    question.choices_ru = []
    with translation.override("ru"):
        assert answer.display_value == "Calm and orderly"


def test_the_admin_writes_choice_labels_per_language_and_refuses_an_unknown_value(
    personas, coordinators, coordinator_client
):
    checklist = checklist_load(mission=personas.mission_a, text=CHECKLIST, source="s.yaml")
    question = checklist.questions.get()
    url = reverse("admin:reports_question_change", args=[question.pk])
    page = coordinator_client.get(url)
    data = {
        name: value
        for name, value in page.context["adminform"].form.initial.items()
        if value is not None
    }
    data.update(
        {name: json.dumps(data[name]) for name in ("choices_en", "concern_answers") if name in data}
    )
    data.update(
        section=question.section_id,
        choices_zh_hans="[]",
        choices_ru='[["maybe", "Возможно"]]',
        min_value="",
        max_value="",
        concern_above="",
    )
    data.pop("checklist", None)

    refused = coordinator_client.post(url, data)
    question.refresh_from_db()
    assert "“maybe” is not one of the answers." in refused.content.decode()
    assert question.choices_ru == [["calm", "Спокойная и организованная"], ["yes", "Да"]]

    data.update(choices_ru='[["tense", "Напряжённая"]]')
    accepted = coordinator_client.post(url, data)

    assert accepted.status_code == 302
    question.refresh_from_db()
    assert question.choice_labels("ru") == [
        ("calm", "Calm and orderly"),
        ("tense", "Напряжённая"),
        ("yes", "Yes"),
    ]
    assert question.choice_labels("zh-hans")[0] == ("calm", "Calm and orderly")
