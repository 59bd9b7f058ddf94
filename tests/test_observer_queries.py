"""Query counts of the observer pages: the same at 2 and at 15 of whatever the page lists.

Each page starts with the same queries, counted in PAGE_START below; the comment on each test
names the rest.
"""

import datetime
import uuid
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from observers.models import Participation, Team
from reports.models import Question, Section, Visit, VisitRevision
from reports.services import IncidentData, VisitData, visit_send_back, visit_submit
from stations.models import Assignment
from tests.factories import ParticipationFactory, UserFactory
from tests.visits_support import make_checklist, photo_jpeg, station_of

JPEG = photo_jpeg(gps=False)

SIZES = [2, 15]

# The Django session, the logged-in user, and the observer's participation in the mission (with
# the mission, its election, the observer and the delegation joined). Whether the observer may
# file, and the mission's time zone, are read from that participation without a query.
PAGE_START = 3


@pytest.fixture
def mission(personas):
    """Mission A under way today, so that its assignments are still coming up."""
    mission = personas.mission_a
    mission.time_zone = "Asia/Almaty"
    today = mission_today(mission)
    mission.starts_on = today - datetime.timedelta(days=3)
    mission.ends_on = today + datetime.timedelta(days=20)
    mission.save()
    return mission


def mission_today(mission) -> datetime.date:
    """Today where the mission is, as its pages count it (after 19:00 UTC, Almaty is a day on)."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(mission.time_zone))


@pytest.fixture
def checklist(mission):
    return make_checklist(mission)


@pytest.fixture
def observer_client(client, personas):
    client.force_login(personas.observer)
    return client


def team_mates(mission, size: int) -> list[Participation]:
    return [ParticipationFactory(mission=mission, accredited=True) for _ in range(size)]


def assign(personas, mission, size: int) -> None:
    """Give the observer's team `size` stations to visit over the coming days."""
    team = Team.objects.create(mission=mission, name="Team 1")
    team.members.add(personas.observer_participation, *team_mates(mission, 1))
    today = mission_today(mission)
    for number in range(size):
        Assignment.objects.create(
            team=team,
            station=station_of(mission, str(100 + number)),
            date=today + datetime.timedelta(days=number % 5),
            phase="voting",
        )


def answers_for(checklist) -> dict[int, object]:
    values = {"yes_no": "no", "single": "tense", "multiple": ["secrecy"], "number": 60}
    values |= {"time": "08:00", "text": "Calm"}
    return {question.pk: values[question.kind] for question in checklist.questions.all()}


def file_visit(personas, checklist, station, *, size: int = 1, observers=()) -> Visit:
    """File a visit with every question answered and `size` incidents and attachments."""
    visit, _created = visit_submit(
        participation=personas.observer_participation,
        key=uuid.uuid4(),
        data=VisitData(
            station=station,
            checklist=checklist,
            arrived_at=timezone.now().replace(microsecond=0),
            voters_on_list=1800,
            ballots_issued=640,
            notes="Long queue",
            answers=answers_for(checklist),
            incidents=[
                IncidentData(category="secrecy", severity="serious", description=f"Case {n}")
                for n in range(size)
            ],
            observers=observers,
        ),
        files=[SimpleUploadedFile(f"photo-{n}.jpg", JPEG, "image/jpeg") for n in range(size)],
        user=personas.observer,
    )
    return visit


def file_visits(personas, mission, checklist, size: int) -> None:
    """File `size` visits, every third sent back for correction, each with a team mate."""
    mate = team_mates(mission, 1)
    for number in range(size):
        station = station_of(mission, str(200 + number))
        visit = file_visit(personas, checklist, station, size=2, observers=mate)
        if number % 3 == 0:
            visit_send_back(visit=visit, reviewer=personas.coordinator, comment="Check the seal")


def lengthen(checklist, size: int) -> None:
    """Add `size` text questions in a section of their own."""
    section = Section.objects.create(checklist=checklist, position=2, title="More")
    Question.objects.bulk_create(
        Question(
            checklist=checklist,
            section=section,
            position=10 + n,
            code=f"extra_{n}",
            text=f"Extra question {n}",
            kind="text",
            required=False,
        )
        for n in range(size)
    )


