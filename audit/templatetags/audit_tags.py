from django import template

from audit.selectors import audit_entries_of_object

register = template.Library()


@register.simple_tag
def audit_entries_for(instance):
    """The audit trail of one object, for the admin's History page."""
    if instance is None or getattr(instance, "pk", None) is None:
        return []
    return list(audit_entries_of_object(instance=instance)[:200])


@register.filter
def audit_changes(entry) -> list[tuple[str, str, str]]:
    """An entry's changes as (field, before, after) rows."""
    rows = []
    for field, values in (entry.changes or {}).items():
        if isinstance(values, dict):  # many-to-many: {"type", "operation", "objects"}
            rows.append((field, values.get("operation", ""), ", ".join(values.get("objects", []))))
        elif isinstance(values, list | tuple) and len(values) == 2:
            rows.append((field, str(values[0]), str(values[1])))
        else:
            rows.append((field, "", str(values)))
    return rows
