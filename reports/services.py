"""Writes of field observations: filing, correcting and reviewing visits, versioning checklists."""

import datetime
import uuid
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Case, Max, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_rows
from missions.models import Mission
from missions.permissions import participation_accredited
from observers.models import Participation
from reports.attachments import attachment_clean
from reports.models import (
    Answer,
    Attachment,
    Checklist,
    Incident,
    Question,
    Section,
    Visit,
    VisitRevision,
)
from reports.rules import ANSWER_FIELD, rules_errors
from stations.models import PollingStation

# Relations the caller hands over as loaded objects: validating them again would only
# re-fetch each one.
LOADED_RELATIONS = ["mission", "station", "checklist", "filed_by"]


# How close in time two visits of one observer to one station with one checklist must be for
# the second to be taken for a likely duplicate of the first.
DUPLICATE_WINDOW = datetime.timedelta(minutes=30)


class VisitRefused(Exception):
    """The user may not file or change this visit; the message says why."""


class LikelyDuplicate(Exception):
    """The observer already filed a visit like this one, under another key.

    `visit` is that visit. Filing again with `allow_duplicate=True` files the second visit
    deliberately.
    """

    def __init__(self, visit: Visit) -> None:
        self.visit = visit
        super().__init__(
            _(
                "You already filed a visit to this polling station with this checklist, "
                "arriving at %(time)s."
            )
            % {"time": timezone.localtime(visit.arrived_at).strftime("%H:%M")}
        )


@dataclass
class IncidentData:
    category: str
    severity: str
    description: str
    complaint_filed: bool = False
    question: Question | None = None


@dataclass
class VisitData:
    """What an observer reports about one visit, already parsed by the form."""

    station: PollingStation
    checklist: Checklist
    arrived_at: datetime.datetime
    departed_at: datetime.datetime | None = None
    voters_on_list: int | None = None
    ballots_issued: int | None = None
    notes: str = ""
    answers: dict[int, Any] = field(default_factory=dict)  # question id → value
    # Questions the observer could not observe (those whose checklist allows it), by id.
    not_observed: set[int] = field(default_factory=set)
    incidents: list[IncidentData] = field(default_factory=list)
    observers: Sequence[Participation] = ()
    # The checklist's questions when the caller has them already (the form does).
    questions: list[Question] | None = None


def participation_check_may_file(participation: Participation) -> None:
    """Raise VisitRefused, saying why, unless the observer is accredited.

    The rule is missions.permissions' (FILE_VISITS); here it only finds the words.
    """
    if participation_accredited(participation):
        return
    if participation.accreditation == Participation.Accreditation.REVOKED:
        raise VisitRefused(
            _(
                "Your accreditation has been revoked: you can no longer file visits. "
                "Contact your coordinator."
            )
        )
    raise VisitRefused(
        _("You are not accredited yet: visits can be filed once your accreditation is confirmed.")
    )


def visit_times_errors(
    *,
    mission: Mission,
    arrived_at: datetime.datetime | None,
    departed_at: datetime.datetime | None,
) -> dict[str, str]:
    """Return what is wrong with a visit's times, by field: outside the mission, or reversed."""
    errors: dict[str, str] = {}
    first, last = mission.starts_on, mission.ends_on
    zone = zoneinfo.ZoneInfo(mission.time_zone)
    for name, moment in (("arrived_at", arrived_at), ("departed_at", departed_at)):
        if moment is not None and not first <= timezone.localdate(moment, zone) <= last:
            errors[name] = _("This time is outside the mission period (%(first)s – %(last)s).") % {
                "first": first.strftime("%d.%m.%Y"),
                "last": last.strftime("%d.%m.%Y"),
            }
    if departed_at and arrived_at and departed_at < arrived_at:
        errors["departed_at"] = _("Departure cannot be before arrival.")
    return errors


