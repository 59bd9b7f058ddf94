"""Every figure a statement prints, derived independently of reports.statements.findings.

Hypothesis builds random missions — polling stations in two districts, visits in every review
state across two versions of a checklist, answers clear, concerning or not observed at every
severity, incidents and complaints — beside a second mission whose visits must never count.
The test works out from the raw choices what each figure must be, compiles the final statement,
the preliminary statement (counting visits awaiting review when the mission allows it) and
the press briefing, and reads every figure back out of their text.
"""

import os
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from reports.models import Incident, Visit
from reports.services import IncidentData, VisitData, visit_restore
from reports.statements.composer import statement_compose
from reports.statements.findings import findings_compute
from tests.factories import AreaFactory, ParticipationFactory, PollingStationFactory
from tests.statement_facts import normalised
from tests.visits_support import election_day, make_checklist

STATIONS = 6
# code → (severity, value choices: clear, concerning, not observed)
QUESTIONS = {
    "info_materials": ("minor", ["yes", "no", None]),
    "evacuation_plan": ("minor", ["yes", "no", None]),
    "box_sealed": ("critical", ["yes", "no", None]),
    "atmosphere": ("serious", ["calm", "tense", None]),
    "problems": ("serious", [["queue"], ["secrecy"], ["queue", "secrecy"], None]),
    "waiting": ("minor", [10, 80, None]),
}
CONCERNING = {
    "info_materials": lambda v: v == "no",
    "evacuation_plan": lambda v: v == "no",
    "box_sealed": lambda v: v == "no",
    "atmosphere": lambda v: v == "tense",
    "problems": lambda v: v is not None and "secrecy" in v,
    "waiting": lambda v: v is not None and v > 50,
}
GRAVE = {"serious", "critical"}
CATEGORIES = ["procedure", "secrecy", "overcrowding"]


@dataclass
class Place:
    mission: object
    participation: object
    checklists: list
    stations: list


def _sentences(checklist, marker: str) -> None:
    for question in checklist.questions.all():
        question.concern_sentence = (
            f"[{marker}{question.code}] {{concerns}} of {{stations}}, {{clear}} clear."
        )
        question.clear_sentence = f"[{marker}clear {question.code}] at {{stations}}."
        question.save()


@pytest.fixture
def place(personas) -> Place:
    mission = personas.mission_a
    older = make_checklist(mission, version=1)
    newer = make_checklist(mission, version=2)
    closing = make_checklist(mission, code="closing", phase="closing")
    _sentences(closing, "closing ")
    # The older version's wording must never be printed: the newest stands for both.
    _sentences(older, "old ")
    _sentences(newer, "")
    city = AreaFactory(election=mission.election, name="Capital", kind="city")
    districts = [
        AreaFactory(election=mission.election, parent=city, name=f"District {n}", kind="district")
        for n in (1, 2)
    ]
    stations = [
        PollingStationFactory(election=mission.election, number=str(n + 1), area=districts[n % 2])
        for n in range(STATIONS)
    ]
    _other_mission_files_grave_findings(personas.mission_b)
    return Place(mission, personas.observer_participation, [older, newer, closing], stations)


def _other_mission_files_grave_findings(mission) -> None:
    """Another mission in the same database, every visit reviewed and full of concerns, its
    checklist a newer version than any of the first mission's, with its own wording."""
    checklist = make_checklist(mission, version=3)
    _sentences(checklist, "other ")
    participation = ParticipationFactory(mission=mission, accredited=True)
    questions = {q.code: q for q in checklist.questions.all()}
    for number in range(4):
        visit_restore(
            participation=participation,
            review=Visit.Review.REVIEWED,
            data=VisitData(
                station=PollingStationFactory(election=mission.election, number=f"B{number}"),
                checklist=checklist,
                arrived_at=election_day(mission, 10),
                answers={
                    questions["box_sealed"].pk: "no",
                    questions["atmosphere"].pk: "tense",
                    questions["info_materials"].pk: "no",
                },
                incidents=[IncidentData("secrecy", "critical", "Seen.", complaint_filed=True)],
            ),
        )


