"""The mission bundle: one JSON document that carries a whole mission between installations.

The format is documented in docs/bundle.md. Objects refer to each other by natural keys
(a delegation's name, an area's path, a station's number), never by database ids, so a
bundle imports into any installation and under any slug. New sections are added as new
top-level keys; a reader refuses keys it does not know rather than silently dropping what
it cannot store.
"""

import datetime
import json
import re
import zoneinfo
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_event
from missions.content_languages import translated_fields, translations_of, translations_set
from missions.models import (
    ActivityStation,
    Candidate,
    Election,
    Mission,
    MissionActivity,
    Office,
    Party,
    PartyCandidate,
    ReferendumOption,
    ReferendumQuestion,
)
from observers.models import Delegation, Observer, Participation, Team
from reports.checklist_files import (
    ChecklistFileError,
    checklist_as_data,
    checklist_create_from_data,
    translations_read,
)
from reports.forms import answer_field, answer_to_json
from reports.models import Checklist, HeadAssessment, Incident, StatementText, Visit
from reports.services import IncidentData, VisitData, visit_restore, visit_times_errors
from stations.models import Area, Assignment, PollingStation

FORMAT = "observa-mission-bundle"
VERSION = 1

MISSION_FIELDS = (
    "slug",
    "name",
    "organisation",
    "organisation_acronym",
    "status",
    "starts_on",
    "ends_on",
    "time_zone",
    "inviting_body",
    "invited_on",
    "formed_on",
    "preliminary_includes_unreviewed",
)
ELECTION_FIELDS = ("country", "kind", "is_early", "election_day", "commission", "has_against_all")
FIGURE_FIELDS = (
    "stations_total",
    "stations_abroad",
    "stations_abroad_countries",
    "registered_voters",
    "observers_from_organisations",
    "organisations_count",
    "observers_from_states",
    "states_count",
    "official_turnout",
)
CANDIDATE_FIELDS = ("ballot_position", "full_name", "nominated_by", "description")
PARTY_FIELDS = ("ballot_position", "name", "description")
PARTY_CANDIDATE_FIELDS = ("list_position", "full_name", "description")
REFERENDUM_QUESTION_FIELDS = ("position", "text")
REFERENDUM_OPTION_FIELDS = ("position", "text")
OFFICE_FIELDS = ("position", "name", "seats")
# What the election puts to voters beside candidates: written only when there is some, so a
# presidential election's bundle stays as it was.
BALLOT_KEYS = ("parties", "referendum_questions", "offices")
DELEGATION_FIELDS = ("name", "kind")
OBSERVER_FIELDS = ("full_name", "position", "institution", "country")
PARTICIPATION_FIELDS = ("role",)
ACCREDITATION_FIELDS = {
    "status": "accreditation",
    "number": "accreditation_number",
    "date": "accredited_on",
    "issued_by": "accredited_by",
}
AREA_FIELDS = ("name", "kind")
STATION_FIELDS = (
    "number",
    "name",
    "address",
    "is_abroad",
    "latitude",
    "longitude",
    "registered_voters",
)
ACTIVITY_FIELDS = ("date", "kind", "description")
ASSIGNMENT_FIELDS = ("date", "phase", "notes")
VISIT_FIELDS = ("voters_on_list", "ballots_issued", "notes", "review", "review_comment")
INCIDENT_FIELDS = ("category", "severity", "description", "complaint_filed")
STATEMENT_TEXT_FIELDS = ("section", "body")
# Version 1 bundles written before texts had a column per language: one row per language.
STATEMENT_TEXT_LANGUAGE = "language"


class BundleError(Exception):
    """A bundle that cannot be imported, with the place in the document that is wrong."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


# A bundle nests areas in areas and values in lists; no real mission goes near this depth,
# and a deeper document would exhaust Python's recursion on the way in.
MAX_DEPTH = 64


def bundle_parse(text: str) -> Any:
    """Read a bundle's JSON text, refusing what is not JSON or nests deeper than MAX_DEPTH."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BundleError(
            "",
            _("not valid JSON (line %(line)d, column %(column)d: %(reason)s)")
            % {"line": error.lineno, "column": error.colno, "reason": error.msg},
        ) from None
    except RecursionError:
        raise BundleError("", _("the document nests too deeply.")) from None
    bundle_depth_check(data)
    return data


