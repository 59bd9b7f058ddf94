"""Reads behind the observer pages, each with the joins its page needs."""

import json
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import translation

from missions.models import Mission
from missions.selectors import missions_coordinated_by
from observers.models import Participation
from reports.models import (
    Answer,
    Attachment,
    Checklist,
    Incident,
    Question,
    Statement,
    StatementEvidence,
    Visit,
    VisitRevision,
)
from stations.models import Assignment, PollingStation


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
    if missions_coordinated_by(user).filter(pk=visit.mission_id).exists():
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