incident_st = st.tuples(
    st.sampled_from(CATEGORIES),
    st.sampled_from(["minor", "serious", "critical"]),
    st.booleans(),
)
visit_st = st.fixed_dictionaries(
    {
        "station": st.integers(0, STATIONS - 1),
        "version": st.integers(0, 1),
        "review": st.sampled_from(["reviewed", "reviewed", "submitted", "returned"]),
        "answers": st.fixed_dictionaries(
            {code: st.sampled_from(values) for code, (_s, values) in QUESTIONS.items()}
        ),
        "incidents": st.lists(incident_st, max_size=2),
        "closing": st.booleans(),
        "hour": st.integers(8, 19),
        # (voters who had not received a ballot, ballots issued): either may be left blank.
        "counts": st.one_of(
            st.none(),
            st.tuples(st.integers(1, 900), st.integers(0, 900)),
            st.tuples(st.integers(1, 900), st.none()),
            st.tuples(st.none(), st.integers(0, 900)),
        ),
    }
)


def expected(visits: list[dict], *, include_awaiting: bool, ids=None) -> dict:
    """The figures, from the generated choices alone (ids: the visits' ids, in filing order)."""
    ids = ids or list(range(len(visits)))
    counted = [
        (pk, v)
        for pk, v in zip(ids, visits, strict=True)
        if v["review"] == "reviewed" or (include_awaiting and v["review"] == "submitted")
    ]
    observed, concerns = defaultdict(set), defaultdict(set)
    grave, minor = set(), set()
    grave_visits = set()
    by_severity = defaultdict(set)
    severities = set()
    incidents = defaultdict(lambda: [0, set()])
    complaints_of = defaultdict(int)
    complaints = 0
    phases = defaultdict(lambda: [0, set()])
    latest = {"closing": {}, "voting": {}}
    for pk, visit in counted:
        station = visit["station"]
        checklist = "closing" if visit["closing"] else "voting"
        phases[checklist][0] += 1
        phases[checklist][1].add(station)
        # Only a visit with both counts tells the turnout.
        if visit["counts"] is not None and None not in visit["counts"]:
            known = latest[checklist].get(station)
            if known is None or (visit["hour"], pk) > known[0]:
                latest[checklist][station] = ((visit["hour"], pk), visit["counts"])
        for code, value in visit["answers"].items():
            if value is None:
                continue
            observed[(checklist, code)].add(station)
            if CONCERNING[code](value):
                severity = QUESTIONS[code][0]
                concerns[(checklist, code)].add(station)
                by_severity[severity].add(station)
                severities.add(severity)
                (grave if severity in GRAVE else minor).add(station)
                if severity in GRAVE:
                    grave_visits.add(pk)
        for category, severity, complaint in visit["incidents"]:
            incidents[(category, severity)][0] += 1
            incidents[(category, severity)][1].add(station)
            severities.add(severity)
            (grave if severity in GRAVE else minor).add(station)
            if severity in GRAVE:
                grave_visits.add(pk)
            complaints += complaint
            complaints_of[(category, severity)] += complaint
    stations = {v["station"] for _pk, v in counted}
    turnout_phase = "closing" if latest["closing"] else "voting" if latest["voting"] else None
    chosen = list(latest[turnout_phase].values()) if turnout_phase else []
    return {
        "visits": len(counted),
        "stations": len(stations),
        "observed": {key: len(s) for key, s in observed.items()},
        "concerns": {key: len(s) for key, s in concerns.items()},
        # Where each concern was: the districts of its stations, under their city.
        "concern_areas": {
            key: " and ".join(sorted({f"District {n % 2 + 1}" for n in s})) + " of Capital"
            for key, s in concerns.items()
        },
        "by_severity": {s: len(by_severity[s]) for s in ("minor", "serious", "critical")},
        "worst": next((s for s in ("critical", "serious", "minor") if s in severities), None),
        "grave": len(grave),
        "grave_visits": grave_visits,
        "minor": len(minor),
        "incidents": {key: (n, len(s)) for key, (n, s) in incidents.items()},
        "complaints": complaints,
        "complaints_by_incident_kind": dict(complaints_of),
        "awaiting_counted": sum(v["review"] == "submitted" for _pk, v in counted),
        "phases": {phase: (n, len(s)) for phase, (n, s) in phases.items()},
        "districts": sorted({f"District {n % 2 + 1}" for n in stations}),
        "turnout": (
            turnout_phase,
            len(chosen),
            sum(a + b for _m, (a, b) in chosen),
            sum(b for _m, (_a, b) in chosen),
        ),
        "turnout_visits": sorted(moment[1] for moment, _counts in chosen),
        "voting_visits": sorted(pk for pk, v in counted if not v["closing"]),
        "closing_stations": len({v["station"] for _pk, v in counted if v["closing"]}),
    }