def big_visit(personas, mission, checklist, size: int) -> Visit:
    """A visit with `size` more answers, incidents, attachments, team mates and revisions."""
    lengthen(checklist, size)
    visit = file_visit(
        personas,
        checklist,
        station_of(mission, "83"),
        size=size,
        observers=team_mates(mission, size),
    )
    reviewers = [UserFactory() for _ in range(size)]
    VisitRevision.objects.bulk_create(
        VisitRevision(visit=visit, changed_by=reviewer, action="sent_back", changes={"c": [1, 2]})
        for reviewer in reviewers
    )
    return visit


@pytest.mark.parametrize("size", SIZES)
def test_mission_home_takes_the_same_queries_however_much_the_observer_has_done(
    observer_client, personas, mission, checklist, size, django_assert_num_queries
):
    assign(personas, mission, size)
    file_visits(personas, mission, checklist, size)
    make_checklist(mission, code="opening", phase="opening")

    # PAGE_START, then: the next five assignments (team and station's area joined), the
    # count of visits, and the visits sent back (station, area and checklist joined).
    with django_assert_num_queries(PAGE_START + 3):
        response = observer_client.get(reverse("reports:mission_home", args=[mission.slug]))

    assert response.status_code == 200
    assert response.text.count("File a visit here") == min(size, 5)
    assert response.text.count("Check the seal") == len(range(0, size, 3))


@pytest.mark.parametrize("size", SIZES)
def test_the_assignment_list_takes_the_same_queries_however_many_assignments(
    observer_client, personas, mission, checklist, size, django_assert_num_queries
):
    assign(personas, mission, size)

    # PAGE_START, then: the assignments (team and station's area joined).
    with django_assert_num_queries(PAGE_START + 1):
        response = observer_client.get(reverse("reports:assignment_list", args=[mission.slug]))

    assert response.status_code == 200
    assert response.text.count("File a visit here") == size


@pytest.mark.parametrize("size", SIZES)
def test_the_visit_list_takes_the_same_queries_however_many_visits(
    observer_client, personas, mission, checklist, size, django_assert_num_queries
):
    file_visits(personas, mission, checklist, size)

    # PAGE_START, then: the visits (station's area and checklist joined, incidents counted).
    with django_assert_num_queries(PAGE_START + 1):
        response = observer_client.get(reverse("reports:visit_list", args=[mission.slug]))

    assert response.status_code == 200
    assert response.text.count("2 incidents") == size


@pytest.mark.parametrize("size", SIZES)
def test_the_visit_page_takes_the_same_queries_however_much_the_visit_holds(
    observer_client, personas, mission, checklist, size, django_assert_num_queries
):
    visit = big_visit(personas, mission, checklist, size)
    url = reverse("reports:visit_detail", args=[mission.slug, visit.pk])
    # The first page of a checklist version in the process reads it (and marks it frozen).
    with django_assert_num_queries(PAGE_START + 8):
        observer_client.get(url)

    # PAGE_START, then: the visit (station's area, filer's observer and reviewer joined, its
    # incidents, attachments and observers counted), its answers (checklist version and
    # questions kept, frozen), incidents, attachments, observers (with their observer
    # records) and revisions (with who changed them).
    with django_assert_num_queries(PAGE_START + 6):
        response = observer_client.get(url)

    assert response.status_code == 200
    assert response.text.count("Extra question") == size
    assert response.text.count("photo-") == size


def filing_form(checklist, station) -> dict:
    """What the form posts for a visit with every question answered, none a concern."""
    data = {
        "checklist": str(checklist.pk),
        "key": str(uuid.uuid4()),
        "station": station.number,
        "arrived_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "voters_on_list": "1800",
        "ballots_issued": "640",
        "incidents-TOTAL_FORMS": "1",
        "incidents-INITIAL_FORMS": "0",
    }
    for question in checklist.questions.all():
        data["q_" + question.code] = {
            "yes_no": "yes",
            "single": "calm",
            "multiple": ["queue"],
            "number": "3",
            "time": "08:00",
            "text": "Calm",
        }[question.kind]
    return data


