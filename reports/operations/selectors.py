"""Reads behind the operations room: coverage, the review queue, the feed, teams, charts, map.

Each selector is one query (or a fixed few), whatever the size of the mission, so the dashboard
and its feed cost the same number of queries on a test mission and on a national one.
"""

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.db.models.functions import ExtractHour, Length
from django.utils import timezone

from missions.models import Mission, Phase
from observers.models import Team
from reports.models import Answer, Incident, Question, Severity, Visit
from stations.models import PATH_SEPARATOR, Assignment, PollingStation

# Worst first: the order a station's status and the feed's flags are ranked in.
SEVERITY_RANK = {Severity.CRITICAL: 3, Severity.SERIOUS: 2, Severity.MINOR: 1}
FEED_SEVERITIES = (Severity.CRITICAL, Severity.SERIOUS)


def mission_zone(mission: Mission) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(mission.time_zone)


def station_natural_order() -> list:
    """Order polling stations by number as people count: 58, 64, 101, 502 — not 101, 502, 58."""
    return [Length("number"), "number"]


# ---- Coverage ----


@dataclass
class Coverage:
    """Assigned stations and how many of them have been visited, for one area or phase."""

    label: str
    assigned: int = 0
    visited: int = 0

    @property
    def not_visited(self) -> int:
        return self.assigned - self.visited

    @property
    def percent(self) -> int:
        return round(100 * self.visited / self.assigned) if self.assigned else 0


def _assignment_pairs(mission: Mission):
    """Each assigned (station, phase) once, with whether a visit of that phase reached it."""
    visited = Visit.objects.filter(
        mission=mission, station=OuterRef("station"), checklist__phase=OuterRef("phase")
    )
    return (
        Assignment.objects.filter(team__mission=mission)
        .values("station", "phase", "station__area__path")
        .annotate(visited=Exists(visited))
        .order_by()
        .distinct()
    )


def coverage_compute(mission: Mission) -> tuple[list[Coverage], list[Coverage]]:
    """Return coverage by phase and by top-level area, counting each assigned station once.

    A station assigned for a phase counts as visited when any visit of that phase reached it.
    """
    phase_labels = dict(Phase.choices)
    phases: dict[str, Coverage] = {}
    areas: dict[str, Coverage] = {}
    # Stations by area: a station assigned for two phases counts once per area, visited when
    # every phase it was assigned for was visited.
    station_area: dict[int, str] = {}
    station_done: dict[int, bool] = {}
    for row in _assignment_pairs(mission):
        phase = phases.setdefault(row["phase"], Coverage(str(phase_labels.get(row["phase"], ""))))
        phase.assigned += 1
        phase.visited += row["visited"]
        path = row["station__area__path"] or ""
        station_area[row["station"]] = path
        station_done[row["station"]] = station_done.get(row["station"], True) and row["visited"]
    for station, path in station_area.items():
        area = areas.setdefault(path or "—", Coverage(path or "—"))
        area.assigned += 1
        area.visited += station_done[station]
    phase_order = list(phase_labels)
    by_phase = sorted(phases.items(), key=lambda item: phase_order.index(item[0]))
    return [c for _k, c in by_phase], [areas[k] for k in sorted(areas)]


@dataclass
class Overdue:
    station: PollingStation
    team: str
    phase: str
    due: dt.datetime


def overdue_assignments(mission: Mission, *, now: dt.datetime, limit: int = 50) -> list[Overdue]:
    """Assigned stations with no visit of their phase though their planned time has passed.

    An assignment's planned time is its planned arrival when one is set, else the end of its
    day in the mission's time zone. The oldest come first.
    """
    zone = mission_zone(mission)
    local_now = timezone.localtime(now, zone)
    visited = Visit.objects.filter(
        mission=mission, station=OuterRef("station"), checklist__phase=OuterRef("phase")
    )
    rows = (
        Assignment.objects.filter(team__mission=mission, date__lte=local_now.date())
        .exclude(Exists(visited))
        .select_related("station__area", "team")
        .order_by("date", "planned_time", "team__name", "station__number")
    )
    result = []
    phase_labels = dict(Phase.choices)
    for assignment in rows[: limit * 2]:
        planned = assignment.planned_time or dt.time(23, 59, 59)
        due = dt.datetime.combine(assignment.date, planned, tzinfo=zone)
        if due <= local_now:
            result.append(
                Overdue(
                    station=assignment.station,
                    team=assignment.team.name,
                    phase=str(phase_labels.get(assignment.phase, assignment.phase)),
                    due=due,
                )
            )
        if len(result) == limit:
            break
    return result