def check_findings(findings, want: dict) -> None:
    """The findings themselves, field by field, against the independent figures."""
    assert (findings.visits, findings.stations) == (want["visits"], want["stations"])
    assert findings.election_day_stations == want["stations"]
    assert findings.stations_with_concern_by_severity == want["by_severity"]
    assert findings.worst_severity == want["worst"]
    assert (findings.grave_stations, findings.minor_stations) == (want["grave"], want["minor"])
    # Each visit once, however many grave concerns and incidents it holds.
    assert findings.grave_evidence.visit_ids == sorted(want["grave_visits"])
    assert findings.complaints == want["complaints"]
    assert len(findings.complaint_evidence.incident_ids) == want["complaints"]
    assert {
        (i.category, i.severity): (i.incidents, i.stations) for i in findings.incidents
    } == want["incidents"]
    assert {(i.category, i.severity): i.complaints for i in findings.incidents} == want[
        "complaints_by_incident_kind"
    ]
    for row in findings.incidents:
        found = findings.incident_evidence_for(row.category, row.severity)
        assert len(found.incident_ids) == row.incidents
    assert {p.phase: (p.visits, p.stations) for p in findings.phases} == want["phases"]
    assert [p.phase for p in findings.phases] == [
        p for p in ("voting", "closing") if p in want["phases"]
    ]
    questions = {(q.checklist, q.code): q for q in findings.questions}
    assert {key: q.stations_observed for key, q in questions.items()} == want["observed"]
    for key, question in questions.items():
        concerns = want["concerns"].get(key, 0)
        assert question.stations_answered == want["observed"][key]
        assert question.stations_with_concern == concerns, key
        assert question.stations_clear == want["observed"][key] - concerns
        assert question.all_clear == (concerns == 0)
        assert len(set(question.evidence.visit_ids)) <= len(question.evidence.answer_ids)
    if want["stations"]:
        [cover] = findings.coverage
        assert (cover.parent, cover.districts, cover.stations) == (
            "Capital",
            want["districts"],
            want["stations"],
        )
    else:
        assert findings.coverage == []
    turnout = findings.turnout
    assert (turnout.phase, turnout.stations, turnout.voters, turnout.ballots) == want["turnout"]
    assert sorted(findings.turnout_evidence.visit_ids) == want["turnout_visits"]
    if turnout.voters:
        assert turnout.observed == round(Decimal(turnout.ballots * 100) / turnout.voters, 2)
    assert sorted(findings.visit_ids_in(["voting"])) == want["voting_visits"]
    assert sorted(findings.visit_ids_in(["voting"], ["voting"])) == want["voting_visits"]
    assert findings.visit_ids_in(["voting"], ["closing"]) == []
    assert findings.stations_checked("closing") == want["closing_stations"]
    assert len(findings.checklist_evidence("voting").visit_ids) == len(want["voting_visits"])


