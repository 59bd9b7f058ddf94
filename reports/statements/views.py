"""Coordinator pages for the mission's statements: ask for one, follow its compilation, read it
with the evidence behind each generated sentence, assess, approve, publish and download.

Only the mission's coordinators and its head of mission (and superusers) get in: another member
of the mission (an observer, a press officer) is refused with 403, anyone else told 404.
"""

import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from missions.models import Mission, MissionMembership
from missions.permissions import ASSESS, MANAGE, may, roles_known
from observers.models import Participation
from reports.models import (
    Answer,
    Incident,
    Severity,
    Statement,
    StatementDocument,
    StatementEvidence,
    Visit,
)
from reports.selectors import review_backlog
from reports.statements.approvals import (
    StatementRefused,
    assessment_contradiction,
    authored_warnings,
    statement_approve,
    statement_assessment_set,
    statement_publish,
)
from reports.statements.document import Document
from reports.statements.findings import findings_for_statement
from reports.statements.jobs import statement_request, statement_request_all_languages
from reports.statements.missing_translations import missing_translations_by_language
from reports.statements.renderers import render_html_fragment

# The words a downloaded file's name uses for each kind: names are chosen by the server, in
# ASCII, and stay the same whatever the reader's language.
KIND_FILE_NAMES = {
    Statement.Kind.PRELIMINARY: "preliminary-statement",
    Statement.Kind.FINAL: "final-statement",
    Statement.Kind.BRIEFING: "press-briefing",
}

IN_PROGRESS = (Statement.Status.QUEUED, Statement.Status.COMPILING)


def document_file_name(document: StatementDocument) -> str:
    """Name a statement's file, e.g. sco-kazakhstan-2022-final-statement-v2-en.pdf."""
    statement = document.statement
    kind = KIND_FILE_NAMES.get(statement.kind, statement.kind)
    return (
        f"{statement.mission.slug}-{kind}-v{statement.version}-{statement.language}"
        f".{document.format}"
    )


def document_response(document: StatementDocument) -> FileResponse:
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document_file_name(document),
        content_type=document.content_type,
    )


@dataclass
class StaffAccess:
    """The mission a coordinator page is about, and whether the user may approve there."""

    mission: Mission
    is_head: bool


def _staff_access(user, slug: str) -> StaffAccess:
    """Who may open a coordinator page of the mission, decided by missions.permissions.

    One query reads the mission with the user's memberships; the checks then ask no more.
    """
    if user.is_superuser:
        mission = get_object_or_404(Mission, slug=slug)
    else:
        memberships = list(
            MissionMembership.objects.filter(user=user, mission__slug=slug).select_related(
                "mission"
            )
        )
        if not memberships:
            if Participation.objects.filter(user=user, mission__slug=slug).exists():
                raise PermissionDenied(_("These pages are for the mission's coordinators."))
            raise Http404
        mission = memberships[0].mission
        roles_known(mission, user, (membership.role for membership in memberships))
    if not may(user, MANAGE, mission):
        raise PermissionDenied(_("These pages are for the mission's coordinators."))
    return StaffAccess(mission, is_head=may(user, ASSESS, mission))


