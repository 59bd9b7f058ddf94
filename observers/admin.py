from django import forms
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from missions.admin_lists import LeanChangeListMixin, MissionListFilter
from missions.imports import MissionImportExportMixin
from missions.permissions import MANAGE, missions_where
from missions.scoping import MissionScopedAdmin, MissionScopedInlineMixin
from observers.imports import ParticipationResource
from observers.models import Delegation, Observer, Participation, Team
from observers.services import participations_accredit, participations_revoke
from stations.models import Assignment


class ParticipationInline(MissionScopedInlineMixin, admin.TabularInline):
    model = Participation
    fk_name = "observer"
    select_related = ("mission", "delegation")
    extra = 0
    fields = ["mission", "delegation", "role", "accreditation", "accreditation_number"]
    autocomplete_fields = ["mission", "delegation"]
    show_change_link = True


@admin.register(Observer)
class ObserverAdmin(LeanChangeListMixin, MissionScopedAdmin):
    ordering = ["full_name", "pk"]
    list_per_page = 50
    list_only = ("full_name", "position", "institution", "country")
    list_display = ["full_name", "position", "institution", "country", "mission_count"]
    list_filter = ["country"]
    search_fields = ["full_name", "other_names", "position", "institution"]
    inlines = [ParticipationInline]

    def get_queryset(self, request):
        # A person may serve on several missions: staff see those who serve on theirs, and
        # people not yet on any mission (just added, about to be given a participation).
        # A subquery, not Count() over a join: counting the people then needs no GROUP BY.
        missions = (
            Participation.objects.filter(observer=OuterRef("pk"))
            .order_by()
            .values("observer")
            .annotate(total=Count("mission", distinct=True))
            .values("total")
        )
        queryset = admin.ModelAdmin.get_queryset(self, request).annotate(
            mission_total=Coalesce(Subquery(missions), 0)
        )
        if request.user.is_superuser:
            return queryset
        on_my_missions = Participation.objects.filter(
            mission__in=missions_where(request.user, MANAGE)
        ).values("observer_id")
        on_any_mission = Participation.objects.values("observer_id")
        return queryset.filter(Q(pk__in=on_my_missions) | ~Q(pk__in=on_any_mission))

    @admin.display(description=_("missions"), ordering="mission_total")
    def mission_count(self, observer):
        return observer.mission_total


@admin.register(Delegation)
class DelegationAdmin(MissionScopedAdmin):
    ordering = ["mission", "position", "name"]
    list_display = ["name", "kind", "mission", "position", "member_count"]
    list_filter = [("mission", admin.RelatedOnlyFieldListFilter), "kind"]
    search_fields = ["name", "mission__name"]
    list_select_related = ["mission"]
    autocomplete_fields = ["mission"]
    list_editable = ["position"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("participations"))

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, delegation):
        return delegation.member_total


