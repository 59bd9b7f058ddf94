"""Reading the audit trail: a mission's entries and one object's."""

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet


def audit_entries_of_mission(*, mission_id: int) -> QuerySet[LogEntry]:
    """Every entry about the mission or anything of it, newest first, with who made it."""
    return (
        LogEntry.objects.filter(additional_data__mission=mission_id)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )


def audit_entries_of_object(*, instance: Model) -> QuerySet[LogEntry]:
    """Every entry about one object, newest first."""
    return (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(instance), object_pk=str(instance.pk)
        )
        .select_related("actor")
        .order_by("-timestamp", "-pk")
    )
