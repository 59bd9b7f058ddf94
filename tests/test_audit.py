"""The audit trail: every write that matters leaves who, when and what — bulk actions,
imports and the statement workflow included — and it is read per object in the admin and
per mission by its coordinators."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from audit.selectors import audit_entries_of_mission
from missions.bundle import mission_export, mission_import
from missions.models import MissionMembership
from observers.imports import observers_import
from observers.models import Participation
from reports.models import Checklist, Question, Statement, StatementText
from reports.statements.approvals import (
    statement_approve,
    statement_assessment_set,
    statement_publish,
)
from stations.imports import stations_import
from stations.models import PollingStation
from tests.factories import ParticipationFactory, UserFactory
from tests.test_approvals import make_head, make_statement
from tests.test_imports import csv_file
from tests.visits_support import make_checklist


def entries_for(instance, **filters):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=str(instance.pk),
        **filters,
    ).order_by("pk")


def mission_notes(mission) -> list[str]:
    return [
        (entry.additional_data or {}).get("note", "")
        for entry in audit_entries_of_mission(mission_id=mission.pk)
    ]


def post_action(client, action: str, *participations):
    return client.post(
        reverse("admin:observers_participation_changelist"),
        {"action": action, "_selected_action": [p.pk for p in participations], "index": 0},
        follow=True,
    )


# ---- Bulk actions ----------------------------------------------------------------------


def test_accrediting_in_bulk_records_each_observer_with_who_did_it(coordinator_client, personas):
    mission = personas.mission_a
    waiting = [ParticipationFactory(mission=mission, accredited=False) for _n in range(3)]

    post_action(coordinator_client, "accredit", *waiting)

    for participation in waiting:
        entry = entries_for(participation, action=LogEntry.Action.UPDATE).get()
        assert entry.actor == personas.coordinator
        assert entry.changes == {"accreditation": ["requested", "accredited"]}
        assert entry.additional_data == {"mission": mission.pk, "note": "accredit"}
        assert entry.timestamp > timezone.now() - datetime.timedelta(minutes=1)


def test_revoking_in_bulk_records_each_observer(coordinator_client, personas):
    participation = personas.observer_participation

    post_action(coordinator_client, "revoke", participation)

    entry = entries_for(participation, action=LogEntry.Action.UPDATE).get()
    assert entry.actor == personas.coordinator
    assert entry.changes == {"accreditation": ["accredited", "revoked"]}
    assert Participation.objects.get(pk=participation.pk).accreditation == "revoked"


def test_revoking_records_only_the_rows_it_changed(coordinator_client, personas):
    waiting = ParticipationFactory(mission=personas.mission_a, accredited=False)

    post_action(coordinator_client, "revoke", waiting, personas.observer_participation)

    assert not entries_for(waiting, action=LogEntry.Action.UPDATE).exists()
    assert entries_for(personas.observer_participation, action=LogEntry.Action.UPDATE).exists()


# ---- Saves: memberships, statement texts, checklists ------------------------------------


def test_a_membership_given_and_taken_is_recorded(personas):
    user = UserFactory(username="new-coordinator")
    membership = MissionMembership.objects.create(
        mission=personas.mission_a, user=user, role=MissionMembership.Role.COORDINATOR
    )
    pk = membership.pk
    membership.delete()

    actions = list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(MissionMembership), object_pk=str(pk)
        )
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [LogEntry.Action.CREATE, LogEntry.Action.DELETE]


def test_editing_a_statement_text_in_the_admin_records_the_old_and_new_text(
    coordinator_client, personas
):
    text = StatementText.objects.create(
        mission=personas.mission_a, section="conclusions", body="Calm."
    )
    page = coordinator_client.get(reverse("admin:reports_statementtext_change", args=[text.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(mission=personas.mission_a.pk, body_en="Calm and orderly.")

    coordinator_client.post(reverse("admin:reports_statementtext_change", args=[text.pk]), data)

    entry = entries_for(text, action=LogEntry.Action.UPDATE).get()
    assert entry.actor == personas.coordinator
    assert entry.changes["body"] == ["Calm.", "Calm and orderly."]


def test_a_new_checklist_version_records_its_questions(coordinator_client, personas):
    checklist = make_checklist(personas.mission_a)

    coordinator_client.post(reverse("admin:reports_checklist_new_version", args=[checklist.pk]))

    copy = Checklist.objects.get(mission=personas.mission_a, code=checklist.code, version=2)
    for question in Question.objects.filter(checklist=copy):
        entry = entries_for(question).get()
        assert entry.actor == personas.coordinator
        assert entry.changes == {"checklist": [str(checklist), str(copy)]}
    assert entries_for(copy, action=LogEntry.Action.CREATE).exists()


# ---- Imports -----------------------------------------------------------------------------


def test_a_station_import_records_the_import_and_each_station(personas):
    election = personas.mission_a.election
    content = csv_file([["number", "name"], ["1", "School"], ["2", "Library"]])

    stations_import(election=election, file_name="stations.csv", content=content)
    stations_import(
        election=election,
        file_name="fix.csv",
        content=csv_file([["number", "name"], ["1", "School No. 1"]]),
    )

    assert mission_notes(personas.mission_a)[:2] == [
        "import of polling stations from fix.csv",
        "import of polling stations from fix.csv",
    ]
    station = PollingStation.objects.get(election=election, number="1")
    assert [e.action for e in entries_for(station)] == [
        LogEntry.Action.CREATE,
        LogEntry.Action.UPDATE,
    ]


def test_a_roster_import_records_each_participation(personas):
    result = observers_import(
        mission=personas.mission_a,
        file_name="roster.csv",
        content=csv_file([["full_name", "delegation"], ["Nurlan Abdirov", "Secretariat"]]),
    )

    created = result.created[0]
    assert entries_for(created, action=LogEntry.Action.CREATE).get().additional_data == {
        "mission": personas.mission_a.pk,
        "note": "import of observers from roster.csv",
    }


def test_a_bundle_import_is_recorded_on_the_new_mission(personas):
    copy = mission_import(bundle=mission_export(mission=personas.mission_a), slug="copy")

    assert "import of a mission bundle" in mission_notes(copy)


# ---- The statement workflow --------------------------------------------------------------


def test_assessment_approval_publishing_and_embargo_are_recorded_with_their_author(personas):
    mission = personas.mission_a
    head = make_head(mission)
    statement = make_statement(mission)
    embargo = timezone.now() + datetime.timedelta(hours=3)

    statement_assessment_set(
        statement=statement, assessment=Statement.Assessment.MINOR_SHORTCOMINGS, user=head
    )
    Statement.objects.filter(pk=statement.pk).update(status=Statement.Status.READY)
    statement.refresh_from_db()
    statement_approve(statement=statement, user=head)
    statement_publish(statement=statement, user=personas.coordinator, embargo_until=embargo)

    notes = {
        (entry.additional_data or {}).get("note"): entry
        for entry in entries_for(statement, action=LogEntry.Action.UPDATE)
    }
    assert notes["assessment"].actor == head
    assert notes["assessment"].changes["assessment"] == [
        "",
        Statement.Assessment.MINOR_SHORTCOMINGS.value,
    ]
    assert notes["approval"].actor == head
    assert notes["approval"].changes["status"] == ["ready", "approved"]
    assert notes["publishing"].actor == personas.coordinator
    assert notes["publishing"].changes["embargo_until"] == ["", embargo.isoformat()]


# ---- Reading the trail -------------------------------------------------------------------


def test_the_admin_history_of_an_object_shows_its_audit_trail(coordinator_client, personas):
    post_action(coordinator_client, "revoke", personas.observer_participation)

    page = coordinator_client.get(
        reverse("admin:observers_participation_history", args=[personas.observer_participation.pk])
    )

    assert page.status_code == 200
    assert "Audit trail" in page.text
    assert "accredited → revoked" in page.text
    assert "coordinator-a" in page.text


def test_a_coordinator_reads_the_missions_trail_and_an_outsider_cannot(client, personas):
    post_action_client = client
    post_action_client.force_login(personas.coordinator)
    post_action(post_action_client, "revoke", personas.observer_participation)
    url = reverse("audit:mission", args=["mission-a"])

    page = client.get(url)
    client.force_login(personas.outsider)
    outsider = client.get(url)
    client.force_login(personas.observer)
    observer = client.get(url)

    assert page.status_code == 200
    assert "accredited → revoked" in page.text
    assert outsider.status_code == 404
    assert "accredited → revoked" not in outsider.text
    assert observer.status_code == 403


@pytest.mark.parametrize("size", [2, 20])
def test_the_missions_trail_page_has_a_fixed_number_of_queries(
    coordinator_client, personas, django_assert_num_queries, size
):
    for _n in range(size):
        ParticipationFactory(mission=personas.mission_a, accredited=False)
    coordinator_client.get("/")  # the session is read once, before counting

    # session, user, memberships (access), count, entries with actors and content types
    with django_assert_num_queries(5):
        response = coordinator_client.get(reverse("audit:mission", args=["mission-a"]))

    assert response.status_code == 200
    assert len(response.context["entries"]) >= size


def test_the_missions_admin_page_links_to_its_trail(coordinator_client, personas):
    page = coordinator_client.get(
        reverse("admin:missions_mission_change", args=[personas.mission_a.pk])
    )

    assert f'href="{reverse("audit:mission", args=["mission-a"])}"' in page.text
