"""Observer pages: phone first, server-rendered, and careful never to lose what was typed."""

import functools
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from reports import checklist_cache, selectors
from reports.forms import IncidentFormSet, VisitForm, incident_initial
from reports.models import Visit
from reports.services import (
    LikelyDuplicate,
    VisitRefused,
    participation_check_may_file,
    visit_submit,
    visit_update,
)
from stations.models import PollingStation


def observer_page(view=None, *, person: bool = False):
    """Let only the mission's observers in: others of the mission get 403, strangers 404.

    The page gets the observer's participation with the mission and its election; with
    `person`, also the observer's record and delegation, for the pages that print them.
    """
    if view is None:
        return functools.partial(observer_page, person=person)

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
        try:
            participation = selectors.participation_for(user=request.user, slug=slug, person=person)
        except Http404:
            if selectors.mission_is_known_to(user=request.user, slug=slug):
                raise PermissionDenied(_("These pages are for the mission's observers.")) from None
            raise
        with timezone.override(participation.mission.time_zone):
            try:
                return view(request, participation, *args, **kwargs)
            except VisitRefused as error:
                return _refused(request, participation, error)

    return wrapper


@observer_page(person=True)
def mission_home(request, participation):
    visits = selectors.visits_of(participation)
    # The same assignments as the Assignments tab: what is coming up, else the latest ones.
    assignments = list(selectors.assignments_of(participation))
    today = timezone.localdate()
    upcoming = [assignment for assignment in assignments if assignment.date >= today]
    return render(
        request,
        "reports/mission_home.html",
        {
            "participation": participation,
            "mission": participation.mission,
            "assignments": upcoming[:5] if upcoming else assignments[-5:],
            "upcoming": bool(upcoming),
            "assignment_total": len(assignments),
            "visit_count": visits.count(),
            "returned": list(visits.filter(review=Visit.Review.RETURNED)),
        },
    )


@observer_page
def assignment_list(request, participation):
    return render(
        request,
        "reports/assignment_list.html",
        {
            "participation": participation,
            "mission": participation.mission,
            "assignments": list(selectors.assignments_of(participation)),
        },
    )


@observer_page
def visit_list(request, participation):
    return render(
        request,
        "reports/visit_list.html",
        {
            "participation": participation,
            "mission": participation.mission,
            "visits": list(selectors.visits_of(participation)),
        },
    )


@observer_page
def visit_detail(request, participation, pk: int):
    visit = selectors.visit_for(participation=participation, pk=pk)
    return render(
        request,
        "reports/visit_detail.html",
        {
            "participation": participation,
            "mission": participation.mission,
            "visit": visit,
            # Each answer's question, the answer as the observer reads it, and whether it is
            # a concern, read here once rather than looked up attribute by attribute per row.
            "answer_rows": [
                (answer.question.text, answer.display_value, answer.is_concern)
                for answer in visit.answers.all()
            ],
            "may_edit": visit.is_editable and visit.filed_by_id == participation.pk,
        },
    )


def _refused(request, participation, error: VisitRefused, status: int = 403) -> HttpResponse:
    return render(
        request,
        "reports/refused.html",
        {"participation": participation, "mission": participation.mission, "reason": str(error)},
        status=status,
    )


def _form_page(request, participation, *, form, incidents, visit=None) -> HttpResponse:
    mission = participation.mission
    assigned = [a.station for a in selectors.assignments_of(participation)]
    return render(
        request,
        "reports/visit_form.html",
        {
            "participation": participation,
            "mission": mission,
            "form": form,
            "incidents": incidents,
            "checklist": form.checklist,
            "visit": visit,
            "assigned_stations": list(dict.fromkeys(assigned)),
        },
        status=409 if getattr(form, "duplicate", None) else 400 if form.is_bound else 200,
    )


@observer_page
def visit_new(request, participation):
    mission = participation.mission
    participation_check_may_file(participation)
    station = None
    if request.GET.get("station"):
        station = get_object_or_404(
            PollingStation, pk=_id(request.GET["station"]), election=mission.election
        )
    checklist_id = request.POST.get("checklist") or request.GET.get("checklist")
    if not checklist_id:
        return render(
            request,
            "reports/checklist_choice.html",
            {
                "participation": participation,
                "mission": mission,
                "checklists": selectors.checklists_for_filing(mission.pk),
                "station": station,
            },
        )
    checklist, questions = checklist_cache.checklist_of(mission_id=mission.pk, pk=_id(checklist_id))
    form_kwargs = {"checklist": checklist, "questions": questions, "participation": participation}
    Form = checklist_cache.form_class(checklist, questions)

    if request.method == "POST":
        # A retry of a form that already went through (same key) is valid as it was, and the
        # key's unique constraint sends it to the visit the first sending created.
        form, incidents = _bound_forms(request, form_kwargs, Form)
        filed = written(
            form,
            incidents,
            lambda data, files: visit_submit(
                participation=participation,
                key=form.cleaned_data["key"],
                data=data,
                files=files,
                user=request.user,
                allow_duplicate=form.cleaned_data["confirm_duplicate"],
            ),
        )
        if filed is None:
            return _form_page(request, participation, form=form, incidents=incidents)
        visit, created = filed
        if created:
            messages.success(request, _("Visit filed. Thank you."))
        else:
            messages.info(request, _("This visit was already filed; nothing was duplicated."))
        return redirect("reports:visit_detail", slug=mission.slug, pk=visit.pk)

    form = Form(initial=VisitForm.initial_for_new(mission, station), **form_kwargs)
    incidents = IncidentFormSet(
        prefix="incidents", form_kwargs=checklist_cache.incident_form_kwargs(checklist, questions)
    )
    return _form_page(request, participation, form=form, incidents=incidents)


