from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from missions.scoping import MissionScopedAdmin, MissionScopedInlineMixin
from missions.selectors import missions_coordinated_by
from observers.models import Delegation, Observer, Participation
from observers.services import participations_accredit, participations_revoke


class ParticipationInline(MissionScopedInlineMixin, admin.TabularInline):
    model = Participation
    fk_name = "observer"
    extra = 0
    fields = ["mission", "delegation", "role", "accreditation", "accreditation_number"]
    autocomplete_fields = ["mission", "delegation"]
    show_change_link = True


@admin.register(Observer)
class ObserverAdmin(MissionScopedAdmin):
    list_display = ["full_name", "position", "institution", "country", "mission_count"]
    list_filter = ["country"]
    search_fields = ["full_name", "other_names", "position", "institution"]
    inlines = [ParticipationInline]

    def get_queryset(self, request):
        # A person may serve on several missions: staff see those who serve on theirs, and
        # people not yet on any mission (just added, about to be given a participation).
        queryset = admin.ModelAdmin.get_queryset(self, request).annotate(
            mission_total=Count("participations", distinct=True)
        )
        if request.user.is_superuser:
            return queryset
        on_my_missions = Participation.objects.filter(
            mission__in=missions_coordinated_by(request.user)
        ).values("observer_id")
        on_any_mission = Participation.objects.values("observer_id")
        return queryset.filter(Q(pk__in=on_my_missions) | ~Q(pk__in=on_any_mission))

    @admin.display(description=_("missions"), ordering="mission_total")
    def mission_count(self, observer):
        return observer.mission_total


@admin.register(Delegation)
class DelegationAdmin(MissionScopedAdmin):
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
class ParticipationAdmin(MissionScopedAdmin):
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
        ("mission", admin.RelatedOnlyFieldListFilter),
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
