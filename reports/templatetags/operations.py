"""What the admin's index offers a coordinator: their missions and the pages that run them."""

from django import template

from missions.permissions import MANAGE, missions_where

register = template.Library()


@register.simple_tag
def missions_managed_by(user) -> list:
    """The user's missions, newest first: all for a superuser, else those they coordinate."""
    return list(missions_where(user, MANAGE).order_by("-starts_on", "name"))
