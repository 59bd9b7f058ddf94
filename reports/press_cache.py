"""The public's press list, rendered once per language and shared by every anonymous visitor.

What the public sees changes only when a statement or its documents change (published,
withdrawn, deleted, a new version), when a mission's name or dates change, or when an embargo
passes. The first ones bump a generation number, after the transaction commits, which every
cache key carries: a list rendered from the data before the change is stored under the old
generation and never read again. The last is bounded by time: a list is kept no longer than
until the next embargo lift, nor than PRESS_CACHE_SECONDS.
"""

import math
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import get_language

from missions.models import Mission
from reports.models import Statement, StatementDocument

GENERATION = "press:public:generation"


def _generation() -> int:
    value = cache.get(GENERATION)
    if value is None:
        # A new number, not 0: a cache emptied and refilled must not revive an old list.
        value = int(timezone.now().timestamp() * 1000)
        if not cache.add(GENERATION, value, timeout=None):
            value = cache.get(GENERATION, value)
    return value


def _key(generation: int) -> str:
    return f"press:public:{generation}:{get_language()}"


def seconds_until_next_lift() -> float | None:
    """Seconds until the next published statement's embargo ends, None if none is pending."""
    now = timezone.now()
    lift = Statement.objects.filter(
        status=Statement.Status.PUBLISHED, embargo_until__gt=now
    ).aggregate(next=Min("embargo_until"))["next"]
    return None if lift is None else (lift - now).total_seconds()


def public_list(render: Callable[[], str]) -> str:
    """The public's list in the active language, from the cache or rendered and stored."""
    generation = _generation()
    key = _key(generation)
    html = cache.get(key)
    if html is not None:
        return html
    html = render()
    timeout = settings.PRESS_CACHE_SECONDS
    lift = seconds_until_next_lift()
    if lift is not None:
        timeout = min(timeout, math.floor(lift))
    if timeout > 0:
        cache.set(key, html, timeout=timeout)
    return html


# What a released document's download needs, without the database: anyone may have it, and
# it stops being released only by a change that bumps the generation.
DOCUMENT_FIELDS = ("statement_id", "format", "file", "checksum", "size", "created_at")


def released_document(pk: int, file_format: str) -> tuple[StatementDocument, str] | None:
    """A released statement's document (unsaved copy) and its file name, if cached."""
    cached = cache.get(f"press:document:{_generation()}:{pk}:{file_format}")
    if cached is None:
        return None
    fields, file_name = cached
    return StatementDocument(**fields), file_name


def released_document_remember(document: StatementDocument, file_name: str) -> None:
    fields = {name: getattr(document, name) for name in DOCUMENT_FIELDS}
    fields["file"] = document.file.name
    key = f"press:document:{_generation()}:{document.statement_id}:{document.format}"
    cache.set(key, (fields, file_name), timeout=settings.PRESS_CACHE_SECONDS)


def invalidate() -> None:
    """Forget every cached public list, once the current transaction (if any) commits."""
    transaction.on_commit(_bump)


def _bump() -> None:
    _generation()
    try:
        cache.incr(GENERATION)
    except ValueError:  # evicted meanwhile: a fresh number does as well
        cache.set(GENERATION, int(timezone.now().timestamp() * 1000), timeout=None)


@receiver([post_save, post_delete], sender=Statement)
@receiver([post_save, post_delete], sender=StatementDocument)
@receiver([post_save, post_delete], sender=Mission)
def _changed(sender, **kwargs) -> None:
    invalidate()
