"""Which models the audit trail follows, and which mission each of their rows belongs to.

Every save and delete of these models is recorded by django-auditlog (who, when, the
fields before and after). Writes that bypass save() — queryset .update(), bulk_create —
are recorded by the service that makes them, through audit.services. A new model whose
changes matter goes in AUDITED with the path from a row to its mission's id.
"""

from collections.abc import Callable
from typing import Any

from auditlog.registry import auditlog
from django.apps import apps


def _attribute_path(path: str) -> Callable[[Any], int | None]:
    def mission_id(instance: Any) -> int | None:
        value = instance
        for name in path.split("."):
            value = getattr(value, name, None)
            if value is None:
                return None
        return value

    return mission_id


# model label → (path from a row to its mission's id, options for auditlog.register).
AUDITED: dict[str, tuple[str | None, dict[str, Any]]] = {
    "missions.Mission": ("pk", {}),
    "missions.Election": ("mission_id", {}),
    "missions.Candidate": ("election.mission_id", {}),
    "missions.MissionMembership": ("mission_id", {}),
    "missions.MissionActivity": ("mission_id", {}),
    "observers.Observer": (None, {}),  # a person may serve several missions
    "observers.Delegation": ("mission_id", {}),
    "observers.Participation": ("mission_id", {}),
    "observers.Team": ("mission_id", {"m2m_fields": {"members"}}),
    "stations.Area": ("election.mission_id", {}),
    "stations.PollingStation": ("election.mission_id", {}),
    "stations.Assignment": ("team.mission_id", {}),
    "reports.Checklist": ("mission_id", {}),
    "reports.Section": ("checklist.mission_id", {}),
    "reports.Question": ("checklist.mission_id", {}),
    "reports.StatementText": ("mission_id", {}),
    # A compiling statement reports its progress every few seconds: only what a person
    # decides about it is followed (assessment, approval, publishing, embargo).
    "reports.Statement": (
        "mission_id",
        {
            "include_fields": [
                "kind",
                "language",
                "version",
                "status",
                "assessment",
                "override_reason",
                "override_by",
                "approved_by",
                "approved_at",
                "published_at",
                "embargo_until",
                "dated_on",
                "place",
            ]
        },
    ),
}


def mission_id_of(instance: Any) -> int | None:
    """The id of the mission a row belongs to, by its path in AUDITED."""
    path = AUDITED.get(instance._meta.label, (None, {}))[0]
    return _attribute_path(path)(instance) if path else None


def _additional_data(self) -> dict[str, Any] | None:
    mission_id = mission_id_of(self)
    return {"mission": mission_id} if mission_id is not None else None


def audited_models_register() -> None:
    for label, (_path, options) in AUDITED.items():
        model = apps.get_model(label)
        if auditlog.contains(model):
            continue
        # django-auditlog stores what get_additional_data returns with every entry: the
        # mission's id, so that a mission's trail is one indexed look-up.
        model.get_additional_data = _additional_data
        auditlog.register(model, **options)
