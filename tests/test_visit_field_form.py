"""The visit form in the field: "not observed", rules between answers, several incidents, the
likely-duplicate guard, the mission page's assignments, and the observer API the outbox uses."""

import datetime
import uuid

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from observers.models import Team
from reports.checklist_files import (
    ChecklistFileError,
    checklist_create_from_data,
    checklist_dump,
    checklist_load,
)
from reports.models import Answer, Incident, Question, Visit
from reports.rules import condition_holds, rules_errors
from reports.services import LikelyDuplicate, VisitData, visit_submit
from stations.models import Assignment
from tests.visits_support import (
    answers,
    election_day,
    form_fields,
    make_checklist,
    photo_jpeg,
    station_of,
)

JPEG = photo_jpeg(gps=False)

COMPLAINT_RULES = [
    {
        "when": {"question": "complaints", "answer": ["yes"]},
        "require": {"question": "complaint_count", "above": 0},
        "message": "Complaints were recorded, so their number is above 0.",
    }
]


@pytest.fixture
def field(personas):
    mission = personas.mission_a
    mission.time_zone = "Asia/Almaty"
    mission.save()
    checklist = make_checklist(mission)
    section = checklist.sections.get(position=1)
    Question.objects.create(
        checklist=checklist,
        section=section,
        position=20,
        code="complaints",
        text="Were complaints recorded?",
        kind="yes_no",
        required=False,
    )
    Question.objects.create(
        checklist=checklist,
        section=section,
        position=21,
        code="complaint_count",
        text="How many complaints?",
        kind="number",
        required=False,
    )
    # The ballot box may go unseen in a short visit.
    Question.objects.filter(checklist=checklist, code="box_sealed").update(not_observed=True)
    checklist.rules = COMPLAINT_RULES
    checklist.save()
    return {"mission": mission, "checklist": checklist, "station": station_of(mission, "83")}


def data_for(field, **overrides) -> VisitData:
    checklist = field["checklist"]
    by_code = {question.code: question for question in checklist.questions.all()}
    values = {"info_materials": "yes", "evacuation_plan": "yes", "box_sealed": "yes"}
    values |= {"atmosphere": "calm"}
    values |= overrides.pop("answers", {})
    not_observed = overrides.pop("not_observed", set())
    return VisitData(
        station=overrides.pop("station", field["station"]),
        checklist=checklist,
        arrived_at=overrides.pop("arrived_at", election_day(field["mission"], 9)),
        answers={by_code[code].pk: value for code, value in values.items()},
        not_observed={by_code[code].pk for code in not_observed},
        **overrides,
    )


def submit(personas, data, key=None, **kwargs):
    return visit_submit(
        participation=personas.observer_participation,
        key=key or uuid.uuid4(),
        data=data,
        user=personas.observer,
        **kwargs,
    )


# ---------------------------------------------------------------------------------------
# "Not observed", in the service


def test_a_question_not_observed_is_stored_as_an_answer_without_value_and_no_concern(
    personas, field
):
    visit, _created = submit(
        personas, data_for(field, answers={"box_sealed": None}, not_observed={"box_sealed"})
    )

    answer = Answer.objects.get(visit=visit, question__code="box_sealed")
    assert answer.value is None
    assert answer.is_concern is False
    assert Answer.objects.filter(visit=visit, question__code="box_sealed", value__isnull=True)
    assert answer.display_value == "Not observed"


def test_not_observed_is_refused_for_a_question_whose_checklist_does_not_allow_it(personas, field):
    with pytest.raises(ValidationError) as refusal:
        submit(personas, data_for(field, not_observed={"info_materials"}))

    assert "q_info_materials" in refusal.value.message_dict
    assert Visit.objects.count() == 0


def test_an_answer_and_not_observed_together_are_refused(personas, field):
    with pytest.raises(ValidationError) as refusal:
        submit(personas, data_for(field, answers={"box_sealed": "no"}, not_observed={"box_sealed"}))

    assert refusal.value.message_dict["q_box_sealed"] == [
        "Either answer or mark it “Not observed”, not both."
    ]
    assert Visit.objects.count() == 0


