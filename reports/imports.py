"""Importing visits from paper forms: one CSV or XLSX row per visit (format in docs/imports.md).

Paper forms are filed by the same rules as the observer's phone form: every answer is cleaned
by the form field that would have asked the question (`reports.forms.answer_field`), and every
visit is created by `reports.services.visit_submit`, so concern flags, checks and the visit's
history are the same whichever way a visit came in.

A file is all or nothing. Every row is checked before anything is written, and the writes run
in one transaction that a late refusal rolls back. Re-running a file creates nothing new: each
row's submission key is derived from the mission and the paper form's own identifier (or,
without one, from what identifies the visit), and `visit_submit` finds a key it has seen.
"""

import datetime
import uuid
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_event
from missions.content_languages import languages
from missions.imports import (
    CellInvalid,
    ErrorLog,
    ImportRejected,
    ImportResult,
    RowError,
    SheetRow,
    cell_integer,
    cell_name,
    cell_text,
    sheet_read,
)
from missions.models import Election, Mission
from observers.models import Participation
from reports.forms import answer_field, answer_to_json
from reports.models import Checklist, Question, Visit
from reports.selectors import questions_of
from reports.services import VisitData, VisitRefused, visit_submit, visit_validate
from stations.models import PollingStation

# The paper form's identifier: either name is read, not both.
KEY_COLUMNS = ("key", "form_id")
VISIT_COLUMNS = (
    *KEY_COLUMNS,
    "station",
    "observer",
    "arrived_at",
    "departed_at",
    "voters_on_list",
    "ballots_issued",
    "notes",
)
REQUIRED = ("station", "observer", "arrived_at")
# Fixed for good: changing it would give every paper form already imported a new key.
PAPER_FORM_NAMESPACE = uuid.UUID("5d3c8a9e-61a4-4f0e-9a57-0c5b1e2f7a10")
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
)
# What visit_validate names → the column that holds it.
COLUMN_OF_FIELD = {
    "station": "station",
    "arrived_at": "arrived_at",
    "departed_at": "departed_at",
    "voters_on_list": "voters_on_list",
    "ballots_issued": "ballots_issued",
    "notes": "notes",
}


@dataclass
class PaperVisit:
    """One row, checked and ready to file."""

    row: int
    key: uuid.UUID
    participation: Participation
    data: VisitData


def visits_import(
    *,
    mission: Mission,
    checklist_code: str,
    file_name: str,
    content: bytes,
    user: AbstractBaseUser | None,
    dry_run: bool = False,
) -> ImportResult:
    """File the visits of a CSV or XLSX file of paper forms, all or nothing.

    Answer against the latest version of the mission's checklist `checklist_code`; read times
    in the mission's time zone. Return the visits created and those the file had already
    created (by key). Raise ImportRejected, writing nothing, if any row is wrong. With
    dry_run, check the file and write nothing.
    """
    checklist = (
        Checklist.objects.filter(mission=mission, code=checklist_code).order_by("-version").first()
    )
    if checklist is None:
        raise ImportRejected(
            [
                RowError(
                    None,
                    None,
                    _("The mission has no checklist with the code “%(code)s”.")
                    % {"code": checklist_code},
                )
            ]
        )
    checklist.mission = mission
    election = Election.objects.filter(mission=mission).first()
    if election is None:
        raise ImportRejected(
            [RowError(None, None, _("The mission has no election, so no polling stations."))]
        )
    questions = questions_of(checklist)
    clashes = [q.code for q in questions if q.code in VISIT_COLUMNS]
    if clashes:
        raise ImportRejected(
            [
                RowError(
                    None,
                    code,
                    _(
                        "The checklist has a question with the code of a visit column; rename "
                        "the question's code to import this checklist."
                    ),
                )
                for code in clashes
            ]
        )
    sheet = sheet_read(
        file_name=file_name,
        content=content,
        columns=[*VISIT_COLUMNS, *(q.code for q in questions)],
        required=[*REQUIRED, *(q.code for q in questions if q.required)],
    )
    if all(column in sheet.columns for column in KEY_COLUMNS):
        raise ImportRejected(
            [RowError(1, "form_id", _("Give the paper form's identifier as key or as form_id."))]
        )

    # The forms' times are the observers' local times, in the mission's time zone.
    zone = zoneinfo.ZoneInfo(mission.time_zone)
    papers = _rows_check(sheet.rows, mission, checklist, election, questions, zone)
    if dry_run:
        return _dry_run_result(papers)
    result = _rows_file(papers, user)
    # Each visit keeps its own history; the trail records the import on the mission.
    audit_event(
        instance=mission,
        changes={"import": ["", "visits"], "created": ["", len(result.created)]},
        actor=user,
        note=f"import of visits from {file_name}",
    )
    return result