# ---- Review queue ----


@dataclass
class ReviewQueue:
    awaiting: int
    sent_back: int
    oldest: list[Visit]


def review_queue(mission: Mission, *, limit: int = 10) -> ReviewQueue:
    counts = Visit.objects.filter(mission=mission).aggregate(
        awaiting=Count("pk", filter=Q(review=Visit.Review.SUBMITTED)),
        sent_back=Count("pk", filter=Q(review=Visit.Review.RETURNED)),
    )
    oldest = list(
        Visit.objects.filter(mission=mission, review=Visit.Review.SUBMITTED)
        .select_related("station", "checklist", "filed_by__observer")
        .order_by("created_at", "pk")[:limit]
    )
    return ReviewQueue(counts["awaiting"], counts["sent_back"], oldest)


# ---- The feed ----


@dataclass
class FeedItem:
    """One serious or critical concern or incident, as the operations room reads it."""

    visit: Visit
    severity: str
    kind: str  # "concern" or "incident"
    text: str
    detail: str
    sort_key: tuple = field(repr=False, default=())

    @property
    def is_critical(self) -> bool:
        return self.severity == Severity.CRITICAL


def feed_items(mission: Mission, *, limit: int = 30) -> list[FeedItem]:
    """Return the newest serious and critical concerns and incidents, newest filed first."""
    answers = (
        Answer.objects.filter(
            visit__mission=mission, is_concern=True, question__severity__in=FEED_SEVERITIES
        )
        .select_related("visit__station__area", "question")
        .order_by("-visit__created_at", "-visit_id", "pk")[:limit]
    )
    incidents = (
        Incident.objects.filter(visit__mission=mission, severity__in=FEED_SEVERITIES)
        .select_related("visit__station__area")
        .order_by("-visit__created_at", "-visit_id", "pk")[:limit]
    )
    items = [
        FeedItem(
            visit=answer.visit,
            severity=answer.question.severity,
            kind="concern",
            text=answer.question.text,
            detail=answer.display_value,
            sort_key=(answer.visit.created_at, answer.visit_id, 0, -answer.pk),
        )
        for answer in answers
    ] + [
        FeedItem(
            visit=incident.visit,
            severity=incident.severity,
            kind="incident",
            text=incident.get_category_display(),
            detail=incident.description,
            sort_key=(incident.visit.created_at, incident.visit_id, 1, -incident.pk),
        )
        for incident in incidents
    ]
    items.sort(key=lambda item: item.sort_key, reverse=True)
    return items[:limit]


# ---- Teams ----


@dataclass
class TeamActivity:
    name: str
    members: int
    last_filed: dt.datetime | None
    is_silent: bool


def team_activity(mission: Mission, *, now: dt.datetime, silent_after: dt.timedelta):
    """Each team's last filed visit (by any member), silent ones first."""
    teams = (
        Team.objects.filter(mission=mission)
        .annotate(
            last_filed=Max("members__visits_filed__created_at"),
            member_total=Count("members", distinct=True),
        )
        .order_by("name")
    )
    result = [
        TeamActivity(
            name=team.name,
            members=team.member_total,
            last_filed=team.last_filed,
            is_silent=team.last_filed is None or now - team.last_filed > silent_after,
        )
        for team in teams
    ]
    result.sort(
        key=lambda t: (not t.is_silent, t.last_filed or dt.datetime.min.replace(tzinfo=dt.UTC))
    )
    return result


# ---- Charts ----


