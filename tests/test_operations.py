"""The operations room: who gets in, what it shows, what its feed flags, and what it costs."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from missions.demo import demo_load
from missions.models import MissionMembership
from observers.models import Team
from reports.models import Answer, Visit
from reports.operations import selectors
from reports.services import IncidentData
from stations.models import Assignment
from tests.conftest import make_coordinator
from tests.factories import MembershipFactory, PollingStationFactory, UserFactory
from tests.operations_support import build_operations, file_visit
from tests.visits_support import election_day, make_checklist


@pytest.fixture(autouse=True)
def fresh_cache():
    # The concern chart is cached per mission, and test missions reuse primary keys.
    cache.clear()


def dashboard_url(mission) -> str:
    return reverse("operations:dashboard", args=[mission.slug])


def feed_url(mission, since: datetime.datetime | None = None) -> str:
    url = reverse("operations:feed", args=[mission.slug])
    if since is not None:
        url += "?since=" + since.isoformat().replace("+", "%2B")
    return url


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# ---- Who gets in ----


def test_a_coordinator_opens_the_operations_room_of_their_mission(coordinator_client, personas):
    response = coordinator_client.get(dashboard_url(personas.mission_a))
    assert response.status_code == 200
    assert "Operations room" in text_of(response)
    assert "Mission A" in text_of(response)


def test_the_head_of_mission_gets_in_too(client, personas):
    user = UserFactory(username="head-a")
    MembershipFactory(mission=personas.mission_a, user=user, role=MissionMembership.Role.HEAD)
    client.force_login(user)
    assert "Operations room" in text_of(client.get(dashboard_url(personas.mission_a)))


@pytest.mark.parametrize("who", ["observer", "press_officer"])
def test_other_members_of_the_mission_are_refused(client, personas, who):
    client.force_login(getattr(personas, who))
    for url in (dashboard_url(personas.mission_a), feed_url(personas.mission_a)):
        response = client.get(url)
        assert response.status_code == 403
        assert "Operations room" not in text_of(response)
    export = reverse("operations:export", args=[personas.mission_a.slug, "visits", "csv"])
    assert client.get(export).status_code == 403


def test_a_coordinator_of_another_mission_is_told_it_does_not_exist(outsider_client, personas):
    for url in (
        dashboard_url(personas.mission_a),
        feed_url(personas.mission_a),
        reverse("operations:map_stations", args=[personas.mission_a.slug]),
        reverse("operations:export", args=[personas.mission_a.slug, "answers", "xlsx"]),
    ):
        response = outsider_client.get(url)
        assert response.status_code == 404
        assert "Mission A" not in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_log_in(client, personas):
    response = client.get(dashboard_url(personas.mission_a))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# ---- What it shows ----


@pytest.fixture
def demo_coordinator(db):
    mission, _loaded = demo_load()
    return mission, make_coordinator(mission, "demo-coordinator")


def test_it_shows_the_demos_coverage_by_phase_and_area(client, demo_coordinator):
    mission, user = demo_coordinator
    client.force_login(user)
    page = text_of(client.get(dashboard_url(mission)))
    # The demo's 31 assignments: 5 pre-election visits, 2 openings, 22 voting, 2 closings.
    assert "Pre-election visit 5 5 0" in page
    assert "Opening 2 2 0" in page
    assert "Voting 22 22 0" in page
    assert "Closing and counting 2 2 0" in page
    assert "Astana / Almaty District 6 6 0" in page
    assert "Akmola Region / Tselinograd District 4 4 0" in page
    assert "No serious or critical concern or incident has been filed." in page
    # 34 visits on election day, 15 of them arriving between 09:00 and 10:00 Almaty time.
    assert "34 visits that day, by hour of arrival" in page
    assert "09:00 — 15" in page


def test_it_lists_assigned_stations_past_their_time_without_a_visit(coordinator_client, personas):
    mission = personas.mission_a
    result = build_operations(mission, size=2, observer_user=personas.observer)
    team, _participation, pair = result["teams"][0]
    # The second station of each pair has no visit; one is planned at 10:00, one at the
    # end of the day.
    Assignment.objects.filter(station=pair[1]).update(planned_time=datetime.time(10, 0))
    zone = selectors.mission_zone(mission)
    at_noon = datetime.datetime.combine(mission.ends_on, datetime.time(12), tzinfo=zone)
    overdue = selectors.overdue_assignments(mission, now=at_noon)
    assert [row.station for row in overdue] == [pair[1]]
    next_morning = at_noon + datetime.timedelta(days=1)
    overdue = selectors.overdue_assignments(mission, now=next_morning)
    assert {row.station for row in overdue} == {pair[1], result["teams"][1][2][1]}
    page = text_of(coordinator_client.get(dashboard_url(mission)))
    assert f"No. {pair[1].number} — {team.name}, Voting" in page


def test_the_review_queue_counts_and_links_into_the_admin(coordinator_client, personas):
    mission = personas.mission_a
    build_operations(mission, size=3, observer_user=personas.observer)
    Visit.objects.filter(mission=mission).order_by("pk").filter(
        pk=Visit.objects.filter(mission=mission).order_by("pk").first().pk
    ).update(review=Visit.Review.RETURNED)
    response = coordinator_client.get(dashboard_url(mission))
    page = text_of(response)
    assert "2 visits awaiting review" in page
    assert "1 sent back" in page
    html = response.content.decode()
    changelist = reverse("admin:reports_visit_changelist")
    assert f"{changelist}?mission__id__exact={mission.pk}&amp;review__exact=submitted" in html
    for visit in Visit.objects.filter(mission=mission, review=Visit.Review.SUBMITTED):
        assert reverse("admin:reports_visit_change", args=[visit.pk]) in html


def test_silent_teams_are_flagged_after_the_set_time(coordinator_client, personas, settings):
    mission = personas.mission_a
    result = build_operations(mission, size=2, observer_user=personas.observer)
    quiet = Team.objects.create(mission=mission, name="Team quiet")
    settings.OPERATIONS_SILENT_MINUTES = 30
    Visit.objects.filter(mission=mission).update(
        created_at=timezone.now() - datetime.timedelta(minutes=45)
    )
    response = coordinator_client.get(dashboard_url(mission))
    page = text_of(response)
    assert "3 of 3 teams silent: no visit filed for over 30 minutes." in page
    assert response.content.decode().count("ops-badge-silent") == 3
    # Never filed comes first, then the longest silent.
    teams = page[page.index("teams silent") :]
    assert teams.index(quiet.name) < teams.index(result["teams"][0][0].name)
    settings.OPERATIONS_SILENT_MINUTES = 60
    cache.clear()  # the figures are counted again at most every OPERATIONS_FIGURES_SECONDS
    response = coordinator_client.get(dashboard_url(mission))
    assert "1 of 3 teams silent: no visit filed for over 60 minutes." in text_of(response)
    assert response.content.decode().count("ops-badge-silent") == 1


def test_the_map_shows_every_station_with_its_status(coordinator_client, personas):
    mission = personas.mission_a
    result = build_operations(mission, size=4, observer_user=personas.observer)
    data = coordinator_client.get(reverse("operations:map_stations", args=[mission.slug])).json()[
        "stations"
    ]
    by_number = {row["number"]: row["status"] for row in data}
    teams = result["teams"]
    # Visits 0 and 3 have a critical concern; visit 0 also a serious incident.
    assert by_number[teams[0][2][0].number] == "critical"
    assert by_number[teams[1][2][0].number] == "clear"
    assert by_number[teams[3][2][0].number] == "critical"
    assert {by_number[team[2][1].number] for team in teams} == {"not_visited"}
    assert len(data) == 8


# ---- The feed ----


def test_the_feed_lists_serious_and_critical_items_newest_first(coordinator_client, personas):
    mission = personas.mission_a
    checklist = make_checklist(mission)
    participation = personas.observer_participation
    older, newer = (PollingStationFactory(election=mission.election) for _ in range(2))
    file_visit(
        participation,
        older,
        checklist,
        user=personas.observer,
        arrived_at=election_day(mission, 9),
        atmosphere="tense",
        info_materials="no",
    )
    file_visit(
        participation,
        newer,
        checklist,
        user=personas.observer,
        arrived_at=election_day(mission, 8),
        box_sealed="no",
        incidents=(IncidentData(category="secrecy", severity="minor", description="Minor one"),),
    )
    page = text_of(coordinator_client.get(feed_url(mission)))
    sealed = page.index("Was the ballot box sealed?")
    tense = page.index("Atmosphere")
    assert sealed < tense, "the visit filed last comes first, whatever its arrival time"
    assert "Were information materials on display?" not in page, "minor concerns stay out"
    assert "Minor one" not in page


def test_a_critical_concern_filed_after_the_page_opened_is_flagged_new(
    coordinator_client, personas
):
    mission = personas.mission_a
    checklist = make_checklist(mission)
    opened = timezone.now()
    page = text_of(coordinator_client.get(feed_url(mission, since=opened)))
    assert "new critical concern" not in page
    file_visit(
        personas.observer_participation,
        PollingStationFactory(election=mission.election, number="4242"),
        checklist,
        user=personas.observer,
        arrived_at=election_day(mission, 10),
        box_sealed="no",
    )
    response = coordinator_client.get(feed_url(mission, since=opened))
    page = text_of(response)
    assert "1 new critical concern since this page was opened." in page
    assert "No. 4242" in page
    assert "ops-feed-new ops-feed-critical" in response.content.decode()
    # Opened after the visit, it is in the feed but no longer new.
    page = text_of(coordinator_client.get(feed_url(mission, since=timezone.now())))
    assert "No. 4242" in page
    assert "new critical concern" not in page


# ---- What it costs ----


def _queries(django_assert_num_queries, client, url, expected):
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("size", [2, 12])
def test_the_dashboards_queries_do_not_grow_with_the_mission(
    coordinator_client, personas, django_assert_num_queries, size
):
    mission = personas.mission_a
    build_operations(mission, size=size, observer_user=personas.observer)
    # session, user, membership (+mission), then the figures: coverage (checklists' phases,
    # visited stations, assignments), election day, overdue assignments, teams, visits per
    # hour; then live: review counts, oldest awaiting review, feed answers, feed incidents
    response = _queries(django_assert_num_queries, coordinator_client, dashboard_url(mission), 14)
    assert f"{size} visits awaiting review" in text_of(response)
    # Within OPERATIONS_FIGURES_SECONDS the figures come from the cache; the rest is live.
    file_visit(
        personas.observer_participation,
        PollingStationFactory(election=mission.election),
        make_checklist(mission, code="late"),
        user=personas.observer,
        arrived_at=election_day(mission, 11),
        box_sealed="no",
    )
    response = _queries(django_assert_num_queries, coordinator_client, dashboard_url(mission), 7)
    assert f"{size + 1} visits awaiting review" in text_of(response)


@pytest.mark.parametrize("size", [2, 12])
def test_the_feeds_queries_do_not_grow_with_the_mission(
    coordinator_client, personas, django_assert_num_queries, size
):
    mission = personas.mission_a
    build_operations(mission, size=size, observer_user=personas.observer)
    # session, user, membership (+mission), feed answers, feed incidents
    response = _queries(django_assert_num_queries, coordinator_client, feed_url(mission), 5)
    critical = sum(1 for i in range(size) if i % 3 == 0)
    serious = sum(1 for i in range(size) if i % 5 == 0)
    assert text_of(response).count("Critical") == critical
    assert text_of(response).count("Serious") == serious


@pytest.mark.parametrize("size", [2, 12])
def test_the_map_and_chart_queries_do_not_grow_with_the_mission(
    coordinator_client, personas, django_assert_num_queries, size
):
    mission = personas.mission_a
    build_operations(mission, size=size, observer_user=personas.observer)
    # session, user, membership, concerns, incidents, visited stations, stations
    _queries(
        django_assert_num_queries,
        coordinator_client,
        reverse("operations:map_stations", args=[mission.slug]),
        7,
    )
    # session, user, membership, concerns, stations visited, questions
    _queries(
        django_assert_num_queries,
        coordinator_client,
        reverse("operations:concern_chart", args=[mission.slug]),
        6,
    )


def test_the_concern_chart_gives_each_areas_share(coordinator_client, personas):
    mission = personas.mission_a
    build_operations(mission, size=6, observer_user=personas.observer)
    regions, shares = selectors.concern_share_by_area(mission)
    assert regions == ["Region 6"]
    sealed = next(share for share in shares if share.code.endswith("box_sealed"))
    # Visits 0 and 3 of six, each at its own station.
    assert sealed.areas == {"Region 6": (2, 6)}
    assert Answer.objects.filter(question__code="box_sealed", is_concern=True).count() == 2
    page = text_of(coordinator_client.get(reverse("operations:concern_chart", args=[mission.slug])))
    assert "33%" in page