def _voters(counts) -> int | None:
    """Voters on the list: those without a ballot yet and those with one, as far as known."""
    if counts is None or counts[0] is None:
        return None
    return counts[0] + (counts[1] or 0)


def file_all(place: Place, visits: list[dict]) -> list[int]:
    ids = []
    for visit in visits:
        checklist = place.checklists[2 if visit["closing"] else visit["version"]]
        questions = {q.code: q for q in checklist.questions.all()}
        saved = visit_restore(
            participation=place.participation,
            review=visit["review"],
            data=VisitData(
                station=place.stations[visit["station"]],
                checklist=checklist,
                arrived_at=election_day(place.mission, visit["hour"]),
                voters_on_list=_voters(visit["counts"]),
                ballots_issued=visit["counts"] and visit["counts"][1],
                answers={
                    questions[code].pk: value
                    for code, value in visit["answers"].items()
                    if value is not None
                },
                incidents=[
                    IncidentData(category, severity, "Seen.", complaint_filed=complaint)
                    for category, severity, complaint in visit["incidents"]
                ],
            ),
        )
        ids.append(saved.pk)
    return ids


def text_of(place: Place, kind: str, assessment: str, *, include_awaiting=False) -> str:
    document = statement_compose(
        mission=place.mission,
        kind=kind,
        language="en",
        findings=findings_compute(mission=place.mission, include_awaiting_review=include_awaiting),
        dated_on=place.mission.ends_on,
        assessment=assessment,
    )
    return normalised(document.plain_text())


def check_figures(text: str, want: dict, assessment: str, *, full: bool) -> None:
    """Read every figure out of a statement's text and compare it with the expected one."""
    violations = [int(n) for n in re.findall(r"recorded serious violations at (\d+) polling", text)]
    if assessment == "serious" or want["grave"]:
        assert violations == [want["grave"]], text
    else:
        assert violations == []
    shortcomings = re.findall(r"minor shortcomings at (\d+) polling", text)
    if assessment == "minor" and want["minor"]:
        assert [int(n) for n in shortcomings] == [want["minor"]]
    else:
        assert shortcomings == []
    # No claim of absence the findings contradict, and each one they bear out.
    if want["grave"]:
        assert "noted no violations" not in text
    elif assessment == "no_violations" and want["complaints"]:
        assert "They noted no violations of national legislation." in text
    elif assessment == "no_violations":
        assert (
            "They noted no violations of national legislation, and no complaints were recorded "
            "at the polling stations visited."
        ) in text
    else:
        assert "noted no violations" not in text
    if want["complaints"]:
        assert "no complaints" not in text.lower()
        filed = re.findall(r"(\d+) complaints? (?:was|were) filed", text)
        # Section 8 gives the count; a briefing, in its conclusions beside "no violations".
        if full or assessment == "no_violations":
            assert filed
        assert {int(n) for n in filed} <= {want["complaints"]}
    else:
        assert not re.search(r"\d+ complaints? (?:was|were) filed", text)
    if not full:
        return
    if want["stations"]:
        assert f"worked at {want['stations']} polling station" in text
        # The phases, spelled out as the statement does up to ten.
        words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
        if len(want["phases"]) == 2:
            voting, closing = (want["phases"][p][1] for p in ("voting", "closing"))
            assert f"the voting at {words[voting - 1]} polling station" in text
            assert f"the closing and the count at {words[closing - 1]} polling station" in text
        else:
            assert "They observed" not in text
        phase, stations, voters, ballots = want["turnout"]
        if voters:
            observed = f"{round(Decimal(ballots * 100) / voters, 2):.2f} per cent"
            plural = "" if stations == 1 else "s"
            if phase == "closing":
                assert (
                    f"At the {stations} polling station{plural} where the observers followed "
                    f"the count, {observed}"
                ) in text
            else:
                assert f"By the time of the observers' visits, {observed}" in text
                assert f"at the {stations} polling station{plural} visited." in text
        else:
            assert "per cent" not in text
        districts = len(want["districts"])
        assert ("one district of Capital" if districts == 1 else "two districts of Capital") in text
    else:
        # No visit: no coverage to speak of, and no turnout.
        assert "worked at" not in text
        assert "per cent" not in text
    # Each concern sentence: the question's newest wording, its concern and observed stations.
    found = re.findall(
        # Where the check was not observed everywhere, and where the concerns were, follow.
        r"\[(closing )?(\w+)\] (\d+) of (\d+), (\d+) clear"
        r"(?: \(this was observed at (\d+) of the (\d+) polling stations visited\))?"
        r"(?:, in ([^.]*))?\.",
        text,
    )
    printed = {
        ("closing" if closing else "voting", code): tuple(int(n) for n in (c, s, clear))
        for closing, code, c, s, clear, *_rest in found
    }
    partly = {
        ("closing" if closing else "voting", code): (observed, visited)
        for closing, code, _c, _s, _clear, observed, visited, _a in found
    }
    areas = {("closing" if closing else "voting", code): a for closing, code, *_n, a in found}
    assert "[old " not in text
    assert "[other " not in text
    concern_keys = {key for key, n in want["concerns"].items() if n}
    assert set(printed) == concern_keys
    for key in concern_keys:
        concerns, observed = want["concerns"][key], want["observed"][key]
        assert printed[key] == (concerns, observed, observed - concerns), key
        # Observed at fewer stations than visited with that checklist: the statement says so.
        visited = want["phases"][key[0]][1]
        assert partly[key] == ((str(observed), str(visited)) if observed < visited else ("", ""))
        assert areas[key] == want["concern_areas"][key], key
        prefix = "closing " if key[0] == "closing" else ""
        assert f"[{prefix}clear {key[1]}]" not in text
    labels = dict(Incident.Category.choices)
    for (category, severity), (count, stations) in want["incidents"].items():
        label = str(labels[category]).lower()
        assert re.search(
            rf"{count} incidents? of this kind \({re.escape(label)}, {severity}\) (?:was|were) "
            rf"reported at {stations} polling stations?\.",
            text,
        ), (category, severity, text)
    if not want["incidents"]:
        assert "The observers reported no incidents." in text
    else:
        assert "no incidents" not in text