def coordinator_page(view):
    """Let in the mission's coordinators and head: other members get 403, strangers 404."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
        access = _staff_access(request.user, slug)
        # Times are read and typed in the mission's time zone, as its observers saw them.
        with timezone.override(access.mission.time_zone):
            return view(request, access, *args, **kwargs)

    return wrapper


ALL_LANGUAGES = "all"


def _language_choices():
    # One action compiles every language: one version (and one job) per language.
    return [(ALL_LANGUAGES, gettext_lazy("All languages")), *settings.LANGUAGES]


class StatementRequestForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Statement.Kind.choices)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=_language_choices)


class AssessmentForm(forms.Form):
    assessment = forms.ChoiceField(
        label=gettext_lazy("Overall assessment"), choices=Statement.Assessment.choices
    )
    override_reason = forms.CharField(
        label=gettext_lazy("Reason for keeping an assessment the findings contradict"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, may_choose: bool, **kwargs):
        super().__init__(*args, **kwargs)
        # Coordinators see the head's choice but cannot change it; they may add a reason.
        self.fields["assessment"].disabled = not may_choose


class PublishForm(forms.Form):
    embargo_until = forms.DateTimeField(
        label=gettext_lazy("Embargoed until (mission time, optional)"),
        required=False,
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"
        ),
    )


def _statement(access: StaffAccess, pk: int) -> Statement:
    return get_object_or_404(
        Statement.objects.select_related(
            "mission", "requested_by", "approved_by", "override_by"
        ).prefetch_related("documents"),
        mission=access.mission,
        pk=pk,
    )


def _statements_of(mission: Mission):
    """Every version of every statement of the mission, with who asked and who approved."""
    return (
        Statement.objects.filter(mission=mission)
        .defer("content")
        .select_related("requested_by", "approved_by")
        .prefetch_related("documents")
        .order_by("kind", "language", "-version")
    )


@coordinator_page
def statement_list(request, access: StaffAccess):
    mission = access.mission
    form = StatementRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["language"] == ALL_LANGUAGES:
                queued = statement_request_all_languages(
                    mission=mission, kind=form.cleaned_data["kind"], requested_by=request.user
                )
            else:
                statement = statement_request(
                    mission=mission,
                    kind=form.cleaned_data["kind"],
                    language=form.cleaned_data["language"],
                    requested_by=request.user,
                )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            if form.cleaned_data["language"] == ALL_LANGUAGES:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d language version is queued for compiling.",
                        "%(count)d language versions are queued for compiling.",
                        len(queued),
                    )
                    % {"count": len(queued)},
                )
                if any(version.sending.sent is False for version in queued):
                    messages.warning(request, str(Statement.UNSENT_MESSAGE))
                return redirect("statements:list", slug=mission.slug)
            if statement.sending.sent is False:
                messages.warning(request, str(Statement.UNSENT_MESSAGE))
            else:
                messages.success(request, _("The statement is queued for compiling."))
            return redirect("statements:detail", slug=mission.slug, pk=statement.pk)
    return render(
        request,
        "reports/statements/statement_list.html",
        {
            "mission": mission,
            "statements": list(_statements_of(mission)),
            "form": form,
            "missing_translations": _missing_translations(mission),
            # What a version compiled now would leave out, before it is asked for.
            "backlog": review_backlog(mission=mission),
        },
        status=400 if form.is_bound else 200,
    )


def _missing_translations(mission: Mission) -> list[tuple[str, str, list]]:
    """(language code, language name, what it lacks) for every language but English."""
    names = dict(settings.LANGUAGES)
    return [
        (language, names[language], missing)
        for language, missing in missing_translations_by_language(mission=mission).items()
    ]


def _evidence_url(statement: Statement) -> Callable[[str], str]:
    def url(paragraph_id: str) -> str:
        return reverse(
            "statements:evidence",
            kwargs={
                "slug": statement.mission.slug,
                "pk": statement.pk,
                "paragraph_id": paragraph_id,
            },
        )

    return url


@coordinator_page
def statement_detail(request, access: StaffAccess, pk: int):
    statement = _statement(access, pk)
    context = {
        "mission": access.mission,
        "statement": statement,
        "is_head": access.is_head,
        "in_progress": statement.status in IN_PROGRESS,
        "documents": list(statement.documents.all()),
    }
    if statement.content and statement.status not in IN_PROGRESS:
        document = Document.from_dict(statement.content)
        context["document_html"] = render_html_fragment(document, _evidence_url(statement))
    if statement.status == Statement.Status.READY:
        findings = findings_for_statement(statement=statement)
        if statement.assessment:
            context["contradiction"] = assessment_contradiction(
                assessment=statement.assessment, findings=findings
            )
        context["warnings"] = authored_warnings(statement=statement, findings=findings)
        context["assessment_form"] = AssessmentForm(
            initial={
                "assessment": statement.assessment,
                "override_reason": statement.override_reason,
            },
            may_choose=access.is_head,
        )
    if statement.status == Statement.Status.APPROVED:
        context["publish_form"] = PublishForm()
    return render(request, "reports/statements/statement_detail.html", context)


@coordinator_page
def statement_status(request, access: StaffAccess, pk: int):
    """Where the compilation stands, for the statement page to follow without a reload."""
    statement = get_object_or_404(
        Statement.objects.only("status", "progress", "error"), mission=access.mission, pk=pk
    )
    return JsonResponse(
        {
            "status": statement.status,
            "label": statement.get_status_display(),
            "progress": statement.progress_label,
            "done": statement.status not in IN_PROGRESS,
        }
    )


def _back(statement: Statement) -> HttpResponse:
    return redirect("statements:detail", slug=statement.mission.slug, pk=statement.pk)


@require_POST
@coordinator_page
def statement_assess(request, access: StaffAccess, pk: int):
    statement = _statement(access, pk)
    form = AssessmentForm(
        request.POST,
        initial={"assessment": statement.assessment},
        may_choose=access.is_head,
    )
    if not form.is_valid():
        if access.is_head:
            messages.error(request, _("Choose one of the assessments."))
        else:
            messages.error(request, _("The head of mission chooses the assessment first."))
        return _back(statement)
    previous = statement.assessment
    try:
        statement_assessment_set(
            statement=statement,
            assessment=form.cleaned_data["assessment"],
            user=request.user,
            override_reason=form.cleaned_data["override_reason"],
        )
    except StatementRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The assessment is saved."))
        if statement.assessment != previous:
            messages.info(
                request,
                _("The conclusions follow the assessment: the statement is being compiled again."),
            )
    return _back(statement)


@require_POST
@coordinator_page
def statement_approve_view(request, access: StaffAccess, pk: int):
    if not access.is_head:
        raise PermissionDenied(_("Only the head of mission can approve a statement."))
    statement = _statement(access, pk)
    try:
        approved = statement_approve(statement=statement, user=request.user)
    except StatementRefused as error:
        messages.error(request, str(error))
    else:
        if approved:
            messages.success(request, _("The statement is approved."))
        else:
            messages.info(request, _("The statement was already approved."))
    return _back(statement)


@require_POST
@coordinator_page
def statement_publish_view(request, access: StaffAccess, pk: int):
    statement = _statement(access, pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the end of the embargo as a date and time."))
        return _back(statement)
    try:
        published = statement_publish(
            statement=statement,
            user=request.user,
            embargo_until=form.cleaned_data["embargo_until"],
        )
    except StatementRefused as error:
        messages.error(request, str(error))
    else:
        if published:
            messages.success(request, _("The statement is published."))
        else:
            messages.info(request, _("The statement was already published."))
    return _back(statement)


@dataclass
class EvidenceVisit:
    """A visit as the evidence page shows it: as the version kept it, or (for versions
    compiled before they kept their evidence) as it is now."""

    pk: int
    station: str
    area: str
    arrived_at: object
    departed_at: object
    checklist: str
    review: str
    observers: str
    # (question, value shown) of each cited answer; (category, severity, complaint,
    # description) of each cited incident, labels in the reader's language.
    answers: list
    incidents: list
    not_counted: bool = False
    changed_since: bool = False
    # The review state today, when it is no longer the one the version saw; and whether the
    # visit is still on file.
    review_now: str = ""
    exists: bool = True

    @property
    def review_label(self) -> str:
        return _label(Visit.Review, self.review)

    @property
    def review_now_label(self) -> str:
        return _label(Visit.Review, self.review_now)


def _label(choices, value: str) -> str:
    return str(dict(choices.choices).get(value, value))


@coordinator_page
def statement_evidence(request, access: StaffAccess, pk: int, paragraph_id: str):
    """The visits, answers and incidents behind one generated paragraph of the statement:
    as the version used them when it kept them, else as they are now."""
    statement = _statement(access, pk)
    paragraph = (
        Document.from_dict(statement.content).paragraph(paragraph_id) if statement.content else None
    )
    if paragraph is None or not paragraph.evidence:
        raise Http404
    if statement.evidence_kept:
        visits, answer_total, incident_total = _evidence_kept(statement, paragraph.evidence)
    else:
        visits, answer_total, incident_total = _evidence_now(statement, paragraph.evidence)
    return render(
        request,
        "reports/statements/statement_evidence.html",
        {
            "mission": access.mission,
            "statement": statement,
            "paragraph": paragraph,
            "visits": visits,
            "answer_total": answer_total,
            "incident_total": incident_total,
        },
    )


def _evidence_kept(statement: Statement, evidence: dict) -> tuple[list[EvidenceVisit], int, int]:
    """The paragraph's evidence as the version kept it, with what has changed since."""
    answer_ids = set(evidence.get("answers", []))
    incident_ids = set(evidence.get("incidents", []))
    records = list(
        StatementEvidence.objects.filter(
            statement=statement, visit_ref__in=evidence.get("visits", [])
        ).order_by("arrived_at", "visit_ref")
    )
    seen_answers = {a["id"] for r in records for a in r.answers}
    seen_incidents = {i["id"] for r in records for i in r.incidents}
    if answer_ids - seen_answers or incident_ids - seen_incidents:
        # Cited answers or incidents of visits the paragraph does not name itself.
        named = {r.visit_ref for r in records}
        records += [
            record
            for record in StatementEvidence.objects.filter(statement=statement)
            .exclude(visit_ref__in=named)
            .exclude(answers=[], incidents=[])
            if any(a["id"] in answer_ids for a in record.answers)
            or any(i["id"] in incident_ids for i in record.incidents)
        ]
        records.sort(key=lambda r: (r.arrived_at, r.visit_ref))
    now = {
        visit: (review, updated_at)
        for visit, review, updated_at in Visit.objects.filter(
            mission=statement.mission_id, pk__in=[r.visit_ref for r in records]
        ).values_list("pk", "review", "updated_at")
    }
    visits, answer_total, incident_total = [], 0, 0
    for record in records:
        answers = [(a["question"], a["shown"]) for a in record.answers if a["id"] in answer_ids]
        incidents = [
            (
                _label(Incident.Category, i["category"]),
                _label(Severity, i["severity"]),
                i["complaint"],
                i["description"],
            )
            for i in record.incidents
            if i["id"] in incident_ids
        ]
        answer_total += len(answers)
        incident_total += len(incidents)
        review_now, updated_at = now.get(record.visit_ref, ("", None))
        visits.append(
            EvidenceVisit(
                pk=record.visit_ref,
                station=record.station,
                area=record.area,
                arrived_at=record.arrived_at,
                departed_at=record.departed_at,
                checklist=record.checklist,
                review=record.review,
                observers=record.observers,
                answers=answers,
                incidents=incidents,
                not_counted=not record.counted,
                changed_since=bool(
                    statement.compiled_at and updated_at and updated_at > statement.compiled_at
                ),
                review_now=review_now if review_now != record.review else "",
                exists=record.visit_ref in now,
            )
        )
    return visits, answer_total, incident_total