def visit_validate(*, mission: Mission, data: VisitData) -> None:
    """Check what a form cannot check on its own; raise ValidationError keyed by field."""
    errors = visit_times_errors(
        mission=mission, arrived_at=data.arrived_at, departed_at=data.departed_at
    )
    if data.station.election_id != mission.election.pk:
        errors["station"] = _("This polling station is not in this mission's election.")
    if data.checklist.mission_id != mission.pk:
        errors["checklist"] = _("This checklist belongs to another mission.")
    if (
        data.ballots_issued is not None
        and data.voters_on_list is not None
        and data.ballots_issued > data.voters_on_list
    ):
        errors["ballots_issued"] = _("More ballots issued than voters on the list.")
    errors.update(
        answers_errors(
            checklist=data.checklist,
            questions=_questions(data),
            answers=data.answers,
            not_observed=data.not_observed,
        )
    )
    if errors:
        raise ValidationError(errors)


def _questions(data: VisitData) -> list[Question]:
    """The checklist's questions, fetched once per visit when the caller did not give them."""
    if data.questions is None:
        data.questions = list(data.checklist.questions.all())
    return data.questions


def answers_errors(
    *,
    checklist: Checklist,
    questions: Iterable[Question],
    answers: dict[int, Any],
    not_observed: set[int],
    language: str | None = None,
) -> dict[str, str]:
    """What is wrong with the answers as a whole, by answer field: a "not observed" the question
    does not allow or that comes with an answer, and the checklist's rules between answers."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for question in questions:
        value = answers.get(question.pk)
        name = ANSWER_FIELD.format(code=question.code)
        if question.pk in not_observed:
            if not question.not_observed:
                errors[name] = _("This question must be answered.")
            elif value not in (None, "", []):
                errors[name] = _("Either answer or mark it “Not observed”, not both.")
            value = None
        values[question.code] = value
    for name, message in rules_errors(
        rules=checklist.rules, values=values, language=language
    ).items():
        errors.setdefault(name, message)
    return errors


def visit_likely_duplicate(
    *, participation: Participation, key: uuid.UUID, data: VisitData
) -> Visit | None:
    """Return the visit already filed under `key`, if any (a retry), else a visit the observer
    filed under another key to the same station with the same checklist, arriving within
    DUPLICATE_WINDOW of this one, if there is one. One query answers both."""
    return (
        Visit.objects.filter(
            Q(key=key)
            | Q(
                filed_by=participation,
                station=data.station,
                checklist=data.checklist,
                arrived_at__gte=data.arrived_at - DUPLICATE_WINDOW,
                arrived_at__lte=data.arrived_at + DUPLICATE_WINDOW,
            )
        )
        .order_by(Case(When(key=key, then=0), default=1), "arrived_at", "pk")
        .first()
    )


def _answers(
    visit: Visit, questions: Iterable[Question], values: dict[int, Any], not_observed: set[int]
) -> list[Answer]:
    answers = []
    for question in questions:
        value = values.get(question.pk)
        if question.pk in not_observed:
            # Stored as SQL NULL: observed by nobody, neither clear nor a concern.
            answers.append(Answer(visit=visit, question=question, value=None, is_concern=False))
        elif value not in (None, "", []):
            answers.append(
                Answer(
                    visit=visit,
                    question=question,
                    value=value,
                    is_concern=question.signals_concern(value),
                )
            )
    return answers


def _incidents(visit: Visit, incidents: Iterable[IncidentData]) -> list[Incident]:
    return [
        Incident(
            visit=visit,
            category=item.category,
            severity=item.severity,
            description=item.description,
            complaint_filed=item.complaint_filed,
            question=item.question,
        )
        for item in incidents
    ]


def _attachments_store(
    visit: Visit, files: Iterable[UploadedFile], user: AbstractBaseUser
) -> list[Attachment]:
    stored = []
    for upload in files:
        content_type, content = attachment_clean(upload)
        attachment = Attachment(
            visit=visit,
            original_name=upload.name[:255],
            content_type=content_type,
            size=content.size,
            uploaded_by=user,
        )
        attachment.file.save("upload", content, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def _snapshot(visit: Visit) -> dict[str, Any]:
    """The reportable state of a visit, for its history."""
    answers = {
        answer.question.code: answer.value
        for answer in visit.answers.select_related("question").order_by("question__code")
    }
    incidents = [
        f"{i.category}/{i.severity}: {i.description}"
        + (" [complaint]" if i.complaint_filed else "")
        for i in visit.incidents.order_by("pk")
    ]
    return {
        "station": visit.station.number,
        # In UTC: the form hands back the same moment in the mission's time zone.
        "arrived_at": _utc(visit.arrived_at),
        "departed_at": _utc(visit.departed_at),
        "voters_on_list": visit.voters_on_list,
        "ballots_issued": visit.ballots_issued,
        "notes": visit.notes,
        "answers": answers,
        "incidents": incidents,
        "observers": sorted(visit.observers.values_list("observer__full_name", flat=True)),
    }


def _utc(moment: datetime.datetime | None) -> str | None:
    return moment.astimezone(datetime.UTC).isoformat() if moment else None


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for name in after:
        if name == "answers":
            codes = sorted(set(before["answers"]) | set(after["answers"]))
            for code in codes:
                old, new = before["answers"].get(code), after["answers"].get(code)
                if old != new:
                    changes[f"answers.{code}"] = [old, new]
        elif before.get(name) != after[name]:
            changes[name] = [before.get(name), after[name]]
    return changes


def _content(visit: Visit, data: VisitData) -> tuple[list[Answer], list[Incident]]:
    """Build a visit's answers and incidents, and set whether it has concerns, unsaved."""
    questions = _questions(data)
    answers = _answers(visit, questions, data.answers, data.not_observed)
    incidents = _incidents(visit, data.incidents)
    visit.has_concerns = any(a.is_concern for a in answers) or bool(incidents)
    # What the findings need to count each question's observed stations from the visits:
    # the questions with no observed answer (skipped, or answered "not observed").
    observed = {a.question_id for a in answers if a.value not in (None, "", [])}
    visit.unobserved = sorted(q.pk for q in questions if q.pk not in observed)
    return answers, incidents