def bundle_depth_check(data: Any) -> None:
    """Raise BundleError if lists and objects nest deeper than MAX_DEPTH."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise BundleError(
                    "",
                    _("the document nests deeper than %(limit)d levels.") % {"limit": MAX_DEPTH},
                )
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)


# What JSON type each kind of model field accepts in a bundle. A date must be written as
# text ("2022-11-20"); a number where text is expected, or an object where a number is,
# is refused by name instead of failing deep inside the model's parsing.
_TEXT = (str,)
_FIELD_TYPES: tuple[tuple[type[models.Field], tuple[type, ...], Any], ...] = (
    (models.BooleanField, (bool,), gettext_lazy("true or false")),
    (models.DateTimeField, (str, datetime.datetime), gettext_lazy("a date and time as text")),
    (models.DateField, (str, datetime.date), gettext_lazy("a date as text (YYYY-MM-DD)")),
    (models.TimeField, (str, datetime.time), gettext_lazy("a time as text (HH:MM)")),
    (models.DecimalField, (int, float, str, Decimal), gettext_lazy("a number")),
    (models.FloatField, (int, float), gettext_lazy("a number")),
    (models.IntegerField, (int,), gettext_lazy("a whole number")),
    (models.CharField, _TEXT, gettext_lazy("text")),
    (models.TextField, _TEXT, gettext_lazy("text")),
)


def _types_check(instance: models.Model, where: str) -> None:
    for field in instance._meta.concrete_fields:
        if field.is_relation:
            continue
        value = getattr(instance, field.attname, None)
        if value is None:
            continue
        for kind, accepted, expected in _FIELD_TYPES:
            if isinstance(field, kind):
                wrong = not isinstance(value, accepted) or (
                    isinstance(value, bool) and bool not in accepted
                )
                if wrong:
                    raise BundleError(
                        f"{where}.{field.name}" if where else field.name,
                        _("expected %(expected)s, not %(value)s.")
                        % {"expected": expected, "value": json.dumps(value, default=str)[:60]},
                    )
                break


# ---------------------------------------------------------------------------------------
# Export


def _value(instance: models.Model, field: str) -> Any:
    value = getattr(instance, field)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def _fields(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The fields as a bundle writes them: English under the plain keys, the other languages
    of any translated field under `translations` (left out when there are none)."""
    fields = tuple(fields)
    data = {field: _value(instance, field) for field in fields}
    translated = [field for field in fields if field in translated_fields(instance)]
    if translated and (found := translations_of(instance, fields=translated)):
        data["translations"] = found
    return data


def _translated(model: type[models.Model], fields: Iterable[str]) -> dict[str, str]:
    """The keys a bundle object of `model` may give under `translations`."""
    return {field: field for field in fields if field in translated_fields(model)}


def _read_translations(
    values: dict[str, Any], where: str, model: type[models.Model], fields: Iterable[str]
) -> dict[str, dict[str, str]]:
    try:
        return translations_read(
            values.get("translations"), f"{where}.translations", _translated(model, fields)
        )
    except ChecklistFileError as error:
        raise BundleError(error.where, error.message) from None


def _split_names(text: str) -> list[str]:
    return [name.strip() for name in text.split(";") if name.strip()]


