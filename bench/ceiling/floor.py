"""The floor for filing a visit: the fastest honest write of the data a submission carries.

Behind login and CSRF like the product's form, it takes the same multipart body, looks up the
observer's participation and the polling station, and inserts in one transaction the rows
the product writes for a new visit: the visit, its answers (bulk_create), its incident if one
is reported, the filing observer's row and the history row. It validates nothing beyond what
the database enforces and keeps the checklist's questions per process (a used checklist
version is frozen), so no form can beat it. A retried key gets the visit its first sending
created, as in the product. Benchmark code only: bench/visit_surge.py measures it.

`visit_floor_page` is the least page a phone could be sent to after filing: behind login, it
looks up the observer's participation and the visit (the observer's own) and answers a line
of text. The floor's POST followed by it is the best any submission and its page can do.
"""

import datetime
import uuid
import zoneinfo

from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.views.decorators.http import require_POST

from observers.models import Participation
from reports.models import Answer, Incident, Question, Visit, VisitRevision
from stations.models import PollingStation

_questions: dict[int, list[tuple[int, str, str]]] = {}  # checklist → (pk, code, kind)


def _questions_of(checklist_id: int) -> list[tuple[int, str, str]]:
    if checklist_id not in _questions:
        _questions[checklist_id] = list(
            Question.objects.filter(checklist_id=checklist_id)
            .order_by("position")
            .values_list("pk", "code", "kind")
        )
    return _questions[checklist_id]


def _moment(value: str, zone: zoneinfo.ZoneInfo) -> datetime.datetime | None:
    if not value:
        return None
    return datetime.datetime.fromisoformat(value).replace(tzinfo=zone)


def _value(post, code: str, kind: str):
    name = "q_" + code
    if kind == "multiple":
        return post.getlist(name)
    value = post.get(name) or None
    if value is not None and kind == "number":
        return int(value)
    return value


def _participation(request: HttpRequest, slug: str) -> Participation:
    participation = (
        Participation.objects.select_related("mission")
        .only("pk", "mission_id", "mission__time_zone")
        .filter(mission__slug=slug, user=request.user)
        .first()
    )
    if participation is None:
        raise Http404
    return participation


@login_required
def visit_floor_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    participation = _participation(request, slug)
    visit = (
        Visit.objects.filter(pk=pk, filed_by_id=participation.pk)
        .values_list("pk", "station__number")
        .first()
    )
    if visit is None:
        raise Http404
    return HttpResponse(f"Visit {visit[0]} filed: polling station {visit[1]}.\n")


@login_required
@require_POST
def visit_floor(request: HttpRequest, slug: str) -> HttpResponse:
    post = request.POST
    participation = _participation(request, slug)
    try:
        checklist_id = int(post["checklist"])
        key = uuid.UUID(post["key"])
    except (KeyError, ValueError):
        return HttpResponseBadRequest()
    station_id = (
        PollingStation.objects.filter(
            election__mission_id=participation.mission_id, number=post.get("station", "")
        )
        .values_list("pk", flat=True)
        .first()
    )
    if station_id is None:
        return HttpResponseBadRequest()
    zone = zoneinfo.ZoneInfo(participation.mission.time_zone)
    questions = _questions_of(checklist_id)
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                mission_id=participation.mission_id,
                station_id=station_id,
                checklist_id=checklist_id,
                filed_by_id=participation.pk,
                key=key,
                arrived_at=_moment(post.get("arrived_at", ""), zone),
                departed_at=_moment(post.get("departed_at", ""), zone),
                voters_on_list=int(post["voters_on_list"]) if post.get("voters_on_list") else None,
                ballots_issued=int(post["ballots_issued"]) if post.get("ballots_issued") else None,
                notes=post.get("notes", ""),
            )
            Answer.objects.bulk_create(
                Answer(visit=visit, question_id=pk, value=_value(post, code, kind))
                for pk, code, kind in questions
            )
            if post.get("incidents-0-category"):
                Incident.objects.create(
                    visit=visit,
                    category=post["incidents-0-category"],
                    severity=post.get("incidents-0-severity", ""),
                    description=post.get("incidents-0-description", ""),
                )
            Visit.observers.through.objects.create(visit=visit, participation_id=participation.pk)
            VisitRevision.objects.create(
                visit=visit, changed_by=request.user, action=VisitRevision.Action.FILED
            )
    except IntegrityError:
        visit = Visit.objects.filter(key=key, filed_by_id=participation.pk).first()
        if visit is None:
            raise
    return HttpResponseRedirect(f"/missions/{slug}/visits/{visit.pk}/")
