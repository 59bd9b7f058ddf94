"""Coordinators reviewing filed visits in the admin, planning teams and assignments, and
filing visits from paper forms with import_visits."""

import datetime
import io
import re
import uuid
import zoneinfo
from dataclasses import dataclass
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from missions.imports import ImportRejected
from missions.services import coordinators_group_ensure
from observers.models import Participation, Team
from reports.imports import visits_import
from reports.models import Answer, Attachment, Incident, Visit, VisitRevision
from reports.services import IncidentData, VisitData, VisitRefused, visit_submit
from stations.models import Area, Assignment
from tests.factories import (
    AreaFactory,
    MembershipFactory,
    ParticipationFactory,
    PollingStationFactory,
    UserFactory,
)
from tests.visits_support import election_day, make_checklist, photo_jpeg

JPEG = photo_jpeg(gps=False)


def page_text(response) -> str:
    return unescape(response.content.decode())


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def add_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


@dataclass
class Field:
    mission: object
    checklist: object
    region: Area
    city: Area
    station: object
    participation: Participation


def field_of(mission, word: str, participation: Participation) -> Field:
    """A mission with a checklist, a region and a city, and a station named after `word`."""
    region = AreaFactory(election=mission.election, kind=Area.Kind.REGION, name=f"{word} Region")
    city = AreaFactory(election=mission.election, parent=region, name=f"{word} City")
    station = PollingStationFactory(
        election=mission.election, number="83", name=f"{word} School No. 83", area=city
    )
    return Field(mission, make_checklist(mission), region, city, station, participation)


@pytest.fixture
def field_a(personas) -> Field:
    personas.observer_participation.observer.full_name = "Aigerim Observer"
    personas.observer_participation.observer.save()
    return field_of(personas.mission_a, "Alpha", personas.observer_participation)


@pytest.fixture
def field_b(personas) -> Field:
    participation = ParticipationFactory(
        mission=personas.mission_b, accredited=True, observer__full_name="Bolat Observer"
    )
    return field_of(personas.mission_b, "Bravo", participation)


def file_visit(
    field: Field,
    *,
    station=None,
    participation=None,
    answers=None,
    incidents=(),
    files=(),
    hour=10,
    notes="",
) -> Visit:
    """File a visit through the observers' service, as the phone form does."""
    participation = participation or field.participation
    questions = {question.code: question for question in field.checklist.questions.all()}
    values = {
        "info_materials": "yes",
        "evacuation_plan": "yes",
        "box_sealed": "yes",
        "atmosphere": "calm",
        **(answers or {}),
    }
    data = VisitData(
        station=station or field.station,
        checklist=field.checklist,
        arrived_at=election_day(field.mission, hour),
        departed_at=election_day(field.mission, hour, 40),
        voters_on_list=1800,
        ballots_issued=640,
        notes=notes,
        answers={questions[code].pk: value for code, value in values.items()},
        incidents=list(incidents),
    )
    visit, created = visit_submit(
        participation=participation,
        key=uuid.uuid4(),
        data=data,
        files=list(files),
        user=participation.user or UserFactory(),
    )
    assert created
    return visit


def filter_titles(response) -> list[str]:
    return [str(spec.title) for spec in response.context["cl"].filter_specs]


# ---- The visit changelist and change page ----


def test_the_coordinator_lists_their_missions_visits_with_the_review_filters(
    coordinator_client, field_a, field_b
):
    file_visit(field_a, answers={"box_sealed": "no"})
    second = ParticipationFactory(
        mission=field_a.mission, accredited=True, observer__full_name="Askar Second"
    )
    file_visit(field_a, participation=second, hour=11)
    file_visit(field_b)

    response = coordinator_client.get(changelist_url(Visit))

    assert response.status_code == 200
    text = page_text(response)
    assert "Alpha City" in text and "Aigerim Observer" in text and "Askar Second" in text
    assert response.context["cl"].result_count == 2
    assert "Bravo" not in text and "Bolat Observer" not in text
    # The missions filter shows once the coordinator has a second mission.
    assert filter_titles(response) == [
        "area",
        "phase",
        "filed by",
        "has concerns",
        "review",
    ]

    # The area filter offers the coordinator's areas, not the other mission's: their regions,
    # then a chosen region's parts.
    def area_choices(response) -> list[str]:
        cl = response.context["cl"]
        return [choice["display"] for choice in cl.filter_specs[0].choices(cl)]

    assert "Alpha Region" in area_choices(response)
    assert "Alpha Region / Alpha City" not in area_choices(response)
    opened = coordinator_client.get(changelist_url(Visit), {"area": field_a.region.pk})
    assert "Alpha Region / Alpha City" in area_choices(opened)
    assert not any("Bravo" in str(choice) for choice in area_choices(response))
    assert not any("Bravo" in str(choice) for choice in area_choices(opened))


