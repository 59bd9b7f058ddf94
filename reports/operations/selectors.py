"""Reads behind the operations room: coverage, the review queue, the feed, teams, charts, map.

Each selector is one query (or a fixed few), whatever the size of the mission, so the dashboard
and its feed cost the same number of queries on a test mission and on a national one.
"""

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from missions.models import Mission, Phase
from observers.models import Team
from reports.models import Answer, Checklist, Incident, Question, Severity, Visit
from stations.models import PATH_SEPARATOR, Assignment, PollingStation

# Worst first: the order a station's status and the feed's flags are ranked in.
SEVERITY_RANK = {Severity.CRITICAL: 3, Severity.SERIOUS: 2, Severity.MINOR: 1}
FEED_SEVERITIES = (Severity.CRITICAL, Severity.SERIOUS)


def mission_zone(mission: Mission) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(mission.time_zone)


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


def _visited_pairs(mission: Mission) -> set[tuple[int, str]]:
    """Each (station, phase) with at least one visit, read from an index of visits alone."""
    phases = dict(Checklist.objects.filter(mission=mission).values_list("pk", "phase"))
    pairs = (
        Visit.objects.filter(mission=mission)
        .values_list("station", "checklist")
        .order_by()
        .distinct()
    )
    return {(station, phases[checklist]) for station, checklist in pairs}


def coverage_compute(mission: Mission) -> tuple[list[Coverage], list[Coverage]]:
    """Return coverage by phase and by area, counting each assigned station once.

    A station assigned for a phase counts as visited when any visit of that phase reached it;
    in its area, when every phase it was assigned for was visited.
    """
    phase_labels = dict(Phase.choices)
    visited = _visited_pairs(mission)
    phases: dict[str, Coverage] = {}
    station_area: dict[int, str] = {}
    station_done: dict[int, bool] = {}
    assigned = (
        Assignment.objects.filter(team__mission=mission)
        .values_list("station", "phase", "station__area__path")
        .order_by()
        .distinct()
    )
    for station, phase, path in assigned:
        was_visited = (station, phase) in visited
        coverage = phases.setdefault(phase, Coverage(str(phase_labels.get(phase, phase))))
        coverage.assigned += 1
        coverage.visited += was_visited
        station_area[station] = path or "—"
        station_done[station] = station_done.get(station, True) and was_visited
    areas: dict[str, Coverage] = {}
    for station, path in station_area.items():
        area = areas.setdefault(path, Coverage(path))
        area.assigned += 1
        area.visited += station_done[station]
    phase_order = list(phase_labels)
    by_phase = sorted(phases.items(), key=lambda item: phase_order.index(item[0]))
    return [c for _k, c in by_phase], [areas[k] for k in sorted(areas)]


@dataclass
class Overdue:
    """An assigned station past its planned time without a visit of its phase."""

    station: PollingStation
    team: str
    phase: str
    due: dt.datetime


def overdue_assignments(mission: Mission, *, now: dt.datetime, limit: int = 20) -> list[Overdue]:
    """Assigned stations with no visit of their phase though their planned time has passed.

    An assignment's planned time is its planned arrival when one is set, else the end of its
    day in the mission's time zone. The longest overdue come first.
    """
    zone = mission_zone(mission)
    local_now = timezone.localtime(now, zone)
    visited = Visit.objects.filter(
        mission=mission, station=OuterRef("station"), checklist__phase=OuterRef("phase")
    )
    due = Q(date__lt=local_now.date()) | Q(
        date=local_now.date(), planned_time__lte=local_now.time()
    )
    rows = (
        Assignment.objects.filter(due, team__mission=mission)
        .exclude(Exists(visited))
        .select_related("station__area", "team")
        .order_by("date", F("planned_time").asc(nulls_last=True), "team__name", "station_id")
    )
    phase_labels = dict(Phase.choices)
    return [
        Overdue(
            station=assignment.station,
            team=assignment.team.name,
            phase=str(phase_labels.get(assignment.phase, assignment.phase)),
            due=dt.datetime.combine(
                assignment.date, assignment.planned_time or dt.time(23, 59, 59), tzinfo=zone
            ),
        )
        for assignment in rows[:limit]
    ]


# ---- Review queue ----


@dataclass
class ReviewQueue:
    awaiting: int
    sent_back: int
    oldest: list[Visit]


