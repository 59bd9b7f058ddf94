"""Changelists that stay fast at a national mission's size.

Two pieces the admins of big tables (visits, stations, assignments, the roster, teams) share:

- `MissionListFilter` lists the missions the user coordinates. Django's
  RelatedOnlyFieldListFilter asks the listed table which missions it holds: a DISTINCT over
  every visit of the mission on every page, for a list of one or two names.
- `LeanChangeListMixin` writes each row's checkbox directly rather than through the form
  widget's template (a tenth of a millisecond a row, the costliest cell of the list); reads
  a page's rows with only the columns the list shows (`list_only`) and lets the admin add
  what the columns need as cheap per-row subqueries (`changelist_rows`) instead of joining
  more tables, whose planning alone grows with each join (only the displayed page is
  narrowed: actions get whole objects); and finds a search's rows once, so that the count
  and the page read them by id instead of each scanning and joining the table again.
"""

from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _

from missions.models import Mission
from missions.permissions import MANAGE, missions_where
from missions.scoping import _in_every_language

# A search matching more rows than this is passed on as a subquery rather than a list of ids.
SEARCH_IDS_LIMIT = 1000


class MissionListFilter(admin.RelatedFieldListFilter):
    """The missions the user coordinates (all of them for a superuser), by their names."""

    def field_choices(self, field, request, model_admin):
        # By their ids: DISTINCT over whole missions would compare every text of each.
        missions = Mission.objects.filter(
            pk__in=missions_where(request.user, MANAGE).values("pk")
        ).order_by("-starts_on", "pk")
        return [(mission.pk, str(mission)) for mission in missions]


class LeanChangeListMixin:
    # The fields the changelist's columns read, relations' fields included
    # ("station__number"; a translated field is read in every language); empty: every field.
    list_only: tuple[str, ...] = ()

    def list_only_columns(self) -> list[str]:
        found = []
        for lookup in self.list_only:
            found += dict.fromkeys([lookup, *_in_every_language(self.model, lookup)])
        return found

    def action_checkbox(self, obj):
        # The input Django's CheckboxInput renders for the row, with its label.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    def get_search_results(self, request, queryset, search_term):
        # The matching rows are found once, by Django's search, and the count and the page
        # then read them by id: otherwise both would scan and join the whole table again.
        matches, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if not search_term.strip() or matches is queryset:
            return matches, may_have_duplicates
        found = matches.order_by().values_list("pk", flat=True).distinct()
        ids = list(found[: SEARCH_IDS_LIMIT + 1])
        if len(ids) > SEARCH_IDS_LIMIT:
            return queryset.filter(pk__in=found), False
        return queryset.filter(pk__in=ids), False

    def changelist_rows(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """The page's rows with what the columns need added; by default as they are."""
        return queryset

    def get_changelist(self, request, **kwargs):
        model_admin = self
        base = super().get_changelist(request, **kwargs)

        class LeanChangeList(base):
            def get_results(self, request):
                queryset = self.queryset
                if model_admin.list_only:
                    queryset = queryset.only(*model_admin.list_only_columns())
                self.queryset = model_admin.changelist_rows(request, queryset)
                super().get_results(request)

        return LeanChangeList