def coordinator_of_both(field_a: Field, field_b: Field):
    user = UserFactory(username="coordinator-ab", is_staff=True)
    user.groups.add(coordinators_group_ensure())
    user.groups.get().permissions.add(*Permission.objects.filter(content_type__app_label="reports"))
    MembershipFactory(mission=field_a.mission, user=user)
    MembershipFactory(mission=field_b.mission, user=user)
    return user


def test_a_coordinator_of_two_missions_filters_by_mission(client, field_a, field_b):
    file_visit(field_a)
    file_visit(field_b)
    client.force_login(coordinator_of_both(field_a, field_b))

    everything = client.get(changelist_url(Visit))
    only_b = client.get(changelist_url(Visit), {"mission__id__exact": field_b.mission.pk})

    assert filter_titles(everything)[0] == "mission"
    assert everything.context["cl"].result_count == 2
    assert [v.mission_id for v in only_b.context["cl"].result_list] == [field_b.mission.pk]
    areas = [
        c["display"]
        for c in everything.context["cl"].filter_specs[1].choices(everything.context["cl"])
    ]
    assert "Bravo Region (Mission B)" in areas and "Alpha Region (Mission A)" in areas
    counted = client.get(changelist_url(Visit), {"_facets": "True", "area": field_a.region.pk})
    assert counted.status_code == 200 and counted.context["cl"].result_count == 1


def test_the_area_filter_finds_the_visits_in_a_region_and_its_parts(coordinator_client, field_a):
    in_city = file_visit(field_a)
    elsewhere = AreaFactory(election=field_a.mission.election, name="Other Town")
    other = file_visit(
        field_a,
        station=PollingStationFactory(
            election=field_a.mission.election, number="99", area=elsewhere
        ),
    )

    response = coordinator_client.get(changelist_url(Visit), {"area": field_a.region.pk})

    shown = {visit.pk for visit in response.context["cl"].result_list}
    assert shown == {in_city.pk}
    assert other.pk not in shown


def test_the_changelist_finds_a_visit_by_station_number_and_by_observer(
    coordinator_client, field_a
):
    visit = file_visit(field_a)
    file_visit(
        field_a,
        station=PollingStationFactory(
            election=field_a.mission.election, number="830", name="Lyceum"
        ),
    )

    by_number = coordinator_client.get(changelist_url(Visit), {"q": "83"})
    by_name = coordinator_client.get(changelist_url(Visit), {"q": "aigerim"})

    assert [v.pk for v in by_number.context["cl"].result_list] == [visit.pk]
    assert len(by_name.context["cl"].result_list) == 2


def test_an_outsider_sees_none_of_mission_a_visits(outsider_client, field_a, field_b):
    visit = file_visit(field_a)
    file_visit(field_b)

    listing = outsider_client.get(changelist_url(Visit))
    opened = outsider_client.get(change_url(visit), follow=True)

    assert [v.mission_id for v in listing.context["cl"].result_list] == [field_b.mission.pk]
    assert "Alpha" not in page_text(listing) and "Aigerim" not in page_text(listing)
    assert opened.redirect_chain[0][1] == 302
    assert "Alpha School" not in page_text(opened) and "Aigerim" not in page_text(opened)


def test_an_outsider_cannot_review_mission_a_visits(outsider_client, field_a):
    visit = file_visit(field_a)

    outsider_client.post(
        changelist_url(Visit), {"action": "mark_reviewed", "_selected_action": [visit.pk]}
    )
    refused = outsider_client.post(
        change_url(visit), {"review_comment": "Redo it", "_send_back": "Send back"}
    )

    assert refused.status_code == 302  # to the admin index: "doesn't exist"
    visit.refresh_from_db()
    assert visit.review == Visit.Review.SUBMITTED and visit.reviewed_by is None


