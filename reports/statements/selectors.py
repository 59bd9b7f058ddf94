"""What a statement prints besides its findings, read in one place.

`statement_inputs` reads the mission's records once (a fixed number of queries, whatever the
mission's size); the composer then works on what it holds and asks the database nothing, so a
statement is a function of its inputs and its findings. Translated names and texts keep every
language's column, so one read serves the statement in each language.
"""

import datetime
import json
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import translation

from missions.models import (
    Candidate,
    Mission,
    MissionActivity,
    Office,
    Party,
    Phase,
    ReferendumQuestion,
)
from observers.models import Participation
from reports.models import (
    Answer,
    Checklist,
    Incident,
    Question,
    Statement,
    StatementEvidence,
    StatementText,
    Visit,
)
from stations.models import PollingStation


@dataclass(frozen=True)
class StatementInputs:
    mission: Mission  # with its election
    texts: list[StatementText]  # the sections its coordinators wrote
    members: list[Participation]  # accredited, in the order the statement lists them
    activities: list[MissionActivity]  # by date, with the stations each one visited
    # Pre-election visits by station number, each with its local day.
    pre_election_visits: dict[str, list[tuple[int, datetime.date]]]
    candidates: list[Candidate]
    parties: list[Party]  # with their candidates
    questions: list[ReferendumQuestion]  # with their options
    offices: list[Office]


def statement_inputs(*, mission: Mission) -> StatementInputs:
    """Read everything a statement of the mission prints besides its findings."""
    mission = Mission.objects.select_related("election").get(pk=mission.pk)
    election = mission.election
    zone = zoneinfo.ZoneInfo(mission.time_zone)
    pre_election: dict[str, list[tuple[int, datetime.date]]] = {}
    for number, pk, arrived_at in Visit.objects.filter(
        mission=mission, checklist__phase=Phase.PRE_ELECTION
    ).values_list("station__number", "id", "arrived_at"):
        pre_election.setdefault(number, []).append((pk, arrived_at.astimezone(zone).date()))
    return StatementInputs(
        mission=mission,
        texts=list(StatementText.objects.filter(mission=mission)),
        members=list(
            Participation.objects.filter(
                mission=mission, accreditation=Participation.Accreditation.ACCREDITED
            )
            .select_related("observer", "delegation")
            .order_by("delegation__position", "delegation__name", "position", "pk")
        ),
        activities=list(
            MissionActivity.objects.filter(mission=mission)
            .prefetch_related("station_visits__station")
            .order_by("date", "pk")
        ),
        pre_election_visits=pre_election,
        candidates=list(Candidate.objects.filter(election=election).order_by("ballot_position")),
        parties=list(
            Party.objects.filter(election=election)
            .prefetch_related("candidates")
            .order_by("ballot_position")
        ),
        questions=list(
            ReferendumQuestion.objects.filter(election=election)
            .prefetch_related("options")
            .order_by("position")
        ),
        offices=list(Office.objects.filter(election=election).order_by("position")),
    )


# Ids read per query when keeping a version's evidence: a big mission's statement cites
# tens of thousands of visits.
EVIDENCE_CHUNK = 5000


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), EVIDENCE_CHUNK):
        yield ordered[start : start + EVIDENCE_CHUNK]


def statement_evidence_kept(
    *, statement: Statement, paragraphs: Iterable, counted: Iterable[int]
) -> list[StatementEvidence]:
    """The evidence a version cites, as it is now, to keep with the version (unsaved).

    One record a visit any paragraph cites (or whose answers or incidents it cites): where
    and when, the checklist, the observers, the review state, and the cited answers (with
    their questions' text and their values as the statement's language shows them) and
    incidents. The number of queries grows with the cited ids by chunks, not one a visit.
    """
    mission, language = statement.mission, statement.language
    visit_ids: set[int] = set()
    answer_ids: set[int] = set()
    incident_ids: set[int] = set()
    for paragraph in paragraphs:
        evidence = paragraph.evidence or {}
        visit_ids.update(evidence.get("visits", []))
        answer_ids.update(evidence.get("answers", []))
        incident_ids.update(evidence.get("incidents", []))

    found = []
    for chunk in _chunks(answer_ids):
        found += Answer.objects.filter(visit__mission=mission, pk__in=chunk).values_list(
            "pk", "visit_id", "question_id", "value"
        )
    questions = Question.objects.select_related("section").in_bulk({row[2] for row in found})
    found.sort(
        key=lambda row: (
            questions[row[2]].section.position,
            questions[row[2]].position,
            row[0],
        )
    )
    answers_of: dict[int, list[dict]] = defaultdict(list)
    # Many answers share a question and a value ("No"): each is worded once.
    shown: dict[tuple[int, str], str] = {}
    with translation.override(language):
        texts = {pk: question.text for pk, question in questions.items()}
        for pk, visit, question, value in found:
            key = (question, json.dumps(value, sort_keys=True))
            if key not in shown:
                shown[key] = Answer(question=questions[question], value=value).display_value
            answers_of[visit].append(
                {"id": pk, "question": texts[question], "value": value, "shown": shown[key]}
            )
    incidents_of: dict[int, list[dict]] = defaultdict(list)
    for chunk in _chunks(incident_ids):
        for incident in (
            Incident.objects.filter(visit__mission=mission, pk__in=chunk)
            .order_by("pk")
            .values("pk", "visit_id", "category", "severity", "complaint_filed", "description")
        ):
            incidents_of[incident["visit_id"]].append(
                {
                    "id": incident["pk"],
                    "category": incident["category"],
                    "severity": incident["severity"],
                    "complaint": incident["complaint_filed"],
                    "description": incident["description"],
                }
            )
    visit_ids |= set(answers_of) | set(incidents_of)

    rows = []
    for chunk in _chunks(visit_ids):
        rows += Visit.objects.filter(mission=mission, pk__in=chunk).values_list(
            "pk",
            "station_id",
            "checklist_id",
            "arrived_at",
            "departed_at",
            "review",
            "filed_by__observer__full_name",
        )
    names_of: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(visit_ids):
        for visit, name in (
            Visit.observers.through.objects.filter(visit_id__in=chunk)
            .order_by("visit_id", "participation__position", "pk")
            .values_list("visit_id", "participation__observer__full_name")
        ):
            names_of[visit].append(name)
    with translation.override(language):
        stations = {
            station.pk: (str(station), str(station.area) if station.area else "")
            for station in PollingStation.objects.filter(
                pk__in={row[1] for row in rows}
            ).select_related("area")
        }
        checklists = {
            checklist.pk: str(checklist)
            for checklist in Checklist.objects.filter(pk__in={row[2] for row in rows})
        }
    counted = set(counted)
    return [
        StatementEvidence(
            statement=statement,
            visit_ref=visit,
            station=stations[station][0],
            area=stations[station][1],
            checklist=checklists[checklist],
            arrived_at=arrived_at,
            departed_at=departed_at,
            review=review,
            observers=", ".join(names_of.get(visit) or [filer]),
            # With no visit counted at all there is nothing to tell apart.
            counted=not counted or visit in counted,
            answers=answers_of.get(visit, []),
            incidents=incidents_of.get(visit, []),
        )
        for visit, station, checklist, arrived_at, departed_at, review, filer in rows
    ]