def _rows_check(
    rows: list[SheetRow],
    mission: Mission,
    checklist: Checklist,
    election: Election,
    questions: list[Question],
    zone: zoneinfo.ZoneInfo,
) -> list[PaperVisit]:
    errors = ErrorLog()
    # Only the stations the file names are read; a bad number is reported row by row below.
    numbers = {_station_number(row) for row in rows} - {""}
    stations = {
        station.number: station
        for station in PollingStation.objects.filter(
            election=election, number__in=numbers
        ).select_related("election")
    }
    observers = ObserverIndex(
        Participation.objects.filter(mission=mission).select_related(
            "observer", "mission__election"
        )
    )
    papers: list[PaperVisit] = []
    first_row_of: dict[uuid.UUID, int] = {}
    for row in rows:
        if errors.full:
            break
        paper = _row_check(row, mission, checklist, questions, stations, observers, zone, errors)
        if paper is None:
            continue
        if paper.key in first_row_of:
            errors.add(
                row.number,
                _key_column(row),
                _("This visit is already in row %(row)d.") % {"row": first_row_of[paper.key]},
            )
            continue
        first_row_of[paper.key] = row.number
        papers.append(paper)
    # A key seen before must be this observer's: a paper form is not filed twice by two people.
    filers = dict(
        Visit.objects.filter(key__in=[paper.key for paper in papers]).values_list(
            "key", "filed_by_id"
        )
    )
    for paper in papers:
        filer = filers.get(paper.key)
        if filer is not None and filer != paper.participation.pk:
            errors.add(
                paper.row,
                "observer",
                _("This paper form was already imported as another observer's visit."),
            )
    errors.reject_if_any()
    return papers


def _station_number(row: SheetRow) -> str:
    try:
        return cell_text(row.cells.get("station", ""), max_length=20)
    except CellInvalid:
        return ""


def _key_column(row: SheetRow) -> str | None:
    for column in KEY_COLUMNS:
        if row.cells.get(column, "") != "":
            return column
    return None


def _row_check(
    row: SheetRow,
    mission: Mission,
    checklist: Checklist,
    questions: list[Question],
    stations: dict[str, PollingStation],
    observers: "ObserverIndex",
    zone: zoneinfo.ZoneInfo,
    errors: ErrorLog,
) -> PaperVisit | None:
    errors_before = len(errors)
    number = errors.cell(row, "station", cell_text, max_length=20, required=True)
    station = stations.get(number) if number else None
    if number and station is None:
        errors.add(
            row.number,
            "station",
            _("There is no polling station No. %(number)s in this election.") % {"number": number},
        )
    participation = errors.cell(row, "observer", observers.find)
    arrived_at = errors.cell(row, "arrived_at", cell_moment, zone=zone, required=True)
    departed_at = errors.cell(row, "departed_at", cell_moment, zone=zone)
    voters_on_list = errors.cell(row, "voters_on_list", cell_integer)
    ballots_issued = errors.cell(row, "ballots_issued", cell_integer)
    notes = errors.cell(row, "notes", cell_text, max_length=10000)
    key_text = None
    if column := _key_column(row):
        key_text = errors.cell(row, column, cell_text, max_length=200)
    answers = {}
    for question in questions:
        value = errors.cell(row, question.code, cell_answer, question=question)
        if value is not None:
            answers[question.pk] = value
    if len(errors) > errors_before:
        return None
    data = VisitData(
        station=station,
        checklist=checklist,
        arrived_at=arrived_at,
        departed_at=departed_at,
        voters_on_list=voters_on_list,
        ballots_issued=ballots_issued,
        notes=notes or "",
        answers=answers,
        questions=list(questions),
    )
    try:
        visit_validate(mission=mission, data=data)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.add(row.number, COLUMN_OF_FIELD.get(name), " ".join(messages))
        return None
    if key_text:
        identity = f"{mission.slug}\n{key_text}"
    else:
        # No identifier on the form: what the visit is (who, where, when) identifies it.
        identity = "\n".join(
            [mission.slug, checklist.code, station.number, str(participation.pk), str(arrived_at)]
        )
    return PaperVisit(
        row=row.number,
        key=uuid.uuid5(PAPER_FORM_NAMESPACE, identity),
        participation=participation,
        data=data,
    )


def _rows_file(papers: list[PaperVisit], user: AbstractBaseUser | None) -> ImportResult:
    result = ImportResult()
    errors = ErrorLog()
    with transaction.atomic():
        for paper in papers:
            # The rows were checked; what can still refuse a row here is a change made
            # meanwhile (an accreditation revoked, the same form imported by someone else).
            try:
                # A paper form is filed deliberately: two of them close in time are two visits.
                visit, created = visit_submit(
                    participation=paper.participation,
                    key=paper.key,
                    data=paper.data,
                    user=user,
                    allow_duplicate=True,
                )
            except VisitRefused as refusal:
                errors.add(paper.row, "observer", str(refusal))
                continue
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    errors.add(paper.row, COLUMN_OF_FIELD.get(name), " ".join(messages))
                continue
            (result.created if created else result.unchanged).append(visit)
        # Raised inside the transaction, so the visits filed before a refused row go too.
        errors.reject_if_any()
    return result