def test_the_change_page_shows_answers_incidents_attachments_and_history(
    coordinator_client, field_a
):
    field_a.mission.time_zone = "Asia/Almaty"
    field_a.mission.save()
    visit = file_visit(
        field_a,
        answers={"box_sealed": "no", "problems": ["queue", "secrecy"]},
        incidents=[
            IncidentData(
                category="ballot_box",
                severity="critical",
                description="The seal on the ballot box was broken.",
                complaint_filed=True,
            )
        ],
        files=[SimpleUploadedFile("seal.jpg", JPEG, "image/jpeg")],
        notes="Observers were asked to stand behind a rope.",
    )

    response = coordinator_client.get(change_url(visit))

    assert response.status_code == 200
    text = page_text(response)
    assert "Was the ballot box sealed?" in text and "Concern (Critical)" in text
    assert "Long queue, Secrecy" in text
    assert "Ballot box" in text and "The seal on the ballot box was broken." in text
    assert "Observers were asked to stand behind a rope." in text
    attachment = Attachment.objects.get(visit=visit)
    assert reverse("reports:attachment", args=[field_a.mission.slug, attachment.pk]) in text
    assert "Filed" in text  # the history
    assert "Asia/Almaty" in text
    assert 'name="review_comment"' in text and 'name="_send_back"' in text
    assert 'name="_save"' not in text  # the content is the observer's


def test_a_coordinator_may_open_the_attachment_link_the_page_shows(coordinator_client, field_a):
    visit = file_visit(field_a, files=[SimpleUploadedFile("seal.jpg", JPEG, "image/jpeg")])
    attachment = visit.attachments.get()

    response = coordinator_client.get(
        reverse("reports:attachment", args=[field_a.mission.slug, attachment.pk])
    )

    assert response.status_code == 200


# ---- Reviewing ----


def test_mark_reviewed_records_the_reviewer_and_the_history(coordinator_client, personas, field_a):
    visits = [file_visit(field_a, hour=hour) for hour in (9, 10)]

    response = coordinator_client.post(
        changelist_url(Visit),
        {"action": "mark_reviewed", "_selected_action": [v.pk for v in visits]},
        follow=True,
    )

    assert "2 visits marked reviewed." in page_text(response)
    for visit in visits:
        visit.refresh_from_db()
        assert visit.review == Visit.Review.REVIEWED
        assert visit.reviewed_by == personas.coordinator
        assert visit.revisions.filter(action=VisitRevision.Action.REVIEWED).count() == 1


def test_send_back_asks_for_a_comment_and_the_observer_sees_it(
    coordinator_client, client, personas, field_a
):
    visit = file_visit(field_a)
    selection = {"action": "send_back", "_selected_action": [visit.pk]}

    asked = coordinator_client.post(changelist_url(Visit), selection)
    assert asked.status_code == 200
    assert 'name="review_comment"' in page_text(asked)
    visit.refresh_from_db()
    assert visit.review == Visit.Review.SUBMITTED

    sent = coordinator_client.post(
        changelist_url(Visit),
        {**selection, "post": "yes", "review_comment": "Give the number of voters waiting."},
        follow=True,
    )

    assert "1 visit sent back for correction." in page_text(sent)
    visit.refresh_from_db()
    assert visit.review == Visit.Review.RETURNED
    assert visit.review_comment == "Give the number of voters waiting."
    assert visit.revisions.filter(action=VisitRevision.Action.SENT_BACK).count() == 1
    observer = Client()
    observer.force_login(personas.observer)
    page = observer.get(reverse("reports:visit_detail", args=[field_a.mission.slug, visit.pk]))
    assert "Give the number of voters waiting." in page_text(page)


def test_send_back_without_a_comment_is_refused(coordinator_client, field_a):
    visit = file_visit(field_a)

    response = coordinator_client.post(
        changelist_url(Visit),
        {
            "action": "send_back",
            "_selected_action": [visit.pk],
            "post": "yes",
            "review_comment": " ",
        },
    )

    assert response.status_code == 200
    assert "Say what the observers should correct." in page_text(response)
    visit.refresh_from_db()
    assert visit.review == Visit.Review.SUBMITTED and visit.review_comment == ""
    assert not visit.revisions.filter(action=VisitRevision.Action.SENT_BACK).exists()