def _content_save(
    visit: Visit,
    content: tuple[list[Answer], list[Incident]],
    observers: Sequence[Participation],
    *,
    replacing: bool,
) -> None:
    answers, incidents = content
    Answer.objects.bulk_create(answers)
    Incident.objects.bulk_create(incidents)
    # The concern answers' ids exist only now: kept with the visit for the findings. A new
    # visit was inserted with none, so one without concern answers needs no second write.
    concerns = [[a.question_id, a.pk] for a in answers if a.is_concern]
    if replacing or concerns != visit.concerns:
        visit.concerns = concerns
        Visit.objects.filter(pk=visit.pk).update(concerns=concerns)
    members = {visit.filed_by_id, *(p.pk for p in observers)}
    if replacing:
        visit.observers.set(members)
    else:
        visit.observers.add(*members)


def _visit_insert(participation: Participation, data: VisitData, **fields: Any) -> Visit:
    """Insert a new visit with its answers, incidents and observers; validated beforehand."""
    visit = Visit(
        mission_id=participation.mission_id,
        station=data.station,
        checklist=data.checklist,
        filed_by=participation,
        arrived_at=data.arrived_at,
        departed_at=data.departed_at,
        voters_on_list=data.voters_on_list,
        ballots_issued=data.ballots_issued,
        notes=data.notes,
        **fields,
    )
    content = _content(visit, data)
    # visit_validate covered the check constraints; a key's uniqueness is left to the
    # database, since checking it first would race.
    visit.full_clean(exclude=LOADED_RELATIONS, validate_unique=False, validate_constraints=False)
    visit.save(force_insert=True)
    _content_save(visit, content, data.observers, replacing=False)
    return visit


