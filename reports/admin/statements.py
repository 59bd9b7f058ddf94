"""Admin for the mission's statements and the sections coordinators write for them.

Statements are asked for, assessed, approved and published on the coordinator pages
(reports.statements.views), which the admin links to; here coordinators write the authored
sections, find any version, and ask for new versions of several statements at once. A
statement comes only from `statement_request` (no "add" page), and an approved one is what the
mission said: every field is read-only and it cannot be deleted.
"""

import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from missions.content_languages import in_language, languages
from missions.scoping import InMissionTimeZoneMixin, MissionScopedAdmin, MissionScopedInlineMixin
from reports.models import Statement, StatementDocument, StatementText
from reports.statements.jobs import statement_request
from reports.templatetags.people import person_name

FINAL_STATUSES = (Statement.Status.APPROVED, Statement.Status.PUBLISHED)


def _moment(moment, zone: str | None = None) -> str:
    """A time as the mission's clocks showed it (the server's zone when no mission is known)."""
    if not moment:
        return ""
    return formats.localize(timezone.localtime(moment, zoneinfo.ZoneInfo(zone) if zone else None))


@admin.register(StatementText)
class StatementTextAdmin(MissionScopedAdmin):
    mission_lookup = "mission"
    list_display = ["section", "written_in", "mission", "updated_at"]
    list_display_links = ["section"]
    # Only the missions the user's own texts belong to: other missions' names stay hidden.
    list_filter = [("mission", admin.RelatedOnlyFieldListFilter), "section"]
    list_select_related = ["mission"]
    search_fields = ["body", "mission__name"]
    autocomplete_fields = ["mission"]
    # The body is edited in each language side by side (body [en], body [ru], …).
    fields = ["mission", "section", "body", "updated_at"]
    readonly_fields = ["updated_at"]
    ordering = ["mission", "section"]
    formfield_overrides = {
        models.TextField: {
            "widget": forms.Textarea(
                attrs={
                    "rows": 24,
                    "class": "vLargeTextField",
                    "style": "font-family: monospace; width: 100%;",
                    "spellcheck": "true",
                }
            )
        },
    }

    @admin.display(description=_("written in"))
    def written_in(self, obj: StatementText) -> str:
        return ", ".join(
            language for language in languages() if (in_language(obj, "body", language) or "")
        )


class StatementDocumentInline(MissionScopedInlineMixin, admin.TabularInline):
    model = StatementDocument
    mission_lookup = "statement__mission"
    fields = ["format", "size", "checksum", "created_at", "download"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("statement__mission")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("download"))
    def download(self, document: StatementDocument) -> str:
        url = reverse(
            "statements:download",
            args=[document.statement.mission.slug, document.statement_id, document.format],
        )
        return format_html('<a href="{}">{}</a>', url, document.get_format_display())