# ---------------------------------------------------------------------------------------
# Rules between answers


def test_a_rule_broken_refuses_the_visit_with_its_message_on_the_required_question(personas, field):
    with pytest.raises(ValidationError) as refusal:
        submit(personas, data_for(field, answers={"complaints": "yes", "complaint_count": 0}))

    assert refusal.value.message_dict == {
        "q_complaint_count": ["Complaints were recorded, so their number is above 0."]
    }
    assert Visit.objects.count() == 0


@pytest.mark.parametrize(
    "values",
    [
        {"complaints": "yes", "complaint_count": 3},
        {"complaints": "no", "complaint_count": 0},
        {"complaints": "no"},
        {},
    ],
)
def test_answers_that_keep_the_rules_are_filed(personas, field, values):
    visit, created = submit(personas, data_for(field, answers=values))

    assert created
    assert visit.answers.count() == 4 + len(values)


def test_an_empty_or_not_observed_answer_meets_only_a_not_test():
    for value in (None, "", []):
        assert condition_holds({"question": "q", "not": ["x"]}, value)
        assert not condition_holds({"question": "q", "answer": ["x"]}, value)
        assert not condition_holds({"question": "q", "above": 0}, value)
        assert not condition_holds({"question": "q", "answered": True}, value)
    assert condition_holds({"question": "q", "answer": ["b"]}, ["a", "b"])
    assert not condition_holds({"question": "q", "not": ["b"]}, ["a", "b"])
    assert condition_holds({"question": "q", "above": 0, "at_most": 5}, 5)
    assert not condition_holds({"question": "q", "above": 0, "at_most": 5}, 6)


def test_a_rule_message_is_given_in_the_observers_language():
    rules = [{**COMPLAINT_RULES[0], "translations": {"ru": "Укажите число жалоб."}}]
    values = {"complaints": "yes", "complaint_count": None}

    assert rules_errors(rules=rules, values=values, language="ru") == {
        "q_complaint_count": "Укажите число жалоб."
    }
    assert rules_errors(rules=rules, values=values, language="en") == {
        "q_complaint_count": "Complaints were recorded, so their number is above 0."
    }


# ---------------------------------------------------------------------------------------
# The checklist file carries both


def test_a_checklist_file_declares_not_observed_and_rules_and_exports_them_again(personas):
    text = """
format: observa-checklist
version: 1
code: counting
title: Counting
phase: closing
rules:
  - when: {question: complaints, answer: ['yes']}
    require: {question: complaint_count, above: 0}
    message: How many complaints?
sections:
  - title: Complaints
    questions:
      - {code: complaints, text: "Complaints recorded?", type: yes_no, not_observed: true}
      - {code: complaint_count, text: "How many?", type: number, required: false}
"""
    checklist = checklist_load(mission=personas.mission_a, text=text, source="counting.yaml")

    assert checklist.questions.get(code="complaints").not_observed is True
    assert checklist.questions.get(code="complaint_count").not_observed is False
    assert checklist.rules == [
        {
            "when": {"question": "complaints", "answer": ["yes"]},
            "require": {"question": "complaint_count", "above": 0},
            "message": "How many complaints?",
        }
    ]
    exported = yaml.safe_load(checklist_dump(checklist=checklist))
    assert exported["rules"] == checklist.rules
    assert exported["sections"][0]["questions"][0]["not_observed"] is True
    again = checklist_load(
        mission=personas.mission_a, text=checklist_dump(checklist=checklist), source="again"
    )
    assert checklist_dump(checklist=again) == checklist_dump(checklist=checklist)


