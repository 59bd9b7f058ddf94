"""Importing a mission's roster — observers, their delegations and accreditation — from CSV
or XLSX (the format is in docs/imports.md).

An observer is a person who may serve on several missions: a row whose full name and country
match a person already in the installation reuses that person. A person already on the
mission has their participation updated, so a corrected roster can be imported again. The
model's constraints (one head per mission, accreditation numbers unique within a mission)
are checked in memory against the roster as it will be after the import, so they come back
as row errors, never as a database error.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _
from import_export.fields import Field

from audit.services import audit_import
from missions.content_languages import in_english, with_english_columns
from missions.imports import (
    ErrorLog,
    ImportResult,
    Sheet,
    SpreadsheetResource,
    cell_choice,
    cell_date,
    cell_name,
    cell_text,
    sheet_read,
)
from missions.models import Mission
from observers.models import Delegation, Observer, Participation

COLUMNS = (
    "full_name",
    "other_names",
    "position",
    "institution",
    "country",
    "delegation",
    "delegation_kind",
    "role",
    "accreditation",
    "accreditation_number",
    "accredited_on",
    "accredited_by",
)
REQUIRED = ("full_name", "delegation")
# A person is shared between missions: a blank cell in one roster leaves their details alone.
PERSON_FIELDS = ("other_names", "position", "institution")
# A participation is this mission's own: a blank cell clears the detail (or sets the default).
PARTICIPATION_FIELDS = (
    "role",
    "accreditation",
    "accreditation_number",
    "accredited_on",
    "accredited_by",
)
BATCH_SIZE = 1000


@dataclass
class RosterImportResult(ImportResult):
    """The participations imported, plus the people and delegations created on the way."""

    people_created: int = 0
    delegations_created: int = 0


@dataclass
class RosterRow:
    number: int
    full_name: str
    country: str
    person: dict[str, str]
    delegation: str
    delegation_kind: str | None
    participation: dict[str, Any]


@in_english
def observers_import(
    *, mission: Mission, file_name: str, content: bytes, dry_run: bool = False
) -> RosterImportResult:
    """Add observers to a mission's roster, or update them, from a CSV or XLSX file.

    Reuse a person with the same full name and country; create missing delegations. Raise
    ImportRejected, writing nothing, if any row is wrong. With dry_run, check the file and
    report what would change without writing.
    """
    sheet = sheet_read(file_name=file_name, content=content, columns=COLUMNS, required=REQUIRED)
    person_fields = [name for name in PERSON_FIELDS if name in sheet.columns]
    participation_fields = [name for name in PARTICIPATION_FIELDS if name in sheet.columns]
    errors = ErrorLog()
    rows = _rows_read(sheet, errors)

    with transaction.atomic():
        if not dry_run:
            # Two imports into one mission would both see the same free accreditation numbers
            # and head's seat; the second waits here and checks against the first's result.
            Mission.objects.select_for_update().get(pk=mission.pk)
        roster = _Roster(mission, {row.full_name for row in rows})
        result = RosterImportResult()
        placed: list[tuple[RosterRow, Participation]] = []
        for row in rows:
            participation, is_new, changed = roster.place(row, errors)
            if participation is None:
                continue
            placed.append((row, participation))
            if is_new:
                result.created.append(participation)
            else:
                (result.updated if changed else result.unchanged).append(participation)
        roster.check_constraints(placed, errors)
        errors.reject_if_any()
        result.people_created = len(roster.new_people)
        result.delegations_created = len(roster.new_delegations)
        if not dry_run:
            roster.save(result, person_fields, participation_fields)
            audit_import(
                mission=mission,
                what="observers",
                file_name=file_name,
                created=result.created,
                updated=result.updated,
            )
    return result


def _rows_read(sheet: Sheet, errors: ErrorLog) -> list[RosterRow]:
    rows = []
    first_row_of: dict[tuple[str, str], int] = {}
    for row in sheet.rows:
        if errors.full:
            break
        errors_before = len(errors)
        full_name = errors.cell(row, "full_name", cell_name, max_length=200, required=True)
        country = errors.cell(row, "country", cell_name, max_length=100)
        person = {
            "other_names": errors.cell(row, "other_names", _other_names),
            "position": errors.cell(row, "position", cell_text, max_length=400),
            "institution": errors.cell(row, "institution", cell_text, max_length=300),
        }
        delegation = errors.cell(row, "delegation", cell_name, max_length=200, required=True)
        kind = errors.cell(row, "delegation_kind", cell_choice, choices=Delegation.Kind, default="")
        participation = {
            "role": errors.cell(
                row,
                "role",
                cell_choice,
                choices=Participation.Role,
                default=Participation.Role.OBSERVER,
            ),
            "accreditation": errors.cell(
                row,
                "accreditation",
                cell_choice,
                choices=Participation.Accreditation,
                default=Participation.Accreditation.REQUESTED,
            ),
            "accreditation_number": errors.cell(
                row, "accreditation_number", cell_name, max_length=50
            ),
            "accredited_on": errors.cell(row, "accredited_on", cell_date),
            "accredited_by": errors.cell(row, "accredited_by", cell_text, max_length=300),
        }
        if full_name:
            key = (full_name, country or "")
            if key in first_row_of:
                errors.add(
                    row.number,
                    "full_name",
                    _("%(name)s is already in row %(row)d.")
                    % {"name": full_name, "row": first_row_of[key]},
                )
            else:
                first_row_of[key] = row.number
        if len(errors) > errors_before:
            continue
        rows.append(
            RosterRow(
                number=row.number,
                full_name=full_name,
                country=country,
                person={name: value for name, value in person.items() if name in sheet.columns},
                delegation=delegation,
                delegation_kind=kind or None,
                participation={
                    name: value for name, value in participation.items() if name in sheet.columns
                },
            )
        )
    return rows


def _other_names(value: Any) -> str:
    names = [" ".join(name.split()) for name in cell_text(value, max_length=300).split(";")]
    return cell_text("; ".join(name for name in names if name), max_length=300)


class _Roster:
    """The mission's roster as loaded once, and the changes the file makes to it."""

    def __init__(self, mission: Mission, names: set[str]) -> None:
        self.mission = mission
        self.participations = {
            participation.observer_id: participation
            for participation in Participation.objects.filter(mission=mission).select_related(
                "observer"
            )
        }
        self.people: dict[tuple[str, str], Observer] = {}
        # Oldest first, but a person already on this mission wins over a namesake who is not.
        # A person serving on another mission only is never taken over: the file could
        # otherwise rewrite the position another mission's statement prints.
        candidates = (
            Observer.objects.filter(full_name__in=names)
            .filter(Q(participations__mission=mission) | Q(participations__isnull=True))
            .distinct()
        )
        for person in candidates.order_by("-pk"):
            key = (person.full_name, person.country)
            holder = self.people.get(key)
            if holder is None or holder.pk not in self.participations:
                self.people[key] = person
        self.delegations = {
            delegation.name.casefold(): delegation
            for delegation in Delegation.objects.filter(mission=mission)
        }
        self.next_delegation_position = 1 + max(
            (delegation.position for delegation in self.delegations.values()), default=0
        )
        self.next_member_position: dict[int | str, int] = {
            row["delegation"]: row["last"] + 1
            for row in Participation.objects.filter(mission=mission)
            .values("delegation")
            .annotate(last=Max("position"))
        }
        self.original: dict[int, tuple[str, str]] = {
            participation.pk: (participation.role, participation.accreditation_number)
            for participation in self.participations.values()
        }
        self.new_people: list[Observer] = []
        self.changed_people: dict[int, Observer] = {}
        self.new_delegations: list[Delegation] = []
        self.changed_delegations: dict[int, Delegation] = {}
        self.kind_given_in: dict[str, tuple[str, int]] = {}

    def place(self, row: RosterRow, errors: ErrorLog) -> tuple[Participation | None, bool, bool]:
        """Return the row's participation, whether it is new, and whether it changed."""
        delegation = self._delegation(row, errors)
        if delegation is None:
            return None, False, False
        person, person_changed = self._person(row)
        participation = self.participations.get(person.pk) if person.pk else None
        if participation is None:
            key = delegation.pk or delegation.name.casefold()
            position = self.next_member_position.get(key, 1)
            self.next_member_position[key] = position + 1
            participation = Participation(
                mission=self.mission,
                observer=person,
                delegation=delegation,
                position=position,
                **row.participation,
            )
            return participation, True, True
        changed = person_changed or participation.delegation_id != delegation.pk
        participation.delegation = delegation
        for name, value in row.participation.items():
            if getattr(participation, name) != value:
                setattr(participation, name, value)
                changed = True
        return participation, False, changed

    def _person(self, row: RosterRow) -> tuple[Observer, bool]:
        key = (row.full_name, row.country)
        person = self.people.get(key)
        if person is None:
            person = Observer(full_name=row.full_name, country=row.country, **row.person)
            self.people[key] = person
            self.new_people.append(person)
            return person, False
        changed = False
        for name, value in row.person.items():
            if value and getattr(person, name) != value:
                setattr(person, name, value)
                changed = True
        if changed:
            self.changed_people[person.pk] = person
        return person, changed

    def _delegation(self, row: RosterRow, errors: ErrorLog) -> Delegation | None:
        key = row.delegation.casefold()
        kind = row.delegation_kind
        if kind:
            given_kind, given_row = self.kind_given_in.setdefault(key, (kind, row.number))
            if given_kind != kind:
                errors.add(
                    row.number,
                    "delegation_kind",
                    _("“%(kind)s” differs from “%(other)s”, given to %(name)s in row %(row)d.")
                    % {"kind": kind, "other": given_kind, "name": row.delegation, "row": given_row},
                )
                return None
        delegation = self.delegations.get(key)
        if delegation is None:
            delegation = Delegation(
                mission=self.mission,
                name=row.delegation,
                kind=kind or Delegation.Kind.MEMBER_STATE,
                position=self.next_delegation_position,
            )
            self.next_delegation_position += 1
            self.delegations[key] = delegation
            self.new_delegations.append(delegation)
        elif kind and delegation.kind != kind:
            delegation.kind = kind
            if delegation.pk:
                self.changed_delegations[delegation.pk] = delegation
        return delegation

    def check_constraints(
        self, placed: list[tuple[RosterRow, Participation]], errors: ErrorLog
    ) -> None:
        """Log the rows that would give the mission a second head or reuse a number."""
        in_file = {participation.pk for _row, participation in placed if participation.pk}
        head: tuple[Participation, int | None] | None = None
        numbers: dict[str, tuple[Participation, int | None]] = {}
        for participation in self.participations.values():
            if participation.pk in in_file:
                continue
            if participation.role == Participation.Role.HEAD:
                head = (participation, None)
            if participation.accreditation_number:
                numbers[participation.accreditation_number] = (participation, None)
        for row, participation in placed:
            if participation.role == Participation.Role.HEAD:
                if head is None:
                    head = (participation, row.number)
                else:
                    errors.add(row.number, "role", _head_taken(*head))
            number = participation.accreditation_number
            if number:
                if number in numbers:
                    errors.add(
                        row.number, "accreditation_number", _number_taken(number, *numbers[number])
                    )
                else:
                    numbers[number] = (participation, row.number)

    def save(
        self,
        result: RosterImportResult,
        person_fields: list[str],
        participation_fields: list[str],
    ) -> None:
        Observer.objects.bulk_create(self.new_people, batch_size=BATCH_SIZE)
        if self.changed_people and person_fields:
            Observer.objects.bulk_update(
                self.changed_people.values(),
                with_english_columns(Observer, person_fields),
                batch_size=BATCH_SIZE,
            )
        Delegation.objects.bulk_create(self.new_delegations, batch_size=BATCH_SIZE)
        if self.changed_delegations:
            Delegation.objects.bulk_update(self.changed_delegations.values(), ["kind"])
        # PostgreSQL checks unique indexes row by row, so a file that hands the head's seat or
        # an accreditation number from one person to another must free it before reassigning.
        release_head, release_number = [], []
        for participation in result.updated:
            role, number = self.original[participation.pk]
            if role == Participation.Role.HEAD and participation.role != role:
                release_head.append(participation.pk)
            if number and participation.accreditation_number != number:
                release_number.append(participation.pk)
        Participation.objects.filter(pk__in=release_head).update(role=Participation.Role.OBSERVER)
        Participation.objects.filter(pk__in=release_number).update(accreditation_number="")
        if result.updated:
            Participation.objects.bulk_update(
                result.updated, ["delegation", *participation_fields], batch_size=BATCH_SIZE
            )
        Participation.objects.bulk_create(result.created, batch_size=BATCH_SIZE)