def test_the_change_page_buttons_review_one_visit_with_csrf(personas, field_a):
    visit = file_visit(field_a)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.coordinator)
    page = page_text(browser.get(change_url(visit)))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    forged = browser.post(change_url(visit), {"review_comment": "x", "_send_back": "Send back"})
    sent = browser.post(
        change_url(visit),
        {
            "csrfmiddlewaretoken": token,
            "review_comment": "The arrival time is before the station opened.",
            "_send_back": "Send back for correction",
        },
        follow=True,
    )

    assert forged.status_code == 403
    assert "was sent back to its observer for correction" in page_text(sent)
    visit.refresh_from_db()
    assert visit.review == Visit.Review.RETURNED
    assert visit.review_comment == "The arrival time is before the station opened."

    reviewed = browser.post(
        change_url(visit),
        {"csrfmiddlewaretoken": token, "review_comment": "", "_mark_reviewed": "Mark reviewed"},
        follow=True,
    )

    assert "is reviewed" in page_text(reviewed)
    visit.refresh_from_db()
    assert visit.review == Visit.Review.REVIEWED and visit.review_comment == ""
    assert list(visit.revisions.values_list("action", flat=True)) == [
        VisitRevision.Action.FILED,
        VisitRevision.Action.SENT_BACK,
        VisitRevision.Action.REVIEWED,
    ]


def test_sending_back_from_the_change_page_needs_a_comment(coordinator_client, field_a):
    visit = file_visit(field_a)

    response = coordinator_client.post(
        change_url(visit), {"review_comment": "", "_send_back": "Send back for correction"}
    )

    assert response.status_code == 200
    assert "Say what the observer should correct." in page_text(response)
    visit.refresh_from_db()
    assert visit.review == Visit.Review.SUBMITTED


def test_a_post_without_a_review_button_changes_nothing(coordinator_client, field_a):
    visit = file_visit(field_a, notes="As filed.")

    response = coordinator_client.post(
        change_url(visit), {"review_comment": "", "notes": "Rewritten by someone else."}
    )

    assert response.status_code == 200
    assert "Choose “Mark reviewed” or “Send back for correction”." in page_text(response)
    visit.refresh_from_db()
    assert visit.notes == "As filed." and visit.review == Visit.Review.SUBMITTED


def test_reviewing_needs_the_change_permission(client, personas, field_a):
    visit = file_visit(field_a)
    reader = UserFactory(username="reader-a", is_staff=True)
    MembershipFactory(mission=field_a.mission, user=reader)
    reader.user_permissions.add(Permission.objects.get(codename="view_visit"))
    client.force_login(reader)

    page = client.get(change_url(visit))
    refused = client.post(change_url(visit), {"review_comment": "", "_mark_reviewed": "Mark"})

    assert page.status_code == 200 and 'name="_mark_reviewed"' not in page_text(page)
    assert refused.status_code == 403
    visit.refresh_from_db()
    assert visit.review == Visit.Review.SUBMITTED


def test_coordinators_cannot_add_or_delete_visits(coordinator_client, field_a):
    visit = file_visit(field_a)

    assert coordinator_client.get(add_url(Visit)).status_code == 403
    assert (
        coordinator_client.get(reverse("admin:reports_visit_delete", args=[visit.pk])).status_code
        == 403
    )


# ---- Teams and assignments ----


def test_a_team_is_refused_a_member_of_another_mission(client, personas, field_a, field_b):
    client.force_login(coordinator_of_both(field_a, field_b))

    response = client.post(
        add_url(Team),
        {
            "mission": field_a.mission.pk,
            "name": "Team 1",
            "members": [field_a.participation.pk, field_b.participation.pk],
        },
    )

    assert response.status_code == 200
    assert "Not on the mission “Mission A”: Bolat Observer." in page_text(response)
    assert not Team.objects.exists()


def test_a_coordinator_cannot_even_choose_another_missions_observer(
    coordinator_client, field_a, field_b
):
    response = coordinator_client.post(
        add_url(Team),
        {"mission": field_a.mission.pk, "name": "Team 1", "members": [field_b.participation.pk]},
    )

    assert response.status_code == 200
    assert not Team.objects.exists()


