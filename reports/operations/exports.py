"""A mission's visits, answers, incidents and coverage as CSV or XLSX for its analysts.

Each export is a table: a header row, then rows read from the database in chunks of a fixed
size (keyset pagination on the primary key), so memory stays the same for 100 visits and for
100,000. CSV streams to the client as it is written; XLSX is written row by row by openpyxl's
write-only workbook into a temporary file on disk, then sent.

A text cell that a spreadsheet would read as a formula (it starts with =, +, -, @, a tab or a
carriage return) is written with a leading apostrophe, so a visit's notes cannot run a formula
on the analyst's computer.
"""

import csv
import datetime as dt
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from missions.models import Mission, Phase
from reports.models import Answer, Incident, Question, Visit
from reports.operations.selectors import mission_zone, station_status_map
from stations.models import Assignment, PollingStation

CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value):
    """Neutralise text a spreadsheet would run as a formula; leave other values as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _chunks(queryset: QuerySet, size: int = CHUNK) -> Iterator[list]:
    """The queryset's rows in primary-key order, a chunk at a time (objects, or dicts that
    carry their "pk")."""
    last = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last).order_by("pk")[:size])
        if not chunk:
            return
        yield chunk
        tail = chunk[-1]
        last = tail["pk"] if isinstance(tail, dict) else tail.pk


def _local(moment: dt.datetime | None, zone) -> dt.datetime | None:
    """A moment as the mission's clocks showed it, without the zone (spreadsheets have none)."""
    if moment is None:
        return None
    return timezone.localtime(moment, zone).replace(tzinfo=None, microsecond=0)


def _answer_value(value) -> str | int | float | None:
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if isinstance(value, bool):
        return str(value)
    return value


PHASES = dict(Phase.choices)


def visits_wide(mission: Mission) -> Iterator[list]:
    """One row per visit, one column per question (the same code across versions shares one)."""
    zone = mission_zone(mission)
    questions = list(
        Question.objects.filter(checklist__mission=mission)
        .order_by("checklist__code", "section__position", "position", "checklist__version")
        .values_list("pk", "checklist__code", "code")
    )
    columns = list(dict.fromkeys((checklist, code) for _pk, checklist, code in questions))
    # Each question's column, by its id: versions of a question share one.
    position = {key: i for i, key in enumerate(columns)}
    index = {pk: position[checklist, code] for pk, checklist, code in questions}
    yield [
        str(_("visit")),
        str(_("arrived")),
        str(_("departed")),
        str(_("polling station")),
        str(_("station name")),
        str(_("area")),
        str(_("phase")),
        str(_("checklist")),
        str(_("version")),
        str(_("filed by")),
        str(_("voters on the list")),
        str(_("ballots issued so far")),
        str(_("has concerns")),
        str(_("incidents")),
        str(_("review")),
        str(_("notes")),
        *(f"{checklist}.{code}" for checklist, code in columns),
    ]
    # Plain rows, not model objects: a hundred thousand visits with three related objects
    # each would spend most of the export building objects.
    visits = Visit.objects.filter(mission=mission).values(
        "pk",
        "arrived_at",
        "departed_at",
        "station__number",
        "station__name",
        "station__area__path",
        "checklist__phase",
        "checklist__code",
        "checklist__version",
        "filed_by__observer__full_name",
        "voters_on_list",
        "ballots_issued",
        "has_concerns",
        "review",
        "notes",
    )
    reviews = dict(Visit.Review.choices)
    for chunk in _chunks(visits):
        ids = [visit["pk"] for visit in chunk]
        # Counted per chunk: an aggregate on the chunk's query would group every later visit
        # before taking the chunk.
        incident_totals = dict(
            Incident.objects.filter(visit__in=ids)
            .values_list("visit")
            .annotate(total=Count("pk"))
            .order_by()
        )
        answers = defaultdict(dict)
        rows = Answer.objects.filter(visit__in=ids).values_list("visit_id", "question_id", "value")
        for visit_id, question_id, value in rows:
            answers[visit_id][index[question_id]] = _answer_value(value)
        for visit in chunk:
            by_column = answers[visit["pk"]]
            phase = visit["checklist__phase"]
            yield [
                visit["pk"],
                _local(visit["arrived_at"], zone),
                _local(visit["departed_at"], zone),
                visit["station__number"],
                visit["station__name"],
                visit["station__area__path"] or "",
                str(PHASES.get(phase, phase)),
                visit["checklist__code"],
                visit["checklist__version"],
                visit["filed_by__observer__full_name"],
                visit["voters_on_list"],
                visit["ballots_issued"],
                visit["has_concerns"],
                incident_totals.get(visit["pk"], 0),
                str(reviews.get(visit["review"], visit["review"])),
                visit["notes"],
                *(by_column.get(i) for i in range(len(columns))),
            ]


