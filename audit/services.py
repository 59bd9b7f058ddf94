"""Audit entries for writes that bypass save(): bulk updates, imports, workflow steps."""

from collections.abc import Iterable
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from audit.middleware import request_actor
from audit.registry import mission_id_of


def _actor(actor: AbstractBaseUser | None) -> AbstractBaseUser | None:
    if actor is not None:
        return actor
    current = request_actor.get()
    return current[0] if current else None


def _remote_addr() -> str | None:
    current = request_actor.get()
    return current[1] if current else None


def _entries(
    rows: Iterable[models.Model],
    changes: dict[str, list[Any]],
    actor: AbstractBaseUser | None,
    action: int,
    note: str,
) -> list[LogEntry]:
    who = _actor(actor)
    address = _remote_addr()
    now = timezone.now()
    entries = []
    for row in rows:
        mission_id = mission_id_of(row)
        extra: dict[str, Any] = {}
        if mission_id is not None:
            extra["mission"] = mission_id
        if note:
            extra["note"] = note
        entries.append(
            LogEntry(
                content_type=ContentType.objects.get_for_model(row),
                object_pk=str(row.pk),
                object_id=row.pk if isinstance(row.pk, int) else None,
                object_repr=str(row)[:2000],
                action=action,
                changes={field: [str(v) for v in values] for field, values in changes.items()},
                actor=who,
                actor_email=getattr(who, "email", None) if who else None,
                remote_addr=address,
                timestamp=now,
                additional_data=extra or None,
            )
        )
    return entries


def audit_rows(
    *,
    rows: Iterable[models.Model],
    changes: dict[str, list[Any]],
    actor: AbstractBaseUser | None = None,
    action: int = LogEntry.Action.UPDATE,
    note: str = "",
) -> int:
    """Record one entry per row for a write made with .update() or bulk_create.

    `changes` maps each field to [before, after] as the trail shows it; pass the rows as
    they were before the write (their str() names them in the trail). Returns how many
    entries were written (one INSERT in all).
    """
    entries = _entries(rows, changes, actor, action, note)
    LogEntry.objects.bulk_create(entries)
    return len(entries)


def audit_event(
    *,
    instance: models.Model,
    changes: dict[str, list[Any]],
    actor: AbstractBaseUser | None = None,
    note: str = "",
) -> None:
    """Record one event about an object (an import into a mission, a new version, …)."""
    audit_rows(rows=[instance], changes=changes, actor=actor, note=note)


def audit_import(
    *,
    mission: models.Model,
    what: str,
    file_name: str = "",
    created: Iterable[models.Model] = (),
    updated: Iterable[models.Model] = (),
    actor: AbstractBaseUser | None = None,
) -> None:
    """Record an import into a mission: one entry on the mission (what, which file, how
    many) and one per row it created or changed, all in one INSERT."""
    created, updated = list(created), list(updated)
    note = f"import of {what} from {file_name}" if file_name else f"import of {what}"
    counts = {"import": ["", what], "created": ["", len(created)], "updated": ["", len(updated)]}
    rows_changed = {"import": ["", file_name]}
    LogEntry.objects.bulk_create(
        [
            *_entries([mission], counts, actor, LogEntry.Action.UPDATE, note),
            *_entries(created, rows_changed, actor, LogEntry.Action.CREATE, note),
            *_entries(updated, rows_changed, actor, LogEntry.Action.UPDATE, note),
        ]
    )