def _head_taken(holder: Participation, row: int | None) -> str:
    if row is None:
        return _("%(name)s is already head of this mission, and a mission has one head.") % {
            "name": holder.observer.full_name
        }
    return _("%(name)s in row %(row)d is head of mission already, and a mission has one head.") % {
        "name": holder.observer.full_name,
        "row": row,
    }


def _number_taken(number: str, holder: Participation, row: int | None) -> str:
    if row is None:
        return _("%(number)s is already the accreditation number of %(name)s on this mission.") % {
            "number": number,
            "name": holder.observer.full_name,
        }
    return _("%(number)s is already the accreditation number of %(name)s in row %(row)d.") % {
        "number": number,
        "name": holder.observer.full_name,
        "row": row,
    }


class ParticipationResource(SpreadsheetResource):
    """A mission's roster in the columns the import reads, for the admin's import and export."""

    full_name = Field(attribute="observer__full_name", column_name="full_name")
    other_names = Field(attribute="observer__other_names", column_name="other_names")
    position = Field(attribute="observer__position", column_name="position")
    institution = Field(attribute="observer__institution", column_name="institution")
    country = Field(attribute="observer__country", column_name="country")
    delegation = Field(attribute="delegation__name", column_name="delegation")
    delegation_kind = Field(attribute="delegation__kind", column_name="delegation_kind")
    role = Field(attribute="role", column_name="role")
    accreditation = Field(attribute="accreditation", column_name="accreditation")
    accreditation_number = Field(
        attribute="accreditation_number", column_name="accreditation_number"
    )
    accredited_on = Field(column_name="accredited_on")
    accredited_by = Field(attribute="accredited_by", column_name="accredited_by")

    class Meta:
        model = Participation
        fields = COLUMNS
        export_order = COLUMNS
        import_order = COLUMNS

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("observer", "delegation")

    def dehydrate_accredited_on(self, participation: Participation) -> str:
        return participation.accredited_on.isoformat() if participation.accredited_on else ""

    def file_import(self, *, file_name: str, content: bytes, dry_run: bool) -> ImportResult:
        return observers_import(
            mission=self.mission, file_name=file_name, content=content, dry_run=dry_run
        )
