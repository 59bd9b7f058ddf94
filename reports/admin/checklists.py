"""Admin for checklists and their versions.

A checklist version that any visit used is frozen: visits were answered against its
questions, so its pages are read-only and "Edit as a new version" copies it into the next
version (`reports.services.checklist_new_version`). Checklists also come in from files:
"Import a checklist" takes a standard checklist or a shared file (`reports.checklist_files`).
"""

import yaml
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from missions.content_languages import columns, translated_fields
from missions.permissions import MANAGE, missions_where
from missions.scoping import MissionScopedAdmin, MissionScopedInlineMixin
from reports.checklist_files import (
    QUESTION_KEYS,
    ChecklistFileError,
    checklist_dump,
    checklist_load,
    checklist_next_version,
    question_check,
    standard_checklist_title,
    standard_checklists,
)
from reports.models import Checklist, Question, Section, Visit
from reports.services import checklist_new_version

# A shared checklist file is a few dozen kilobytes; refuse anything far larger unread.
UPLOAD_MAX_BYTES = 1024 * 1024


def _count(model: type[models.Model], fk: str) -> Coalesce:
    """Count related rows in a subquery: two joined counts would multiply each other's rows."""
    rows = (
        model.objects.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _short_mission(mission) -> str:
    # Mission names run to a hundred characters; a list column needs only enough to tell
    # them apart, the filter shows them in full.
    return Truncator(str(mission)).chars(40)


def is_frozen(checklist: Checklist) -> bool:
    """Tell whether a visit used this version, asking the database at most once per object."""
    if getattr(checklist, "visit_total", None) is not None:
        return checklist.visit_total > 0
    if not hasattr(checklist, "_frozen"):
        checklist._frozen = checklist.is_frozen
    return checklist._frozen


class QuestionForm(forms.ModelForm):
    """Refuse what a checklist file could not carry, so every version exports and imports."""

    class Meta:
        model = Question
        # The admin classes choose which of these each page shows.
        fields = ["checklist", "section", "position", *QUESTION_KEYS.values()]
        widgets = {
            "concern_answers": forms.TextInput(attrs={"size": 14}),
            "choices": forms.Textarea(attrs={"rows": 3, "cols": 60}),
        }

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        question = Question()
        # The texts are edited in each language (text_en, text_ru, …): check them all.
        translated = set(translated_fields(Question))
        for field in QUESTION_KEYS.values():
            for name in columns(field) if field in translated else [field]:
                value = cleaned[name] if name in cleaned else getattr(self.instance, name)
                setattr(question, name, value)
        try:
            as_filed = question_check(question)
        except ChecklistFileError as error:
            key = error.where.split(".")[0].split("[")[0]
            field = QUESTION_KEYS.get(key)
            self.add_error(field if field in self.fields else None, error.message)
            return cleaned
        # Store what the file would carry: choice values as text, yes/no answers spelled out.
        for field in ("choices", "concern_answers"):
            if field in cleaned:
                cleaned[field] = getattr(as_filed, field)
        return cleaned


class FrozenChecklistInlineMixin(MissionScopedInlineMixin):
    """An inline on a checklist's page that turns read-only once a visit used the version."""

    mission_lookup = "checklist__mission"

    def has_add_permission(self, request, obj=None):
        return not (obj is not None and is_frozen(obj)) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and is_frozen(obj)) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and is_frozen(obj)) and super().has_delete_permission(
            request, obj
        )


class SectionInline(FrozenChecklistInlineMixin, admin.TabularInline):
    model = Section
    fields = ["position", "title"]
    ordering = ["position", "pk"]
    extra = 0


