"""The checklist versions the observer pages keep per process: frozen ones only, never stale,
never another mission's."""

import datetime
import uuid

import pytest
from django.urls import reverse

from reports.models import Checklist, Question, Visit
from reports.services import checklist_new_version
from tests.factories import ParticipationFactory, UserFactory
from tests.test_observer_queries import file_visit, filing_form
from tests.visits_support import make_checklist, station_of


@pytest.fixture
def mission(personas):
    mission = personas.mission_a
    today = datetime.date.today()
    mission.starts_on = today - datetime.timedelta(days=3)
    mission.ends_on = today + datetime.timedelta(days=3)
    mission.save()
    return mission


@pytest.fixture
def observer_client(client, personas):
    client.force_login(personas.observer)
    return client


def form_url(mission, checklist) -> str:
    return reverse("reports:visit_new", args=[mission.slug]) + f"?checklist={checklist.pk}"


def test_a_checklist_edited_into_a_new_version_is_the_one_the_next_form_asks(
    observer_client, personas, mission
):
    first = make_checklist(mission)
    file_visit(personas, first, station_of(mission, "84"))
    assert "Was the ballot box sealed?" in observer_client.get(form_url(mission, first)).text
    assert Checklist.objects.get(pk=first.pk).frozen  # kept by the process from now on

    second = checklist_new_version(checklist=first)
    Question.objects.filter(checklist=second, code="box_sealed").update(
        text="Was the ballot box sealed with two seals?"
    )
    page = observer_client.get(form_url(mission, second))

    assert "Was the ballot box sealed with two seals?" in page.text
    # Filing against the new version checks and stores its questions, not the kept ones.
    station = station_of(mission, "85")
    data = filing_form(second, station)
    response = observer_client.post(reverse("reports:visit_new", args=[mission.slug]), data)
    visit = Visit.objects.get(station=station)
    assert response["Location"] == reverse("reports:visit_detail", args=[mission.slug, visit.pk])
    assert visit.checklist == second
    assert set(visit.answers.values_list("question__checklist", flat=True)) == {second.pk}
    detail = observer_client.get(response["Location"])
    assert "Was the ballot box sealed with two seals?" in detail.text
    # The first version is still what its visits were answered against.
    assert "Was the ballot box sealed?" in observer_client.get(form_url(mission, first)).text


def test_a_version_no_visit_used_yet_is_read_afresh(observer_client, mission):
    checklist = make_checklist(mission)
    assert "Was the ballot box sealed?" in observer_client.get(form_url(mission, checklist)).text

    Question.objects.filter(checklist=checklist, code="box_sealed").update(
        text="Was the ballot box sealed and numbered?"
    )

    page = observer_client.get(form_url(mission, checklist))
    assert "Was the ballot box sealed and numbered?" in page.text
    assert not Checklist.objects.get(pk=checklist.pk).frozen


def test_another_missions_checklist_is_never_served_from_what_the_process_keeps(
    client, personas, mission
):
    other = personas.mission_b
    other.starts_on, other.ends_on = mission.starts_on, mission.ends_on
    other.save()
    theirs = make_checklist(other)
    their_observer = UserFactory()
    ParticipationFactory(mission=other, user=their_observer, accredited=True)
    client.force_login(their_observer)
    assert client.get(form_url(other, theirs)).status_code == 200
    their_station = station_of(other, "90")
    filed = client.post(
        reverse("reports:visit_new", args=[other.slug]), filing_form(theirs, their_station)
    )
    assert filed.status_code == 302
    assert client.get(form_url(other, theirs)).status_code == 200  # kept, frozen

    client.force_login(personas.observer)  # an observer of mission A asks for it
    page = client.get(form_url(mission, theirs))
    station = station_of(mission, "91")
    data = filing_form(theirs, station) | {"key": str(uuid.uuid4())}
    posted = client.post(reverse("reports:visit_new", args=[mission.slug]), data)

    assert page.status_code == 404
    assert "Was the ballot box sealed?" not in page.text
    assert posted.status_code == 404
    assert not Visit.objects.filter(mission=mission).exists()


def test_a_used_version_stays_frozen_when_its_visits_are_deleted(
    observer_client, personas, mission
):
    checklist = make_checklist(mission)
    file_visit(personas, checklist, station_of(mission, "84"))
    observer_client.get(form_url(mission, checklist))

    Visit.objects.filter(checklist=checklist).delete()

    assert Checklist.objects.get(pk=checklist.pk).is_frozen
