"""Wording helpers of the statements, each in the active language."""

import datetime
from collections.abc import Iterable, Sequence

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from reports.statements.document import Section
from reports.statements.findings import AreaCoverage, Evidence


def spelled(number: int) -> str:
    """Spell out one to ten, as a statement does; larger numbers stay figures."""
    words = {
        1: pgettext("count", "one"),
        2: pgettext("count", "two"),
        3: pgettext("count", "three"),
        4: pgettext("count", "four"),
        5: pgettext("count", "five"),
        6: pgettext("count", "six"),
        7: pgettext("count", "seven"),
        8: pgettext("count", "eight"),
        9: pgettext("count", "nine"),
        10: pgettext("count", "ten"),
    }
    return words.get(number, figure(number))


def figure(number: int) -> str:
    return formats.number_format(number, force_grouping=True)


def day(date: datetime.date) -> str:
    # Translators: how a statement writes a date, in Django's date format: j the day, E the
    # month's name as a date says it, n the month's number, Y the year (e.g. "Y年n月j日").
    return formats.date_format(date, pgettext("statement date format", "j E Y"))


def day_and_month(date: datetime.date) -> str:
    # Translators: a date without its year, in Django's date format (see "j E Y").
    return formats.date_format(date, pgettext("statement day and month format", "j E"))


def writes_chinese() -> bool:
    return (translation.get_language() or "").startswith("zh")


def sentences_joined(sentences: Iterable[str]) -> str:
    """Sentences one after another: a space between them, none in Chinese."""
    return ("" if writes_chinese() else " ").join(sentences)


def full_stop() -> str:
    """The full stop of the statement's language (Chinese has its own)."""
    return "。" if writes_chinese() else "."


def without_full_stop(text: str) -> str:
    """A sentence without its full stop, whichever script wrote it, to go on with a clause."""
    return text.rstrip(".。")


def listing(items: Sequence[str]) -> str:
    """Join items as a sentence does: “A, B and C”."""
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    separator = pgettext("between items of a list", ", ")
    return _("%(items)s and %(last)s") % {"items": separator.join(items[:-1]), "last": items[-1]}


def alternatives(items: Sequence[str]) -> str:
    """Join choices as a sentence offers them: “A, B or C”."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    separator = pgettext("between items of a list", ", ")
    return _("%(items)s or %(last)s") % {"items": separator.join(items[:-1]), "last": items[-1]}


def semicolon_list(items: Sequence[str]) -> str:
    if len(items) < 3:
        return listing(items)
    return _("%(items)s; and %(last)s") % {
        "items": pgettext("between members of a list", "; ").join(items[:-1]),
        "last": items[-1],
    }


def printed(sections: list[Section]) -> list[Section]:
    """The sections with something to say, numbered in order: none is printed empty."""
    kept = [section for section in sections if section.blocks]
    for number, section in enumerate(kept, start=1):
        section.number = number
    return kept


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def station_numbers(numbers: Sequence[str]) -> str:
    return ngettext("No. %(numbers)s", "Nos %(numbers)s", len(numbers)) % {
        "numbers": listing(numbers)
    }


def percent(value) -> str:
    return _("%(value)s per cent") % {"value": formats.number_format(value, 2)}


def coverage_phrase(coverage: Iterable[AreaCoverage]) -> str:
    """“four districts of Astana and one district of Akmola Region”."""
    parts = []
    for cover in coverage:
        if cover.districts:
            parts.append(
                ngettext(
                    "%(count)s district of %(area)s",
                    "%(count)s districts of %(area)s",
                    len(cover.districts),
                )
                % {"count": spelled(len(cover.districts)), "area": cover.parent}
            )
        else:
            parts.append(cover.parent)
    return listing(parts)


def area_names(areas: Iterable[tuple[str, str]]) -> str:
    """“Almaty District and Yesil District of Astana and Tselinograd District of Akmola
    Region”: the areas named, grouped under their parent area."""
    grouped: dict[str, list[str]] = {}
    for parent, area in areas:
        grouped.setdefault(parent, []).append(area)
    parts = []
    for parent, names in grouped.items():
        if parent:
            parts.append(
                pgettext("areas of a parent area", "%(areas)s of %(parent)s")
                % {"areas": listing(names), "parent": parent}
            )
        else:
            parts.extend(names)
    return listing(parts)


def person_phrase(position: str, name: str) -> str:
    """A person as a statement names them: “SCO Secretary-General Zhang Ming”."""
    if not position:
        return name
    return pgettext("position and name", "%(position)s %(name)s") % {
        "position": position,
        "name": name,
    }


def evidence(found: Evidence) -> dict[str, list[int]]:
    return found.as_dict()