def visits_per_hour(mission: Mission, day: dt.date) -> list[int]:
    """Visits by the hour of arrival on the day, in the mission's time zone: 24 counts."""
    zone = mission_zone(mission)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    rows = (
        Visit.objects.filter(
            mission=mission, arrived_at__gte=start, arrived_at__lt=start + dt.timedelta(days=1)
        )
        .annotate(hour=ExtractHour("arrived_at", tzinfo=zone))
        .values("hour")
        .annotate(total=Count("pk"))
        .order_by()
    )
    counts = [0] * 24
    for row in rows:
        counts[row["hour"]] += row["total"]
    return counts


@dataclass
class QuestionShare:
    """For one question: per area, stations that answered it and those with a concern."""

    code: str
    text: str
    areas: dict[str, tuple[int, int]]  # area → (stations with a concern, stations answering)


def concern_share_by_area(mission: Mission) -> tuple[list[str], list[QuestionShare]]:
    """For each question that can signal a concern, the share of stations with one, by region.

    Questions of the same code in successive checklist versions count together; a station
    counts once per question and area.
    """
    concern_capable = Question.objects.filter(checklist__mission=mission).filter(
        ~Q(concern_answers=[]) | Q(concern_above__isnull=False)
    )
    rows = (
        Answer.objects.filter(visit__mission=mission, question__in=concern_capable)
        .values("question__checklist__code", "question__code", "visit__station__area__path")
        .annotate(
            stations=Count("visit__station", distinct=True),
            concerns=Count("visit__station", filter=Q(is_concern=True), distinct=True),
        )
        .order_by()
    )
    texts = dict(
        concern_capable.order_by("checklist__code", "code", "checklist__version").values_list(
            "code", "text"
        )
    )
    questions: dict[tuple[str, str], dict[str, list[int]]] = {}
    regions: set[str] = set()
    for row in rows:
        path = row["visit__station__area__path"] or "—"
        region = path.split(PATH_SEPARATOR)[0]
        regions.add(region)
        key = (row["question__checklist__code"], row["question__code"])
        share = questions.setdefault(key, {}).setdefault(region, [0, 0])
        # A station is in one area, so the leaf areas' distinct counts add up per region.
        share[0] += row["concerns"]
        share[1] += row["stations"]
    result = [
        QuestionShare(
            code=f"{checklist}: {code}",
            text=texts.get(code, code),
            areas={region: (c, s) for region, (c, s) in shares.items()},
        )
        for (checklist, code), shares in sorted(questions.items())
        if any(c for c, _s in shares.values())
    ]
    return sorted(regions), result


# ---- The map ----

STATION_STATUSES = ("not_visited", "clear", "minor", "serious", "critical")


def station_status_map(mission: Mission) -> dict[int, str]:
    """Each visited station's status: clear, or the severity of its worst concern or incident."""
    worst: dict[int, int] = {}
    concern_rows = (
        Answer.objects.filter(visit__mission=mission, is_concern=True)
        .values_list("visit__station", "question__severity")
        .order_by()
        .distinct()
    )
    incident_rows = (
        Incident.objects.filter(visit__mission=mission)
        .values_list("visit__station", "severity")
        .order_by()
        .distinct()
    )
    for rows in (concern_rows, incident_rows):
        for station, severity in rows:
            worst[station] = max(worst.get(station, 0), SEVERITY_RANK.get(severity, 1))
    visited = (
        Visit.objects.filter(mission=mission)
        .values_list("station", flat=True)
        .order_by()
        .distinct()
    )
    return {station: STATION_STATUSES[1 + worst.get(station, 0)] for station in visited}


def station_statuses(mission: Mission) -> Iterable[dict]:
    """Each station with coordinates and its status: not visited, clear, or its worst concern."""
    statuses = station_status_map(mission)
    stations = PollingStation.objects.filter(
        election__mission=mission, latitude__isnull=False
    ).values_list("pk", "number", "name", "latitude", "longitude")
    for pk, number, name, latitude, longitude in stations.order_by():
        yield {
            "number": number,
            "name": name,
            "lat": float(latitude),
            "lon": float(longitude),
            "status": statuses.get(pk, "not_visited"),
        }