def _dry_run_result(papers: list[PaperVisit]) -> ImportResult:
    result = ImportResult()
    known = set(
        Visit.objects.filter(key__in=[paper.key for paper in papers]).values_list("key", flat=True)
    )
    for paper in papers:
        visit = Visit(
            mission_id=paper.participation.mission_id,
            station=paper.data.station,
            checklist=paper.data.checklist,
            filed_by=paper.participation,
            key=paper.key,
            arrived_at=paper.data.arrived_at,
        )
        (result.unchanged if paper.key in known else result.created).append(visit)
    return result


class ObserverIndex:
    """A mission's participants, found by accreditation number or by full name."""

    def __init__(self, participations) -> None:
        self.by_number: dict[str, Participation] = {}
        self.by_name: dict[str, list[Participation]] = defaultdict(list)
        for participation in participations:
            if participation.accreditation_number:
                self.by_number[participation.accreditation_number.casefold()] = participation
            name = " ".join(participation.observer.full_name.split()).casefold()
            self.by_name[name].append(participation)

    def find(self, value: Any) -> Participation:
        text = cell_name(value, max_length=200, required=True)
        participation = self.by_number.get(text.casefold())
        if participation is None:
            namesakes = self.by_name.get(text.casefold(), [])
            if len(namesakes) > 1:
                raise CellInvalid(
                    _(
                        "Several of the mission's observers are called “%(name)s”; give the "
                        "accreditation number instead."
                    )
                    % {"name": text}
                )
            if not namesakes:
                raise CellInvalid(
                    _(
                        "“%(name)s” is neither the full name nor the accreditation number of "
                        "an observer of this mission."
                    )
                    % {"name": text}
                )
            participation = namesakes[0]
        if participation.accreditation == Participation.Accreditation.REVOKED:
            raise CellInvalid(
                _("%(name)s's accreditation was revoked: they cannot file visits.")
                % {"name": participation.observer.full_name}
            )
        if not participation.is_accredited:
            raise CellInvalid(
                _("%(name)s is not accredited: only accredited observers file visits.")
                % {"name": participation.observer.full_name}
            )
        return participation


def cell_moment(value: Any, *, zone: zoneinfo.ZoneInfo, required: bool = False):
    """Read a date and time written in the mission's time zone; return it time-zone aware."""
    if value == "":
        if required:
            raise CellInvalid(_("This is required."))
        return None
    moment = None
    if isinstance(value, datetime.datetime):
        moment = value.replace(tzinfo=None)
    elif not isinstance(value, datetime.date):
        text = " ".join(str(value).split())
        for pattern in DATETIME_FORMATS:
            try:
                moment = datetime.datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        raise CellInvalid(
            _(
                "“%(value)s” is not a date and time; write it as 2022-11-20 10:00 or "
                "20.11.2022 10:00."
            )
            % {"value": value}
        )
    return timezone.make_aware(moment, zone)


def cell_answer(value: Any, *, question: Question) -> Any:
    """Clean an answer as the observer's form would; return it as stored, None if blank."""
    kind = question.kind
    raw: Any = value
    if kind in (Question.Kind.YES_NO, Question.Kind.SINGLE):
        raw = _choice(question, value)
    elif kind == Question.Kind.MULTIPLE:
        text = cell_text(value, max_length=4000)
        raw = [_choice(question, part) for part in text.split(";") if part.strip()]
    elif kind == Question.Kind.NUMBER:
        if isinstance(value, str) and "," in value and "." not in value:
            raw = value.replace(",", ".")  # a decimal comma, as written in much of the world
    elif kind == Question.Kind.TIME:
        if isinstance(value, datetime.datetime):
            raw = value.time()
    else:
        raw = cell_text(value, max_length=4000)
    try:
        cleaned = answer_field(question).clean(raw)
    except ValidationError as error:
        raise CellInvalid(" ".join(error.messages)) from None
    return answer_to_json(question, cleaned)


def _choice(question: Question, value: Any) -> str:
    """Return the choice's stored value for its value or label written in any case."""
    if isinstance(value, bool):
        value = "yes" if value else "no"
    text = cell_text(value, max_length=500)
    folded = text.casefold()
    for choice in question.choice_values:
        if folded == choice.casefold():
            return choice
    for language in languages():
        for choice, label in question.choice_labels(language):
            if folded == str(label).casefold():
                return choice
    # Left as written: the form field refuses it with the message an observer would see.
    return text
