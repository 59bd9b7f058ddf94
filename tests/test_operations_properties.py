"""The operations room's coverage figures, derived again by a direct count for random plans."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from missions.models import Phase
from observers.models import Team
from reports.models import Visit
from reports.operations.selectors import coverage_compute, visits_per_hour
from stations.models import Assignment
from tests.factories import AreaFactory, ParticipationFactory, PollingStationFactory
from tests.visits_support import make_checklist

PHASES = ["opening", "voting", "closing"]
STATIONS = 6
pairs = st.sets(st.tuples(st.integers(0, STATIONS - 1), st.sampled_from(PHASES)), max_size=14)


@pytest.fixture
def world(personas):
    mission = personas.mission_a
    areas = [AreaFactory(election=mission.election, name=name) for name in ("North", "South")]
    stations = [
        PollingStationFactory(election=mission.election, area=areas[n % 2]) for n in range(STATIONS)
    ]
    checklists = {p: make_checklist(mission, code=p, phase=p) for p in PHASES}
    participation = ParticipationFactory(mission=mission, accredited=True)
    team = Team.objects.create(mission=mission, name="Team")
    return mission, stations, checklists, participation, team


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(assigned=pairs, visited=pairs)
def test_coverage_matches_a_direct_count(world, assigned, visited):
    mission, stations, checklists, participation, team = world
    savepoint = transaction.savepoint()
    try:
        for station, phase in assigned:
            Assignment.objects.create(
                team=team, station=stations[station], date=mission.ends_on, phase=phase
            )
        arrival = datetime.datetime.combine(mission.ends_on, datetime.time(9), tzinfo=datetime.UTC)
        for station, phase in visited:
            Visit.objects.create(
                mission=mission,
                station=stations[station],
                checklist=checklists[phase],
                filed_by=participation,
                arrived_at=arrival,
            )
        by_phase, by_area = coverage_compute(mission)
    finally:
        transaction.savepoint_rollback(savepoint)

    labels = dict(Phase.choices)
    expected_phases = [
        (str(labels[p]), len(planned), len(planned & {s for s, q in visited if q == p}))
        for p in PHASES
        if (planned := {s for s, q in assigned if q == p})
    ]
    assert [(c.label, c.assigned, c.visited) for c in by_phase] == expected_phases

    expected_areas = {}
    for station in {s for s, _p in assigned}:
        done = all((station, p) in visited for s, p in assigned if s == station)
        area = stations[station].area.path
        total, seen = expected_areas.get(area, (0, 0))
        expected_areas[area] = (total + 1, seen + done)
    assert {c.label: (c.assigned, c.visited) for c in by_area} == expected_areas
    for coverage in by_phase + by_area:
        assert coverage.not_visited == coverage.assigned - coverage.visited


@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    minutes=st.lists(st.integers(-180, 24 * 60 + 180), max_size=25),
    zone=st.sampled_from(["Asia/Almaty", "UTC", "America/Caracas", "Asia/Kathmandu"]),
)
def test_visits_per_hour_match_the_clock_in_the_missions_zone(world, minutes, zone):
    mission, stations, checklists, participation, _team = world
    day = mission.ends_on
    local_midnight = datetime.datetime.combine(day, datetime.time(), tzinfo=ZoneInfo(zone))
    arrivals = [local_midnight + datetime.timedelta(minutes=m) for m in minutes]
    savepoint = transaction.savepoint()
    try:
        mission.time_zone = zone
        for arrival in arrivals:
            Visit.objects.create(
                mission=mission,
                station=stations[0],
                checklist=checklists["voting"],
                filed_by=participation,
                arrived_at=arrival.astimezone(datetime.UTC),
            )
        counts = visits_per_hour(mission, day)
    finally:
        transaction.savepoint_rollback(savepoint)
    expected = [0] * 24
    for arrival in arrivals:
        local = arrival.astimezone(ZoneInfo(zone))
        if local.date() == day:
            expected[local.hour] += 1
    assert counts == expected