class QuestionInline(FrozenChecklistInlineMixin, admin.TabularInline):
    model = Question
    form = QuestionForm
    fk_name = "checklist"
    fields = [
        "section",
        "position",
        "code",
        "text",
        "kind",
        "required",
        "concern_answers",
        "severity",
    ]
    ordering = ["section__position", "position", "pk"]
    show_change_link = True
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("section")

    def get_formset(self, request, obj=None, **kwargs):
        # Narrow inputs, so a row fits beside the admin's navigation; the question's own
        # page has room for the rest.
        kwargs.setdefault(
            "widgets",
            {
                "position": forms.NumberInput(attrs={"style": "width: 3.5em"}),
                "code": forms.TextInput(attrs={"size": 14}),
                "text": forms.TextInput(attrs={"size": 26}),
                "concern_answers": forms.TextInput(attrs={"size": 8}),
            },
        )
        formset = super().get_formset(request, obj, **kwargs)
        section = formset.form.base_fields.get("section")
        if section is not None:
            section.queryset = Section.objects.filter(checklist=obj).order_by("position", "pk")
            # Evaluate the choices once: each row's select would otherwise query again.
            section.choices = list(section.choices)
            section.widget.can_add_related = False
            section.widget.can_change_related = False
            section.widget.can_delete_related = False
        return formset