@transaction.atomic
def visit_restore(
    *,
    participation: Participation,
    data: VisitData,
    review: str = Visit.Review.SUBMITTED,
    review_comment: str = "",
) -> Visit:
    """Recreate a visit carried from another installation, with its review state.

    The same rules as filing apply to its content; the observer's accreditation today does
    not matter, since the visit was filed when it was valid.
    """
    visit_validate(mission=participation.mission, data=data)
    return _visit_insert(participation, data, review=review, review_comment=review_comment)


def visit_submit(
    *,
    participation: Participation,
    key: uuid.UUID,
    data: VisitData,
    files: Sequence[UploadedFile] = (),
    user: AbstractBaseUser,
    allow_duplicate: bool = False,
) -> tuple[Visit, bool]:
    """File a visit exactly once per key; return the visit and whether this call created it.

    A double click, a retried POST after a dropped connection, or the same form sent from two
    tabs carries the same key: the first to commit creates the visit and every other one gets
    that visit back. Raise VisitRefused if the observer may not file, ValidationError (keyed
    by field) for data the form could not check, and LikelyDuplicate when the observer filed
    a visit like it under another key (a form shown afresh by the Back button, say) unless
    `allow_duplicate` says the second visit is deliberate.
    """
    participation_check_may_file(participation)
    visit_validate(mission=participation.mission, data=data)
    if not allow_duplicate:
        existing = visit_likely_duplicate(participation=participation, key=key, data=data)
        if existing is not None and existing.key == key:
            # A retry of a form that went through: its visit, even if another like it
            # was filed since.
            return _same_filer(existing, participation), False
        if existing is not None:
            raise LikelyDuplicate(existing)
    try:
        with transaction.atomic():
            visit = _visit_insert(participation, data, key=key)
            _attachments_store(visit, files, user)
            VisitRevision.objects.create(
                visit=visit, changed_by=user, action=VisitRevision.Action.FILED
            )
    except IntegrityError:
        # Two submissions with one key raced and the other committed first; on PostgreSQL
        # this insert waited for it, so the winner is visible now.
        existing = Visit.objects.filter(key=key).first()
        if existing is None:
            raise
        return _same_filer(existing, participation), False
    return visit, True


def _same_filer(visit: Visit, participation: Participation) -> Visit:
    if visit.filed_by_id != participation.pk:
        # A key is a random UUID the server handed to this observer's form; another
        # observer presenting it is not a retry.
        raise VisitRefused(_("This form was already used to file another observer's visit."))
    return visit


@transaction.atomic
def visit_update(
    *,
    visit: Visit,
    participation: Participation,
    data: VisitData,
    files: Sequence[UploadedFile] = (),
    user: AbstractBaseUser,
) -> Visit:
    """Correct a visit its observer filed, keeping what changed in the visit's history.

    A visit sent back for correction goes back to the reviewers once corrected; a reviewed
    visit can no longer be changed.
    """
    participation_check_may_file(participation)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.filed_by_id != participation.pk:
        raise VisitRefused(_("Only the observer who filed this visit can change it."))
    if not visit.is_editable:
        raise VisitRefused(_("This visit has been reviewed and can no longer be changed."))
    if data.checklist.pk != visit.checklist_id:
        raise ValidationError({"checklist": _("A filed visit keeps its checklist.")})
    visit_validate(mission=participation.mission, data=data)
    before = _snapshot(visit)
    visit.station = data.station
    visit.arrived_at = data.arrived_at
    visit.departed_at = data.departed_at
    visit.voters_on_list = data.voters_on_list
    visit.ballots_issued = data.ballots_issued
    visit.notes = data.notes
    update_fields = [
        "station",
        "arrived_at",
        "departed_at",
        "voters_on_list",
        "ballots_issued",
        "notes",
        "updated_at",
    ]
    if visit.review == Visit.Review.RETURNED:
        visit.review = Visit.Review.SUBMITTED
        update_fields.append("review")
    content = _content(visit, data)
    update_fields += ["has_concerns", "unobserved"]
    visit.full_clean(exclude=LOADED_RELATIONS, validate_unique=False)
    visit.save(update_fields=update_fields)
    visit.answers.all().delete()
    visit.incidents.all().delete()
    # The form does not carry the team: a correction keeps the visit's observers.
    observers = data.observers or list(visit.observers.all())
    _content_save(visit, content, observers, replacing=True)
    added = _attachments_store(visit, files, user)
    changes = _diff(before, _snapshot(visit))
    if added:
        changes["attachments"] = [None, [a.original_name for a in added]]
    VisitRevision.objects.create(
        visit=visit, changed_by=user, action=VisitRevision.Action.CORRECTED, changes=changes
    )
    return visit


