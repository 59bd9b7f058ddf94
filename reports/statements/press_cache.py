"""The public's press list, rendered once per language and shared by every anonymous visitor.

What the public sees changes only when a statement is published, saved while published or
set back from published, or deleted (its documents with it), when a mission's name or dates
change, or when an embargo passes. (A document is made while its statement is compiled, long
before publication.) The first ones bump a generation number, after the transaction commits,
which every cached entry carries (read with it in one round trip): a list rendered from the
data before the change is stored with the old generation and never served again. The last is
bounded by time: a list is kept no longer than until the next embargo lift, nor than
PRESS_CACHE_SECONDS.
"""

import math
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min
from django.db.models.signals import post_delete, post_init, post_save
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


def _lookup(key: str) -> tuple[int, object | None]:
    """The current generation and what `key` holds for it, in one round trip."""
    found = cache.get_many([GENERATION, key])
    generation = found.get(GENERATION)
    if generation is None:
        return _generation(), None
    stored = found.get(key)
    if stored is None or stored[0] != generation:
        return generation, None
    return generation, stored[1]


def seconds_until_next_lift() -> float | None:
    """Seconds until the next published statement's embargo ends, None if none is pending."""
    now = timezone.now()
    lift = Statement.objects.filter(
        status=Statement.Status.PUBLISHED, embargo_until__gt=now
    ).aggregate(next=Min("embargo_until"))["next"]
    return None if lift is None else (lift - now).total_seconds()


def public_list(render: Callable[[], str]) -> str:
    """The public's list in the active language, from the cache or rendered and stored."""
    if settings.PRESS_CACHE_SECONDS <= 0:
        return render()
    key = f"press:list:{get_language()}"
    generation, html = _lookup(key)
    if html is not None:
        return html
    html = render()
    timeout = settings.PRESS_CACHE_SECONDS
    lift = seconds_until_next_lift()
    if lift is not None:
        timeout = min(timeout, math.floor(lift))
    if timeout > 0:
        cache.set(key, (generation, html), timeout=timeout)
    return html


# What a released document's download needs, without the database: anyone may have it, and
# it stops being released only by a change that bumps the generation.
DOCUMENT_FIELDS = ("statement_id", "format", "file", "checksum", "size", "created_at")


def released_document(pk: int, file_format: str) -> tuple[int, StatementDocument | None, str]:
    """The generation, and a released statement's document (unsaved copy) and file name if
    cached; pass the generation to released_document_remember."""
    if settings.PRESS_CACHE_SECONDS <= 0:
        return 0, None, ""
    generation, cached = _lookup(f"press:document:{pk}:{file_format}")
    if cached is None:
        return generation, None, ""
    fields, file_name = cached
    return generation, StatementDocument(**fields), file_name


def released_document_remember(
    generation: int, document: StatementDocument, file_name: str
) -> None:
    fields = {name: getattr(document, name) for name in DOCUMENT_FIELDS}
    fields["file"] = document.file.name
    key = f"press:document:{document.statement_id}:{document.format}"
    if settings.PRESS_CACHE_SECONDS > 0:
        cache.set(key, (generation, (fields, file_name)), timeout=settings.PRESS_CACHE_SECONDS)


def invalidate() -> None:
    """Forget every cached public list, once the current transaction (if any) commits."""
    transaction.on_commit(_bump)


def _bump() -> None:
    _generation()
    try:
        cache.incr(GENERATION)
    except ValueError:  # evicted meanwhile: a fresh number does as well
        cache.set(GENERATION, int(timezone.now().timestamp() * 1000), timeout=None)


@receiver(post_init, sender=Statement)
def _loaded(sender, instance: Statement, **kwargs) -> None:
    # Whether the statement was published when read: saving it otherwise is a withdrawal.
    instance._press_was_published = instance.__dict__.get("status") == Statement.Status.PUBLISHED


@receiver(post_save, sender=Statement)
def _statement_saved(sender, instance: Statement, **kwargs) -> None:
    # Queued, compiled and approved versions are not the public's business: no invalidation
    # for each step a worker saves.
    if instance.status == Statement.Status.PUBLISHED or instance._press_was_published:
        invalidate()
    instance._press_was_published = instance.status == Statement.Status.PUBLISHED


@receiver(post_delete, sender=Statement)
@receiver(post_delete, sender=StatementDocument)
@receiver(post_save, sender=Mission)
@receiver(post_delete, sender=Mission)
def _changed(sender, **kwargs) -> None:
    invalidate()
