"""What the admin's index offers a coordinator: their missions and the pages that run them."""

from django import template

from missions.selectors import missions_coordinated_by

register = template.Library()


@register.simple_tag
def missions_managed_by(user) -> list:
    """The user's missions, newest first: all for a superuser, else those they coordinate."""
    return list(missions_coordinated_by(user).order_by("-starts_on", "name"))
