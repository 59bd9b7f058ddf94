"""Importing an election's polling stations from CSV or XLSX (the format is in docs/imports.md).

Built for a whole country's list (Kazakhstan's 10,101 stations) in seconds: the election's
areas and stations are read once, every row is checked in memory, and the writes are bulk
inserts and updates inside one transaction. A station whose number the election already has
is updated, so a corrected list can be imported again; a number repeated within the file is
an error.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.utils.translation import gettext as _
from import_export.fields import Field

from audit.services import audit_import
from missions.content_languages import DEFAULT_LANGUAGE, column, in_english, translated_fields
from missions.imports import (
    CellInvalid,
    ErrorLog,
    ImportRejected,
    ImportResult,
    RowError,
    SheetRow,
    SpreadsheetResource,
    cell_boolean,
    cell_decimal,
    cell_integer,
    cell_name,
    cell_text,
    sheet_read,
)
from missions.models import Election
from stations.models import PATH_SEPARATOR, Area, PollingStation

COLUMNS = (
    "number",
    "name",
    "address",
    "area",
    "latitude",
    "longitude",
    "abroad",
    "registered_voters",
)
REQUIRED = ("number",)
# Column → model field, for the details a re-import may change.
DETAIL_FIELDS = {
    "name": "name",
    "address": "address",
    "area": "area",
    "latitude": "latitude",
    "longitude": "longitude",
    "abroad": "is_abroad",
    "registered_voters": "registered_voters",
}
BATCH_SIZE = 1000


class AreaIndex:
    """An election's areas, found by path or, when it is unique, by their own name."""

    def __init__(self, areas: Iterable[Area]) -> None:
        self.by_path: dict[str, Area] = {}
        self.by_folded_path: dict[str, list[Area]] = defaultdict(list)
        self.by_folded_name: dict[str, list[Area]] = defaultdict(list)
        for area in areas:
            self.by_path[area.path] = area
            self.by_folded_path[area.path.casefold()].append(area)
            self.by_folded_name[area.name.casefold()].append(area)

    def find(self, value: str) -> Area | None:
        if not value:
            return None
        # Accept "Astana/Yesil District" and stray spaces as well as the stored form.
        parts = [" ".join(part.split()) for part in value.split(PATH_SEPARATOR.strip())]
        path = PATH_SEPARATOR.join(parts)
        if path in self.by_path:
            return self.by_path[path]
        candidates = self.by_folded_path.get(path.casefold(), [])
        if len(parts) == 1 and not candidates:
            candidates = self.by_folded_name.get(path.casefold(), [])
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            paths = sorted(area.path for area in candidates)
            raise CellInvalid(
                _("“%(area)s” names several areas (%(paths)s); give the whole path.")
                % {"area": value, "paths": "; ".join(paths[:3])}
            )
        if not self.by_path:
            raise CellInvalid(
                _(
                    "No area “%(area)s”: this election has no areas yet. Add them in the "
                    "admin first; importing stations does not create areas."
                )
                % {"area": value}
            )
        raise CellInvalid(
            _(
                "No area “%(area)s” in this election. Give its path as in the list of areas, "
                "e.g. “%(example)s”; importing stations does not create areas."
            )
            % {"area": value, "example": max(self.by_path, key=len)}
        )


@in_english
def stations_import(
    *, election: Election, file_name: str, content: bytes, dry_run: bool = False
) -> ImportResult:
    """Create or update an election's polling stations from a CSV or XLSX file, all or nothing.

    Match stations by number: a new number is created, a known one updated in the columns
    the file has. Raise ImportRejected, writing nothing, if any row is wrong. With dry_run,
    check the file and report what would change without writing.
    """
    sheet = sheet_read(file_name=file_name, content=content, columns=COLUMNS, required=REQUIRED)
    if ("latitude" in sheet.columns) != ("longitude" in sheet.columns):
        missing = "longitude" if "latitude" in sheet.columns else "latitude"
        raise ImportRejected(
            [RowError(None, missing, _("Give both latitude and longitude columns, or neither."))]
        )
    fields = [DETAIL_FIELDS[column] for column in DETAIL_FIELDS if column in sheet.columns]

    with transaction.atomic():
        if not dry_run:
            # A second import into the same election waits here, then finds the first's
            # stations already there and updates them instead of failing on the constraint.
            Election.objects.select_for_update().get(pk=election.pk)
        areas = AreaIndex(Area.objects.filter(election=election))
        existing = {station.number: station for station in election.stations.all()}
        result = ImportResult()
        errors = ErrorLog()
        first_row_of: dict[str, int] = {}
        changed_in: dict[str, list[PollingStation]] = defaultdict(list)
        for row in sheet.rows:
            if errors.full:
                break
            station = _station_from_row(row, election, areas, errors, first_row_of)
            if station is None or errors:
                # Once a row is wrong nothing will be written; keep checking, stop building.
                continue
            known = existing.get(station.number)
            if known is None:
                result.created.append(station)
                continue
            changed = [name for name in fields if _value(known, name) != _value(station, name)]
            for name in changed:
                setattr(known, name, getattr(station, name))
                changed_in[name].append(known)
            (result.updated if changed else result.unchanged).append(known)
        errors.reject_if_any()
        if not dry_run:
            PollingStation.objects.bulk_create(result.created, batch_size=BATCH_SIZE)
            for name in translated_fields(PollingStation):
                if name in changed_in:
                    # The name read back is the English column's, set with the field.
                    changed_in[column(name, DEFAULT_LANGUAGE)] = changed_in[name]
            _stations_update(changed_in)
            audit_import(
                mission=election.mission,
                what="polling stations",
                file_name=file_name,
                created=result.created,
                updated=result.updated,
            )
    return result