def _natural_key(number: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", number))


def mission_export(*, mission: Mission) -> dict[str, Any]:
    """Return the whole mission as a bundle (a JSON-ready dict)."""
    # The plain keys carry the English texts, whatever language the person exporting uses.
    with translation.override(settings.LANGUAGE_CODE):
        return _export(mission)


def _export(mission: Mission) -> dict[str, Any]:
    election = mission.election
    participations = Participation.objects.filter(mission=mission).select_related("observer")
    members_by_delegation: dict[int, list[Participation]] = {}
    for participation in participations.order_by("position", "observer__full_name", "pk"):
        members_by_delegation.setdefault(participation.delegation_id, []).append(participation)

    areas = list(Area.objects.filter(election=election).order_by("name", "pk"))
    children: dict[int | None, list[Area]] = {}
    for area in areas:
        children.setdefault(area.parent_id, []).append(area)

    def area_tree(parent_id: int | None) -> list[dict[str, Any]]:
        return [
            {
                **_fields(area, AREA_FIELDS),
                "other_names": _split_names(area.other_names),
                "children": area_tree(area.pk),
            }
            for area in children.get(parent_id, [])
        ]

    stations = sorted(
        PollingStation.objects.filter(election=election).select_related("area"),
        key=lambda station: _natural_key(station.number),
    )
    activities = MissionActivity.objects.filter(mission=mission).prefetch_related(
        models.Prefetch(
            "station_visits",
            queryset=ActivityStation.objects.select_related("station").order_by("position", "pk"),
        )
    )
    return {
        "format": FORMAT,
        "version": VERSION,
        "notes": [],
        "mission": _fields(mission, MISSION_FIELDS),
        "election": {
            **_fields(election, ELECTION_FIELDS),
            "figures": _fields(election, FIGURE_FIELDS),
            "candidates": [
                _fields(candidate, CANDIDATE_FIELDS)
                for candidate in election.candidates.order_by("ballot_position")
            ],
            **_export_ballot(election),
        },
        "delegations": [
            {
                **_fields(delegation, DELEGATION_FIELDS),
                "members": [
                    {
                        **_fields(member.observer, OBSERVER_FIELDS),
                        "other_names": _split_names(member.observer.other_names),
                        **_fields(member, PARTICIPATION_FIELDS),
                        "accreditation": {
                            key: _value(member, field)
                            for key, field in ACCREDITATION_FIELDS.items()
                        },
                    }
                    for member in members_by_delegation.get(delegation.pk, [])
                ],
            }
            for delegation in Delegation.objects.filter(mission=mission).order_by(
                "position", "name"
            )
        ],
        "areas": area_tree(None),
        "stations": [
            {
                **_fields(station, STATION_FIELDS),
                "area": station.area.path if station.area else None,
            }
            for station in stations
        ],
        "activities": [
            {
                **_fields(activity, ACTIVITY_FIELDS),
                "stations": [visit.station.number for visit in activity.station_visits.all()],
            }
            for activity in activities.order_by("date", "pk")
        ],
        "checklists": _export_checklists(mission),
        "teams": _export_teams(mission),
        "assignments": _export_assignments(mission),
        "visits": _export_visits(mission),
        "statement_texts": [
            _fields(text, STATEMENT_TEXT_FIELDS)
            for text in StatementText.objects.filter(mission=mission).order_by("section")
        ],
        "head_assessments": [
            {
                "kind": recorded.kind,
                "assessment": recorded.assessment,
                "given_by": recorded.given_by.observer.full_name,
            }
            for recorded in HeadAssessment.objects.filter(mission=mission)
            .select_related("given_by__observer")
            .order_by("kind")
        ],
    }


def _export_ballot(election: Election) -> dict[str, Any]:
    ballot = {
        "parties": [
            {
                **_fields(party, PARTY_FIELDS),
                "candidates": [
                    _fields(candidate, PARTY_CANDIDATE_FIELDS)
                    for candidate in party.candidates.all()
                ],
            }
            for party in election.parties.prefetch_related("candidates")
        ],
        "referendum_questions": [
            {
                **_fields(question, REFERENDUM_QUESTION_FIELDS),
                "options": [
                    _fields(option, REFERENDUM_OPTION_FIELDS) for option in question.options.all()
                ],
            }
            for question in election.referendum_questions.prefetch_related("options")
        ],
        "offices": [_fields(office, OFFICE_FIELDS) for office in election.offices.all()],
    }
    return {key: value for key, value in ballot.items() if value}


def _ballot_object(
    model: type[models.Model],
    data: Any,
    where: str,
    required: tuple[str, ...],
    fields: tuple[str, ...],
    children: tuple[str, ...] = (),
    **relations: Any,
) -> tuple[models.Model, dict[str, Any]]:
    """Build and save one object of a ballot, its texts in every language: the plain keys in
    English, the other languages under `translations` as for candidates."""
    values = _object(data, where, required, (*fields, *children, "translations"))
    instance = _build(model, {k: values[k] for k in fields if k in values}, **relations)
    translations_set(instance, _read_translations(values, where, model, fields))
    _save(instance, where)
    return instance, values


def _import_ballot(election: Election, election_data: dict[str, Any]) -> None:
    for index, party_data in enumerate(_list(election_data.get("parties", []), "election.parties")):
        where = f"election.parties[{index}]"
        party, values = _ballot_object(
            Party,
            party_data,
            where,
            ("ballot_position", "name"),
            PARTY_FIELDS,
            ("candidates",),
            election=election,
        )
        for c_index, candidate_data in enumerate(
            _list(values.get("candidates", []), f"{where}.candidates")
        ):
            _ballot_object(
                PartyCandidate,
                candidate_data,
                f"{where}.candidates[{c_index}]",
                ("list_position", "full_name"),
                PARTY_CANDIDATE_FIELDS,
                party=party,
            )
    for index, question_data in enumerate(
        _list(election_data.get("referendum_questions", []), "election.referendum_questions")
    ):
        where = f"election.referendum_questions[{index}]"
        question, values = _ballot_object(
            ReferendumQuestion,
            question_data,
            where,
            ("position", "text"),
            REFERENDUM_QUESTION_FIELDS,
            ("options",),
            election=election,
        )
        for o_index, option_data in enumerate(_list(values.get("options", []), f"{where}.options")):
            _ballot_object(
                ReferendumOption,
                option_data,
                f"{where}.options[{o_index}]",
                ("position", "text"),
                REFERENDUM_OPTION_FIELDS,
                question=question,
            )
    for index, office_data in enumerate(
        _list(election_data.get("offices", []), "election.offices")
    ):
        _ballot_object(
            Office,
            office_data,
            f"election.offices[{index}]",
            ("position", "name"),
            OFFICE_FIELDS,
            election=election,
        )


def _member_order(participation: Participation) -> tuple:
    return (participation.delegation.position, participation.position, participation.pk)


def _export_teams(mission: Mission) -> list[dict[str, Any]]:
    teams = Team.objects.filter(mission=mission).prefetch_related(
        models.Prefetch(
            "members",
            queryset=Participation.objects.select_related("observer", "delegation"),
        )
    )
    return [
        {
            "name": team.name,
            "members": [
                m.observer.full_name for m in sorted(team.members.all(), key=_member_order)
            ],
        }
        for team in teams.order_by("name")
    ]


def _export_assignments(mission: Mission) -> list[dict[str, Any]]:
    assignments = Assignment.objects.filter(team__mission=mission).select_related("team", "station")
    return [
        {
            "team": assignment.team.name,
            "station": assignment.station.number,
            **_fields(assignment, ASSIGNMENT_FIELDS),
        }
        for assignment in sorted(
            assignments,
            key=lambda a: (a.date, a.team.name, _natural_key(a.station.number), a.phase),
        )
    ]


def _export_visits(mission: Mission) -> list[dict[str, Any]]:
    # Times are written in the mission's time zone: a reader sees the polling station's clock.
    zone = zoneinfo.ZoneInfo(mission.time_zone)
    visits = (
        Visit.objects.filter(mission=mission)
        .select_related("station", "checklist", "filed_by__observer")
        .prefetch_related(
            models.Prefetch(
                "observers",
                queryset=Participation.objects.select_related("observer", "delegation"),
            ),
            "answers__question__section",
            models.Prefetch("incidents", queryset=Incident.objects.select_related("question")),
        )
        .order_by("arrived_at", "pk")
    )
    exported = []
    for visit in visits:
        answers = sorted(
            visit.answers.all(),
            key=lambda a: (a.question.section.position, a.question.position, a.question.pk),
        )
        exported.append(
            {
                "station": visit.station.number,
                "checklist": visit.checklist.code,
                "checklist_version": visit.checklist.version,
                "filed_by": visit.filed_by.observer.full_name,
                "observers": [
                    p.observer.full_name
                    for p in sorted(visit.observers.all(), key=_member_order)
                    if p.pk != visit.filed_by_id
                ],
                "arrived_at": visit.arrived_at.astimezone(zone).isoformat(),
                "departed_at": visit.departed_at.astimezone(zone).isoformat()
                if visit.departed_at
                else None,
                **_fields(visit, VISIT_FIELDS),
                "answers": {a.question.code: a.value for a in answers},
                "incidents": [
                    {
                        **_fields(incident, INCIDENT_FIELDS),
                        "question": incident.question.code if incident.question else None,
                    }
                    for incident in visit.incidents.all()
                ],
            }
        )
    return exported


def _export_checklists(mission: Mission) -> list[dict[str, Any]]:
    # Every version, not only the latest: filed visits were answered against old ones.
    checklists = (
        Checklist.objects.filter(mission=mission)
        .order_by("code", "version")
        .prefetch_related("sections__questions")
    )
    exported = []
    for checklist in checklists:
        data = checklist_as_data(checklist)
        exported.append({"code": data.pop("code"), "checklist_version": checklist.version, **data})
    return exported


# ---------------------------------------------------------------------------------------
# Import


def _object(data: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> dict:
    if not isinstance(data, dict):
        raise BundleError(where, _("expected an object."))
    required = tuple(required)
    allowed = set(required) | set(optional)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise BundleError(where, _("unknown key “%(key)s”.") % {"key": unknown[0]})
    for key in required:
        if key not in data:
            raise BundleError(where, _("the key “%(key)s” is missing.") % {"key": key})
    return data


def _list(data: Any, where: str) -> list:
    if not isinstance(data, list):
        raise BundleError(where, _("expected a list."))
    return data


def _names(data: Any, where: str) -> str:
    names = _list(data, where)
    if not all(isinstance(name, str) for name in names):
        raise BundleError(where, _("expected a list of names."))
    return "; ".join(names)


def _blank_to_default(instance: models.Model, values: dict[str, Any]) -> dict[str, Any]:
    # A bundle writes null for an empty text field; the model stores "" there.
    result = {}
    for field, value in values.items():
        model_field = instance._meta.get_field(field)
        if value is None and not model_field.null:
            value = model_field.get_default()
        result[field] = value
    return result


def _refused(error: ValidationError, where: str) -> BundleError:
    """The bundle error for a model's ValidationError: its first field, under `where`."""
    if hasattr(error, "error_dict"):
        field, messages = next(iter(error.message_dict.items()))
        place = where if field == "__all__" else f"{where}.{field}"
        return BundleError(place, " ".join(messages))
    return BundleError(where, " ".join(error.messages))


def _save(instance: models.Model, where: str, exclude: Iterable[str] = ()) -> None:
    """Validate like a form would, naming the bundle path of the first bad field, and save."""
    _types_check(instance, where)
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as error:
        raise _refused(error, where) from None
    instance.save()


def _build(model: type[models.Model], values: dict[str, Any], **relations: Any) -> models.Model:
    instance = model(**relations)
    for field, value in _blank_to_default(instance, values).items():
        setattr(instance, field, value)
    return instance


@transaction.atomic
def mission_import(*, bundle: Any, slug: str | None = None) -> Mission:
    """Create a mission from a bundle, all or nothing; `slug` renames it on the way in.

    Raise BundleError naming the place in the bundle that is wrong; nothing is written then.
    """
    bundle_depth_check(bundle)
    # The plain keys are the English texts, whatever language the person importing uses.
    with translation.override(settings.LANGUAGE_CODE):
        return _import(bundle, slug)


def _import(bundle: Any, slug: str | None) -> Mission:
    root = _object(
        bundle,
        "",
        required=("format", "version", "mission", "election"),
        optional=(
            "notes",
            "delegations",
            "areas",
            "stations",
            "activities",
            "checklists",
            "teams",
            "assignments",
            "visits",
            "statement_texts",
            "head_assessments",
        ),
    )
    if root["format"] != FORMAT:
        raise BundleError("format", _("this is not a mission bundle (expected “%s”).") % FORMAT)
    if not isinstance(root["version"], int) or not 1 <= root["version"] <= VERSION:
        raise BundleError(
            "version",
            _("version %(version)r is not supported; this installation reads 1 to %(max)d.")
            % {"version": root["version"], "max": VERSION},
        )

    mission_data = _object(
        root["mission"], "mission", ("slug", "name"), (*MISSION_FIELDS, "translations")
    )
    mission_translations = _read_translations(mission_data, "mission", Mission, MISSION_FIELDS)
    mission_data = {k: v for k, v in mission_data.items() if k != "translations"}
    if slug:
        mission_data = {**mission_data, "slug": slug}
    if Mission.objects.filter(slug=mission_data["slug"]).exists():
        raise BundleError(
            "mission.slug",
            _("a mission with the slug “%(slug)s” already exists; import it under another slug.")
            % {"slug": mission_data["slug"]},
        )
    mission = _build(Mission, mission_data)
    translations_set(mission, mission_translations)
    _save(mission, "mission")

    election_data = _object(
        root["election"],
        "election",
        ("country", "kind", "election_day"),
        (*ELECTION_FIELDS, "figures", "candidates", *BALLOT_KEYS, "translations"),
    )
    figures = _object(election_data.get("figures", {}), "election.figures", (), FIGURE_FIELDS)
    election_values = {
        key: value
        for key, value in election_data.items()
        if key not in ("figures", "candidates", *BALLOT_KEYS, "translations")
    }
    election = _build(Election, {**election_values, **figures}, mission=mission)
    translations_set(
        election, _read_translations(election_data, "election", Election, ELECTION_FIELDS)
    )
    _save(election, "election", exclude=["mission"])
    for index, candidate_data in enumerate(
        _list(election_data.get("candidates", []), "election.candidates")
    ):
        where = f"election.candidates[{index}]"
        values = _object(
            candidate_data,
            where,
            ("ballot_position", "full_name"),
            (*CANDIDATE_FIELDS, "translations"),
        )
        candidate = _build(
            Candidate, {k: values[k] for k in CANDIDATE_FIELDS if k in values}, election=election
        )
        translations_set(candidate, _read_translations(values, where, Candidate, CANDIDATE_FIELDS))
        _save(candidate, where)
    _import_ballot(election, election_data)

    members = _import_delegations(mission, _list(root.get("delegations", []), "delegations"))
    areas_by_path = _import_areas(election, _list(root.get("areas", []), "areas"))
    stations = _import_stations(
        election, areas_by_path, _list(root.get("stations", []), "stations")
    )
    _import_activities(mission, stations, _list(root.get("activities", []), "activities"))
    checklists = _import_checklists(mission, _list(root.get("checklists", []), "checklists"))
    teams = _import_teams(mission, members, _list(root.get("teams", []), "teams"))
    _import_assignments(teams, stations, _list(root.get("assignments", []), "assignments"))
    _import_visits(mission, members, stations, checklists, _list(root.get("visits", []), "visits"))
    _import_statement_texts(mission, _list(root.get("statement_texts", []), "statement_texts"))
    _import_head_assessments(
        mission, members, _list(root.get("head_assessments", []), "head_assessments")
    )
    audit_event(
        instance=mission,
        changes={"import": ["", "mission bundle"]},
        note="import of a mission bundle",
    )
    return mission


def _import_statement_texts(mission: Mission, rows: list) -> None:
    texts: dict[Any, StatementText] = {}
    for index, text_data in enumerate(rows):
        where = f"statement_texts[{index}]"
        values = _object(
            text_data,
            where,
            ("section",),
            (*STATEMENT_TEXT_FIELDS, "translations", STATEMENT_TEXT_LANGUAGE),
        )
        section = values["section"]
        if section in texts and STATEMENT_TEXT_LANGUAGE not in values:
            raise BundleError(f"{where}.section", _("this section is given twice."))
        text = texts.setdefault(section, StatementText(mission=mission, section=section))
        translations = _read_translations(values, where, StatementText, STATEMENT_TEXT_FIELDS)
        if STATEMENT_TEXT_LANGUAGE in values:
            # The older shape: one object per section and language.
            language = values[STATEMENT_TEXT_LANGUAGE]
            if language != settings.LANGUAGE_CODE:
                translations = _read_translations(
                    {"translations": {language: {"body": values.get("body") or ""}}},
                    where,
                    StatementText,
                    STATEMENT_TEXT_FIELDS,
                )
                values = {k: v for k, v in values.items() if k != "body"}
        if "body" in values:
            text.body = values["body"] or ""
        translations_set(text, translations)
        _save(text, where, exclude=["mission"])


def _import_head_assessments(
    mission: Mission, members: dict[str, Participation], rows: list
) -> None:
    """The overall assessment the head of mission gave for each kind of statement."""
    for index, data in enumerate(rows):
        where = f"head_assessments[{index}]"
        values = _object(data, where, ("kind", "assessment", "given_by"))
        given_by = _member(members, values["given_by"], f"{where}.given_by")
        assessment = HeadAssessment(
            mission=mission,
            kind=values["kind"],
            assessment=values["assessment"],
            given_by=given_by,
        )
        _save(assessment, where)


def _import_delegations(mission: Mission, delegations: list) -> dict[str, Participation]:
    """Create the delegations and their members; return the members by full name."""
    members: dict[str, Participation] = {}
    for d_index, delegation_data in enumerate(delegations):
        where = f"delegations[{d_index}]"
        values = _object(
            delegation_data,
            where,
            ("name", "kind"),
            (*DELEGATION_FIELDS, "members", "translations"),
        )
        delegation = _build(Delegation, {k: values[k] for k in DELEGATION_FIELDS}, mission=mission)
        translations_set(
            delegation, _read_translations(values, where, Delegation, DELEGATION_FIELDS)
        )
        delegation.position = d_index
        _save(delegation, where)
        for m_index, member_data in enumerate(_list(values.get("members", []), where)):
            m_where = f"{where}.members[{m_index}]"
            member = _object(
                member_data,
                m_where,
                ("full_name",),
                (
                    *OBSERVER_FIELDS,
                    "other_names",
                    *PARTICIPATION_FIELDS,
                    "accreditation",
                    "translations",
                ),
            )
            observer_values = {k: member[k] for k in OBSERVER_FIELDS if k in member}
            observer_values = _blank_to_default(Observer(), observer_values)
            observer_values["other_names"] = _names(
                member.get("other_names", []), f"{m_where}.other_names"
            )
            # A person known to the installation but on no mission yet is reused. One who
            # serves on another mission is not taken over: this bundle would otherwise
            # rewrite what that mission's statements print about them.
            observer = (
                Observer.objects.filter(
                    full_name=observer_values["full_name"],
                    country=observer_values.get("country", ""),
                    participations__isnull=True,
                )
                .order_by("pk")
                .first()
                or Observer()
            )
            for field, value in observer_values.items():
                setattr(observer, field, value)
            translations_set(
                observer, _read_translations(member, m_where, Observer, OBSERVER_FIELDS)
            )
            _save(observer, m_where)

            accreditation = _object(
                member.get("accreditation", {}),
                f"{m_where}.accreditation",
                (),
                ACCREDITATION_FIELDS,
            )
            participation_values = {k: member[k] for k in PARTICIPATION_FIELDS if k in member}
            participation_values.update(
                {ACCREDITATION_FIELDS[key]: value for key, value in accreditation.items()}
            )
            participation = _build(
                Participation,
                participation_values,
                mission=mission,
                observer=observer,
                delegation=delegation,
            )
            participation.position = m_index
            _save(participation, m_where)
            if observer.full_name in members:
                raise BundleError(
                    f"{m_where}.full_name",
                    _(
                        "two members are called “%(name)s”; teams and visits could not tell them "
                        "apart."
                    )
                    % {"name": observer.full_name},
                )
            members[observer.full_name] = participation
    return members


def _import_areas(election: Election, areas: list, parent: Area | None = None, where="areas"):
    by_path: dict[str, Area] = {}
    for index, area_data in enumerate(areas):
        a_where = f"{where}[{index}]"
        values = _object(
            area_data,
            a_where,
            ("name", "kind"),
            (*AREA_FIELDS, "other_names", "children", "translations"),
        )
        area = _build(Area, {k: values[k] for k in AREA_FIELDS}, election=election, parent=parent)
        translations_set(area, _read_translations(values, a_where, Area, AREA_FIELDS))
        area.other_names = _names(values.get("other_names", []), f"{a_where}.other_names")
        area.path = area.compute_path() if isinstance(area.name, str) else ""
        _save(area, a_where)
        by_path[area.path] = area
        by_path.update(
            _import_areas(
                election,
                _list(values.get("children", []), f"{a_where}.children"),
                area,
                f"{a_where}.children",
            )
        )
    return by_path


def _import_stations(election: Election, areas_by_path: dict[str, Area], stations: list):
    by_number: dict[str, PollingStation] = {}
    batch = []
    for index, station_data in enumerate(stations):
        where = f"stations[{index}]"
        values = _object(
            station_data, where, ("number",), (*STATION_FIELDS, "area", "translations")
        )
        area_path = values.get("area")
        area = None
        if area_path is not None:
            area = areas_by_path.get(area_path)
            if area is None:
                raise BundleError(
                    f"{where}.area", _("no area “%(path)s” in the bundle.") % {"path": area_path}
                )
        station = _build(
            PollingStation,
            {k: values[k] for k in STATION_FIELDS if k in values},
            election=election,
            area=area,
        )
        translations_set(station, _read_translations(values, where, PollingStation, STATION_FIELDS))
        if isinstance(station.number, int | float) and not isinstance(station.number, bool):
            station.number = str(station.number)
        if station.number in by_number:
            raise BundleError(
                f"{where}.number",
                _("polling station No. %(number)s appears twice.") % {"number": station.number},
            )
        _types_check(station, where)
        try:
            # Uniqueness is settled by the set above within this new election; skip the
            # per-row database look-up so a 10,000-station bundle stays fast.
            station.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            raise _refused(error, where) from None
        if (station.latitude is None) != (station.longitude is None):
            missing = "longitude" if station.longitude is None else "latitude"
            raise BundleError(
                f"{where}.{missing}", _("give both latitude and longitude, or neither.")
            )
        by_number[station.number] = station
        batch.append(station)
    PollingStation.objects.bulk_create(batch, batch_size=1000)
    return by_number


def _import_activities(mission: Mission, stations: dict[str, PollingStation], activities: list):
    for index, activity_data in enumerate(activities):
        where = f"activities[{index}]"
        values = _object(
            activity_data, where, ACTIVITY_FIELDS, (*ACTIVITY_FIELDS, "stations", "translations")
        )
        activity = _build(MissionActivity, {k: values[k] for k in ACTIVITY_FIELDS}, mission=mission)
        translations_set(
            activity, _read_translations(values, where, MissionActivity, ACTIVITY_FIELDS)
        )
        _save(activity, where)
        seen: set[str] = set()
        for position, number in enumerate(_list(values.get("stations", []), where)):
            station = _station(stations, number, f"{where}.stations[{position}]")
            if station.number in seen:
                raise BundleError(
                    f"{where}.stations[{position}]",
                    _("polling station No. %(number)s is listed twice.") % {"number": number},
                )
            seen.add(station.number)
            ActivityStation.objects.create(activity=activity, station=station, position=position)


def _station(stations: dict[str, PollingStation], number: Any, where: str) -> PollingStation:
    station = stations.get(str(number))
    if station is None:
        raise BundleError(
            where, _("no polling station No. %(number)s in the bundle.") % {"number": number}
        )
    return station


def _member(members: dict[str, Participation], name: Any, where: str) -> Participation:
    member = members.get(name) if isinstance(name, str) else None
    if member is None:
        raise BundleError(where, _("no mission member “%(name)s” in the bundle.") % {"name": name})
    return member


def _import_checklists(mission: Mission, checklists: list) -> dict[tuple[str, int], Checklist]:
    created: dict[tuple[str, int], Checklist] = {}
    for index, checklist_data in enumerate(checklists):
        where = f"checklists[{index}]"
        if not isinstance(checklist_data, dict):
            raise BundleError(where, _("expected an object."))
        if "checklist_version" not in checklist_data:
            raise BundleError(
                where, _("the key “%(key)s” is missing.") % {"key": "checklist_version"}
            )
        version = checklist_data["checklist_version"]
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise BundleError(
                f"{where}.checklist_version", _("expected a version number (1, 2, …).")
            )
        body = {key: value for key, value in checklist_data.items() if key != "checklist_version"}
        try:
            # The same reader as a checklist file's, so both accept exactly the same content.
            checklist = checklist_create_from_data(
                mission=mission, data=body, where=where, version=version
            )
        except ChecklistFileError as error:
            raise BundleError(error.where, error.message) from None
        created[(checklist.code, checklist.version)] = checklist
    return created


def _import_teams(mission: Mission, members: dict[str, Participation], teams: list):
    by_name: dict[str, Team] = {}
    for index, team_data in enumerate(teams):
        where = f"teams[{index}]"
        values = _object(team_data, where, ("name",), ("name", "members"))
        team = _build(Team, {"name": values["name"]}, mission=mission)
        _save(team, where)
        team.members.set(
            [
                _member(members, name, f"{where}.members[{position}]")
                for position, name in enumerate(_list(values.get("members", []), where))
            ]
        )
        by_name[team.name] = team
    return by_name


def _import_assignments(teams: dict[str, Team], stations: dict[str, PollingStation], rows: list):
    for index, row in enumerate(rows):
        where = f"assignments[{index}]"
        values = _object(
            row,
            where,
            ("team", "station", "date", "phase"),
            ("team", "station", *ASSIGNMENT_FIELDS),
        )
        team = teams.get(values["team"])
        if team is None:
            raise BundleError(
                f"{where}.team", _("no team “%(name)s” in the bundle.") % {"name": values["team"]}
            )
        station = _station(stations, values["station"], f"{where}.station")
        assignment = _build(
            Assignment,
            {k: values[k] for k in ASSIGNMENT_FIELDS if k in values},
            team=team,
            station=station,
        )
        _save(assignment, where)


def _import_visits(
    mission: Mission,
    members: dict[str, Participation],
    stations: dict[str, PollingStation],
    checklists: dict[tuple[str, int], Checklist],
    visits: list,
) -> None:
    questions_of: dict[int, dict[str, Any]] = {}
    for index, visit_data in enumerate(visits):
        where = f"visits[{index}]"
        values = _object(
            visit_data,
            where,
            ("station", "checklist", "checklist_version", "filed_by", "arrived_at"),
            (
                "station",
                "checklist",
                "checklist_version",
                "filed_by",
                "observers",
                "arrived_at",
                "departed_at",
                *VISIT_FIELDS,
                "answers",
                "incidents",
            ),
        )
        checklist = checklists.get((values["checklist"], values["checklist_version"]))
        if checklist is None:
            raise BundleError(
                f"{where}.checklist",
                _("no version %(version)s of the checklist “%(code)s” in the bundle.")
                % {"version": values["checklist_version"], "code": values["checklist"]},
            )
        if checklist.pk not in questions_of:
            questions_of[checklist.pk] = {q.code: q for q in checklist.questions.all()}
        questions = questions_of[checklist.pk]
        filed_by = _member(members, values["filed_by"], f"{where}.filed_by")
        observers = [
            _member(members, name, f"{where}.observers[{position}]")
            for position, name in enumerate(_list(values.get("observers", []), where))
        ]
        moments = {}
        for name in ("arrived_at", "departed_at"):
            raw = values.get(name)
            try:
                moments[name] = Visit._meta.get_field(name).to_python(raw) if raw else None
            except ValidationError as error:
                raise BundleError(f"{where}.{name}", " ".join(error.messages)) from None
            if moments[name] is not None and timezone.is_naive(moments[name]):
                raise BundleError(
                    f"{where}.{name}", _("give the time with its offset, e.g. +06:00.")
                )
        if moments["arrived_at"] is None:
            raise BundleError(f"{where}.arrived_at", _("the arrival time is missing."))
        for name, message in visit_times_errors(mission=mission, **moments).items():
            raise BundleError(f"{where}.{name}", message)

        answers_data = values.get("answers", {})
        if not isinstance(answers_data, dict):
            raise BundleError(f"{where}.answers", _("expected an object of answers by code."))
        answers = {}
        not_observed = set()
        for code, question in questions.items():
            raw = answers_data.get(code)
            if raw is None and code in answers_data and question.not_observed:
                # null: the observer marked the question "not observed".
                not_observed.add(question.pk)
                continue
            try:
                cleaned = answer_field(question).clean(raw if raw is not None else "")
            except ValidationError as error:
                raise BundleError(f"{where}.answers.{code}", " ".join(error.messages)) from None
            answers[question.pk] = answer_to_json(question, cleaned)
        unknown = sorted(set(answers_data) - set(questions))
        if unknown:
            raise BundleError(
                f"{where}.answers.{unknown[0]}",
                _("the checklist has no question “%(code)s”.") % {"code": unknown[0]},
            )

        incidents = []
        for i_index, incident_data in enumerate(_list(values.get("incidents", []), where)):
            i_where = f"{where}.incidents[{i_index}]"
            incident_values = _object(
                incident_data,
                i_where,
                ("category", "severity", "description"),
                (*INCIDENT_FIELDS, "question"),
            )
            code = incident_values.get("question")
            if code is not None and code not in questions:
                raise BundleError(
                    f"{i_where}.question",
                    _("the checklist has no question “%(code)s”.") % {"code": code},
                )
            incident = Incident(
                **{k: incident_values[k] for k in INCIDENT_FIELDS if k in incident_values}
            )
            try:
                incident.full_clean(exclude=["visit", "question"])
            except ValidationError as error:
                raise _refused(error, i_where) from None
            incidents.append(
                IncidentData(
                    category=incident.category,
                    severity=incident.severity,
                    description=incident.description,
                    complaint_filed=incident.complaint_filed,
                    question=questions.get(code) if code else None,
                )
            )
        station = _station(stations, values["station"], f"{where}.station")
        data = VisitData(
            station=station,
            checklist=checklist,
            arrived_at=moments["arrived_at"],
            departed_at=moments["departed_at"],
            voters_on_list=values.get("voters_on_list"),
            ballots_issued=values.get("ballots_issued"),
            notes=values.get("notes") or "",
            answers=answers,
            not_observed=not_observed,
            incidents=incidents,
            observers=observers,
        )
        try:
            visit_restore(
                participation=filed_by,
                data=data,
                review=values.get("review") or Visit.Review.SUBMITTED,
                review_comment=values.get("review_comment") or "",
            )
        except ValidationError as error:
            raise _refused(error, where) from None