def test_a_team_is_made_then_assigned_on_its_page(coordinator_client, field_a):
    created = coordinator_client.post(
        add_url(Team),
        {"mission": field_a.mission.pk, "name": "Team 1", "members": [field_a.participation.pk]},
    )
    assert created.status_code == 302
    team = Team.objects.get()
    assert list(team.members.all()) == [field_a.participation]

    page = coordinator_client.get(change_url(team))
    assert "assignments-TOTAL_FORMS" in page_text(page)
    saved = coordinator_client.post(
        change_url(team),
        {
            "name": "Team 1",
            "members": [field_a.participation.pk],
            "assignments-TOTAL_FORMS": "1",
            "assignments-INITIAL_FORMS": "0",
            "assignments-0-date": "2022-11-20",
            "assignments-0-phase": "voting",
            "assignments-0-station": field_a.station.pk,
            "assignments-0-notes": "",
        },
    )

    assert saved.status_code == 302, saved.context["errors"]
    assignment = Assignment.objects.get()
    assert (assignment.team, assignment.station) == (team, field_a.station)
    found = coordinator_client.get(changelist_url(Team), {"q": "aigerim"})
    assert list(found.context["cl"].result_list) == [team]
    assert found.context["cl"].result_list[0].assignment_total == 1


def test_a_team_keeps_its_mission_and_a_unique_name(coordinator_client, field_a):
    Team.objects.create(mission=field_a.mission, name="Team 1")
    team = Team.objects.create(mission=field_a.mission, name="Team 2")

    page = coordinator_client.get(change_url(team))
    renamed = coordinator_client.post(
        change_url(team),
        {"name": "Team 1", "assignments-TOTAL_FORMS": "0", "assignments-INITIAL_FORMS": "0"},
    )

    assert 'name="mission"' not in page_text(page)
    assert renamed.status_code == 200
    assert "This mission already has a team of that name." in page_text(renamed)
    team.refresh_from_db()
    assert team.name == "Team 2"


def test_the_assignment_list_shows_date_phase_team_station_and_area(
    coordinator_client, field_a, field_b
):
    for field in (field_a, field_b):
        team = Team.objects.create(mission=field.mission, name=f"Team of {field.city.name}")
        Assignment.objects.create(
            team=team, station=field.station, date=datetime.date(2022, 11, 20), phase="voting"
        )

    response = coordinator_client.get(changelist_url(Assignment))

    text = page_text(response)
    assert "Team of Alpha City" in text and "Alpha Region / Alpha City" in text
    assert "Alpha School No. 83" in text and "Voting" in text
    assert "Bravo" not in text
    assert filter_titles(response) == ["date", "phase"]  # one mission: no missions filter


# ---- Query counts ----


def grow_visits(field: Field, count: int) -> None:
    """Visits each by a new observer, at a new station in a new area, with an incident."""
    for number in range(count):
        participation = ParticipationFactory(mission=field.mission, accredited=True)
        station = PollingStationFactory(
            election=field.mission.election,
            number=str(1000 + number),
            area=AreaFactory(election=field.mission.election, parent=field.region),
        )
        file_visit(
            field,
            station=station,
            participation=participation,
            incidents=[IncidentData("other", "minor", "Queue outside.")],
        )


def grow_teams(field: Field, count: int) -> None:
    """Teams of two new observers each, each assigned to a new station."""
    for number in range(count):
        team = Team.objects.create(mission=field.mission, name=f"Team {number}")
        team.members.set(
            [ParticipationFactory(mission=field.mission, accredited=True) for _ in range(2)]
        )
        Assignment.objects.create(
            team=team,
            station=PollingStationFactory(
                election=field.mission.election,
                number=str(2000 + number),
                area=AreaFactory(election=field.mission.election),
            ),
            date=datetime.date(2022, 11, 17 + number % 4),
            phase="voting",
        )


# A coordinator's admin request starts with four queries: the session, the user, the user's
# and the group's permissions. Then:
#   visit:      missions filter (the user's missions), areas filter, observers filter, count,
#               the page (station, area and observer joined; the checklist's phase, the
#               mission's time zone and the incidents read by per-row subqueries); no full
#               count, which a national mission cannot afford per page
#   team:       missions filter, count, the page (assignments counted in a subquery), the
#               members with their people; no full count
#   assignment: dates filter, missions filter, count, the page (team, station and area
#               joined); no full count
CHANGELIST_QUERIES = {Visit: 4 + 5, Team: 4 + 4, Assignment: 4 + 4}