def _evidence_now(statement: Statement, evidence: dict) -> tuple[list[EvidenceVisit], int, int]:
    """The paragraph's evidence as it is now (a version compiled before versions kept it)."""
    mission = statement.mission
    answers = list(
        Answer.objects.filter(visit__mission=mission, pk__in=evidence.get("answers", []))
        .select_related("question")
        .order_by("question__section__position", "question__position", "pk")
    )
    incidents = list(
        Incident.objects.filter(visit__mission=mission, pk__in=evidence.get("incidents", []))
        .select_related("question")
        .order_by("pk")
    )
    visit_ids = {
        *evidence.get("visits", []),
        *(a.visit_id for a in answers),
        *(i.visit_id for i in incidents),
    }
    visits = list(
        Visit.objects.filter(mission=mission, pk__in=visit_ids)
        .select_related("station__area", "checklist", "filed_by__observer")
        .prefetch_related("observers__observer")
        .order_by("arrived_at", "pk")
    )
    answers_by_visit, incidents_by_visit = defaultdict(list), defaultdict(list)
    for answer in answers:
        answers_by_visit[answer.visit_id].append((answer.question.text, answer.display_value))
    for incident in incidents:
        incidents_by_visit[incident.visit_id].append(
            (
                incident.get_category_display(),
                incident.get_severity_display(),
                incident.complaint_filed,
                incident.description,
            )
        )
    counted = set(statement.visit_ids)
    shown = [
        EvidenceVisit(
            pk=visit.pk,
            station=str(visit.station),
            area=str(visit.station.area) if visit.station.area else "",
            arrived_at=visit.arrived_at,
            departed_at=visit.departed_at,
            checklist=str(visit.checklist),
            review=visit.review,
            observers=", ".join(p.observer.full_name for p in visit.observers.all())
            or visit.filed_by.observer.full_name,
            answers=answers_by_visit[visit.pk],
            incidents=incidents_by_visit[visit.pk],
            # The visit as it is now: changed since, or not counted by the version at all.
            changed_since=bool(
                statement.compiled_at
                and visit.updated_at
                and visit.updated_at > statement.compiled_at
            ),
            not_counted=bool(counted) and visit.pk not in counted,
        )
        for visit in visits
    ]
    return shown, len(answers), len(incidents)


@coordinator_page
def statement_download(request, access: StaffAccess, pk: int, format: str):
    document = get_object_or_404(
        StatementDocument.objects.select_related("statement__mission"),
        statement__mission=access.mission,
        statement__pk=pk,
        format=format,
    )
    return document_response(document)