def _bound_forms(
    request, form_kwargs: dict, Form: type[VisitForm] = VisitForm
) -> tuple[VisitForm, IncidentFormSet]:
    form = Form(request.POST, request.FILES, **form_kwargs)
    incidents = IncidentFormSet(
        request.POST,
        prefix="incidents",
        form_kwargs=checklist_cache.incident_form_kwargs(
            form_kwargs["checklist"], form_kwargs["questions"]
        ),
    )
    return form, incidents


def written(form: VisitForm, incidents: IncidentFormSet, write: Callable):
    """Validate the visit form and its incidents and hand them to `write`; return its result,
    or None when the form must be shown again with its errors (the service's beside their
    fields). A VisitRefused goes up to the page's refusal."""
    if not (form.is_valid() and incidents.is_valid()):
        return None
    try:
        return write(form.visit_data(incidents.incidents()), form.cleaned_data["attachments"])
    except ValidationError as error:
        form.add_service_errors(error)
        return None
    except LikelyDuplicate as duplicate:
        # Nothing is wrong with the form: the observer chooses on the page shown again.
        form.duplicate = duplicate.visit
        return None


def _id(raw: str) -> int:
    """Read an id from the address; anything but a number is a page that does not exist."""
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise Http404 from None


@observer_page
def visit_edit(request, participation, pk: int):
    visit = selectors.visit_for(participation=participation, pk=pk)
    if visit.filed_by_id != participation.pk:
        raise PermissionDenied(_("Only the observer who filed this visit can change it."))
    if not visit.is_editable:
        messages.warning(request, _("This visit has been reviewed and can no longer be changed."))
        return redirect("reports:visit_detail", slug=participation.mission.slug, pk=visit.pk)
    questions = checklist_cache.used_questions(visit.checklist)
    form_kwargs = {
        "checklist": visit.checklist,
        "questions": questions,
        "participation": participation,
    }
    Form = checklist_cache.form_class(visit.checklist, questions)
    if request.method == "POST":
        form, incidents = _bound_forms(request, form_kwargs, Form)
        saved = written(
            form,
            incidents,
            lambda data, files: visit_update(
                visit=visit, participation=participation, data=data, files=files, user=request.user
            ),
        )
        if saved is None:
            return _form_page(request, participation, form=form, incidents=incidents, visit=visit)
        messages.success(request, _("Your corrections are saved."))
        return redirect("reports:visit_detail", slug=participation.mission.slug, pk=pk)
    form = Form(initial=VisitForm.initial_for_visit(visit), **form_kwargs)
    incidents = IncidentFormSet(
        prefix="incidents",
        initial=incident_initial(visit),
        form_kwargs=checklist_cache.incident_form_kwargs(visit.checklist, questions),
    )
    return _form_page(request, participation, form=form, incidents=incidents, visit=visit)


@login_required
def attachment_download(request, slug: str, pk: int):
    attachment = selectors.attachment_for(user=request.user, slug=slug, pk=pk)
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=f"visit-{attachment.visit_id}-{attachment.pk}{attachment.extension}",
    )


@observer_page
def web_manifest(request, participation):
    """What a phone needs to install the mission's pages as an app."""
    mission = participation.mission
    home = resolve_url("reports:mission_home", slug=mission.slug)
    manifest = {
        "name": f"Observa · {mission.name}",
        "short_name": "Observa",
        "description": _("File polling-station visits, with or without a connection."),
        "start_url": home,
        "scope": home,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#212529",
        "icons": [
            {
                "src": static(f"observa/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
            }
            for size in (192, 512)
        ],
    }
    return JsonResponse(manifest, content_type="application/manifest+json")


@require_GET
def service_worker(request, slug: str):
    """The service worker, served under the mission's pages so that they are its scope.

    Served to anyone: it is the same code for every mission and holds no data. It caches
    only what the observer's pages (offline_pages) name, and never touches a POST.
    """
    path = finders.find("observa/sw.js")
    with open(path, encoding="utf-8") as source:
        response = HttpResponse(source.read(), content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response


@observer_page
def offline_pages(request, participation):
    """The addresses the service worker keeps for this observer to open with no network."""
    mission = participation.mission
    slug = mission.slug
    new = resolve_url("reports:visit_new", slug=slug)
    stations = dict.fromkeys(a.station_id for a in selectors.assignments_of(participation))
    checklists = selectors.checklists_for_filing(mission.pk) if participation.is_accredited else []
    pages = [
        resolve_url("reports:mission_home", slug=slug),
        resolve_url("reports:assignment_list", slug=slug),
        resolve_url("reports:visit_list", slug=slug),
        new,
        *(f"{new}?checklist={checklist.pk}" for checklist in checklists),
        *(f"{new}?station={station}" for station in stations),
    ]
    assets = [
        static("vendor/bootstrap/bootstrap.min.css"),
        static("observa/observa.css"),
        static("observa/app.js"),
        static("observa/visit_form.js"),
        static("observa/icon-192.png"),
        resolve_url("javascript-catalog"),
        resolve_url("reports:manifest", slug=slug),
    ]
    return JsonResponse({"pages": pages, "assets": assets})
