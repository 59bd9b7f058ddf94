from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from missions.models import (
    ActivityStation,
    Candidate,
    Election,
    Mission,
    MissionActivity,
    MissionMembership,
    Office,
    Party,
    PartyCandidate,
    ReferendumOption,
    ReferendumQuestion,
)
from missions.scoping import MissionScopedAdmin, MissionScopedInlineMixin
from missions.services import mission_create
from observers.models import Participation
from stations.models import PollingStation

ELECTION_FIELDS = ["country", "kind", "is_early", "election_day", "commission"]
ELECTION_FIGURES = (
    _("Nationwide figures"),
    {
        "fields": [
            ("stations_total", "stations_abroad", "stations_abroad_countries"),
            "registered_voters",
            ("observers_from_organisations", "organisations_count"),
            ("observers_from_states", "states_count"),
            "official_turnout",
            "has_against_all",
        ]
    },
)


class ElectionInline(MissionScopedInlineMixin, admin.StackedInline):
    model = Election
    can_delete = False
    show_change_link = True
    fieldsets = [(None, {"fields": ELECTION_FIELDS}), ELECTION_FIGURES]


class MembershipInline(MissionScopedInlineMixin, admin.TabularInline):
    model = MissionMembership
    select_related = ("user",)
    extra = 0
    autocomplete_fields = ["user"]

    # Granting someone a role in a mission is an account decision: superusers make it.
    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Mission)
class MissionAdmin(MissionScopedAdmin):
    mission_lookup = "pk"
    owner_field = None
    ordering = ["-starts_on", "name"]
    list_display = [
        "name",
        "organisation_acronym",
        "status",
        "starts_on",
        "ends_on",
        "election_day",
        "observer_count",
        "station_count",
    ]
    list_filter = ["status", "organisation"]
    search_fields = ["name", "slug", "organisation", "organisation_acronym"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "starts_on"
    inlines = [ElectionInline, MembershipInline]
    list_select_related = ["election"]
    fieldsets = [
        (None, {"fields": ["organisation", "organisation_acronym", "name", "slug", "status"]}),
        (_("Period"), {"fields": [("starts_on", "ends_on"), "time_zone"]}),
        (_("Invitation and formation"), {"fields": ["inviting_body", "invited_on", "formed_on"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                # Two subqueries: counted in one join, participations × stations rows.
                observer_total=Coalesce(
                    Subquery(
                        Participation.objects.filter(mission=OuterRef("pk"))
                        .order_by()
                        .values("mission")
                        .annotate(n=Count("pk"))
                        .values("n")
                    ),
                    0,
                ),
                station_total=Coalesce(
                    Subquery(
                        PollingStation.objects.filter(election__mission=OuterRef("pk"))
                        .order_by()
                        .values("election")
                        .annotate(n=Count("pk"))
                        .values("n")
                    ),
                    0,
                ),
            )
        )

    @admin.display(description=_("election day"), ordering="election__election_day")
    def election_day(self, mission):
        election = getattr(mission, "election", None)
        return election.election_day if election else None

    @admin.display(description=_("observers"), ordering="observer_total")
    def observer_count(self, mission):
        url = reverse("admin:observers_participation_changelist")
        return format_html(
            '<a href="{}?mission__id__exact={}">{}</a>', url, mission.pk, mission.observer_total
        )

    @admin.display(description=_("polling stations"), ordering="station_total")
    def station_count(self, mission):
        return mission.station_total

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            mission_create(mission=obj, created_by=request.user)


class CandidateInline(MissionScopedInlineMixin, admin.TabularInline):
    model = Candidate
    mission_lookup = "election__mission"
    extra = 0
    ordering = ["ballot_position"]


class PartyInline(MissionScopedInlineMixin, admin.TabularInline):
    model = Party
    mission_lookup = "election__mission"
    extra = 0
    ordering = ["ballot_position"]
    # A party's list of candidates is edited on the party's own page.
    show_change_link = True


class ReferendumQuestionInline(MissionScopedInlineMixin, admin.TabularInline):
    model = ReferendumQuestion
    mission_lookup = "election__mission"
    extra = 0
    ordering = ["position"]
    show_change_link = True


class OfficeInline(MissionScopedInlineMixin, admin.TabularInline):
    model = Office
    mission_lookup = "election__mission"
    extra = 0
    ordering = ["position"]


class PartyCandidateInline(MissionScopedInlineMixin, admin.TabularInline):
    model = PartyCandidate
    mission_lookup = "party__election__mission"
    owner_field = None
    extra = 0
    ordering = ["list_position"]


class ReferendumOptionInline(MissionScopedInlineMixin, admin.TabularInline):
    model = ReferendumOption
    mission_lookup = "question__election__mission"
    owner_field = None
    extra = 0
    ordering = ["position"]


@admin.register(Party)
class PartyAdmin(MissionScopedAdmin):
    """A party or list with its candidates; reached from its election's page."""

    mission_lookup = "election__mission"
    owner_field = "election"
    ordering = ["election", "ballot_position"]
    list_display = ["__str__", "election"]
    list_select_related = ["election"]
    search_fields = ["name"]
    inlines = [PartyCandidateInline]


@admin.register(ReferendumQuestion)
class ReferendumQuestionAdmin(MissionScopedAdmin):
    """A referendum question with its options; reached from its election's page."""

    mission_lookup = "election__mission"
    owner_field = "election"
    ordering = ["election", "position"]
    list_display = ["__str__", "election"]
    list_select_related = ["election"]
    search_fields = ["text"]
    inlines = [ReferendumOptionInline]


@admin.register(Election)
class ElectionAdmin(MissionScopedAdmin):
    ordering = ["-election_day", "pk"]
    list_display = ["__str__", "mission", "country", "kind", "is_early", "election_day"]
    list_filter = ["kind", "is_early", "country"]
    search_fields = ["country", "mission__name", "mission__slug"]
    list_select_related = ["mission"]
    autocomplete_fields = ["mission"]
    inlines = [CandidateInline, PartyInline, ReferendumQuestionInline, OfficeInline]
    fieldsets = [(None, {"fields": ["mission", *ELECTION_FIELDS]}), ELECTION_FIGURES]


class ActivityStationInline(MissionScopedInlineMixin, admin.TabularInline):
    model = ActivityStation
    mission_lookup = "activity__mission"
    select_related = ("station",)
    extra = 0
    autocomplete_fields = ["station"]
    ordering = ["position"]


@admin.register(MissionActivity)
class MissionActivityAdmin(MissionScopedAdmin):
    ordering = ["mission", "date", "pk"]
    list_display = ["date", "kind", "mission", "short_description", "stations_visited"]
    list_filter = [("mission", admin.RelatedOnlyFieldListFilter), "kind", "date"]
    search_fields = ["description", "mission__name"]
    list_select_related = ["mission"]
    autocomplete_fields = ["mission"]
    inlines = [ActivityStationInline]
    date_hierarchy = "date"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(station_total=Count("station_visits"))

    @admin.display(description=_("description"))
    def short_description(self, activity):
        text = activity.description
        return text if len(text) <= 80 else text[:79] + "…"

    @admin.display(description=_("polling stations visited"), ordering="station_total")
    def stations_visited(self, activity):
        return activity.station_total