@admin.register(Participation)
class ParticipationAdmin(LeanChangeListMixin, MissionImportExportMixin, MissionScopedAdmin):
    show_full_result_count = False
    list_per_page = 50
    resource_classes = [ParticipationResource]
    list_display = [
        "observer",
        "observer_position",
        "delegation",
        "role",
        "accreditation",
        "accreditation_number",
        "accredited_on",
        "mission",
    ]
    list_filter = [
        ("mission", MissionListFilter),
        "accreditation",
        "role",
        ("delegation", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "observer__full_name",
        "observer__other_names",
        "observer__position",
        "accreditation_number",
        "delegation__name",
    ]
    list_select_related = ["observer", "delegation", "mission"]
    list_only = (
        "role",
        "accreditation",
        "accreditation_number",
        "accredited_on",
        "observer__full_name",
        "observer__position",
        "delegation__name",
        "mission__name",
    )
    autocomplete_fields = ["mission", "observer", "delegation", "user"]
    actions = ["accredit", "revoke"]
    fieldsets = [
        (None, {"fields": ["mission", "observer", "delegation", "role", "position", "user"]}),
        (
            _("Accreditation"),
            {
                "fields": [
                    "accreditation",
                    "accreditation_number",
                    "accredited_on",
                    "accredited_by",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        # Autocomplete names each result "observer (mission)"; join for it as for the list.
        return super().get_queryset(request).select_related(*self.list_select_related)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # Linking a user account is an account decision, and coordinators cannot see
        # the installation's users: superusers make it.
        if not request.user.is_superuser:
            readonly = [*readonly, "user"]
        return readonly

    @admin.display(description=_("position"), ordering="observer__position")
    def observer_position(self, participation):
        return participation.observer.position

    @admin.action(description=_("Accredit the selected observers"), permissions=["change"])
    def accredit(self, request, queryset):
        changed = participations_accredit(participations=queryset)
        self.message_user(
            request,
            ngettext("%(count)d observer accredited.", "%(count)d observers accredited.", changed)
            % {"count": changed},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Revoke the accreditation of the selected observers"), permissions=["change"]
    )
    def revoke(self, request, queryset):
        changed = participations_revoke(participations=queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d accreditation revoked.", "%(count)d accreditations revoked.", changed
            )
            % {"count": changed},
            messages.WARNING,
        )


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["mission", "name", "members"]

    def clean(self):
        cleaned = super().clean()
        # On a saved team the mission is read-only, so it comes from the instance.
        mission = cleaned.get("mission") if "mission" in self.fields else self.instance.mission
        if mission is None:
            return cleaned
        strangers = [
            member for member in cleaned.get("members") or () if member.mission_id != mission.pk
        ]
        if strangers:
            self.add_error(
                "members",
                _("Not on the mission “%(mission)s”: %(names)s.")
                % {
                    "mission": mission,
                    "names": ", ".join(member.observer.full_name for member in strangers),
                },
            )
        # With the mission read-only the form skips the (mission, name) constraint; check it.
        name = cleaned.get("name")
        if name and "mission" not in self.fields:
            namesakes = Team.objects.filter(mission=mission, name=name).exclude(pk=self.instance.pk)
            if namesakes.exists():
                self.add_error("name", _("This mission already has a team of that name."))
        return cleaned


class AssignmentInline(MissionScopedInlineMixin, admin.TabularInline):
    model = Assignment
    mission_lookup = "team__mission"
    select_related = ("team", "station")
    extra = 0
    fields = ["date", "phase", "planned_time", "station", "notes"]
    autocomplete_fields = ["station"]
    ordering = ["date", "phase", "station__number"]


@admin.register(Team)
class TeamAdmin(LeanChangeListMixin, MissionScopedAdmin):
    # The mission is read-only once the team exists (MissionScopedAdmin.owner_field): its
    # members and assignments belong to that mission.
    form = TeamForm
    ordering = ["mission", "name"]
    list_display = ["name", "mission", "member_names", "assignment_count"]
    list_filter = [("mission", MissionListFilter)]
    search_fields = ["name", "members__observer__full_name"]
    list_select_related = ["mission"]
    list_per_page = 50
    show_full_result_count = False
    list_only = ("name", "mission__name")
    autocomplete_fields = ["mission", "members"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            # A subquery, not Count() over a join: the count of teams then needs no GROUP BY.
            .annotate(
                assignment_total=Coalesce(
                    Subquery(
                        Assignment.objects.filter(team=OuterRef("pk"))
                        .order_by()
                        .values("team")
                        .annotate(total=Count("pk"))
                        .values("total")
                    ),
                    0,
                )
            )
            .prefetch_related(
                Prefetch(
                    "members",
                    queryset=Participation.objects.select_related("observer").order_by(
                        "observer__full_name"
                    ),
                )
            )
        )

    def get_inlines(self, request, obj):
        # Assignments are checked against the team's mission, which a new team has not got
        # until it is saved: plan them once the team exists.
        return [AssignmentInline] if obj is not None else []

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "members" and formfield is not None:
            # Names of chosen members are shown and checked: read their people with them.
            formfield.queryset = formfield.queryset.select_related("observer", "mission")
        return formfield

    @admin.display(description=_("members"))
    def member_names(self, team):
        return ", ".join(member.observer.full_name for member in team.members.all()) or "—"

    @admin.display(description=_("assignments"), ordering="assignment_total")
    def assignment_count(self, team):
        return team.assignment_total
