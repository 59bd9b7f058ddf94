"""The observer's visit endpoint for the page's own code: the offline outbox sends through it.

It takes the filing form's fields as multipart/form-data, exactly as the HTML form posts them,
validates them with the same form and files the visit with the same service
(`reports.services.visit_submit`), and answers in JSON: the visit filed, or the messages by
form field so the page shows each beside its field. The OpenAPI schema is generated from this
module and served to logged-in users at /api/openapi.json (and /api/docs).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema, Status
from ninja.security import django_auth

from reports import checklist_cache, selectors
from reports.forms import ANSWER_PREFIX, NOT_OBSERVED_PREFIX, IncidentFormSet, VisitForm
from reports.models import Checklist, Visit
from reports.services import (
    LikelyDuplicate,
    VisitRefused,
    participation_check_may_file,
    visit_submit,
)
from reports.views import written

api = NinjaAPI(
    title="Observa observer API",
    version="1",
    description=(
        "Filing a polling-station visit from the observer's page. Log in to the site first: "
        "requests carry the session cookie and the CSRF token (header X-CSRFToken)."
    ),
    urls_namespace="api",
    docs_decorator=login_required,
)


class Detail(Schema):
    detail: str


class Filed(Schema):
    id: int
    url: str
    created: bool


class Refused(Schema):
    detail: str
    errors: dict[str, list[str]]


class Existing(Schema):
    id: int
    url: str
    arrived_at: str


class Duplicate(Schema):
    detail: str
    duplicate: Existing


def _field(description: str, **schema) -> dict:
    return {"type": "string", "description": description, **schema}


VISIT_BODY = {
    "type": "object",
    "required": ["key", "checklist", "station", "arrived_at"],
    "properties": {
        "key": _field(
            "Made once per visit by the device (a UUID); sending it again never files twice.",
            format="uuid",
        ),
        "checklist": _field("The id of a checklist of the mission.", pattern="^[0-9]{1,9}$"),
        "station": _field("Polling station number.", maxLength=20),
        "arrived_at": _field("Local time in the mission's time zone, YYYY-MM-DDTHH:MM."),
        "departed_at": _field("As arrived_at; may be empty."),
        "voters_on_list": _field("Whole number; may be empty."),
        "ballots_issued": _field("Whole number; may be empty."),
        "notes": _field("Free text."),
        "confirm_duplicate": _field(
            "“on” files a second visit deliberately after a 409 named a likely duplicate."
        ),
        "incidents-TOTAL_FORMS": _field("How many incidents follow.", pattern="^[0-9]{1,2}$"),
        "incidents-INITIAL_FORMS": _field("Always 0 for a new visit.", pattern="^0$"),
        "attachments": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "JPEG, PNG, WebP or PDF files.",
        },
    },
    "additionalProperties": {
        "type": "string",
        "description": (
            f"Answers as `{ANSWER_PREFIX}<question code>`, “not observed” as "
            f"`{NOT_OBSERVED_PREFIX}<question code>` = on, incidents as "
            "`incidents-<n>-category|severity|description|complaint_filed|question|DELETE`."
        ),
    },
}


def _participation(request: HttpRequest, slug: str):
    try:
        return selectors.participation_for(user=request.user, slug=slug)
    except Http404:
        if selectors.mission_is_known_to(user=request.user, slug=slug):
            raise PermissionDenied from None
        raise


def _filed(visit: Visit, slug: str, created: bool) -> Filed:
    url = resolve_url("reports:visit_detail", slug=slug, pk=visit.pk)
    return Filed(id=visit.pk, url=url, created=created)


@api.post(
    "/missions/{slug}/visits",
    auth=django_auth,
    response={
        200: Filed,
        201: Filed,
        400: Refused,
        401: Detail,
        403: Detail,
        404: Detail,
        409: Duplicate,
    },
    summary="File a visit",
    description=(
        "201: filed. 200: a visit with this key was filed before (a retry); nothing new. "
        "400: the messages by form field (`__all__` for the form as a whole); nothing filed. "
        "401: not logged in. 403: not one of the mission's accredited observers, a missing "
        "CSRF token, or a key another observer used. 404: no such mission for this user. "
        "409: a likely duplicate of a visit filed within 30 minutes; send again with "
        "confirm_duplicate=on to file it deliberately."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": VISIT_BODY}},
        }
    },
)
def visit_file(request, slug: str):
    try:
        participation = _participation(request, slug)
    except PermissionDenied:
        return Status(403, Detail(detail=_("These pages are for the mission's observers.")))
    except Http404:
        return Status(404, Detail(detail=_("Not found.")))
    mission = participation.mission
    with timezone.override(mission.time_zone):
        try:
            participation_check_may_file(participation)
            checklist, questions = _checklist(request, mission)
            if checklist is None:
                return Status(
                    400,
                    Refused(
                        detail=_("Some answers need your attention."),
                        errors={"checklist": [_("Choose one of the mission's checklists.")]},
                    ),
                )
            # A retry (the same key) is valid as it was, and the key's unique constraint sends
            # it to the visit the first sending created: 200, nothing new.
            form = checklist_cache.form_class(checklist, questions)(
                request.POST,
                request.FILES,
                checklist=checklist,
                questions=questions,
                participation=participation,
            )
            incidents = IncidentFormSet(
                request.POST,
                prefix="incidents",
                form_kwargs=checklist_cache.incident_form_kwargs(checklist, questions),
            )
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
        except VisitRefused as refusal:
            return Status(403, Detail(detail=str(refusal)))
        if filed is not None:
            visit, created = filed
            return Status((201 if created else 200), _filed(visit, slug, created))
        duplicate = getattr(form, "duplicate", None)
        if duplicate is not None:
            return Status(
                409,
                Duplicate(
                    detail=str(LikelyDuplicate(duplicate)),
                    duplicate=Existing(
                        id=duplicate.pk,
                        url=resolve_url("reports:visit_detail", slug=slug, pk=duplicate.pk),
                        arrived_at=timezone.localtime(duplicate.arrived_at).strftime(
                            "%Y-%m-%dT%H:%M"
                        ),
                    ),
                ),
            )
        return Status(
            400,
            Refused(detail=_("Some answers need your attention."), errors=_errors(form, incidents)),
        )


def _checklist(request: HttpRequest, mission) -> tuple[Checklist | None, list]:
    """The mission's checklist version the form names, with its questions; (None, []) if the
    mission has no such version."""
    raw = request.POST.get("checklist", "")
    if not raw.isdigit() or len(raw) > 9:
        return None, []
    try:
        return checklist_cache.checklist_of(mission_id=mission.pk, pk=int(raw))
    except Http404:
        return None, []


def _errors(form: VisitForm, incidents: IncidentFormSet) -> dict[str, list[str]]:
    """Every message by the name of the field the page shows it beside."""
    errors = {name: list(messages) for name, messages in form.errors.items()}
    for incident in incidents.forms:
        for name, messages in incident.errors.items():
            errors[incident.add_prefix(name) if name != "__all__" else "__all__"] = list(messages)
    if incidents.non_form_errors():
        errors.setdefault("__all__", []).extend(incidents.non_form_errors())
    if incidents.management_form.errors:
        errors.setdefault("__all__", []).append(_("The incidents could not be read."))
    return errors