class ChecklistImportForm(forms.Form):
    mission = forms.ModelChoiceField(queryset=None, label=_("Into the mission"))
    standard = forms.MultipleChoiceField(
        label=_("Standard checklists"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Shipped with Observa; copy them and adapt them to the election."),
    )
    file = forms.FileField(
        label=_("Or a checklist file"),
        required=False,
        help_text=_("YAML or JSON, as another mission exported it (see docs/checklists.md)."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mission"].queryset = missions_where(user, MANAGE)
        self.standard_files = standard_checklists()
        self.fields["standard"].choices = [
            (
                name,
                gettext("%(title)s (%(file)s)")
                % {"title": standard_checklist_title(path), "file": path.name},
            )
            for name, path in self.standard_files.items()
        ]

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("This file is too large for a checklist."))
        try:
            return upload.name, upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("This is not a UTF-8 text file.")) from None

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("standard") and not cleaned.get("file"):
            raise forms.ValidationError(_("Choose a standard checklist or a file."))
        return cleaned

    def documents(self) -> list[tuple[str, str]]:
        """Return (source name, text) of every chosen document."""
        chosen = [
            (path.name, path.read_text(encoding="utf-8"))
            for name, path in self.standard_files.items()
            if name in self.cleaned_data["standard"]
        ]
        if self.cleaned_data.get("file"):
            chosen.append(self.cleaned_data["file"])
        return chosen


@admin.register(Checklist)
class ChecklistAdmin(MissionScopedAdmin):
    list_display = [
        "title",
        "code",
        "version",
        "phase",
        "mission_name",
        "question_count",
        "visit_count",
        "frozen",
    ]
    list_display_links = ["title"]
    list_filter = [("mission", admin.RelatedOnlyFieldListFilter), "phase"]
    search_fields = ["title", "code", "mission__name"]
    list_select_related = ["mission"]
    autocomplete_fields = ["mission"]
    ordering = ["mission", "code", "-version"]
    actions = ["create_new_version"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(question_total=_count(Question, "checklist"))
            .annotate(visit_total=_count(Visit, "checklist"))
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["mission", "code", "title", "phase", "description"]
        return [
            "mission",
            "code",
            "version",
            "title",
            "phase",
            "description",
            "rules_shown",
            "created_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        # A version keeps its mission and code: they are what make it a version of something.
        # Its rules between answers come with its file (export, edit, import).
        return [] if obj is None else ["mission", "code", "version", "rules_shown", "created_at"]

    @admin.display(description=_("rules between answers"))
    def rules_shown(self, obj):
        if not obj.rules:
            return "—"
        return format_html(
            "<pre>{}</pre>",
            yaml.safe_dump(obj.rules, allow_unicode=True, sort_keys=False, width=88),
        )

    def get_inlines(self, request, obj):
        # Questions belong to sections, which exist only once the checklist is saved.
        return [SectionInline] if obj is None else [SectionInline, QuestionInline]

    def has_change_permission(self, request, obj=None):
        if obj is not None and is_frozen(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and is_frozen(obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.version = checklist_next_version(mission=obj.mission, code=obj.code)
        super().save_model(request, obj, form, change)

    @admin.display(description=_("mission"), ordering="mission__name")
    def mission_name(self, checklist):
        return _short_mission(checklist.mission)

    @admin.display(description=_("questions"), ordering="question_total")
    def question_count(self, checklist):
        return checklist.question_total

    @admin.display(description=_("visits"), ordering="visit_total")
    def visit_count(self, checklist):
        return checklist.visit_total

    @admin.display(description=_("frozen"), boolean=True)
    def frozen(self, checklist):
        return checklist.visit_total > 0

    @admin.action(
        description=_("Create a new version of the selected checklists"), permissions=["add"]
    )
    def create_new_version(self, request, queryset):
        # One new version per checklist code, copied from the latest version selected.
        latest: dict[tuple[int, str], Checklist] = {}
        for checklist in queryset.order_by("version"):
            latest[(checklist.mission_id, checklist.code)] = checklist
        created = [checklist_new_version(checklist=checklist) for checklist in latest.values()]
        for copy in created:
            self._created_message(request, copy)
        if len(created) == 1:
            return redirect(reverse("admin:reports_checklist_change", args=[created[0].pk]))
        return None

    def _created_message(self, request, copy: Checklist) -> None:
        self.message_user(
            request,
            gettext("Created version %(version)d of “%(code)s”; the earlier version is unchanged.")
            % {"version": copy.version, "code": copy.code},
            messages.SUCCESS,
        )

    # -- Views beyond Django's own ------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="reports_checklist_import"),
            path(
                "<path:object_id>/new-version/",
                view(self.new_version_view),
                name="reports_checklist_new_version",
            ),
            path(
                "<path:object_id>/export/",
                view(self.export_view),
                name="reports_checklist_export",
            ),
            *super().get_urls(),
        ]

    def _visible(self, request: HttpRequest, object_id: str) -> Checklist:
        checklist = self.get_object(request, unquote(object_id))
        if checklist is None or not self.has_view_permission(request, checklist):
            raise Http404(gettext("No such checklist."))
        return checklist

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        checklist = self.get_object(request, unquote(object_id))
        if checklist is not None:
            extra_context.update(
                frozen=is_frozen(checklist),
                visit_total=checklist.visit_total,
                can_add_version=self.has_add_permission(request),
                new_version_url=reverse("admin:reports_checklist_new_version", args=[checklist.pk]),
                export_url=reverse("admin:reports_checklist_export", args=[checklist.pk]),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["can_import"] = self.has_add_permission(request)
        return super().changelist_view(request, extra_context)

    def new_version_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        checklist = self._visible(request, object_id)
        if not self.has_add_permission(request):
            raise PermissionDenied
        copy = checklist_new_version(checklist=checklist)
        self._created_message(request, copy)
        return redirect(reverse("admin:reports_checklist_change", args=[copy.pk]))

    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        checklist = self._visible(request, object_id)
        response = HttpResponse(
            checklist_dump(checklist=checklist), content_type="application/yaml; charset=utf-8"
        )
        filename = f"{checklist.code}-v{checklist.version}.yaml"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ChecklistImportForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            mission = form.cleaned_data["mission"]
            try:
                # Several checklists go in together or not at all.
                with transaction.atomic():
                    created = [
                        checklist_load(mission=mission, text=text, source=source)
                        for source, text in form.documents()
                    ]
            except ChecklistFileError as error:
                form.add_error(None, str(error))
            else:
                for checklist in created:
                    self.message_user(
                        request,
                        gettext("Imported “%(title)s” as version %(version)d of “%(code)s”.")
                        % {
                            "title": checklist.title,
                            "version": checklist.version,
                            "code": checklist.code,
                        },
                        messages.SUCCESS,
                    )
                changelist = reverse("admin:reports_checklist_changelist")
                return redirect(f"{changelist}?mission__id__exact={mission.pk}")
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import a checklist"),
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/reports/checklist/import.html", context)


@admin.register(Question)
class QuestionAdmin(MissionScopedAdmin):
    form = QuestionForm
    mission_lookup = "checklist__mission"
    list_display = [
        "code",
        "short_text",
        "kind",
        "required",
        "concern",
        "severity",
        "section",
        "checklist",
        "mission",
    ]
    list_filter = [
        ("checklist__mission", admin.RelatedOnlyFieldListFilter),
        "checklist__phase",
        "kind",
        "severity",
        "required",
    ]
    search_fields = ["code", "text"]
    list_select_related = ["checklist__mission", "section"]
    ordering = ["checklist__mission", "checklist__code", "-checklist__version"]
    fieldsets = [
        (None, {"fields": ["checklist", "section", "position", "code", "text", "help_text"]}),
        (
            _("Answer"),
            {
                "fields": [
                    "kind",
                    "required",
                    "not_observed",
                    "choices",
                    ("min_value", "max_value"),
                ]
            },
        ),
        (_("Concern"), {"fields": ["concern_answers", "concern_above", "severity"]}),
        (
            _("In the statement"),
            {"fields": ["reference", "clear_sentence", "clear_item", "concern_sentence"]},
        ),
    ]

    def get_ordering(self, request):
        return [*self.ordering, "section__position", "position", "pk"]

    def get_queryset(self, request):
        # The frozen check on a question's page reads its checklist. The changelist applies
        # list_select_related only to a queryset without any, so join the same here.
        return super().get_queryset(request).select_related(*self.list_select_related)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["checklist"]

    def _editable_checklists(self, request):
        checklists = self.admin_site.get_model_admin(Checklist).get_queryset(request)
        return checklists.filter(~Exists(Visit.objects.filter(checklist=OuterRef("pk"))))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        section = form.base_fields.get("section")
        if section is not None:
            if obj is not None:
                section.queryset = Section.objects.filter(checklist=obj.checklist_id)
            else:
                section.queryset = Section.objects.filter(
                    checklist__in=self._editable_checklists(request)
                ).select_related("checklist")
                section.label_from_instance = lambda s: f"{s.checklist} — {s.title}"
        checklist = form.base_fields.get("checklist")
        if checklist is not None:
            # A new question cannot join a version that visits already answered.
            checklist.queryset = self._editable_checklists(request)
        return form

    def has_change_permission(self, request, obj=None):
        if obj is not None and is_frozen(obj.checklist):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and is_frozen(obj.checklist):
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("question"), ordering="text")
    def short_text(self, question):
        return Truncator(question.text).chars(80)

    @admin.display(description=_("concern"))
    def concern(self, question):
        if question.concern_above is not None:
            return gettext("above %(value)s") % {"value": question.concern_above.normalize()}
        return ", ".join(str(answer) for answer in question.concern_answers) or "—"

    @admin.display(description=_("mission"), ordering="checklist__mission__name")
    def mission(self, question):
        return _short_mission(question.checklist.mission)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/new-version/",
                self.admin_site.admin_view(self.new_version_view),
                name="reports_question_new_version",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        question = self.get_object(request, unquote(object_id))
        if question is not None:
            checklist = question.checklist
            extra_context.update(
                frozen=is_frozen(checklist),
                checklist_url=reverse("admin:reports_checklist_change", args=[checklist.pk]),
                can_add_version=self.admin_site.get_model_admin(Checklist).has_add_permission(
                    request
                ),
                new_version_url=reverse("admin:reports_question_new_version", args=[question.pk]),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def new_version_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Copy the question's checklist into a new version; open this question's copy."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        question = self.get_object(request, unquote(object_id))
        if question is None or not self.has_view_permission(request, question):
            raise Http404(gettext("No such question."))
        if not self.admin_site.get_model_admin(Checklist).has_add_permission(request):
            raise PermissionDenied
        copy = checklist_new_version(checklist=question.checklist)
        self.message_user(
            request,
            ngettext(
                "Created version %(version)d of “%(code)s” with %(count)d question.",
                "Created version %(version)d of “%(code)s” with %(count)d questions.",
                copy.questions.count(),
            )
            % {"version": copy.version, "code": copy.code, "count": copy.questions.count()},
            messages.SUCCESS,
        )
        same = copy.questions.get(code=question.code)
        return redirect(reverse("admin:reports_question_change", args=[same.pk]))
