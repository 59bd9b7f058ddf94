from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from missions.scoping import MissionScopedAdmin
from stations.models import Area, PollingStation
from stations.services import area_save


@admin.register(Area)
class AreaAdmin(MissionScopedAdmin):
    mission_lookup = "election__mission"
    list_display = ["path", "kind", "election", "station_count"]
    list_filter = [("election__mission", admin.RelatedOnlyFieldListFilter), "kind"]
    search_fields = ["path", "name", "other_names"]
    list_select_related = ["election__mission"]
    autocomplete_fields = ["election", "parent"]
    fields = ["election", "parent", "kind", "name", "other_names", "path"]
    readonly_fields = ["path"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(station_total=Count("stations"))

    @admin.display(description=_("polling stations"), ordering="station_total")
    def station_count(self, area):
        return area.station_total

    def save_model(self, request, obj, form, change):
        area_save(area=obj)


@admin.register(PollingStation)
class PollingStationAdmin(MissionScopedAdmin):
    mission_lookup = "election__mission"
    list_display = ["number", "name", "address", "area", "is_abroad", "registered_voters"]
    list_filter = [
        ("election__mission", admin.RelatedOnlyFieldListFilter),
        "is_abroad",
        ("area", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["number", "name", "address", "area__path"]
    list_select_related = ["area"]
    autocomplete_fields = ["election", "area"]
    fieldsets = [
        (None, {"fields": ["election", "number", "name", "address", "area", "is_abroad"]}),
        (_("Details"), {"fields": [("latitude", "longitude"), "registered_voters"]}),
    ]
