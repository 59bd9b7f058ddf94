"""The press pages: statements as the press office and the public get them.

Anyone, anonymous included, sees and downloads published statements once any embargo has
passed. A mission's press officers (and its coordinators and head) also see its approved
statements and those published under an embargo, marked as such, so they can prepare before
the release time. Any other version does not exist as far as these pages tell.

The public's list is the same for every anonymous visitor, so it is rendered once per language
and cached (reports.statements.press_cache); a press officer's is rendered for them each time.
Either loads only the columns it shows, never a statement's compiled content.
"""

import functools
import re

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe

from missions.content_languages import columns
from missions.permissions import DOWNLOAD_STATEMENT, READ_APPROVED, may, missions_where
from reports.models import Statement, StatementDocument
from reports.statements import press_cache
from reports.statements.downloads import download_response
from reports.statements.views import document_file_name


def _visible(user: AbstractBaseUser | AnonymousUser) -> Q:
    """Which statements the user may see on the press pages."""
    visible = Q(status=Statement.Status.PUBLISHED) & (
        Q(embargo_until__isnull=True) | Q(embargo_until__lte=timezone.now())
    )
    if user.is_authenticated:
        # Approved statements before their embargo lifts: the mission's press office and staff.
        visible |= Q(
            mission__in=missions_where(user, READ_APPROVED).values("pk"),
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
        .only(*LISTED_FIELDS)
        .prefetch_related(
            Prefetch("documents", StatementDocument.objects.only("statement_id", "format"))
        )
        .order_by("-mission__starts_on", "mission__name", "mission_id", "kind", "language")
    )


# What the list shows of a statement and its mission: never the compiled content.
LISTED_FIELDS = (
    "mission_id",
    "kind",
    "language",
    "version",
    "status",
    "published_at",
    "embargo_until",
    "mission__name",
    # The name in every language: the page shows it in the reader's (a fallback needs English).
    *(f"mission__{name}" for name in columns("name")),
    "mission__starts_on",
    "mission__ends_on",
    "mission__time_zone",
)


def _statements_html(user: AbstractBaseUser | AnonymousUser) -> str:
    return render_to_string(
        "reports/press/_statements.html", {"statements": list(statements_for_press(user))}
    )


def press_list(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        html = _statements_html(request.user)
    else:
        html = press_cache.public_list(lambda: _statements_html(request.user))
    return render(request, "reports/press/press_list.html", {"statements_html": mark_safe(html)})


def _released_download(request: HttpRequest, pk: int, file_format: str):
    """The generation, and the response for a released statement's file if it is remembered."""
    generation, cached, file_name = press_cache.released_document(pk, file_format)
    if cached is None:
        return generation, None
    # Released: anyone may have it.
    return generation, download_response(request, cached, file_name=file_name, public=True)


def press_download(request: HttpRequest, pk: int, format: str) -> HttpResponse:
    generation, response = _released_download(request, pk, format)
    if response is not None:
        return response
    document = get_object_or_404(
        StatementDocument.objects.select_related("statement__mission").defer("statement__content"),
        statement__pk=pk,
        format=format,
    )
    if not may(request.user, DOWNLOAD_STATEMENT, document.statement):
        # Not "forbidden": an unreleased statement is not confirmed to exist.
        raise Http404
    file_name = document_file_name(document)
    released = document.statement.is_released
    if released:
        press_cache.released_document_remember(generation, document, file_name)
    return download_response(request, document, file_name=file_name, public=released)


@functools.cache
def _download_prefix() -> str:
    """The press downloads' addresses up to the statement ("/press/statements/")."""
    return reverse("press:download", kwargs={"pk": 1, "format": "pdf"}).removesuffix("1/pdf/")


# The rest of a download's address, as press_urls has it: "<int:pk>/<str:format>/".
_DOWNLOAD_TAIL = re.compile(r"([0-9]+)/([^/]+)/")


class ReleasedDownloadMiddleware:
    """Answer a released statement's download before sessions, languages and accounts.

    At the embargo lift the public asks for the same few files at once. A released file is
    the same for everyone, and the press cache remembers it (without the database) until a
    change bumps its generation, so its download needs no session, user, language or CSRF
    check: it is answered here, right after the static files, with the headers every page
    carries, added by the middleware in `HEADERS` as for any response. Anything else (a file
    not remembered yet, or not released) goes on to the view, which decides who may have it.
    """

    HEADERS = (
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "csp.middleware.CSPMiddleware",
        "accounts.middleware.PermissionsPolicyMiddleware",
    )

    def __init__(self, get_response):
        self.get_response = get_response
        with_headers = self._remembered
        for name in reversed(self.HEADERS):
            with_headers = import_string(name)(with_headers)
        self.with_headers = with_headers

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path, prefix = request.path_info, _download_prefix()
        if request.method in ("GET", "HEAD") and path.startswith(prefix):
            match = _DOWNLOAD_TAIL.fullmatch(path, len(prefix))
            if match is not None:
                pk, file_format = match.groups()
                _generation, response = _released_download(request, int(pk), file_format)
                if response is not None:
                    request.released_response = response
                    return self.with_headers(request)
        return self.get_response(request)

    @staticmethod
    def _remembered(request: HttpRequest) -> HttpResponse:
        return request.released_response
