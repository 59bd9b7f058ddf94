"""Admin for filed visits and their review.

The observer owns what a visit says; coordinators read it here and do one of two things with
it: mark it reviewed, or send it back with a comment saying what to correct. Both go through
the services in reports.services, from the changelist (actions) and from the change page (the
two buttons under the visit), so each review is recorded in the visit's history.
"""

import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from missions.admin_lists import LeanChangeListMixin, MissionListFilter
from missions.models import Mission, Phase
from missions.permissions import MANAGE, missions_where
from missions.scoping import InMissionTimeZoneMixin, MissionScopedAdmin
from observers.models import Observer, Participation
from reports.models import Answer, Checklist, Incident, Visit, VisitRevision
from reports.services import visit_mark_reviewed, visit_send_back
from reports.templatetags.people import person_name
from stations.admin import station_number_order
from stations.models import PATH_SEPARATOR, Area, PollingStation

MARK_REVIEWED = "_mark_reviewed"
FILER_CHOICES_LIMIT = 200
# A search matching more stations or observers than this is looked up as a subquery.
SEARCH_LIMIT = 2000
SEND_BACK = "_send_back"
PHASES = dict(Phase.choices)


class AreaFilter(admin.SimpleListFilter):
    """The areas of the user's missions; choosing a region shows the visits in all its parts.

    The list opens on the top-level areas (a country's regions, not its hundreds of
    districts); choosing one lists its parts below it, to narrow down further.
    """

    title = _("area")
    parameter_name = "area"

    def lookups(self, request, model_admin):
        # Plain rows, not objects: a country has hundreds of areas, read on every page.
        missions = missions_where(request.user, MANAGE)
        areas = list(
            Area.objects.filter(election__mission__in=missions)
            .order_by("election__mission__name", "path")
            .values_list("pk", "path", "election_id", "election__mission_id", "parent_id")
        )
        # Kept for queryset(): the chosen area is already in memory, so filtering costs nothing.
        self.areas = {str(pk): (path, election) for pk, path, election, _m, _p in areas}
        parents = {pk: parent for pk, _path, _election, _mission, parent in areas}
        opened, chosen = set(), self.value()
        current = int(chosen) if chosen and chosen.isdigit() and int(chosen) in parents else None
        while current is not None:
            opened.add(current)
            current = parents.get(current)
        shown = [row for row in areas if row[4] is None or row[4] in opened]
        if len({election for _pk, _path, election, _m, _p in areas}) <= 1:
            return [(str(pk), path) for pk, path, _election, _mission, _parent in shown]
        names = {mission.pk: str(mission) for mission in missions}
        return [
            (str(pk), _("%(area)s (%(mission)s)") % {"area": path, "mission": names[mission]})
            for pk, path, _election, mission, _parent in shown
        ]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        area = self.areas.get(self.value())
        if area is None:
            return queryset.none()
        path, election = area
        return queryset.filter(
            Q(station__area=self.value())
            | Q(
                station__area__election=election,
                station__area__path__startswith=path + PATH_SEPARATOR,
            )
        )


class FiledByFilter(admin.RelatedOnlyFieldListFilter):
    """Observers who filed visits, by name, read in one query.

    A national mission has thousands: a list that long is neither readable nor cheap to draw
    (a third of a second per page), so past FILER_CHOICES_LIMIT the filter stays hidden and
    the search box finds an observer by any spelling of their name.
    """

    def field_choices(self, field, request, model_admin):
        # Each observer of the user's missions probed for a visit (an index), rather than
        # every visit read for its observer.
        missions = missions_where(request.user, MANAGE)
        filers = Participation.objects.filter(
            Exists(Visit.objects.filter(filed_by=OuterRef("pk"))), mission__in=missions
        )
        # Names as plain rows, read from the people (each in the reader's language).
        names = list(
            Observer.objects.filter(participations__in=filers)
            .order_by("full_name", "participations__pk")
            .values_list("participations__pk", "full_name")[: FILER_CHOICES_LIMIT + 1]
        )
        if len(names) > FILER_CHOICES_LIMIT:
            return []
        return names

    def has_output(self):
        return bool(self.lookup_choices) or self.lookup_val is not None