@pytest.mark.parametrize(
    ("rule", "where", "message"),
    [
        (
            {"when": {"question": "nope", "answer": ["yes"]}, "require": {}, "message": "m"},
            "rules[0].when.question",
            "“nope” is not a question of this checklist.",
        ),
        (
            {
                "when": {"question": "complaints", "answer": ["maybe"]},
                "require": {"question": "complaint_count", "above": 0},
                "message": "m",
            },
            "rules[0].when.answer",
            "“maybe” is not one of yes, no.",
        ),
        (
            {
                "when": {"question": "complaints", "above": 1},
                "require": {"question": "complaint_count", "above": 0},
                "message": "m",
            },
            "rules[0].when.above",
            "only number questions have “above”.",
        ),
        (
            {
                "when": {"question": "complaints", "answer": ["yes"]},
                "require": {"question": "complaint_count", "above": 0},
            },
            "rules[0]",
            "the key “message” is missing.",
        ),
    ],
)
def test_a_wrong_rule_is_refused_naming_its_place_and_nothing_is_written(
    personas, rule, where, message
):
    data = {
        "code": "counting",
        "title": "Counting",
        "phase": "closing",
        "rules": [rule],
        "sections": [
            {
                "title": "Complaints",
                "questions": [
                    {"code": "complaints", "text": "Complaints?", "type": "yes_no"},
                    {"code": "complaint_count", "text": "How many?", "type": "number"},
                ],
            }
        ],
    }
    with pytest.raises(ChecklistFileError) as refusal:
        checklist_create_from_data(mission=personas.mission_a, data=data)

    assert (refusal.value.where, refusal.value.message) == (where, message)
    assert not personas.mission_a.checklists.exists()


def test_the_standard_voting_checklist_has_the_complaint_rules_and_no_notes_question(personas):
    from reports.checklist_files import standard_checklists

    path = standard_checklists()["voting"]
    checklist = checklist_load(
        mission=personas.mission_a, text=path.read_text(encoding="utf-8"), source=path.name
    )

    assert not checklist.questions.filter(code="notes").exists()
    assert len(checklist.rules) == 3
    assert set(checklist.questions.filter(not_observed=True).values_list("code", flat=True)) == {
        "secrecy",
        "ballot_box_sealed",
        "irregular_voting",
    }


# ---------------------------------------------------------------------------------------
# The likely duplicate


def test_a_second_visit_to_the_same_station_within_30_minutes_is_caught_before_saving(
    personas, field
):
    first, _created = submit(personas, data_for(field))

    with pytest.raises(LikelyDuplicate) as caught:
        submit(
            personas, data_for(field, arrived_at=first.arrived_at + datetime.timedelta(minutes=29))
        )

    assert caught.value.visit == first
    assert Visit.objects.count() == 1


def test_a_second_visit_filed_deliberately_or_later_or_elsewhere_is_filed(personas, field):
    first, _created = submit(personas, data_for(field))
    later = first.arrived_at + datetime.timedelta(minutes=31)

    deliberate, _ = submit(personas, data_for(field), allow_duplicate=True)
    after_a_while, _ = submit(personas, data_for(field, arrived_at=later))
    elsewhere, _ = submit(personas, data_for(field, station=station_of(field["mission"], "84")))

    assert Visit.objects.count() == 4
    assert len({first.pk, deliberate.pk, after_a_while.pk, elsewhere.pk}) == 4


def test_the_same_key_again_is_a_retry_not_a_duplicate(personas, field):
    key = uuid.uuid4()
    first, created = submit(personas, data_for(field), key=key)
    again, created_again = submit(personas, data_for(field), key=key)

    assert (created, created_again) == (True, False)
    assert again == first
    assert Visit.objects.count() == 1


# ---------------------------------------------------------------------------------------
# The form, as the observer posts it without JavaScript


@pytest.fixture
def observer_client(client, personas):
    client.force_login(personas.observer)
    return client


def new_url(field) -> str:
    return reverse("reports:visit_new", args=[field["mission"].slug])


