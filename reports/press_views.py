"""The press pages: statements as the press office and the public get them.

Anyone, anonymous included, sees and downloads published statements once any embargo has
passed. A mission's press officers (and its coordinators and head) also see its approved
statements and those published under an embargo, marked as such, so they can prepare before
the release time. Any other version does not exist as far as these pages tell.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from missions.models import Mission, MissionMembership
from missions.selectors import STAFF_ROLES
from reports.models import Statement, StatementDocument
from reports.statement_views import document_response

PRESS_ROLES = (MissionMembership.Role.PRESS_OFFICER, *STAFF_ROLES)


def _missions_briefed(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Mission] | None:
    """The missions whose approved and embargoed statements the user may see before release."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Mission.objects.all()
    return Mission.objects.filter(memberships__user=user, memberships__role__in=PRESS_ROLES)


def _visible(user: AbstractBaseUser | AnonymousUser) -> Q:
    """Which statements the user may see on the press pages."""
    visible = Q(status=Statement.Status.PUBLISHED) & (
        Q(embargo_until__isnull=True) | Q(embargo_until__lte=timezone.now())
    )
    briefed = _missions_briefed(user)
    if briefed is not None:
        visible |= Q(
            mission__in=briefed.values("pk"),
            status__in=(Statement.Status.APPROVED, Statement.Status.PUBLISHED),
        )
    return visible


def statements_for_press(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Statement]:
    """The newest version of each statement (mission, kind, language) the user may see.

    One query for the statements and one for their documents, however many there are.
    """
    visible = _visible(user)
    newer = Statement.objects.filter(
        visible,
        mission=OuterRef("mission"),
        kind=OuterRef("kind"),
        language=OuterRef("language"),
        version__gt=OuterRef("version"),
    )
    return (
        Statement.objects.filter(visible)
        .filter(~Exists(newer))
        .select_related("mission")
        .prefetch_related("documents")
        .order_by("-mission__starts_on", "mission__name", "mission_id", "kind", "language")
    )


def press_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reports/press/press_list.html",
        {"statements": list(statements_for_press(request.user))},
    )


def _may_download(user: AbstractBaseUser | AnonymousUser, statement: Statement) -> bool:
    if statement.is_released:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    roles = set(
        MissionMembership.objects.filter(mission=statement.mission_id, user=user).values_list(
            "role", flat=True
        )
    )
    if roles & set(STAFF_ROLES):
        # Coordinators check every version, compiled and not yet approved ones included.
        return True
    return MissionMembership.Role.PRESS_OFFICER in roles and statement.status in (
        Statement.Status.APPROVED,
        Statement.Status.PUBLISHED,
    )


def press_download(request: HttpRequest, pk: int, format: str) -> HttpResponse:
    document = get_object_or_404(
        StatementDocument.objects.select_related("statement__mission"),
        statement__pk=pk,
        format=format,
    )
    if not _may_download(request.user, document.statement):
        # Not "forbidden": an unreleased statement is not confirmed to exist.
        raise Http404
    return document_response(document)