class VisitReviewForm(forms.ModelForm):
    """The change page's one editable field, the comment, and the button that was pressed."""

    class Meta:
        model = Visit
        fields = ["review_comment"]
        labels = {"review_comment": _("Comment to the observer")}
        help_texts = {
            "review_comment": _(
                "Needed to send the visit back: say what the observer should correct."
            )
        }
        widgets = {"review_comment": forms.Textarea(attrs={"rows": 3, "cols": 60})}

    def clean(self):
        cleaned = super().clean()
        if SEND_BACK in self.data:
            cleaned["review_action"] = SEND_BACK
            if not (cleaned.get("review_comment") or "").strip():
                self.add_error("review_comment", _("Say what the observer should correct."))
        elif MARK_REVIEWED in self.data:
            cleaned["review_action"] = MARK_REVIEWED
        else:
            raise ValidationError(
                _("Choose “Mark reviewed” or “Send back for correction”."), code="no_action"
            )
        return cleaned


class SendBackForm(forms.Form):
    review_comment = forms.CharField(
        label=_("Comment to the observers"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Say what should be corrected; each observer sees it on their visit."),
        error_messages={"required": _("Say what the observers should correct.")},
    )


@admin.register(Visit)
class VisitAdmin(LeanChangeListMixin, InMissionTimeZoneMixin, MissionScopedAdmin):
    mission_lookup = "mission"
    form = VisitReviewForm
    change_form_template = "admin/reports/visit/change_form.html"
    # Eight columns that fit 1366 px: the checklist's phase says which form was used.
    list_display = [
        "station_number",
        "area",
        "phase",
        "filed_by_name",
        "arrived",
        "concern_state",
        "incident_count",
        "review_state",
    ]
    list_display_links = ["station_number"]
    list_filter = [
        ("mission", MissionListFilter),
        AreaFilter,
        "checklist__phase",
        ("filed_by", FiledByFilter),
        "has_concerns",
        "review",
    ]
    # A country has thousands of stations: find one by its number rather than in a filter.
    search_fields = [
        "=station__number",
        "station__name",
        "filed_by__observer__full_name",
        "filed_by__observer__other_names",
    ]
    search_help_text = _("Polling station number or name, or the observer's name.")
    # The checklist's phase and the mission's time zone come by per-row subqueries
    # (changelist_rows): with them joined too, planning the page took longer than reading it.
    list_select_related = ["station__area", "filed_by__observer"]
    list_only = (
        "mission_id",
        "checklist_id",
        "arrived_at",
        "has_concerns",
        "review",
        "station__number",
        "station__name",  # the row's checkbox is labelled with the visit's name
        "station__area__name",
        "station__area__path",
        "filed_by__observer__full_name",
    )
    list_per_page = 50
    # Counting every visit of a national mission twice per page is the slowest part of it.
    show_full_result_count = False
    actions = ["mark_reviewed", "send_back"]
    readonly_fields = [
        "mission",
        "station",
        "checklist",
        "phase",
        "filed_by_name",
        "observer_names",
        "arrived_at",
        "departed_at",
        "voters_on_list",
        "ballots_issued",
        "has_concerns",
        "created_at",
        "updated_at",
        "answers_table",
        "incidents_table",
        "notes",
        "attachments_list",
        "review",
        "reviewer_name",
        "reviewed_at",
        "history_table",
    ]

    def get_fieldsets(self, request, obj=None):
        zone = obj.mission.time_zone if obj is not None else ""
        return [
            (
                None,
                {
                    "fields": [
                        "mission",
                        "station",
                        ("checklist", "phase"),
                        ("filed_by_name", "observer_names"),
                        ("arrived_at", "departed_at"),
                        ("voters_on_list", "ballots_issued"),
                        "has_concerns",
                        ("created_at", "updated_at"),
                    ],
                    "description": _("Times are in the mission's time zone, %(zone)s.")
                    % {"zone": zone},
                },
            ),
            (_("Answers"), {"fields": ["answers_table"]}),
            (_("Incidents"), {"fields": ["incidents_table"]}),
            (_("Notes and attachments"), {"fields": ["notes", "attachments_list"]}),
            (
                _("Review"),
                {"fields": [("review", "reviewer_name", "reviewed_at"), "review_comment"]},
            ),
            (_("History"), {"fields": ["history_table"]}),
        ]

    class Media:
        css = {"all": ["operations/admin.css"]}

    def get_search_results(self, request, queryset, search_term):
        """Find visits by station (number exactly, or name) or observer (any spelling).

        Stations and observers are found first, in their own small tables, and the visits
        through their indexes: the default search would join every visit before filtering.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        missions = missions_where(request.user, MANAGE)
        stations = PollingStation.objects.filter(
            Q(number=term) | Q(name__icontains=term), election__mission__in=missions
        ).values_list("pk", flat=True)
        filers = Participation.objects.filter(
            Q(observer__full_name__icontains=term) | Q(observer__other_names__icontains=term),
            mission__in=missions,
        ).values_list("pk", flat=True)
        # Read as lists, not nested as subqueries: given the ids, PostgreSQL reads the visits
        # through the station and observer indexes; given subqueries, it may walk every visit
        # newest first testing each. A term matching thousands stays a subquery.
        station_ids = list(stations[: SEARCH_LIMIT + 1])
        filer_ids = list(filers[: SEARCH_LIMIT + 1])
        if len(station_ids) <= SEARCH_LIMIT:
            stations = station_ids
        if len(filer_ids) <= SEARCH_LIMIT:
            filers = filer_ids
        return queryset.filter(Q(station__in=stations) | Q(filed_by__in=filers)), False

    def get_queryset(self, request):
        # A subquery, not Count() over a join: the filters' own queries reuse this queryset
        # and must not inherit a GROUP BY.
        incidents = (
            Incident.objects.filter(visit=OuterRef("pk"))
            .order_by()
            .values("visit")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return (
            super().get_queryset(request).annotate(incident_total=Coalesce(Subquery(incidents), 0))
        )

    def changelist_rows(self, request, queryset):
        return queryset.annotate(
            checklist_phase=Subquery(
                Checklist.objects.filter(pk=OuterRef("checklist_id")).values("phase")
            ),
            mission_zone=Subquery(
                Mission.objects.filter(pk=OuterRef("mission_id")).values("time_zone")
            ),
        )

    def get_object(self, request, object_id, from_field=None):
        # Everything the change page shows, in a fixed number of queries.
        queryset = (
            self.get_queryset(request)
            .select_related(
                "mission", "station__area", "checklist", "filed_by__observer", "reviewed_by"
            )
            .prefetch_related(
                Prefetch(
                    "answers",
                    queryset=Answer.objects.select_related("question__section").order_by(
                        "question__section__position", "question__position", "question__pk"
                    ),
                ),
                Prefetch("incidents", queryset=Incident.objects.select_related("question")),
                "attachments",
                Prefetch(
                    "observers",
                    queryset=Participation.objects.select_related("observer").order_by(
                        "observer__full_name"
                    ),
                ),
                Prefetch(
                    "revisions",
                    queryset=VisitRevision.objects.select_related("changed_by").order_by(
                        "changed_at", "pk"
                    ),
                ),
            )
        )
        field = Visit._meta.pk if from_field is None else Visit._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (Visit.DoesNotExist, ValidationError, ValueError):
            return None

    # Observers file visits on the site and paper forms come in by import_visits; a filed
    # visit is evidence, so only a superuser may delete one.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if form.cleaned_data["review_action"] == SEND_BACK:
            visit_send_back(
                visit=obj, reviewer=request.user, comment=form.cleaned_data["review_comment"]
            )
            self.message_user(
                request,
                _("The visit “%(visit)s” was sent back to its observer for correction.")
                % {"visit": obj},
                messages.SUCCESS,
            )
        elif visit_mark_reviewed(visit=obj, reviewer=request.user):
            self.message_user(
                request, _("The visit “%(visit)s” is reviewed.") % {"visit": obj}, messages.SUCCESS
            )
        else:
            self.message_user(
                request,
                _("The visit “%(visit)s” was already reviewed.") % {"visit": obj},
                messages.WARNING,
            )

    def save_related(self, request, form, formsets, change):
        # The services wrote everything; there is nothing related to save.
        pass

    def construct_change_message(self, request, form, formsets, add=False):
        # The admin's log says what the reviewer did; the visit's history says it in full.
        if form.cleaned_data.get("review_action") == SEND_BACK:
            action = VisitRevision.Action.SENT_BACK
        else:
            action = VisitRevision.Action.REVIEWED
        return [{"changed": {"fields": [str(action.label)]}}]

    def response_change(self, request, obj):
        # save_model said what happened; go back to the list to review the next visit.
        return self.response_post_save_change(request, obj)

    # ---- The changelist's columns ----

    @admin.display(
        description=_("polling station"), ordering=station_number_order("station__number")
    )
    def station_number(self, visit):
        return visit.station.number

    @admin.display(description=_("area"), ordering="station__area__path")
    def area(self, visit):
        # The area's own name in the column (the whole path would take three lines at
        # 1366 px); the path on hover.
        area = visit.station.area
        if area is None:
            return "—"
        return format_html('<span title="{}">{}</span>', area.path, area.name)

    @admin.display(description=_("phase"), ordering="checklist__phase")
    def phase(self, visit):
        phase = getattr(visit, "checklist_phase", None) or visit.checklist.phase
        return PHASES.get(phase, phase)

    @admin.display(description=_("filed by"), ordering="filed_by__observer__full_name")
    def filed_by_name(self, visit):
        return visit.filed_by.observer.full_name

    @admin.display(description=_("arrived"), ordering="arrived_at")
    def arrived(self, visit):
        # Short: the day and the clock in the mission's zone, e.g. “20 Nov 19:40”.
        if visit.arrived_at is None:
            return "—"
        zone = getattr(visit, "mission_zone", None) or visit.mission.time_zone
        local = timezone.localtime(visit.arrived_at, zoneinfo.ZoneInfo(zone))
        return formats.date_format(local, "j M H:i")

    @admin.display(description=_("incidents"), ordering="incident_total")
    def incident_count(self, visit):
        return visit.incident_total or "—"

    @admin.display(description=_("concerns"), ordering="has_concerns")
    def concern_state(self, visit):
        # A concern is news, not a success: never Django's green tick.
        if visit.has_concerns:
            return format_html(
                '<span class="ops-state ops-state-concerns">{}</span>', _("Concerns")
            )
        return format_html('<span class="ops-state ops-state-clear">{}</span>', _("none"))

    @admin.display(description=_("review"), ordering="review")
    def review_state(self, visit):
        return format_html(
            '<span class="ops-state ops-state-{}">{}</span>',
            visit.review,
            visit.get_review_display(),
        )

    @admin.display(description=_("reviewed by"))
    def reviewer_name(self, visit):
        return person_name(visit.reviewed_by) or "—"

    # ---- The change page's read-only sections ----

    @admin.display(description=_("observers"))
    def observer_names(self, visit):
        return ", ".join(p.observer.full_name for p in visit.observers.all()) or "—"

    @admin.display(description=_("answers"))
    def answers_table(self, visit):
        return render_to_string(
            "admin/reports/visit/_answers.html", {"answers": visit.answers.all()}
        )

    @admin.display(description=_("incidents"))
    def incidents_table(self, visit):
        return render_to_string(
            "admin/reports/visit/_incidents.html", {"incidents": visit.incidents.all()}
        )

    @admin.display(description=_("attachments"))
    def attachments_list(self, visit):
        return render_to_string(
            "admin/reports/visit/_attachments.html",
            {"visit": visit, "attachments": visit.attachments.all()},
        )

    @admin.display(description=_("history"))
    def history_table(self, visit):
        return render_to_string(
            "admin/reports/visit/_history.html", {"revisions": visit.revisions.all()}
        )

    # ---- Actions ----

    @admin.action(description=_("Mark reviewed"), permissions=["change"])
    def mark_reviewed(self, request, queryset):
        with transaction.atomic():
            changed = sum(
                visit_mark_reviewed(visit=visit, reviewer=request.user) for visit in queryset
            )
        self.message_user(
            request,
            ngettext(
                "%(count)d visit marked reviewed.", "%(count)d visits marked reviewed.", changed
            )
            % {"count": changed},
            messages.SUCCESS,
        )

    @admin.action(description=_("Send back for correction"), permissions=["change"])
    def send_back(self, request, queryset):
        # Like Django's delete confirmation: the first post shows the page asking for the
        # comment, which posts to this action again with "post" set.
        form = SendBackForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            visits = list(queryset)
            with transaction.atomic():
                for visit in visits:
                    visit_send_back(
                        visit=visit,
                        reviewer=request.user,
                        comment=form.cleaned_data["review_comment"],
                    )
            self.message_user(
                request,
                ngettext(
                    "%(count)d visit sent back for correction.",
                    "%(count)d visits sent back for correction.",
                    len(visits),
                )
                % {"count": len(visits)},
                messages.SUCCESS,
            )
            return None
        visits = list(queryset)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Send visits back for correction"),
            "subtitle": None,
            "opts": self.model._meta,
            "form": form,
            "visits": visits,
            "question": ngettext(
                "Send this visit back to its observer? Say what should be corrected.",
                "Send these %(count)d visits back to their observers? Say what should be "
                "corrected.",
                len(visits),
            )
            % {"count": len(visits)},
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/reports/visit/send_back_confirmation.html", context)
