import pytest
from django.urls import reverse

from missions.models import MissionMembership
from tests.factories import MembershipFactory, MissionFactory, ParticipationFactory


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_login_page_renders_a_form(client, db):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert 'name="username"' in response.text
    assert 'name="password"' in response.text


def test_an_observer_sees_their_mission_and_not_others(client, personas):
    client.force_login(personas.observer)

    response = client.get(reverse("home"))

    assert "Mission A" in response.text
    assert "Mission B" not in response.text


def test_an_observer_is_led_to_their_mission_pages(client, personas):
    client.force_login(personas.observer)

    response = client.get(reverse("home"))

    assert reverse("reports:mission_home", args=["mission-a"]) in response.text


def test_a_press_officer_sees_the_mission_they_serve_without_the_observer_pages(client, personas):
    client.force_login(personas.press_officer)

    response = client.get(reverse("home"))

    assert "Mission A" in response.text
    assert reverse("reports:mission_home", args=["mission-a"]) not in response.text


@pytest.mark.parametrize("size", [1, 8])
def test_my_missions_takes_the_same_queries_however_many_missions(
    client, personas, size, django_assert_num_queries
):
    for _ in range(size):
        mission = MissionFactory()
        ParticipationFactory(mission=mission, user=personas.observer)
        MembershipFactory(
            mission=MissionFactory(),
            user=personas.observer,
            role=MissionMembership.Role.PRESS_OFFICER,
        )
    client.force_login(personas.observer)

    # session, user, the missions (one query with two subqueries)
    with django_assert_num_queries(3):
        response = client.get(reverse("home"))

    assert response.text.count('class="list-group-item"') == 2 * size + 1


def test_a_coordinator_is_led_to_the_mission_s_statements(client, personas):
    client.force_login(personas.coordinator)

    response = client.get(reverse("home"))

    assert reverse("statements:list", args=["mission-a"]) in response.text
    assert reverse("press:list") in response.text
