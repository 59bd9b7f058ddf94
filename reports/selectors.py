"""Reads behind the observer pages, each with the joins its page needs."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.shortcuts import get_object_or_404

from missions.models import Mission
from missions.permissions import MANAGE, missions_where
from observers.models import Participation
from reports.models import (
    Attachment,
    Checklist,
    Incident,
    Question,
    Visit,
)
from stations.models import Assignment


def participation_for(*, user: AbstractBaseUser, slug: str, person: bool = False) -> Participation:
    """Return the user's participation in the mission, or raise Http404.

    A mission the user does not serve on answers 404, whatever the mission: its existence is
    not confirmed to outsiders. The mission and its election come with it; the observer's
    record and delegation only with `person` (the pages that print them).
    """
    related = ["mission__election", *(["observer", "delegation"] if person else [])]
    return get_object_or_404(
        Participation.objects.select_related(*related),
        mission__slug=slug,
        user=user,
    )


def mission_is_known_to(*, user: AbstractBaseUser, slug: str) -> bool:
    """Tell whether the user belongs to the mission in any role (staff or observer)."""
    return Mission.objects.filter(
        Q(memberships__user=user) | Q(participations__user=user), slug=slug
    ).exists()


def assignments_of(participation: Participation) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(team__members=participation)
        .select_related("team", "station__area")
        .order_by("date", "phase", "station__number")
        .distinct()
    )


def visits_of(participation: Participation) -> QuerySet[Visit]:
    """The visits the observer filed or took part in, newest first."""
    return (
        Visit.objects.filter(
            Q(filed_by=participation) | Q(observers=participation), mission=participation.mission_id
        )
        .select_related("station__area", "checklist")
        .annotate(incident_total=Count("incidents", distinct=True))
        .order_by("-arrived_at", "-pk")
        .distinct()
    )


def _rows_of_visit(model, where: str = "") -> str:
    """SQL counting the rows of `model` that belong to the visit of the outer query."""
    table, visit = model._meta.db_table, Visit._meta.db_table
    return f"SELECT COUNT(*) FROM {table} WHERE {table}.visit_id = {visit}.id{where}"


def visit_for(*, participation: Participation, pk: int) -> Visit:
    """Return one of the observer's visits with everything its page shows, or raise Http404.

    Its questions come from the frozen checklist version (reports.checklist_cache), so the
    answers are read alone; incidents, attachments and a team are read only when the visit
    has them, which the visit's row counts (in plain SQL: nothing for Django to copy).
    """
    from reports.checklist_cache import used_version

    team = Visit.observers.through
    member = f"{team._meta.db_table}.participation_id"
    # The visit's incidents, attachments and team counted, and whether the observer and the
    # filer are on its team, in one plain-SQL text ("2,0,1,1,1"): one expression for Django
    # to compile, in any database.
    counts = " || ',' || ".join(
        f"({sql})"
        for sql in (
            _rows_of_visit(Incident),
            _rows_of_visit(Attachment),
            _rows_of_visit(team),
            _rows_of_visit(team, f" AND {member} = %s"),
            _rows_of_visit(team, f" AND {member} = {Visit._meta.db_table}.filed_by_id"),
        )
    )
    visit = next(
        iter(
            Visit.objects.filter(mission=participation.mission_id, pk=pk)
            .select_related("station__area", "filed_by__observer")
            .annotate(counts=RawSQL(counts, (participation.pk,), output_field=CharField()))
            .order_by()[:1]  # one row by its key: nothing to sort
        ),
        None,
    )
    if visit is not None:
        (
            visit.incident_total,
            visit.attachment_total,
            visit.observer_total,
            visit.observes,  # the observer is on the visit's team (or its filer, checked below)
            visit.filer_observes,
        ) = (int(count) for count in visit.counts.split(","))
    if visit is not None and visit.filed_by_id != participation.pk and not visit.observes:
        visit = None
    if visit is None:
        raise Http404
    # The version is kept per process once a visit used it: not joined to the visit.
    visit.checklist, questions = used_version(mission_id=visit.mission_id, pk=visit.checklist_id)
    order = {question.pk: n for n, question in enumerate(questions)}
    by_pk = {question.pk: question for question in questions}
    # Ordered here by the kept questions: no join to the questions for the database to sort.
    answers = sorted(visit.answers.order_by(), key=lambda a: order.get(a.question_id, len(order)))
    for answer in answers:
        if answer.question_id in by_pk:
            answer.question = by_pk[answer.question_id]
        answer.visit = visit
    incidents = []
    if visit.incident_total:
        incidents = list(visit.incidents.order_by("pk"))
        for incident in incidents:
            incident.question = by_pk.get(incident.question_id)
    if visit.observer_total == 1 and visit.filer_observes:
        observers = [visit.filed_by]  # alone: the filing observer, read with the visit
    elif visit.observer_total:
        observers = list(visit.observers.select_related("observer"))
    else:
        observers = []
    visit._prefetched_objects_cache = {
        "answers": answers,
        "incidents": incidents,
        "attachments": list(visit.attachments.all()) if visit.attachment_total else [],
        "observers": observers,
        "revisions": list(
            visit.revisions.select_related("changed_by").order_by("-changed_at", "-pk")
        ),
    }
    return visit


def checklists_for_filing(mission_id: int) -> list[Checklist]:
    """The newest version of each of the mission's checklists."""
    latest: dict[str, Checklist] = {}
    for checklist in Checklist.objects.filter(mission_id=mission_id).order_by("code", "-version"):
        latest.setdefault(checklist.code, checklist)
    return sorted(latest.values(), key=lambda c: (c.phase, c.title))


# A checklist version's questions in the order its form and pages show them.
QUESTION_ORDER = ("section__position", "section_id", "position", "pk")


def questions_of(checklist: Checklist) -> list[Question]:
    return list(checklist.questions.select_related("section").order_by(*QUESTION_ORDER))


def attachment_for(*, user: AbstractBaseUser, slug: str, pk: int) -> Attachment:
    """Return an attachment the user may see, or raise Http404.

    The observers of the visit may see its attachments, and so may the mission's
    coordinators; anyone else is told it does not exist.
    """
    attachment = get_object_or_404(
        Attachment.objects.select_related("visit"), pk=pk, visit__mission__slug=slug
    )
    visit = attachment.visit
    if missions_where(user, MANAGE).filter(pk=visit.mission_id).exists():
        return attachment
    allowed = Participation.objects.filter(mission=visit.mission_id, user=user).filter(
        Q(pk=visit.filed_by_id) | Q(visits=visit)
    )
    if not allowed.exists():
        raise Http404
    return attachment


def review_backlog(*, mission: Mission) -> dict[str, int]:
    """How many of the mission's visits await review and how many were sent back: the
    visits a statement leaves out (one query)."""
    return Visit.objects.filter(mission=mission).aggregate(
        awaiting=Count("pk", filter=Q(review=Visit.Review.SUBMITTED)),
        sent_back=Count("pk", filter=Q(review=Visit.Review.RETURNED)),
    )