def filled(client, field, **overrides) -> dict[str, str]:
    page = client.get(new_url(field) + f"?checklist={field['checklist'].pk}")
    data = form_fields(page.text) | answers()
    data |= {"station": "83", "arrived_at": "2022-11-20T10:00"}
    return data | overrides


def test_the_form_offers_not_observed_only_where_the_checklist_allows_it(observer_client, field):
    page = observer_client.get(new_url(field) + f"?checklist={field['checklist'].pk}")

    assert 'name="n_box_sealed"' in page.text
    assert 'name="n_info_materials"' not in page.text
    assert page.text.count("Not observed") == 1


def test_a_required_question_marked_not_observed_is_filed_as_such(observer_client, field):
    data = filled(observer_client, field, n_box_sealed="on")
    del data["q_box_sealed"]

    response = observer_client.post(new_url(field), data)

    assert response.status_code == 302
    answer = Answer.objects.get(question__code="box_sealed")
    assert answer.value is None and answer.is_concern is False


def test_a_required_question_left_empty_and_not_marked_gets_a_message_beside_it(
    observer_client, field
):
    data = filled(observer_client, field)
    del data["q_box_sealed"]

    response = observer_client.post(new_url(field), data)

    assert response.status_code == 400
    assert "Answer this question, or mark it “Not observed”." in response.text
    assert Visit.objects.count() == 0


def test_a_broken_rule_shows_its_message_beside_the_field_and_keeps_the_values(
    observer_client, field
):
    data = filled(observer_client, field, q_complaints="yes", q_complaint_count="0")

    response = observer_client.post(new_url(field), data)

    assert response.status_code == 400
    assert "Complaints were recorded, so their number is above 0." in response.text
    assert form_fields(response.text)["q_complaint_count"] == "0"
    assert Visit.objects.count() == 0


def incidents(*items, total=None) -> dict[str, str]:
    data = {
        "incidents-TOTAL_FORMS": str(total if total is not None else len(items)),
        "incidents-INITIAL_FORMS": "0",
    }
    for index, item in enumerate(items):
        data |= {f"incidents-{index}-{name}": value for name, value in item.items()}
    return data


def test_several_incidents_are_filed_and_a_removed_one_is_not(observer_client, field):
    box = field["checklist"].questions.get(code="box_sealed")
    data = filled(observer_client, field) | incidents(
        {"category": "secrecy", "severity": "serious", "description": "Open booth"},
        {
            "category": "ballot_box",
            "severity": "critical",
            "description": "Seal",
            "question": str(box.pk),
        },
        {"category": "other", "severity": "minor", "description": "Removed", "DELETE": "on"},
    )

    response = observer_client.post(new_url(field), data)

    assert response.status_code == 302
    filed = list(Incident.objects.order_by("pk").values_list("description", "question__code"))
    assert filed == [("Open booth", None), ("Seal", "box_sealed")]


def test_the_related_question_is_offered_by_its_text_not_its_code(observer_client, field):
    page = observer_client.get(new_url(field) + f"?checklist={field['checklist'].pk}")

    assert ">Was the ballot box sealed?</option>" in page.text
    assert "box_sealed —" not in page.text


def test_the_page_has_one_notes_field_and_now_buttons_in_the_missions_zone(observer_client, field):
    page = observer_client.get(new_url(field) + f"?checklist={field['checklist'].pk}")

    assert page.text.count('name="notes"') == 1
    assert 'data-time-zone="Asia/Almaty"' in page.text
    assert page.text.count("data-now=") == 2
    assert "<script>" not in page.text and "<style" not in page.text and 'style="' not in page.text