@pytest.mark.parametrize("rows", [2, 12])
@pytest.mark.parametrize("model", [Visit, Team, Assignment], ids=["visit", "team", "assignment"])
def test_changelist_queries_do_not_grow_with_the_rows(
    coordinator_client, field_a, django_assert_num_queries, model, rows
):
    if model is Visit:
        grow_visits(field_a, rows)
    else:
        grow_teams(field_a, rows)

    with django_assert_num_queries(CHANGELIST_QUERIES[model]):
        response = coordinator_client.get(changelist_url(model))

    assert response.status_code == 200
    assert response.context["cl"].result_count == rows


# ---- Paper forms ----


HEADER = [
    "key",
    "station",
    "observer",
    "arrived_at",
    "departed_at",
    "voters_on_list",
    "ballots_issued",
    "notes",
    "info_materials",
    "evacuation_plan",
    "box_sealed",
    "atmosphere",
    "problems",
    "waiting",
    "opened_at",
    "remarks",
]


def paper_rows(field: Field) -> list[list]:
    """Two good forms: a clear one by name, one with four concerns by accreditation number."""
    return [
        HEADER,
        [
            "KZ-0001",
            "83",
            "Aigerim  Observer",
            "2022-11-20 10:00",
            "2022-11-20 10:40",
            "1 800",
            "640",
            "Calm.",
            "yes",
            "yes",
            "yes",
            "calm",
            "queue",
            "3",
            "08:00",
            "",
        ],
        [
            "KZ-0002",
            "84",
            field.participation.accreditation_number,
            "20.11.2022 15:30",
            "",
            "",
            "",
            "",
            "No",
            "YES",
            "yes",
            "Tense",
            "queue; secrecy",
            "60",
            "",
            "Crowded hall.",
        ],
    ]


def csv_bytes(rows) -> bytes:
    import csv

    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def paper(field_a):
    field_a.mission.time_zone = "Asia/Almaty"
    field_a.mission.save()
    PollingStationFactory(election=field_a.mission.election, number="84", area=field_a.city)
    return field_a


def run_import(field: Field, content: bytes, user, file_name="forms.csv"):
    return visits_import(
        mission=field.mission,
        checklist_code="voting",
        file_name=file_name,
        content=content,
        user=user,
    )


def written() -> dict[str, int]:
    return {
        model.__name__: model.objects.count() for model in (Visit, Answer, Incident, VisitRevision)
    }


def local(field: Field, text: str) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.fromisoformat(text), zoneinfo.ZoneInfo(field.mission.time_zone)
    )


def assert_the_two_paper_visits(field: Field, coordinator) -> None:
    clear, worrying = Visit.objects.order_by("arrived_at")
    assert (clear.station.number, clear.filed_by) == ("83", field.participation)
    assert clear.arrived_at == local(field, "2022-11-20 10:00")
    assert clear.departed_at == local(field, "2022-11-20 10:40")
    assert (clear.voters_on_list, clear.ballots_issued, clear.notes) == (1800, 640, "Calm.")
    assert not clear.has_concerns
    assert {a.question.code: a.value for a in clear.answers.all()} == {
        "info_materials": "yes",
        "evacuation_plan": "yes",
        "box_sealed": "yes",
        "atmosphere": "calm",
        "problems": ["queue"],
        "waiting": 3,
        "opened_at": "08:00",
    }
    assert worrying.arrived_at == local(field, "2022-11-20 15:30")
    assert worrying.has_concerns
    concerns = {a.question.code for a in worrying.answers.filter(is_concern=True)}
    assert concerns == {"info_materials", "atmosphere", "problems", "waiting"}
    assert worrying.answers.get(question__code="problems").value == ["queue", "secrecy"]
    revision = worrying.revisions.get()
    assert (revision.action, revision.changed_by) == (VisitRevision.Action.FILED, coordinator)


def test_a_csv_of_paper_forms_files_visits_with_answers_and_concerns(personas, paper):
    result = run_import(paper, csv_bytes(paper_rows(paper)), personas.coordinator)

    assert len(result.created) == 2 and result.unchanged == []
    assert_the_two_paper_visits(paper, personas.coordinator)