@settings(
    # `make mutate` runs fewer per mutant (STATEMENT_FIGURE_EXAMPLES).
    max_examples=int(os.environ.get("STATEMENT_FIGURE_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # `make mutate` only needs to know that an example fails, not the smallest one.
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    if os.environ.get("STATEMENT_FIGURE_NO_SHRINK")
    else list(Phase),
)
@given(
    visits=st.lists(visit_st, max_size=7),
    assessment=st.sampled_from(["no_violations", "minor", "serious"]),
    allow_awaiting=st.booleans(),
)
def test_every_printed_figure_matches_one_derived_from_the_visits(
    place, visits, assessment, allow_awaiting
):
    with transaction.atomic():
        ids = file_all(place, visits)
        final = expected(visits, include_awaiting=False, ids=ids)
        check_findings(findings_compute(mission=place.mission), final)
        check_figures(text_of(place, "final", assessment), final, assessment, full=True)
        check_figures(text_of(place, "briefing", assessment), final, assessment, full=False)
        briefing = text_of(place, "briefing", assessment)
        if final["stations"]:
            assert f"The Mission visited {final['stations']} polling station" in briefing

        preliminary = expected(visits, include_awaiting=allow_awaiting, ids=ids)
        check_findings(
            findings_compute(mission=place.mission, include_awaiting_review=allow_awaiting),
            preliminary,
        )
        text = text_of(place, "preliminary", assessment, include_awaiting=allow_awaiting)
        check_figures(text, preliminary, assessment, full=True)
        note = re.findall(r"also counts (\d+) observation reports? that", text)
        if preliminary["awaiting_counted"]:
            assert [int(n) for n in note] == [preliminary["awaiting_counted"]]
        else:
            assert note == []
        transaction.set_rollback(True)