def answers_long(mission: Mission) -> Iterator[list]:
    """One row per answer."""
    yield [
        str(_("visit")),
        str(_("polling station")),
        str(_("area")),
        str(_("phase")),
        str(_("checklist")),
        str(_("version")),
        str(_("question")),
        str(_("question text")),
        str(_("answer")),
        str(_("concern")),
        str(_("severity of a concern")),
    ]
    questions = {
        question.pk: question
        for question in Question.objects.filter(checklist__mission=mission).select_related(
            "checklist"
        )
    }
    # Plain rows: two million answers would otherwise be two million model objects each.
    answers = Answer.objects.filter(visit__mission=mission).values(
        "pk",
        "visit_id",
        "question_id",
        "value",
        "is_concern",
        "visit__station__number",
        "visit__station__area__path",
    )
    for chunk in _chunks(answers, size=CHUNK * 5):
        for answer in chunk:
            question = questions[answer["question_id"]]
            phase = question.checklist.phase
            yield [
                answer["visit_id"],
                answer["visit__station__number"],
                answer["visit__station__area__path"] or "",
                str(PHASES.get(phase, phase)),
                question.checklist.code,
                question.checklist.version,
                question.code,
                question.text,
                _answer_value(answer["value"]),
                answer["is_concern"],
                question.get_severity_display() if answer["is_concern"] else "",
            ]


def incidents(mission: Mission) -> Iterator[list]:
    """One row per incident, with whether a complaint was filed."""
    zone = mission_zone(mission)
    yield [
        str(_("incident")),
        str(_("visit")),
        str(_("arrived")),
        str(_("polling station")),
        str(_("station name")),
        str(_("area")),
        str(_("category")),
        str(_("severity")),
        str(_("description")),
        str(_("a complaint was filed")),
        str(_("related question")),
    ]
    rows = Incident.objects.filter(visit__mission=mission).select_related(
        "visit__station__area", "question"
    )
    for chunk in _chunks(rows):
        for incident in chunk:
            station = incident.visit.station
            yield [
                incident.pk,
                incident.visit_id,
                _local(incident.visit.arrived_at, zone),
                station.number,
                station.name,
                station.area.path if station.area else "",
                incident.get_category_display(),
                incident.get_severity_display(),
                incident.description,
                incident.complaint_filed,
                incident.question.code if incident.question else "",
            ]


STATUS_LABELS = {
    "not_visited": _("not visited"),
    "clear": _("clear"),
    "minor": _("minor concern"),
    "serious": _("serious concern"),
    "critical": _("critical concern"),
}