def _stations_update(changed_in: dict[str, list[PollingStation]]) -> None:
    if connection.vendor == "postgresql":
        _stations_update_postgresql(changed_in)
        return
    # bulk_update's cost is in Django building a CASE arm for every station and field, so
    # write only the cells that changed, field by field, except the coordinates: the
    # database checks after each statement that a station has both or neither.
    groups: dict[tuple[str, ...], dict[int, PollingStation]] = defaultdict(dict)
    for name, stations in changed_in.items():
        group = ("latitude", "longitude") if name in ("latitude", "longitude") else (name,)
        groups[group].update((station.pk, station) for station in stations)
    for group, stations_by_pk in groups.items():
        PollingStation.objects.bulk_update(
            stations_by_pk.values(), list(group), batch_size=BATCH_SIZE
        )


def _stations_update_postgresql(changed_in: dict[str, list[PollingStation]]) -> None:
    # bulk_update spends about 0.15 ms of Python per station and field building its CASE
    # expressions: 10 s for a list whose every column changed. UPDATE … FROM (VALUES …) sends
    # the same rows, as parameters, in one statement per batch, in well under a second.
    meta = PollingStation._meta
    stations = list(
        {station.pk: station for group in changed_in.values() for station in group}.values()
    )
    fields = [meta.pk] + [meta.get_field(name) for name in changed_in]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(f"%s::{field.cast_db_type(connection)}" for field in fields) + ")"
    columns = ", ".join(quote(field.column) for field in fields)
    assignments = ", ".join(
        f"{quote(field.column)} = v.{quote(field.column)}" for field in fields[1:]
    )
    pk = quote(meta.pk.column)
    with connection.cursor() as cursor:
        for start in range(0, len(stations), BATCH_SIZE):
            batch = stations[start : start + BATCH_SIZE]
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS s SET {assignments} "
                f"FROM (VALUES {', '.join([row] * len(batch))}) AS v ({columns}) "
                f"WHERE s.{pk} = v.{pk}",
                [
                    field.get_db_prep_save(getattr(station, field.attname), connection)
                    for station in batch
                    for field in fields
                ],
            )


def _value(station: PollingStation, name: str):
    return station.area_id if name == "area" else getattr(station, name)


def _station_from_row(
    row: SheetRow,
    election: Election,
    areas: AreaIndex,
    errors: ErrorLog,
    first_row_of: dict[str, int],
) -> PollingStation | None:
    errors_before = len(errors)
    number = errors.cell(row, "number", cell_text, max_length=20, required=True)
    if number:
        if number in first_row_of:
            errors.add(
                row.number,
                "number",
                _("Polling station %(number)s is already in row %(row)d.")
                % {"number": number, "row": first_row_of[number]},
            )
        else:
            first_row_of[number] = row.number
    station = PollingStation(
        election=election,
        number=number,
        name=errors.cell(row, "name", cell_text, max_length=300),
        address=errors.cell(row, "address", cell_text, max_length=500),
        area=errors.cell(row, "area", lambda value: areas.find(cell_name(value, max_length=1000))),
        latitude=errors.cell(
            row, "latitude", cell_decimal, minimum=Decimal(-90), maximum=Decimal(90), places=6
        ),
        longitude=errors.cell(
            row, "longitude", cell_decimal, minimum=Decimal(-180), maximum=Decimal(180), places=6
        ),
        is_abroad=errors.cell(row, "abroad", cell_boolean),
        registered_voters=errors.cell(row, "registered_voters", cell_integer),
    )
    if len(errors) > errors_before:
        return None
    if (station.latitude is None) != (station.longitude is None):
        missing = "longitude" if station.longitude is None else "latitude"
        errors.add(row.number, missing, _("Give both latitude and longitude, or neither."))
        return None
    return station


class PollingStationResource(SpreadsheetResource):
    """Polling stations in the columns the import reads, for the admin's import and export."""

    number = Field(attribute="number", column_name="number")
    name = Field(attribute="name", column_name="name")
    address = Field(attribute="address", column_name="address")
    area = Field(column_name="area")
    latitude = Field(column_name="latitude")
    longitude = Field(column_name="longitude")
    abroad = Field(column_name="abroad")
    registered_voters = Field(column_name="registered_voters")

    class Meta:
        model = PollingStation
        fields = COLUMNS
        export_order = COLUMNS
        import_order = COLUMNS

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("area")

    def dehydrate_area(self, station: PollingStation) -> str:
        return station.area.path if station.area else ""

    def dehydrate_latitude(self, station: PollingStation) -> str:
        return "" if station.latitude is None else str(station.latitude)

    def dehydrate_longitude(self, station: PollingStation) -> str:
        return "" if station.longitude is None else str(station.longitude)

    def dehydrate_abroad(self, station: PollingStation) -> str:
        return "yes" if station.is_abroad else "no"

    def dehydrate_registered_voters(self, station: PollingStation) -> str:
        return "" if station.registered_voters is None else str(station.registered_voters)

    def file_import(self, *, file_name: str, content: bytes, dry_run: bool) -> ImportResult:
        return stations_import(
            election=self.mission.election, file_name=file_name, content=content, dry_run=dry_run
        )