@admin.register(Statement)
class StatementAdmin(InMissionTimeZoneMixin, MissionScopedAdmin):
    mission_lookup = "mission"
    list_display = [
        "__str__",
        "mission",
        "kind",
        "language",
        "version",
        "status",
        "requested",
        "approved",
        "coordinator_page",
    ]
    list_filter = ["status", "kind", "language", ("mission", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["mission", "requested_by", "approved_by"]
    search_fields = ["mission__name", "mission__slug"]
    date_hierarchy = "requested_at"
    ordering = ["mission", "kind", "language", "-version"]
    actions = ["compile_new_version"]
    inlines = [StatementDocumentInline]
    fieldsets = [
        (None, {"fields": ["mission", "kind", "language", "version", "coordinator_page"]}),
        (_("Compilation"), {"fields": ["status", "progress", "error", "compiled_at", "attempts"]}),
        (_("Dating"), {"fields": ["place", "dated_on"]}),
        (
            _("Assessment and approval"),
            {
                "fields": [
                    "assessment",
                    "override_reason",
                    "override_by_name",
                    "approved_by_name",
                    "approved_at",
                    "published_at",
                    "embargo_until",
                ]
            },
        ),
        (_("Request"), {"fields": ["requested_by_name", "requested_at"]}),
    ]
    # The workflow (compiling, assessing, approving, publishing) has its own services and
    # pages; the admin changes at most where and when a version still queued is dated.
    readonly_fields = [
        "mission",
        "kind",
        "language",
        "version",
        "coordinator_page",
        "status",
        "progress",
        "error",
        "compiled_at",
        "attempts",
        "assessment",
        "override_reason",
        "override_by_name",
        "approved_by_name",
        "approved_at",
        "published_at",
        "embargo_until",
        "requested_by_name",
        "requested_at",
    ]

    def get_queryset(self, request):
        # The compiled document can be large and no admin page shows it. (No select_related
        # here: the changelist would then skip list_select_related.)
        return super().get_queryset(request).defer("content")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != Statement.Status.QUEUED:
            # Its documents already say where and when: a change would not reach them.
            readonly += [name for name in ("place", "dated_on") if name not in readonly]
        return readonly

    def save_model(self, request, obj, form, change):
        # Only the dating is editable, and only before the worker takes the version: write
        # those two fields, conditionally, never the workflow a worker may be changing.
        updated = Statement.objects.filter(pk=obj.pk, status=Statement.Status.QUEUED).update(
            place=obj.place, dated_on=obj.dated_on
        )
        if not updated:
            self.message_user(
                request,
                _("The version was already being compiled; its dating was not changed."),
                messages.WARNING,
            )

    def has_add_permission(self, request) -> bool:
        # A statement is a compiled version: it comes from statement_request, not a blank form.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status in FINAL_STATUSES:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Approved statements cannot go, so neither can a selection that may hold them.
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("requested"), ordering="requested_at")
    def requested(self, statement: Statement) -> str:
        return format_html(
            "{}<br><small>{}</small>",
            _moment(statement.requested_at, statement.mission.time_zone),
            person_name(statement.requested_by) or "—",
        )

    @admin.display(description=_("approved"), ordering="approved_at")
    def approved(self, statement: Statement) -> str:
        if statement.approved_at is None:
            return "—"
        return format_html(
            "{}<br><small>{}</small>",
            _moment(statement.approved_at, statement.mission.time_zone),
            person_name(statement.approved_by) or "—",
        )

    # People by their names (Zhang Ming), not their account names.
    @admin.display(description=Statement._meta.get_field("override_by").verbose_name)
    def override_by_name(self, statement: Statement) -> str:
        return person_name(statement.override_by) or "—"

    @admin.display(description=Statement._meta.get_field("approved_by").verbose_name)
    def approved_by_name(self, statement: Statement) -> str:
        return person_name(statement.approved_by) or "—"

    @admin.display(description=Statement._meta.get_field("requested_by").verbose_name)
    def requested_by_name(self, statement: Statement) -> str:
        return person_name(statement.requested_by) or "—"

    @admin.display(description=_("coordinator page"))
    def coordinator_page(self, statement: Statement) -> str:
        url = reverse("statements:detail", args=[statement.mission.slug, statement.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open"))

    @admin.action(description=_("Compile a new version"), permissions=["change"])
    def compile_new_version(self, request, queryset) -> None:
        targets = {
            (statement.mission, statement.kind, statement.language)
            for statement in queryset.select_related("mission")
        }
        unsent = 0
        for mission, kind, language in sorted(targets, key=lambda t: (t[0].pk, t[1], t[2])):
            statement = statement_request(
                mission=mission, kind=kind, language=language, requested_by=request.user
            )
            unsent += statement.sending.sent is False
        self.message_user(
            request,
            ngettext(
                "%(count)d new version is queued for compiling.",
                "%(count)d new versions are queued for compiling.",
                len(targets),
            )
            % {"count": len(targets)},
            messages.SUCCESS,
        )
        if unsent:
            self.message_user(request, str(Statement.UNSENT_MESSAGE), messages.WARNING)