def test_a_resubmitted_fresh_form_is_caught_as_a_likely_duplicate_and_can_be_filed_anyway(
    observer_client, field
):
    first = filled(observer_client, field)
    observer_client.post(new_url(field), first)
    # The Back button shows a fresh form: same answers, a new key.
    again = filled(observer_client, field, arrived_at="2022-11-20T10:20")

    caught = observer_client.post(new_url(field), again)

    assert caught.status_code == 409
    existing = Visit.objects.get()
    assert "You already filed a visit to polling station No. 83" in caught.text
    assert reverse("reports:visit_detail", args=["mission-a", existing.pk]) in caught.text
    assert form_fields(caught.text)["key"] == again["key"]
    assert Visit.objects.count() == 1

    filed = observer_client.post(new_url(field), again | {"confirm_duplicate": "on"})

    assert filed.status_code == 302
    assert Visit.objects.count() == 2


# ---------------------------------------------------------------------------------------
# The mission page's assignments


def test_the_mission_page_shows_the_assignments_the_assignments_tab_shows_even_when_past(
    observer_client, personas, field
):
    team = Team.objects.create(mission=field["mission"], name="Team 1")
    team.members.add(personas.observer_participation)
    for number in ("83", "84"):
        Assignment.objects.create(
            team=team,
            station=station_of(field["mission"], number) if number != "83" else field["station"],
            date=datetime.date(2022, 11, 20),
            phase="voting",
        )

    home = observer_client.get(reverse("reports:mission_home", args=["mission-a"]))
    tab = observer_client.get(reverse("reports:assignment_list", args=["mission-a"]))

    assert tab.text.count("File a visit here") == 2
    assert home.text.count("File a visit here") == 2
    assert "No assignments." not in home.text
    assert "Nothing is coming up" in home.text


# ---------------------------------------------------------------------------------------
# The observer API


def api_url(field) -> str:
    return reverse("api:visit_file", kwargs={"slug": field["mission"].slug})


def test_the_api_files_a_visit_once_per_key(observer_client, field):
    data = filled(observer_client, field) | {
        "attachments": SimpleUploadedFile("box.jpg", JPEG, "image/jpeg")
    }

    first = observer_client.post(api_url(field), data)
    data["attachments"] = SimpleUploadedFile("box.jpg", JPEG, "image/jpeg")
    again = observer_client.post(api_url(field), data)

    visit = Visit.objects.get()
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == {
        "id": visit.pk,
        "url": reverse("reports:visit_detail", args=["mission-a", visit.pk]),
        "created": True,
    }
    assert again.json()["created"] is False
    assert visit.attachments.count() == 1
    assert visit.answers.count() == 6


def test_the_api_answers_field_errors_by_form_field_and_files_nothing(observer_client, field):
    data = filled(
        observer_client, field, station="99999", q_complaints="yes", q_complaint_count="0"
    ) | incidents({"category": "secrecy", "severity": "", "description": ""})

    response = observer_client.post(api_url(field), data)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["station"] == ["There is no polling station No. 99999 in this election."]
    assert errors["q_complaint_count"] == ["Complaints were recorded, so their number is above 0."]
    assert errors["incidents-0-severity"] == ["Needed to report an incident."]
    assert Visit.objects.count() == 0


def test_the_api_names_a_likely_duplicate_and_files_it_when_confirmed(observer_client, field):
    observer_client.post(api_url(field), filled(observer_client, field))
    second = filled(observer_client, field)

    caught = observer_client.post(api_url(field), second)
    confirmed = observer_client.post(api_url(field), second | {"confirm_duplicate": "on"})

    first = Visit.objects.order_by("pk").first()
    assert caught.status_code == 409
    assert caught.json()["duplicate"] == {
        "id": first.pk,
        "url": reverse("reports:visit_detail", args=["mission-a", first.pk]),
        "arrived_at": "2022-11-20T10:00",
    }
    assert confirmed.status_code == 201
    assert Visit.objects.count() == 2