@pytest.mark.parametrize("size", SIZES)
def test_filing_a_visit_and_loading_its_page_take_the_same_queries_however_long_the_checklist(
    observer_client, personas, mission, checklist, size, django_assert_num_queries
):
    lengthen(checklist, size)
    file_visit(personas, checklist, station_of(mission, "84"))  # the version is in use
    station = station_of(mission, "85")
    url = reverse("reports:visit_new", args=[mission.slug])
    observer_client.get(url + f"?checklist={checklist.pk}")  # the process keeps the version
    data = filing_form(checklist, station)

    # PAGE_START, then: the station, a likely duplicate (or the key's visit, for a retry)
    # looked for, and in one transaction the visit, its answers, its observer row and its
    # history row. No key is looked up apart (that query and the key's unique constraint
    # decide), no checklist or question read (the version is frozen and kept), no concerns
    # written back (there are none).
    with django_assert_num_queries(PAGE_START + 2 + 6):  # savepoint + 4 inserts + release
        response = observer_client.post(url, data)
    visit = Visit.objects.get(station=station)
    assert response["Location"] == reverse("reports:visit_detail", args=[mission.slug, visit.pk])
    assert visit.answers.count() == 8 + size
    assert list(visit.observers.all()) == [personas.observer_participation]
    assert list(visit.revisions.values_list("action", flat=True)) == ["filed"]

    # The page the phone loads next: PAGE_START, the visit (with its counts), its answers and
    # its history; no incident, attachment or team to read.
    with django_assert_num_queries(PAGE_START + 3):
        page = observer_client.get(response["Location"])
    assert page.text.count("Extra question") == size
    assert "Visit filed. Thank you." in page.text
    assert "No incidents reported." in page.text


@pytest.mark.parametrize("size", SIZES)
def test_the_new_visit_form_takes_the_same_queries_however_long_the_checklist_and_assignments(
    observer_client, personas, mission, checklist, size, django_assert_num_queries
):
    assign(personas, mission, size)
    lengthen(checklist, size)
    url = reverse("reports:visit_new", args=[mission.slug]) + f"?checklist={checklist.pk}"

    # PAGE_START, then: the checklist, its questions (sections joined), whether a visit has
    # used the version yet (not yet: it is read afresh next time) and the observer's
    # assignments (for the station numbers offered).
    with django_assert_num_queries(PAGE_START + 4):
        response = observer_client.get(url)

    assert response.status_code == 200
    assert response.text.count("<option value=") >= size
    assert response.text.count("Extra question") >= size


@pytest.mark.parametrize("size", SIZES)
def test_the_correction_form_takes_the_same_queries_however_much_the_visit_holds(
    observer_client, personas, mission, checklist, size, django_assert_num_queries
):
    visit = big_visit(personas, mission, checklist, size)
    url = reverse("reports:visit_edit", args=[mission.slug, visit.pk])
    observer_client.get(url)  # the process keeps the frozen checklist version from now on

    # PAGE_START, then: the visit and its five reads (as on the visit page) and the
    # observer's assignments; the checklist's questions are kept.
    with django_assert_num_queries(PAGE_START + 7):
        response = observer_client.get(url)

    assert response.status_code == 200
    assert response.text.count("Case ") == size


@pytest.mark.parametrize("size", SIZES)
def test_the_list_of_pages_kept_offline_takes_the_same_queries_however_many_assignments(
    observer_client, personas, mission, checklist, size, django_assert_num_queries
):
    assign(personas, mission, size)
    for number in range(size):
        make_checklist(mission, code=f"extra-{number}", phase="other")

    # PAGE_START, then: the assignments (team and station's area joined) and the mission's
    # checklists.
    with django_assert_num_queries(PAGE_START + 2):
        response = observer_client.get(reverse("reports:offline_pages", args=[mission.slug]))

    pages = response.json()["pages"]
    assert sum("?checklist=" in page for page in pages) == size + 1
    assert sum("?station=" in page for page in pages) == size


def test_the_app_manifest_takes_only_the_page_start(
    observer_client, mission, django_assert_num_queries
):
    with django_assert_num_queries(PAGE_START):
        response = observer_client.get(reverse("reports:manifest", args=[mission.slug]))

    assert response.json()["start_url"] == reverse("reports:mission_home", args=[mission.slug])
