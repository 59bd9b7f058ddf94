"""People by their names: “Zhang Ming”, not the account name “head”."""

from django import template

register = template.Library()


@register.filter
def person_name(user) -> str:
    """The user's full name, else their account name; an empty string for nobody."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
