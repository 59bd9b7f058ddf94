"""What a statement prints besides its findings, read in one place.

`statement_inputs` reads the mission's records once (a fixed number of queries, whatever the
mission's size); the composer then works on what it holds and asks the database nothing, so a
statement is a function of its inputs and its findings. Translated names and texts keep every
language's column, so one read serves the statement in each language.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

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
from reports.models import StatementText, Visit


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
