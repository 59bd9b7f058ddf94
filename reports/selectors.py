"""Reads behind the observer pages, each with the joins its page needs."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from missions.models import Mission
from missions.permissions import MANAGE, missions_where
from observers.models import Participation
from reports.models import (
    Answer,
    Attachment,
    Checklist,
    Incident,
    Question,
    Visit,
    VisitRevision,
)
from stations.models import Assignment


def participation_for(*, user: AbstractBaseUser, slug: str) -> Participation:
    """Return the user's participation in the mission, or raise Http404.

    A mission the user does not serve on answers 404, whatever the mission: its existence is
    not confirmed to outsiders.
    """
    return get_object_or_404(
        Participation.objects.select_related("mission__election", "observer", "delegation"),
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


def visit_for(*, participation: Participation, pk: int) -> Visit:
    """Return one of the observer's visits with everything its page shows, or raise Http404."""
    queryset = (
        visits_of(participation)
        .select_related("filed_by__observer", "reviewed_by")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.select_related("question__section").order_by(
                    "question__section__position", "question__position"
                ),
            ),
            Prefetch("incidents", queryset=Incident.objects.select_related("question")),
            "attachments",
            Prefetch("observers", queryset=Participation.objects.select_related("observer")),
            Prefetch(
                "revisions",
                queryset=VisitRevision.objects.select_related("changed_by").order_by(
                    "-changed_at", "-pk"
                ),
            ),
        )
    )
    try:
        return queryset.get(pk=pk)
    except Visit.DoesNotExist:
        raise Http404 from None


def checklists_for_filing(mission_id: int) -> list[Checklist]:
    """The newest version of each of the mission's checklists."""
    latest: dict[str, Checklist] = {}
    for checklist in Checklist.objects.filter(mission_id=mission_id).order_by("code", "-version"):
        latest.setdefault(checklist.code, checklist)
    return sorted(latest.values(), key=lambda c: (c.phase, c.title))


def questions_of(checklist: Checklist) -> list[Question]:
    return list(
        checklist.questions.select_related("section").order_by(
            "section__position", "section_id", "position", "pk"
        )
    )


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