def coverage(mission: Mission) -> Iterator[list]:
    """One row per polling station: what was planned there, visits, and its status."""
    zone = mission_zone(mission)
    yield [
        str(_("polling station")),
        str(_("station name")),
        str(_("area")),
        str(_("latitude")),
        str(_("longitude")),
        str(_("assigned for")),
        str(_("teams")),
        str(_("visits")),
        str(_("last arrival")),
        str(_("status")),
    ]
    statuses = station_status_map(mission)
    planned: dict[int, tuple[set, set]] = defaultdict(lambda: (set(), set()))
    for station, phase, team in Assignment.objects.filter(team__mission=mission).values_list(
        "station", "phase", "team__name"
    ):
        planned[station][0].add(str(PHASES.get(phase, phase)))
        planned[station][1].add(team)
    visit_rows = (
        Visit.objects.filter(mission=mission)
        .values("station")
        .annotate(total=Count("pk"), last=Max("arrived_at"))
        .order_by()
    )
    visited = {row["station"]: (row["total"], row["last"]) for row in visit_rows}
    stations = PollingStation.objects.filter(election__mission=mission).select_related("area")
    for chunk in _chunks(stations):
        for station in chunk:
            phases, teams = planned.get(station.pk, ((), ()))
            total, last = visited.get(station.pk, (0, None))
            yield [
                station.number,
                station.name,
                station.area.path if station.area else "",
                station.latitude,
                station.longitude,
                ", ".join(sorted(phases)),
                ", ".join(sorted(teams)),
                total,
                _local(last, zone),
                str(STATUS_LABELS[statuses.get(station.pk, "not_visited")]),
            ]


@dataclass(frozen=True)
class Export:
    slug: str
    title: str
    rows: Callable[[Mission], Iterator[list]]
    # How many rows (besides the header) the export has: decides whether it is written by a
    # worker (over OPERATIONS_EXPORT_JOB_ROWS) and measures the worker's progress.
    count: Callable[[Mission], int]


EXPORTS = {
    export.slug: export
    for export in (
        Export(
            "visits",
            _("Visits, one column per question"),
            visits_wide,
            lambda mission: Visit.objects.filter(mission=mission).count(),
        ),
        Export(
            "answers",
            _("Answers, one row each"),
            answers_long,
            lambda mission: Answer.objects.filter(visit__mission=mission).count(),
        ),
        Export(
            "incidents",
            _("Incidents and complaints"),
            incidents,
            lambda mission: Incident.objects.filter(visit__mission=mission).count(),
        ),
        Export(
            "coverage",
            _("Coverage by polling station"),
            coverage,
            lambda mission: PollingStation.objects.filter(election__mission=mission).count(),
        ),
    )
}
FORMATS = ("csv", "xlsx")


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(cell_safe(value) if isinstance(value, str) else value)


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a streamed response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterator[list]) -> Iterator[str]:
    """The rows as CSV lines, with a byte-order mark so spreadsheets read UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([_csv_text(value) for value in row])


def _xlsx_value(value):
    if isinstance(value, str):
        # Control characters other than tab and line breaks are not allowed in XLSX.
        return cell_safe(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


# An XLSX sheet holds 1,048,576 rows; longer exports go on in further sheets, each with the
# header again.
XLSX_MAX_ROWS = 1_048_576


def xlsx_file(
    rows: Iterator[list],
    title: str,
    max_rows: int = XLSX_MAX_ROWS,
    progress: Callable[[int], None] | None = None,
):
    """Write the rows to an XLSX workbook in a temporary file and return it, rewound.

    `progress`, if given, is told how many rows are written every CHUNK rows.
    """
    workbook = Workbook(write_only=True)
    rows = iter(rows)
    header = [_xlsx_value(value) for value in next(rows, [])]
    sheet, written, sheets = None, max_rows, 0
    for done, row in enumerate(rows, start=1):
        if written == max_rows:
            sheets += 1
            sheet = workbook.create_sheet(title=f"{title}-{sheets}"[:31] if sheets > 1 else title)
            sheet.append(header)
            written = 1
        sheet.append([_xlsx_value(value) for value in row])
        written += 1
        if progress is not None and done % CHUNK == 0:
            progress(done)
    if sheet is None:
        workbook.create_sheet(title=title[:31]).append(header)
    # Deleted when closed; the response closes it after sending.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return handle
