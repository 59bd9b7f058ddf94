"""The statement's figures at their edges: what the random missions of
tests/test_statement_figures.py rarely or never hold (large figures, an announced turnout at
the tolerance, a station in an area with no parent area, a single phase observed)."""

import dataclasses
import gc
from decimal import Decimal

import pytest

from reports.models import Visit
from reports.services import IncidentData, VisitData, visit_restore
from reports.statements.composer import statement_compose
from reports.statements.findings import findings_compute
from tests.factories import AreaFactory, PollingStationFactory
from tests.statement_facts import normalised
from tests.visits_support import election_day, make_checklist


@pytest.fixture
def mission(personas):
    return personas.mission_a


def text_of(mission, findings=None, *, kind="final", assessment="no_violations") -> str:
    return normalised(
        statement_compose(
            mission=mission,
            kind=kind,
            language="en",
            findings=findings or findings_compute(mission=mission),
            dated_on=mission.ends_on,
            assessment=assessment,
        ).plain_text()
    )


def file(personas, checklist, station, *, hour=10, counts=None, incidents=(), **answers):
    """A reviewed visit: every answer clear unless given otherwise."""
    values = {"info_materials": "yes", "evacuation_plan": "yes", "box_sealed": "yes"}
    values |= {"atmosphere": "calm", **answers}
    questions = {q.code: q for q in checklist.questions.all()}
    # None: not observed.
    values = {code: value for code, value in values.items() if value is not None}
    return visit_restore(
        participation=personas.observer_participation,
        review=Visit.Review.REVIEWED,
        data=VisitData(
            station=station,
            checklist=checklist,
            arrived_at=election_day(checklist.mission, hour),
            voters_on_list=counts and counts[0],
            ballots_issued=counts and counts[1],
            answers={questions[code].pk: value for code, value in values.items()},
            incidents=list(incidents),
        ),
    )


def test_a_station_in_an_area_with_no_parent_area_is_placed_in_that_area(personas, mission):
    checklist = make_checklist(mission)
    capital = AreaFactory(election=mission.election, name="Capital", kind="city")
    region = AreaFactory(election=mission.election, name="Hill Region", kind="region")
    valley = AreaFactory(election=mission.election, parent=region, name="Valley", kind="district")
    for number, area in (("1", capital), ("2", capital), ("3", valley)):
        file(
            personas,
            checklist,
            PollingStationFactory(election=mission.election, number=number, area=area),
        )

    text = text_of(mission)

    assert "worked at 3 polling stations in Capital and one district of Hill Region." in text


def test_figures_of_a_thousand_and_more_are_grouped(personas, mission):
    checklist = make_checklist(mission)
    file(personas, checklist, PollingStationFactory(election=mission.election), box_sealed="no")
    findings = dataclasses.replace(findings_compute(mission=mission), grave_stations=1234)

    text = text_of(mission, findings, assessment="serious")

    assert "The Mission recorded serious violations at 1,234 polling stations during" in text


# Observed at the count: 600 of 1,000 voters, 60.00 per cent.
@pytest.mark.parametrize(
    ("phase", "official", "said"),
    [
        ("closing", "63.00", "corresponds"),
        ("closing", "57.00", "corresponds"),
        ("closing", "60.00", "corresponds"),
        ("closing", "63.01", "announced"),
        ("closing", "56.99", "announced"),
        ("voting", "60.00", "announced"),
        ("closing", None, None),
    ],
)
def test_the_announced_turnout_is_said_to_correspond_only_within_three_points_at_the_count(
    personas, mission, phase, official, said
):
    mission.election.official_turnout = official and Decimal(official)
    mission.election.save(update_fields=["official_turnout"])
    checklist = make_checklist(mission, code=phase, phase=phase)
    for number, ballots in (("1", 250), ("2", 350)):
        station = PollingStationFactory(election=mission.election, number=number)
        file(personas, checklist, station, counts=(500, ballots))

    text = text_of(mission)

    if phase == "closing":
        assert (
            "At the 2 polling stations where the observers followed the count, 60.00 per cent "
            "of the voters on the lists had voted."
        ) in text
    else:
        assert (
            "By the time of the observers' visits, 60.00 per cent of the voters on the lists "
            "had received a ballot at the 2 polling stations visited."
        ) in text
    corresponds = f", {official} per cent, corresponds to what the observers saw."
    announced = f"announced a turnout of {official} per cent."
    assert (corresponds in text, announced in text) == (said == "corresponds", said == "announced")
    if official is None:
        assert "announced a turnout" not in text
        assert "corresponds to what the observers saw" not in text


def test_every_phase_observed_is_named_and_only_the_day_s_counts_tell_the_turnout(
    personas, mission
):
    checklists = {
        phase: make_checklist(mission, code=phase, phase=phase)
        for phase in ("opening", "voting", "closing")
    }
    first, second = (
        PollingStationFactory(election=mission.election, number=number) for number in "12"
    )
    # Counts taken at the opening are no turnout: nobody has voted yet.
    file(personas, checklists["opening"], first, hour=7, counts=(900, 0))
    file(personas, checklists["voting"], first, counts=(500, 250))
    file(personas, checklists["voting"], second, counts=(500, 350))
    file(personas, checklists["closing"], second, hour=20)

    text = text_of(mission)

    assert (
        "They observed the opening at one polling station, the voting at two polling stations "
        "and the closing and the count at one polling station."
    ) in text
    assert (
        "By the time of the observers' visits, 60.00 per cent of the voters on the lists had "
        "received a ballot at the 2 polling stations visited."
    ) in text