@transaction.atomic
def visit_mark_reviewed(*, visit: Visit, reviewer: AbstractBaseUser) -> bool:
    """Mark a visit reviewed; return False if it already was."""
    changed = (
        Visit.objects.filter(pk=visit.pk)
        .exclude(review=Visit.Review.REVIEWED)
        .update(
            review=Visit.Review.REVIEWED,
            reviewed_by=reviewer,
            reviewed_at=timezone.now(),
            review_comment="",
            updated_at=timezone.now(),
        )
    )
    if changed:
        VisitRevision.objects.create(
            visit=visit, changed_by=reviewer, action=VisitRevision.Action.REVIEWED
        )
    return bool(changed)


@transaction.atomic
def visit_send_back(*, visit: Visit, reviewer: AbstractBaseUser, comment: str) -> None:
    """Send a visit back to its observer for correction, with the reviewer's comment.

    A reviewed visit can be sent back too: a coordinator who finds a mistake later reopens it.
    """
    comment = comment.strip()
    if not comment:
        raise ValidationError({"review_comment": _("Say what the observer should correct.")})
    Visit.objects.filter(pk=visit.pk).update(
        review=Visit.Review.RETURNED,
        review_comment=comment,
        reviewed_by=reviewer,
        reviewed_at=timezone.now(),
        updated_at=timezone.now(),
    )
    VisitRevision.objects.create(
        visit=visit,
        changed_by=reviewer,
        action=VisitRevision.Action.SENT_BACK,
        changes={"comment": [None, comment]},
    )


def checklist_next_version(*, mission: Mission, code: str) -> int:
    """Return the version number the next checklist of this code in the mission gets.

    Call inside a transaction: it locks the mission's row so that two imports of the same
    code cannot both take the same number (there may be no checklist row to lock yet).
    """
    list(Mission.objects.select_for_update().filter(pk=mission.pk).values_list("pk"))
    latest = Checklist.objects.filter(mission=mission, code=code).aggregate(Max("version"))
    return (latest["version__max"] or 0) + 1


@transaction.atomic
def checklist_new_version(*, checklist: Checklist) -> Checklist:
    """Copy a checklist version, its sections and questions, into the next version number."""
    copy = Checklist.objects.create(
        mission_id=checklist.mission_id,
        code=checklist.code,
        version=checklist_next_version(mission=checklist.mission, code=checklist.code),
        title=checklist.title,
        phase=checklist.phase,
        description=checklist.description,
        rules=checklist.rules,
    )
    for section in checklist.sections.prefetch_related("questions"):
        new_section = Section.objects.create(
            checklist=copy, position=section.position, title=section.title
        )
        questions = list(section.questions.all())
        for question in questions:
            question.pk = None
            question.checklist = copy
            question.section = new_section
        Question.objects.bulk_create(questions)
        audit_rows(
            rows=questions,
            changes={"checklist": [str(checklist), str(copy)]},
            action=LogEntry.Action.CREATE,
            note="new checklist version",
        )
    return copy