def test_an_xlsx_of_paper_forms_files_the_same_visits(personas, paper):
    rows = paper_rows(paper)
    # As a spreadsheet holds them: numbers, real dates and times.
    rows[1][3:7] = [
        datetime.datetime(2022, 11, 20, 10, 0),
        datetime.datetime(2022, 11, 20, 10, 40),
        1800,
        640,
    ]
    rows[1][1] = 83
    rows[1][13:15] = [3, datetime.time(8, 0)]
    rows[2][3] = datetime.datetime(2022, 11, 20, 15, 30)
    rows[2][13] = 60

    result = run_import(paper, xlsx_bytes(rows), personas.coordinator, "forms.xlsx")

    assert len(result.created) == 2
    assert_the_two_paper_visits(paper, personas.coordinator)


@pytest.mark.parametrize("with_keys", [True, False], ids=["keys", "no-keys"])
def test_importing_the_same_file_again_creates_nothing_new(personas, paper, with_keys):
    rows = paper_rows(paper)
    if not with_keys:
        rows = [row[1:] for row in rows]
    content = csv_bytes(rows)
    run_import(paper, content, personas.coordinator)
    before = written()

    again = run_import(paper, content, personas.coordinator)

    assert again.created == [] and len(again.unchanged) == 2
    assert written() == before


def test_times_are_read_in_the_missions_time_zone(personas, paper):
    rows = paper_rows(paper)
    # The mission's first day in Almaty, still the day before in UTC.
    rows[2][HEADER.index("arrived_at")] = "17.11.2022 02:00"

    run_import(paper, csv_bytes(rows), personas.coordinator)

    visit = Visit.objects.get(station__number="84")
    assert visit.arrived_at == local(paper, "2022-11-17 02:00")
    assert visit.arrived_at.astimezone(datetime.UTC).date() == datetime.date(2022, 11, 16)


def test_a_dry_run_checks_the_file_and_writes_nothing(personas, paper):
    result = visits_import(
        mission=paper.mission,
        checklist_code="voting",
        file_name="forms.csv",
        content=csv_bytes(paper_rows(paper)),
        user=personas.coordinator,
        dry_run=True,
    )

    assert len(result.created) == 2 and result.unchanged == []
    assert written() == dict.fromkeys(["Visit", "Answer", "Incident", "VisitRevision"], 0)


def test_the_same_paper_form_for_another_observer_is_refused(personas, paper):
    run_import(paper, csv_bytes(paper_rows(paper)), personas.coordinator)
    other = ParticipationFactory(
        mission=paper.mission, accredited=True, observer__full_name="Other Observer"
    )
    rows = paper_rows(paper)
    rows[2][2] = other.observer.full_name
    before = written()

    with pytest.raises(ImportRejected) as rejected:
        run_import(paper, csv_bytes(rows), personas.coordinator)

    assert "Row 3, observer" in str(rejected.value)
    assert written() == before


def not_accredited(field: Field) -> str:
    ParticipationFactory(mission=field.mission, observer__full_name="Pending Person")
    return "Pending Person"


def revoked(field: Field) -> str:
    ParticipationFactory(
        mission=field.mission,
        observer__full_name="Revoked Person",
        accreditation=Participation.Accreditation.REVOKED,
    )
    return "Revoked Person"


# Each bad cell goes into the second form (row 3); the first form is good, and is not filed
# either.
BAD_CELLS = {
    "unknown station": ("station", "999", "There is no polling station No. 999"),
    "unknown observer": ("observer", "Nobody Known", "neither the full name"),
    "observer not accredited": ("observer", not_accredited, "is not accredited"),
    "accreditation revoked": ("observer", revoked, "accreditation was revoked"),
    "missing required answer": ("box_sealed", "", "This field is required."),
    "choice not offered": ("atmosphere", "festive", "Select a valid choice."),
    "multiple choice not offered": ("problems", "queue;fire", "Select a valid choice."),
    "yes/no neither": ("evacuation_plan", "maybe", "Select a valid choice."),
    "number out of range": ("waiting", "6000", "less than or equal to 5000"),
    "not a number": ("waiting", "many", "Enter a number."),
    "bad time": ("opened_at", "25:99", "Enter a valid time."),
    "bad date and time": ("arrived_at", "tomorrow", "is not a date and time"),
    "missing arrival": ("arrived_at", "", "This is required."),
    "departure before arrival": ("departed_at", "2022-11-20 09:00", "Departure cannot be"),
    "arrival outside the mission": ("arrived_at", "2022-12-01 10:00", "outside the mission"),
    # Still 20 November in UTC, already the 21st in Almaty, the day after the mission ends.
    "arrival after the mission, locally": ("arrived_at", "2022-11-21 03:00", "outside the"),
    "more ballots than voters": ("ballots_issued", "900", "More ballots issued"),
    "negative count": ("voters_on_list", "-5", "not a whole number"),
    "repeated paper form": ("key", "KZ-0001", "already in row 2"),
    "station number too long": ("station", "9" * 30, "at most 20 fit"),
}