def test_the_api_refuses_a_checklist_of_another_mission_as_a_field_error(
    observer_client, personas, field
):
    other = make_checklist(personas.mission_b)

    response = observer_client.post(
        api_url(field), filled(observer_client, field, checklist=str(other.pk))
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["checklist"]
    assert Visit.objects.count() == 0


def test_the_openapi_schema_is_served_to_logged_in_users_only(client, personas, field):
    anonymous = client.get("/api/openapi.json")
    client.force_login(personas.observer)
    schema = client.get("/api/openapi.json").json()

    assert anonymous.status_code == 302
    operation = schema["paths"]["/api/missions/{slug}/visits"]["post"]
    assert set(operation["responses"]) == {"200", "201", "400", "401", "403", "404", "409"}
    body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"key", "checklist", "station", "arrived_at"} <= set(body["required"])


# ---------------------------------------------------------------------------------------
# What a submission costs


@pytest.fixture
def mission_today(field):
    mission = field["mission"]
    today = timezone.localdate()
    mission.starts_on = today - datetime.timedelta(days=1)
    mission.ends_on = today + datetime.timedelta(days=1)
    mission.save()
    return mission


SUBMISSION_QUERIES = (
    # The session, the user and the participation (mission and election joined); the
    # checklist, its questions and whether a visit used the version yet (once one has, the
    # process keeps it: tests/test_observer_queries.py counts a filing then); the station;
    3
    + 3
    + 1
    # the likely duplicate, or the key's visit for a retry (no key is looked up apart);
    + 1
    # in the transaction: savepoint, the visit, its answers, its observers, the revision,
    # savepoint released (no concern answers here: no ids to keep with the visit after).
    + 6
)


def test_filing_through_the_form_costs_a_fixed_number_of_queries(
    observer_client, field, mission_today, django_assert_num_queries
):
    data = filled(observer_client, field, arrived_at=f"{mission_today.ends_on}T10:00")

    with django_assert_num_queries(SUBMISSION_QUERIES):
        response = observer_client.post(new_url(field), data)

    assert response.status_code == 302


def test_filing_through_the_api_costs_the_same_queries_as_the_form(
    observer_client, field, mission_today, django_assert_num_queries
):
    data = filled(observer_client, field, arrived_at=f"{mission_today.ends_on}T10:00")

    with django_assert_num_queries(SUBMISSION_QUERIES):
        response = observer_client.post(api_url(field), data)

    assert response.status_code == 201


def test_a_not_observed_answer_travels_in_the_mission_bundle(personas, field):
    from missions.bundle import mission_export, mission_import

    submit(personas, data_for(field, answers={"box_sealed": None}, not_observed={"box_sealed"}))

    bundle = mission_export(mission=field["mission"])
    copy = mission_import(bundle=bundle, slug="mission-a-copy")

    answer = Answer.objects.get(visit__mission=copy, question__code="box_sealed")
    assert bundle["visits"][0]["answers"]["box_sealed"] is None
    assert (answer.value, answer.is_concern) == (None, False)


def test_the_coordinator_sees_a_checklists_rules_on_its_admin_page(client, personas, field):
    client.force_login(personas.coordinator)

    page = client.get(reverse("admin:reports_checklist_change", args=[field["checklist"].pk]))

    assert page.status_code == 200
    assert "Complaints were recorded, so their number is above 0." in page.text


def test_the_api_documentation_page_uses_no_outside_script(client, personas):
    client.force_login(personas.observer)

    page = client.get("/api/docs")

    assert page.status_code == 200
    assert "cdn." not in page.text
    assert "/static/ninja/swagger-ui-bundle" in page.text


@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offset=st.integers(min_value=-120 * 60, max_value=120 * 60))
def test_a_visit_is_a_likely_duplicate_exactly_when_it_arrives_within_30_minutes(
    personas, field, offset
):
    first, _ = submit(personas, data_for(field), allow_duplicate=True)
    arrived = first.arrived_at + datetime.timedelta(seconds=offset)
    try:
        submit(personas, data_for(field, arrived_at=arrived))
        caught = False
    except LikelyDuplicate as duplicate:
        caught = duplicate.visit == first
    finally:
        Visit.objects.all().delete()

    assert caught == (abs(offset) <= 30 * 60)
