"""Admin classes that show staff users only the missions they coordinate.

Superusers see everything. Each scoped admin names the lookup from its model to the
mission (`mission_lookup`); the queryset filters on a subquery, so scoping adds no query.
Foreign-key choices and autocomplete results are scoped by the same rule, so a coordinator
can neither see nor post another mission's objects.
"""

import zoneinfo

from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from modeltranslation.admin import TranslationAdmin, TranslationInlineModelAdmin
from modeltranslation.translator import NotRegistered, TranslationOptions

from missions.content_languages import columns, translated_fields
from missions.permissions import MANAGE, missions_where


def scope_to_missions(queryset: QuerySet, request: HttpRequest, mission_lookup: str) -> QuerySet:
    if request.user.is_superuser:
        return queryset
    return queryset.filter(**{f"{mission_lookup}__in": missions_where(request.user, MANAGE)})


class _ScopedChoicesMixin:
    """Limit foreign-key and many-to-many choices to what the user's own admin shows."""

    def _scoped_related_queryset(self, db_field, request):
        related_admin = self.admin_site._registry.get(db_field.remote_field.model)
        if isinstance(related_admin, MissionScopedAdmin):
            return related_admin.get_queryset(request)
        return None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = self._scoped_related_queryset(db_field, request)
            if queryset is not None:
                kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = self._scoped_related_queryset(db_field, request)
            if queryset is not None:
                kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class _NoTranslatedFields(TranslationOptions):
    fields = ()


class _ContentLanguagesMixin:
    """Edit every translated field in each language, one beside the other (name [en],
    name [ru], name [zh-hans]); a model with no translated fields is left as it is.

    A model registered in its app's translation.py gets this in every scoped admin and
    inline without touching the admin class.
    """

    def __init__(self, *args, **kwargs):
        try:
            super().__init__(*args, **kwargs)
        except NotRegistered:
            # TranslationBaseModelAdmin sets its options after the ModelAdmin's own set-up.
            self.trans_opts = _NoTranslatedFields(self.model)
            self._patch_prepopulated_fields()
            if isinstance(self, TranslationAdmin):
                self._patch_list_editable()

    def get_search_fields(self, request):
        # A name is found in whichever language it is typed: the search looks in every
        # language's column, not only the reader's.
        found = []
        for name in super().get_search_fields(request):
            found.extend(_in_every_language(self.model, name))
        return found

    def _get_declared_fieldsets(self, request, obj=None):
        # An admin that chooses its fields per object with get_fields() keeps that choice,
        # each translated field shown once per language.
        declared = super()._get_declared_fieldsets(request, obj)
        if declared is None:
            return [(None, {"fields": self.replace_orig_field(self.get_fields(request, obj))})]
        return declared


def _in_every_language(model, lookup: str) -> list[str]:
    """`observer__full_name` → the lookup on full_name_en, full_name_ru, full_name_zh_hans."""
    prefix = lookup[0] if lookup[:1] in "^=@" else ""
    path = lookup[len(prefix) :].split("__")
    for index, part in enumerate(path):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return [lookup]
        if field.is_relation and field.related_model is not None:
            model = field.related_model
            continue
        if part in translated_fields(model):
            head, tail = path[:index], path[index + 1 :]
            return [prefix + "__".join([*head, name, *tail]) for name in columns(part)]
        return [lookup]
    return [lookup]


class InMissionTimeZoneMixin:
    """Render an object's change page in its mission's time zone, so every time on it reads
    as the mission's people saw it (as on the statement pages). For models with `mission`."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if obj is None:
            return response
        # Rendered now, inside the zone: a lazy response would render after it is left.
        with timezone.override(zoneinfo.ZoneInfo(obj.mission.time_zone)):
            return response.render()


class MissionScopedAdmin(_ScopedChoicesMixin, _ContentLanguagesMixin, TranslationAdmin):
    mission_lookup: str = "mission"
    # The field tying an object to its mission or election: set when the object is created
    # and never changed after, since what hangs off the object would be left behind.
    owner_field: str | None = "mission"

    def get_queryset(self, request):
        return scope_to_missions(super().get_queryset(request), request, self.mission_lookup)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        owner = self.owner_field
        has_owner = owner and any(f.name == owner for f in self.model._meta.fields)
        if obj is not None and has_owner and owner not in readonly:
            readonly.append(self.owner_field)
        return readonly


class MissionScopedInlineMixin(
    _ScopedChoicesMixin, _ContentLanguagesMixin, TranslationInlineModelAdmin
):
    mission_lookup: str = "mission"
    owner_field: str | None = "mission"
    # Relations each row shows (its own name, its selects): joined once for all rows.
    select_related: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = scope_to_missions(super().get_queryset(request), request, self.mission_lookup)
        return queryset.select_related(*self.select_related) if self.select_related else queryset

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        owner = self.owner_field
        if not owner or owner not in formset.form.base_fields:
            return formset

        class FixedOwnerForm(formset.form):
            # A row that exists keeps its mission, as on the object's own page.
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                if self.instance.pk is not None:
                    self.fields[owner].disabled = True

        formset.form = FixedOwnerForm
        return formset
