"""What the admin must refuse even a superuser: moving a mission's objects out from under
what hangs off them."""

import pytest

from missions.models import ActivityStation, MissionActivity
from observers.models import Participation
from tests.factories import PollingStationFactory, UserFactory
from tests.test_admin import admin_url, object_url, page_text, read_form


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_an_observers_page_cannot_move_a_participation_to_another_mission(
    client, superuser, personas
):
    participation = personas.observer_participation
    client.force_login(superuser)
    url = object_url(participation.observer)
    data = read_form(client.get(url), type(participation.observer))
    prefix = next(k for k in data if k.endswith("-0-mission")).removesuffix("mission")
    data[f"{prefix}mission"] = str(personas.mission_b.pk)

    client.post(url, data)

    participation.refresh_from_db()
    assert participation.mission == personas.mission_a
    assert Participation.objects.filter(mission=personas.mission_b).count() == 0


def test_adding_an_activity_refuses_a_station_of_another_election(client, superuser, personas):
    foreign = PollingStationFactory(election=personas.mission_b.election, number="777")
    client.force_login(superuser)
    url = admin_url(MissionActivity, "add")
    data = read_form(client.get(url), MissionActivity)
    data.update(
        {
            "mission": str(personas.mission_a.pk),
            "date": "2022-11-19",
            "kind": "visit",
            "description": "visited polling stations {stations}.",
            "station_visits-TOTAL_FORMS": "1",
            "station_visits-0-station": str(foreign.pk),
            "station_visits-0-position": "0",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "This polling station is not in this election." in page_text(response)
    assert not ActivityStation.objects.exists()
