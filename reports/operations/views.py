"""The operations room at /missions/<slug>/operations/: coverage, review queue, live feed,
teams, charts, map and exports, for the mission's coordinators and head.

Access is decided as on the statement pages (`coordinator_page`): another member of the
mission gets 403, anyone else 404, anonymous users the login page.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from missions.models import Election
from reports.models import ExportJob
from reports.operations import charts, exports, jobs, selectors
from reports.statements.views import StaffAccess, coordinator_page

# The concern chart reads every answer of the mission: computed at most this often.
CHART_CACHE_SECONDS = 60


def _election_day(access: StaffAccess) -> dt.date:
    election = Election.objects.filter(mission=access.mission).only("election_day").first()
    if election is not None:
        return election.election_day
    return timezone.localdate(timezone.now(), selectors.mission_zone(access.mission))


def _feed_context(access: StaffAccess, since: dt.datetime | None) -> dict:
    items = selectors.feed_items(access.mission)
    new_critical = 0
    for item in items:
        item.is_new = since is not None and item.visit.created_at > since
        new_critical += item.is_new and item.is_critical
    return {"mission": access.mission, "items": items, "new_critical": new_critical}


@dataclass
class Figures:
    """What the room counts over the whole mission: computed at most every
    OPERATIONS_FIGURES_SECONDS and shared by every coordinator watching."""

    computed_at: dt.datetime
    by_phase: list
    by_area: list
    overdue: list
    teams: selectors.Teams
    election_day: dt.date
    hours: charts.HourChart


def _figures(access: StaffAccess, now: dt.datetime) -> Figures:
    key = f"operations:figures:{access.mission.pk}"
    figures = cache.get(key)
    if figures is None:
        mission = access.mission
        by_phase, by_area = selectors.coverage_compute(mission)
        day = _election_day(access)
        figures = Figures(
            computed_at=now,
            by_phase=by_phase,
            by_area=by_area,
            overdue=selectors.overdue_assignments(mission, now=now),
            teams=selectors.team_activity(
                mission,
                now=now,
                silent_after=dt.timedelta(minutes=settings.OPERATIONS_SILENT_MINUTES),
            ),
            election_day=day,
            hours=charts.hour_chart(selectors.visits_per_hour(mission, day)),
        )
        cache.set(key, figures, settings.OPERATIONS_FIGURES_SECONDS)
    return figures


@require_GET
@coordinator_page
def dashboard(request: HttpRequest, access: StaffAccess):
    mission = access.mission
    now = timezone.now()
    context = {
        "mission": mission,
        "now": now,
        "figures": _figures(access, now),
        "figures_seconds": settings.OPERATIONS_FIGURES_SECONDS,
        # The review queue and the feed are read live on every request.
        "queue": selectors.review_queue(mission),
        "silent_minutes": settings.OPERATIONS_SILENT_MINUTES,
        # Whatever is filed after this moment is flagged new in the feed.
        "feed_url": reverse("operations:feed", args=[mission.slug])
        + "?"
        + urlencode({"since": now.isoformat()}),
        "feed_seconds": settings.OPERATIONS_FEED_SECONDS,
        "tile_url": settings.MAP_TILE_URL or "",
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION or "",
        "exports": exports.EXPORTS.values(),
        **_feed_context(access, since=now),
    }
    return render(request, "reports/operations/dashboard.html", context)


@require_GET
@coordinator_page
def feed(request: HttpRequest, access: StaffAccess):
    """The feed alone, for the dashboard to fetch every few seconds."""
    since = parse_datetime(request.GET.get("since", "") or "")
    if since is not None and timezone.is_naive(since):
        since = None
    return render(request, "reports/operations/_feed.html", _feed_context(access, since))


@require_GET
@coordinator_page
def concern_chart(request: HttpRequest, access: StaffAccess):
    """The share of stations with a concern per question and area, loaded after the page."""
    key = f"operations:concern-chart:{access.mission.pk}"
    chart = cache.get(key)
    if chart is None:
        regions, questions = selectors.concern_share_by_area(access.mission)
        chart = charts.share_chart(regions, questions)
        cache.set(key, chart, CHART_CACHE_SECONDS)
    return render(
        request,
        "reports/operations/_concern_chart.html",
        {"chart": chart, "cache_seconds": CHART_CACHE_SECONDS},
    )


@require_GET
@coordinator_page
def map_stations(request: HttpRequest, access: StaffAccess):
    return JsonResponse({"stations": list(selectors.station_statuses(access.mission))})


@require_http_methods(["GET", "POST"])
@coordinator_page
def export(request: HttpRequest, access: StaffAccess, kind: str, format: str):
    """The export as a file; one too large to write while the analyst waits (an XLSX of more
    than OPERATIONS_EXPORT_JOB_ROWS rows) is offered as a job, which a POST starts."""
    table = exports.EXPORTS.get(kind)
    if table is None or format not in exports.FORMATS:
        raise Http404
    mission = access.mission
    if jobs.export_needs_job(export=table, format=format, mission=mission):
        if request.method == "POST":
            job = jobs.export_job_request(
                mission=mission,
                kind=kind,
                format=format,
                user=request.user,
                language=translation.get_language(),
            )
            return redirect("operations:export_job", mission.slug, job.pk)
        return render(
            request,
            "reports/operations/export_job_offer.html",
            {
                "mission": mission,
                "export": table,
                "format": format,
                "rows": table.count(mission),
                "limit": settings.OPERATIONS_EXPORT_JOB_ROWS,
                "recent": ExportJob.objects.filter(mission=mission, kind=kind, format=format)[:5],
            },
        )
    if request.method == "POST":
        return redirect("operations:export", mission.slug, kind, format)
    filename = f"{mission.slug}-{table.slug}.{format}"
    rows = table.rows(mission)
    if format == "csv":
        response = StreamingHttpResponse(
            exports.csv_lines(rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return FileResponse(
        exports.xlsx_file(rows, table.slug),
        as_attachment=True,
        filename=filename,
        content_type=XLSX_TYPE,
    )


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _job(access: StaffAccess, pk: int) -> ExportJob:
    # Another mission's job is not found, whoever asks.
    return get_object_or_404(
        ExportJob.objects.select_related("mission"), mission=access.mission, pk=pk
    )


def _job_status(job: ExportJob) -> dict:
    return {
        "status": job.status,
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
    }


@require_GET
@coordinator_page
def export_job(request: HttpRequest, access: StaffAccess, pk: int):
    """A large export's progress, then its file."""
    job = _job(access, pk)
    export = exports.EXPORTS.get(job.kind)
    return render(
        request,
        "reports/operations/export_job.html",
        {"mission": access.mission, "job": job, "export": export},
    )


@require_GET
@coordinator_page
def export_job_status(request: HttpRequest, access: StaffAccess, pk: int):
    """The job's progress, for its page to follow without reloading."""
    return JsonResponse(_job_status(_job(access, pk)))


@require_GET
@coordinator_page
def export_job_file(request: HttpRequest, access: StaffAccess, pk: int):
    job = _job(access, pk)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=f"{job.mission.slug}-{job.kind}.{job.format}",
        content_type=XLSX_TYPE,
    )