@pytest.mark.parametrize("case", BAD_CELLS)
def test_a_bad_row_rejects_the_whole_file(personas, paper, case):
    column, value, message = BAD_CELLS[case]
    if callable(value):
        value = value(paper)
    rows = paper_rows(paper)
    rows[2][HEADER.index(column)] = value
    if column == "ballots_issued":
        rows[2][HEADER.index("voters_on_list")] = "800"

    with pytest.raises(ImportRejected) as rejected:
        run_import(paper, csv_bytes(rows), personas.coordinator)

    errors = [str(error) for error in rejected.value.errors]
    assert any(error.startswith(f"Row 3, {column}:") and message in error for error in errors), (
        errors
    )
    assert written() == dict.fromkeys(["Visit", "Answer", "Incident", "VisitRevision"], 0)


def test_an_unknown_column_rejects_the_file(personas, paper):
    rows = paper_rows(paper)
    rows[0] = [*rows[0], "weather"]
    rows[1].append("sunny")
    rows[2].append("rain")

    with pytest.raises(ImportRejected) as rejected:
        run_import(paper, csv_bytes(rows), personas.coordinator)

    assert str(rejected.value.errors[0]).startswith("Row 1, weather:")
    assert Visit.objects.count() == 0


def test_a_missing_required_question_column_rejects_the_file(personas, paper):
    rows = [
        [cell for name, cell in zip(HEADER, row, strict=True) if name != "box_sealed"]
        for row in paper_rows(paper)
    ]

    with pytest.raises(ImportRejected) as rejected:
        run_import(paper, csv_bytes(rows), personas.coordinator)

    assert "Column box_sealed: This column is required" in str(rejected.value)
    assert Visit.objects.count() == 0


def test_a_refusal_while_filing_undoes_the_rows_filed_before_it(personas, paper, monkeypatch):
    from reports import imports

    calls = []

    def refuse_the_second(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise VisitRefused("Accreditation revoked meanwhile.")
        return visit_submit(**kwargs)

    monkeypatch.setattr(imports, "visit_submit", refuse_the_second)

    with pytest.raises(ImportRejected) as rejected:
        run_import(paper, csv_bytes(paper_rows(paper)), personas.coordinator)

    assert str(rejected.value) == "Row 3, observer: Accreditation revoked meanwhile."
    assert written() == dict.fromkeys(["Visit", "Answer", "Incident", "VisitRevision"], 0)


def test_the_command_imports_a_file_and_reports_a_bad_one(personas, paper, tmp_path):
    good = tmp_path / "forms.csv"
    good.write_bytes(csv_bytes(paper_rows(paper)))
    out = io.StringIO()

    call_command(
        "import_visits",
        str(good),
        mission=paper.mission.slug,
        checklist="voting",
        user=personas.coordinator.username,
        stdout=out,
    )

    assert "2 visits filed, 0 already filed before" in out.getvalue()
    assert Visit.objects.count() == 2

    rows = paper_rows(paper)
    rows[1][0], rows[2][1] = "KZ-0003", "999"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(rows))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command(
            "import_visits", str(bad), mission=paper.mission.slug, checklist="voting", stderr=err
        )
    assert "Row 3, station" in err.getvalue()
    assert Visit.objects.count() == 2


def test_the_command_refuses_an_unknown_checklist(paper, tmp_path):
    file = tmp_path / "forms.csv"
    file.write_bytes(csv_bytes(paper_rows(paper)))
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command(
            "import_visits", str(file), mission=paper.mission.slug, checklist="nope", stderr=err
        )

    assert "no checklist with the code “nope”" in err.getvalue()


def test_paper_forms_answer_the_latest_checklist_version(personas, paper):
    from reports.services import checklist_new_version

    newer = checklist_new_version(checklist=paper.checklist)

    run_import(paper, csv_bytes(paper_rows(paper)), personas.coordinator)

    assert set(Visit.objects.values_list("checklist", flat=True)) == {newer.pk}