def review_queue(mission: Mission, *, limit: int = 10) -> ReviewQueue:
    counts = dict(
        Visit.objects.filter(
            mission=mission, review__in=(Visit.Review.SUBMITTED, Visit.Review.RETURNED)
        )
        .values_list("review")
        .annotate(total=Count("pk"))
        .order_by()
    )
    oldest = list(
        Visit.objects.filter(mission=mission, review=Visit.Review.SUBMITTED)
        .select_related("station", "checklist", "filed_by__observer")
        .order_by("created_at", "pk")[:limit]
    )
    return ReviewQueue(
        counts.get(Visit.Review.SUBMITTED, 0), counts.get(Visit.Review.RETURNED, 0), oldest
    )


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


@dataclass
class Teams:
    """The teams silent longest first (a page of them), and how many are silent in all."""

    shown: list[TeamActivity]
    total: int
    silent: int


def team_activity(
    mission: Mission, *, now: dt.datetime, silent_after: dt.timedelta, limit: int = 25
) -> Teams:
    """Each team's last filed visit (by any member): the silent ones first, longest first."""
    # The newest visit of each team, found by walking each member's visits newest first
    # (an index), not by aggregating every visit of the mission.
    newest = (
        Visit.objects.filter(filed_by__teams=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    members = (
        Team.members.through.objects.filter(team=OuterRef("pk"))
        .order_by()
        .values("team")
        .annotate(total=Count("pk"))
        .values("total")
    )
    teams = (
        Team.objects.filter(mission=mission)
        .annotate(last_filed=Subquery(newest), member_total=Coalesce(Subquery(members), 0))
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
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    result.sort(key=lambda t: (not t.is_silent, t.last_filed or never, t.name))
    return Teams(shown=result[:limit], total=len(result), silent=sum(t.is_silent for t in result))


# ---- Charts ----


def visits_per_hour(mission: Mission, day: dt.date) -> list[int]:
    """Visits by the hour of arrival on the day, in the mission's time zone: 24 counts.

    Counted by ranges of the arrival time (an index), not by converting every visit's time.
    """
    zone = mission_zone(mission)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    hours = [start + dt.timedelta(hours=h) for h in range(25)]
    counts = Visit.objects.filter(
        mission=mission, arrived_at__gte=hours[0], arrived_at__lt=hours[24]
    ).aggregate(
        **{
            f"h{h}": Count("pk", filter=Q(arrived_at__gte=hours[h], arrived_at__lt=hours[h + 1]))
            for h in range(24)
        }
    )
    return [counts[f"h{h}"] for h in range(24)]


@dataclass
class QuestionShare:
    """For one question: per area, stations that answered it and those with a concern."""

    code: str
    text: str
    areas: dict[str, tuple[int, int]]  # area → (stations with a concern, stations answering)


def concern_share_by_area(mission: Mission) -> tuple[list[str], list[QuestionShare]]:
    """For each question that can signal a concern, the share of visited stations with one,
    by region (the top of the area tree).

    The share is of the stations visited with the question's checklist (questions of one code
    in successive versions count together); each station counts once per question and area.
    The concerns are read from the concern answers only, not from every answer.
    """
    concern_capable = Question.objects.filter(checklist__mission=mission).filter(
        ~Q(concern_answers=[]) | Q(concern_above__isnull=False)
    )
    concerns = (
        Answer.objects.filter(visit__mission=mission, is_concern=True)
        .values_list("question__checklist__code", "question__code", "visit__station__area__path")
        .annotate(stations=Count("visit__station", distinct=True))
        .order_by()
    )
    visited = (
        Visit.objects.filter(mission=mission)
        .values_list("checklist__code", "station__area__path")
        .annotate(stations=Count("station", distinct=True))
        .order_by()
    )
    questions = list(
        concern_capable.order_by("checklist__code", "code", "-checklist__version").values_list(
            "checklist__code", "code", "text"
        )
    )

    def region_of(path: str | None) -> str:
        return (path or "—").split(PATH_SEPARATOR)[0]

    # A station is in one area, so the leaf areas' distinct counts add up per region.
    stations: dict[tuple[str, str], int] = defaultdict(int)
    for checklist, path, total in visited:
        stations[checklist, region_of(path)] += total
    with_concern: dict[tuple[str, str, str], int] = defaultdict(int)
    for checklist, code, path, total in concerns:
        with_concern[checklist, code, region_of(path)] += total
    regions = sorted({region for _checklist, region in stations})
    result = []
    seen = set()
    for checklist, code, text in questions:
        if (checklist, code) in seen:
            continue
        seen.add((checklist, code))
        areas = {
            region: (with_concern[checklist, code, region], stations[checklist, region])
            for region in regions
            if stations.get((checklist, region))
        }
        if any(concern for concern, _total in areas.values()):
            result.append(QuestionShare(code=f"{checklist}: {code}", text=text, areas=areas))
    return regions, result


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