@pytest.mark.parametrize("phase", ["opening", "voting", "closing"])
def test_a_single_phase_observed_is_not_listed_as_phases(personas, mission, phase):
    checklist = make_checklist(mission, code=phase, phase=phase)
    for number in "12":
        file(personas, checklist, PollingStationFactory(election=mission.election, number=number))

    text = text_of(mission)

    assert "worked at 2 polling stations" in text
    assert "They observed" not in text


def test_a_concern_observed_at_only_some_stations_says_at_how_many_it_was_observed(
    personas, mission
):
    checklist = make_checklist(mission)
    capital = AreaFactory(election=mission.election, name="Capital", kind="city")
    stations = [
        PollingStationFactory(election=mission.election, number=number, area=area)
        for number, area in (("1", None), ("2", capital), ("3", capital), ("4", capital))
    ]
    file(personas, checklist, stations[0], box_sealed="no")
    file(personas, checklist, stations[1])
    file(personas, checklist, stations[2], box_sealed=None)
    file(personas, checklist, stations[3], atmosphere="tense")

    text = text_of(mission, assessment="serious")

    # The station with the concern has no area: the sentence names none.
    assert (
        "Concerns about “Was the ballot box sealed?” were noted at 1 of the 3 polling stations "
        "where this was observed (of 4 visited)."
    ) in text
    assert (
        "Concerns about “Atmosphere” were noted at 1 of the 4 polling stations visited, in Capital."
        in text
    )


def test_a_briefing_with_no_violations_gives_the_complaints_beside_it(personas, mission):
    checklist = make_checklist(mission)
    complaint = IncidentData("procedure", "minor", "The list was not signed.", complaint_filed=True)
    station = PollingStationFactory(election=mission.election)
    file(personas, checklist, station, incidents=[complaint])

    text = text_of(mission, kind="briefing", assessment="no_violations")

    assert "They noted no violations of national legislation." in text
    assert "1 complaint was filed at the polling stations visited." in text
    assert "no complaints" not in text.lower()


def test_a_pre_election_visit_is_no_election_day_coverage(personas, mission):
    # The count first, then a pre-election visit elsewhere: only the count is election day.
    closing = make_checklist(mission, code="closing", phase="closing")
    before = make_checklist(mission, code="pre_election", phase="pre_election")
    capital = AreaFactory(election=mission.election, name="Capital", kind="city")
    north = AreaFactory(election=mission.election, name="North", kind="region")
    counted = file(
        personas,
        closing,
        PollingStationFactory(election=mission.election, number="1", area=capital),
        hour=20,
    )
    file(
        personas,
        before,
        PollingStationFactory(election=mission.election, number="2", area=north),
        hour=9,
    )

    findings = findings_compute(mission=mission)
    text = text_of(mission, findings)

    assert "On election day, members of the Mission worked at 1 polling station in Capital." in text
    assert "North" not in text
    assert findings.election_day_evidence.visit_ids == [counted.pk]


def test_the_phases_are_told_by_the_checklists_phase_not_their_code(personas, mission):
    day = make_checklist(mission, code="polling_day", phase="voting")
    count = make_checklist(mission, code="count", phase="closing")
    first, second = (
        PollingStationFactory(election=mission.election, number=number) for number in "12"
    )
    file(personas, day, first)
    file(personas, day, second)
    file(personas, count, second, hour=20)

    text = text_of(mission)

    assert (
        "They observed the voting at two polling stations and the closing and the count at one "
        "polling station."
    ) in text


@pytest.mark.parametrize("collecting", [True, False])
def test_computing_the_findings_leaves_the_cycle_collector_as_it_found_it(
    personas, mission, collecting
):
    file(personas, make_checklist(mission), PollingStationFactory(election=mission.election))
    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    try:
        findings_compute(mission=mission)
        assert gc.isenabled() == collecting
    finally:
        (gc.enable if was else gc.disable)()


def test_a_concern_at_a_visit_that_observed_every_question_is_counted(personas, mission):
    checklist = make_checklist(mission)
    # Every question answered, the optional ones too: nothing left unobserved.
    file(
        personas,
        checklist,
        PollingStationFactory(election=mission.election),
        box_sealed="no",
        problems=["queue"],
        waiting=10,
        opened_at="07:00",
        remarks="Calm all day.",
    )

    text = text_of(mission, assessment="serious")

    assert "The Mission recorded serious violations at 1 polling station during" in text
    assert "Concerns about “Was the ballot box sealed?” were noted at 1 of" in text


def test_the_turnout_takes_each_station_s_latest_count_by_arrival_not_by_filing(personas, mission):
    checklist = make_checklist(mission, code="closing", phase="closing")
    station = PollingStationFactory(election=mission.election)
    # The later count filed first: the one filed after it arrived earlier.
    file(personas, checklist, station, hour=21, counts=(500, 300))
    file(personas, checklist, station, hour=19, counts=(500, 100))

    text = text_of(mission)

    assert (
        "At the 1 polling station where the observers followed the count, 60.00 per cent of "
        "the voters on the list had voted."
    ) in text
