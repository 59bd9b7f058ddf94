from django.contrib import admin
from django.db.models import Count, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, LPad
from django.utils.translation import gettext_lazy as _

from missions.admin_lists import LeanChangeListMixin, MissionListFilter
from missions.imports import MissionImportExportMixin
from missions.permissions import MANAGE, missions_where
from missions.scoping import MissionScopedAdmin
from stations.imports import PollingStationResource
from stations.models import Area, Assignment, PollingStation
from stations.services import area_save


def station_number_order(field: str = "number") -> LPad:
    """Sort polling-station numbers as people count them: 58, 64, 101, 502 (not 101, 502, 58).

    Numbers padded with zeros to one width sort as numbers; “1-214” sorts among the fours.
    """
    return LPad(field, 20, Value("0"))


class StationAreaFilter(admin.RelatedFieldListFilter):
    """The areas of the user's missions that have polling stations, by path, as plain rows.

    A country has hundreds of areas: Django's RelatedOnlyFieldListFilter would read every
    station for their areas and build an object of each area on every page.
    """

    def field_choices(self, field, request, model_admin):
        return list(
            Area.objects.filter(
                Exists(PollingStation.objects.filter(area=OuterRef("pk"))),
                election__mission__in=missions_where(request.user, MANAGE),
            )
            .order_by("path", "pk")
            .values_list("pk", "path")
        )


@admin.register(Area)
class AreaAdmin(LeanChangeListMixin, MissionScopedAdmin):
    owner_field = "election"
    ordering = ["election", "path"]
    mission_lookup = "election__mission"
    list_display = ["path", "kind", "election", "station_count"]
    list_filter = [("election__mission", MissionListFilter), "kind"]
    search_fields = ["path", "name", "other_names"]
    list_select_related = ["election__mission"]
    list_per_page = 50
    autocomplete_fields = ["election", "parent"]
    fields = ["election", "parent", "kind", "name", "other_names", "path"]
    readonly_fields = ["path"]

    def get_queryset(self, request):
        # A subquery, not Count() over a join: counting the areas then needs no GROUP BY.
        stations = (
            PollingStation.objects.filter(area=OuterRef("pk"))
            .order_by()
            .values("area")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return super().get_queryset(request).annotate(station_total=Coalesce(Subquery(stations), 0))

    @admin.display(description=_("polling stations"), ordering="station_total")
    def station_count(self, area):
        return area.station_total

    def save_model(self, request, obj, form, change):
        area_save(area=obj)


@admin.register(PollingStation)
class PollingStationAdmin(LeanChangeListMixin, MissionImportExportMixin, MissionScopedAdmin):
    owner_field = "election"
    show_full_result_count = False
    mission_lookup = "election__mission"
    resource_classes = [PollingStationResource]
    list_display = ["station_number", "name", "address", "area", "is_abroad", "registered_voters"]
    ordering = [station_number_order()]
    list_filter = [
        ("election__mission", MissionListFilter),
        "is_abroad",
        ("area", StationAreaFilter),
    ]
    search_fields = ["number", "name", "address", "area__path"]
    list_select_related = ["area"]
    # The page in the order of an index (station_number_natural_idx), half a hundred rows.
    list_per_page = 50
    list_only = (
        "number",
        "name",
        "address",
        "is_abroad",
        "registered_voters",
        "area__name",
        "area__path",
    )
    autocomplete_fields = ["election", "area"]
    fieldsets = [
        (None, {"fields": ["election", "number", "name", "address", "area", "is_abroad"]}),
        (_("Details"), {"fields": [("latitude", "longitude"), "registered_voters"]}),
    ]

    @admin.display(description=_("number"), ordering=station_number_order())
    def station_number(self, station):
        return station.number

    def get_import_missions(self, request):
        # Stations belong to an election; a mission without one has nowhere to put them.
        return super().get_import_missions(request).filter(election__isnull=False)


@admin.register(Assignment)
class AssignmentAdmin(LeanChangeListMixin, MissionScopedAdmin):
    mission_lookup = "team__mission"
    # Each day's plan, phase by phase, in the order of its times: the order of an index
    # (assignment_plan_order_idx), so a page is read rather than every assignment sorted.
    # The team and station columns sort by name and number when clicked.
    ordering = ["date", "phase", "planned_time", "pk"]
    list_display = ["date", "phase", "planned_time", "team", "station", "station_area", "notes"]
    list_filter = [
        # A mission lasts days: list the dates it has rather than "today" and "past 7 days".
        ("date", admin.AllValuesFieldListFilter),
        "phase",
        ("team__mission", MissionListFilter),
    ]
    search_fields = ["=station__number", "station__name", "team__name"]
    list_select_related = ["team", "station__area"]
    list_per_page = 50
    # Counted once: the count with no filter is a second pass over a country's plan.
    show_full_result_count = False
    list_only = (
        "date",
        "phase",
        "planned_time",
        "notes",
        "team__name",
        "station__number",
        "station__name",
        "station__area__name",
        "station__area__path",
    )
    autocomplete_fields = ["team", "station"]
    fields = ["team", "date", "phase", "planned_time", "station", "notes"]

    @admin.display(description=_("area"), ordering="station__area__path")
    def station_area(self, assignment):
        return assignment.station.area or "—"
