import datetime

from django import template

register = template.Library()


@register.filter
def timedelta_minutes(value: datetime.timedelta) -> int:
    """A lockout's length in whole minutes, rounded up."""
    return -(-int(value.total_seconds()) // 60)
