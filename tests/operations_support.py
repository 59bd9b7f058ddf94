"""Building blocks for the operations room's tests: teams, assignments and filed visits."""

import datetime
import uuid

from observers.models import Team
from reports.models import Checklist, Severity
from reports.services import IncidentData, VisitData, visit_submit
from stations.models import Assignment
from tests.factories import AreaFactory, ParticipationFactory, PollingStationFactory
from tests.visits_support import election_day, make_checklist


def answers_for(checklist: Checklist, **values) -> dict[int, object]:
    """Clear answers to every question of the small checklist, with `values` by code."""
    clear = {
        "info_materials": "yes",
        "evacuation_plan": "yes",
        "box_sealed": "yes",
        "atmosphere": "calm",
        "problems": [],
        "waiting": 3,
        "opened_at": "08:00",
        "remarks": "",
    }
    clear.update(values)
    return {q.pk: clear[q.code] for q in checklist.questions.all()}


def file_visit(
    participation,
    station,
    checklist,
    *,
    user,
    arrived_at: datetime.datetime,
    notes: str = "",
    incidents: tuple[IncidentData, ...] = (),
    **values,
):
    visit, _created = visit_submit(
        participation=participation,
        key=uuid.uuid4(),
        data=VisitData(
            station=station,
            checklist=checklist,
            arrived_at=arrived_at,
            notes=notes,
            answers=answers_for(checklist, **values),
            incidents=list(incidents),
        ),
        user=user,
    )
    return visit


def build_operations(mission, *, size: int, observer_user) -> dict:
    """A mission with `size` teams, each assigned two stations, and `size` filed visits.

    Every third visit has a critical concern, every fifth a serious incident; half the
    assigned stations stay unvisited.
    """
    checklist = make_checklist(mission)
    region = AreaFactory(election=mission.election, name=f"Region {size}")
    district = AreaFactory(election=mission.election, parent=region, name=f"District {size}")
    stations, teams = [], []
    for index in range(size):
        participation = ParticipationFactory(mission=mission, accredited=True)
        team = Team.objects.create(mission=mission, name=f"Team {size}-{index}")
        team.members.add(participation)
        pair = [
            PollingStationFactory(
                election=mission.election,
                area=district if n == 0 else region,
                latitude="51.150000",
                longitude="71.470000",
            )
            for n in range(2)
        ]
        for station in pair:
            Assignment.objects.create(
                team=team, station=station, date=mission.ends_on, phase="voting"
            )
        stations += pair
        teams.append((team, participation, pair))
    for index, (_team, participation, pair) in enumerate(teams):
        incidents = ()
        if index % 5 == 0:
            incidents = (
                IncidentData(
                    category="ballot_box",
                    severity=Severity.SERIOUS,
                    description=f"Box moved at visit {index}",
                ),
            )
        file_visit(
            participation,
            pair[0],
            checklist,
            user=observer_user,
            arrived_at=election_day(mission, 8 + index % 10, index % 60),
            incidents=incidents,
            box_sealed="no" if index % 3 == 0 else "yes",
            notes=f"Visit {index}",
        )
    return {"checklist": checklist, "stations": stations, "teams": teams}
