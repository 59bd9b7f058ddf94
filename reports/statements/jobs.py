"""The statement jobs: asking for a version, compiling it on a worker, and sweeping lost jobs.

A version goes queued → compiling → ready (or failed). A worker takes a version with one
conditional UPDATE (`statement_claim`) that also gives it a lease: until `lease_until` no
other worker may take it, after that anyone may. Whoever finishes checks, under a row lock,
that the lease is still theirs (the `attempts` number they claimed with) before storing
documents, so a redelivered task, the sweep and a worker that was presumed dead can race
freely and one version still gets exactly one document per format.

`lease_until` on a *queued* version means something close: a message for it should be in the
broker until then, so the sweep sends another only after it passes.

The lease is short (STATEMENT_LEASE_SECONDS, 30 s by default) and a heartbeat thread renews it
while the job runs, so a killed child, a killed worker or a dead database connection frees the
version within the lease, however long compiling takes. The broker being down never fails a
request: the version stays queued (progress "unsent") and the sweep sends it. Files written by
a job that never committed are removed by the sweep once they are older than the lease.

Approval and publishing live in reports.statements.approvals.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import secrets
import threading
import time
import zoneinfo
from collections.abc import Iterator
from typing import TYPE_CHECKING

import kombu.exceptions
import redis
import redis.exceptions
from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from missions.languages import language_code, public_codes
from missions.models import Mission
from missions.permissions import MANAGE, may
from reports.models import Statement, StatementDocument, StatementEvidence

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from reports.statements.document import Document

logger = logging.getLogger(__name__)

QUEUED = Statement.Status.QUEUED
COMPILING = Statement.Status.COMPILING

# Errors worth trying again: the database or Redis went away for a moment, the storage
# could not write. The task retries these with backoff; anything else fails the version.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
)

# What sending a job may raise when the broker cannot be reached.
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    kombu.exceptions.OperationalError,
    redis.exceptions.RedisError,
    OSError,
)

# A version that has been started this many times without finishing (the worker died each
# time, or transient errors outlasted the retries) is given up by the sweep.
MAX_ATTEMPTS = 10

# A key the sweep keeps in a Redis broker: when it is gone, Redis lost its data (a restart
# without persistence), and with it the messages of every queued version.
BROKER_MARK = "observa:statements:broker-mark"

# Where the workers write statement documents; the sweep removes the files there that no
# document points to.
DOCUMENTS_DIRECTORY = "statements"


def resend_after() -> datetime.timedelta:
    """How long a queued version may wait for a worker before the sweep sends it again."""
    return datetime.timedelta(seconds=settings.STATEMENT_RESEND_AFTER_SECONDS)


class StatementBusy(Exception):
    """Another worker holds the version's lease; try again once it has expired."""

    def __init__(self, statement_id: int, lease_until: datetime.datetime):
        super().__init__(f"Statement {statement_id} is held by another worker until {lease_until}.")
        self.statement_id = statement_id
        self.lease_until = lease_until


class _LeaseLost(Exception):
    """This worker's lease was taken over: another worker is doing the job now."""


# ---------------------------------------------------------------------------------------------
# Asking for a version


def statement_default_date(*, mission: Mission, kind: str) -> datetime.date:
    """Return the date a statement of this kind carries unless the coordinator sets one.

    - final: the mission's last day;
    - preliminary: the day after election day (the mission's last day if it has no election);
    - press briefing: today (in the mission's time zone) from the mission's first day until
      a week after its last, otherwise the day after the mission's last day.
    """
    if kind == Statement.Kind.FINAL:
        return mission.ends_on
    if kind == Statement.Kind.PRELIMINARY:
        try:
            return mission.election.election_day + datetime.timedelta(days=1)
        except ObjectDoesNotExist:
            return mission.ends_on
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(mission.time_zone or "UTC"))
    if mission.starts_on <= today <= mission.ends_on + datetime.timedelta(days=7):
        return today
    return mission.ends_on + datetime.timedelta(days=1)


def statement_request(
    *,
    mission: Mission,
    kind: str,
    language: str = "en",
    requested_by: AbstractBaseUser | None,
    dated_on: datetime.date | None = None,
    place: str = "",
) -> Statement:
    """Record the next version of the mission's statement as queued; compile it after commit.

    `requested_by` is None for a request from the command line. An empty `place` lets the
    composer derive it. A new version keeps the overall assessment the head of mission gave
    the previous one (the first, the one the mission's record says the head gave for this
    kind), so it is compiled with its conclusions at once; approval still governs it.
    Raises ValidationError for an unknown kind or language. The language is a code a user
    types: en, ru, zh (or zh-hans). Raises PermissionDenied when `requested_by` does not
    manage the mission (missions.permissions).
    """
    if requested_by is not None and not may(requested_by, MANAGE, mission):
        raise PermissionDenied(gettext("These pages are for the mission's coordinators."))
    try:
        language = language_code(language)
    except LookupError:
        raise ValidationError(
            {
                "language": gettext("“%(code)s” is not a language of the statements (%(codes)s).")
                % {"code": language, "codes": ", ".join(public_codes())}
            }
        ) from None
    with transaction.atomic():
        # Two coordinators asking at once would both read the same highest version: the
        # mission row lock makes the second wait for the first to commit.
        Mission.objects.select_for_update().only("pk").get(pk=mission.pk)
        versions = Statement.objects.filter(mission=mission, kind=kind, language=language)
        highest = versions.aggregate(highest=Max("version"))["highest"]
        previous = versions.exclude(assessment="").order_by("-version").first()
        statement = Statement(
            mission=mission,
            kind=kind,
            language=language,
            version=(highest or 0) + 1,
            status=QUEUED,
            requested_by=requested_by,
            dated_on=dated_on or statement_default_date(mission=mission, kind=kind),
            place=place,
            assessment=previous.assessment if previous else _recorded_assessment(mission, kind),
        )
        # requested_by may be empty: a request from the command line.
        statement.full_clean(exclude=["requested_by"])
        statement.save()
        statement.sending = statement_enqueue(statement.pk)
    return statement


def _recorded_assessment(mission: Mission, kind: str) -> str:
    """The assessment the mission's record says its head gave for this kind, if any."""
    from reports.models import HeadAssessment

    recorded = HeadAssessment.objects.filter(mission=mission, kind=kind).first()
    return recorded.assessment if recorded else ""


def statement_request_all_languages(
    *,
    mission: Mission,
    kind: str,
    requested_by: AbstractBaseUser | None,
    dated_on: datetime.date | None = None,
    place: str = "",
) -> list[Statement]:
    """The next version of the statement in every language, one job (and version) each."""
    with transaction.atomic():
        return [
            statement_request(
                mission=mission,
                kind=kind,
                language=code,
                requested_by=requested_by,
                dated_on=dated_on,
                place=place,
            )
            for code, _name in settings.LANGUAGES
        ]


class Sending:
    """Whether a compile job reached the broker: `sent` is None until the transaction commits,
    then True, or False when the broker could not be reached (the sweep sends it later)."""

    def __init__(self) -> None:
        self.sent: bool | None = None


def statement_enqueue(statement_id: int) -> Sending:
    """Send the compile job once the current transaction commits, so the worker finds the row.

    The broker being down is not an error: the version stays queued, marked "unsent", and
    the sweep sends it once the broker answers. The returned Sending tells which happened.
    """
    sending = Sending()

    def compile_job_send() -> None:
        sending.sent = compile_job_send_now(statement_id)

    transaction.on_commit(compile_job_send, robust=True)
    return sending


def compile_job_send_now(statement_id: int) -> bool:
    """Send the compile task; False (and the version marked unsent) if the broker is down."""
    from reports.tasks import statement_compile_task

    try:
        statement_compile_task.delay(statement_id)
    except BROKER_ERRORS as error:
        logger.warning(
            "Statement %s stays queued: the broker cannot be reached (%s); the sweep will send it.",
            statement_id,
            error,
        )
        # Due at once: the first sweep that reaches the broker sends it.
        Statement.objects.filter(pk=statement_id, status=QUEUED).update(
            progress="unsent", lease_until=timezone.now()
        )
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Compiling a version (on a worker)


def statement_claim(*, statement_id: int, lease_seconds: int) -> Statement | None:
    """Take the version for this worker for `lease_seconds`; None if it is not to be taken.

    One conditional UPDATE decides: the version must be queued, or compiling under a lease
    that has expired. A redelivered task, the sweep's extra message and the first worker can
    all arrive at once; the database lets exactly one of them change the row. A live lease
    keeps a slow but healthy worker's job from being taken; an expired one lets a killed
    worker's job be redone. `attempts` numbers the claims, so each worker knows later
    whether the lease is still its own.
    """
    now = timezone.now()
    claimed = (
        Statement.objects.filter(pk=statement_id)
        .filter(Q(status=QUEUED) | Q(status=COMPILING, lease_until__lt=now))
        .update(
            status=COMPILING,
            lease_until=now + datetime.timedelta(seconds=lease_seconds),
            attempts=F("attempts") + 1,
            error="",
            progress="findings",
        )
    )
    if claimed != 1:
        return None
    return Statement.objects.select_related("mission").filter(pk=statement_id).first()


def statement_compile(*, statement_id: int) -> str:
    """Compile the version: findings, composed document, every format; mark it ready.

    Return what happened, for the worker's log. Raise StatementBusy while another worker
    holds the version, and let transient errors (TRANSIENT_ERRORS) through for the task to
    retry; any other error marks the version failed with a message the coordinator reads.
    While it runs, a heartbeat renews the lease.
    """
    try:
        statement = statement_claim(
            statement_id=statement_id, lease_seconds=settings.STATEMENT_LEASE_SECONDS
        )
        if statement is None:
            return _unclaimed_reason(statement_id)
    except TRANSIENT_ERRORS as error:
        _connection_discard_if_broken(error)
        raise
    attempt = statement.attempts
    try:
        with _Heartbeat(statement_id, attempt):
            with translation.override(statement.language):
                document, rendered = _statement_build(statement, attempt)
            _documents_store(statement, attempt, document, rendered)
    except _LeaseLost:
        logger.warning("Statement %s: lease of attempt %s was taken over.", statement_id, attempt)
        return f"statement {statement_id}: attempt {attempt} lost its lease; another worker has it"
    except TRANSIENT_ERRORS as error:
        # A dead connection would fail the release too: open a new one first.
        _connection_discard_if_broken(error)
        _release_for_retry(statement_id, attempt)
        raise
    except Exception as error:
        logger.exception("Statement %s: attempt %s failed.", statement_id, attempt)
        _fail(statement_id, attempt, _readable(error))
        return f"statement {statement_id}: failed: {_readable(error)}"
    return f"statement {statement_id}: ready (attempt {attempt})"


def _connection_discard_if_broken(error: BaseException) -> None:
    """Close this thread's database connection after a database error, so the next query
    opens a fresh one instead of failing on the dead one (terminated, server restarted)."""
    if not isinstance(error, DatabaseError) or connection.in_atomic_block:
        # Inside a transaction (a test's) the connection is not ours to drop.
        return
    try:
        connection.close()
    except DatabaseError:
        logger.warning("Closing the broken database connection failed.", exc_info=True)


class _Heartbeat:
    """Renew the version's lease every STATEMENT_HEARTBEAT_SECONDS while the job runs.

    Runs in its own thread with its own database connection: a job busy rendering keeps its
    lease, and a job whose process dies stops renewing it, so another worker may take the
    version over within STATEMENT_LEASE_SECONDS. Renewing stops for good once the lease is
    no longer this attempt's.
    """

    def __init__(self, statement_id: int, attempt: int):
        self.statement_id = statement_id
        self.attempt = attempt
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"statement-{statement_id}-heartbeat", daemon=True
        )

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopped.set()
        self._thread.join(timeout=settings.STATEMENT_HEARTBEAT_SECONDS)

    def _run(self) -> None:
        interval = settings.STATEMENT_HEARTBEAT_SECONDS
        try:
            while not self._stopped.wait(interval):
                try:
                    renewed = _held(self.statement_id, self.attempt).update(
                        lease_until=timezone.now()
                        + datetime.timedelta(seconds=settings.STATEMENT_LEASE_SECONDS)
                    )
                except DatabaseError as error:
                    logger.warning(
                        "Statement %s: could not renew the lease (%s); trying again.",
                        self.statement_id,
                        error,
                    )
                    _connection_discard_if_broken(error)
                    continue
                if not renewed:
                    return
        finally:
            connection.close()


def _unclaimed_reason(statement_id: int) -> str:
    row = Statement.objects.filter(pk=statement_id).values("status", "lease_until").first()
    if row is None:
        return f"statement {statement_id}: no such statement"
    if row["status"] in (QUEUED, COMPILING):
        # Compiling under a live lease; or the row changed between the claim and this read:
        # either way, look again when the lease ends (or at once).
        raise StatementBusy(statement_id, row["lease_until"] or timezone.now())
    return f"statement {statement_id}: already {row['status']}; nothing to do"


def _statement_build(statement: Statement, attempt: int) -> tuple[Document, dict[str, bytes]]:
    # Imported here: the composer and renderers are heavy and this module must import
    # without them (the web process only asks for statements).
    from reports.statements.composer import statement_compose
    from reports.statements.findings import findings_for_statement
    from reports.statements.renderers import RENDERERS
    from reports.statements.selectors import statement_evidence_kept

    # The findings, the statement's other inputs and the evidence its sentences cite are read
    # from one snapshot: a visit corrected meanwhile cannot leave the kept evidence showing
    # values other than those the findings counted.
    with _one_snapshot():
        findings = findings_for_statement(statement=statement)
        document = statement_compose(
            mission=statement.mission,
            kind=statement.kind,
            language=statement.language,
            findings=findings,
            dated_on=statement.dated_on,
            place=statement.place,
            assessment=statement.assessment,
        )
        # Kept with the version, so its evidence page shows what it used whatever is
        # corrected later.
        statement.evidence_kept_rows = statement_evidence_kept(
            statement=statement,
            paragraphs=document.paragraphs(),
            counted=findings.evidence.visit_ids,
        )
    # Which visits this version counted, and what the review rule left out: stored with it.
    statement.evidence_record = {
        "visit_ids": findings.evidence.visit_ids,
        "unreviewed_included": findings.visits_unreviewed_included,
        "awaiting_review_left_out": findings.visits_awaiting_review,
        "sent_back_left_out": findings.visits_sent_back,
    }
    rendered = {}
    for file_format in StatementDocument.Format.values:
        _progress(statement.pk, attempt, f"render:{file_format}")
        rendered[file_format] = RENDERERS[file_format](document)
    return document, rendered


@contextlib.contextmanager
def _one_snapshot() -> Iterator[None]:
    """One read-only transaction whose reads all see the database as of its first one.

    On PostgreSQL that is REPEATABLE READ; SQLite's transactions already read one snapshot.
    Inside a transaction already open (the caller's) the reads are the caller's. Nothing in
    it writes: progress and the lease are written outside, and the heartbeat has its own
    connection.
    """
    fresh = not connection.in_atomic_block
    with transaction.atomic():
        if fresh and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _progress(statement_id: int, attempt: int, text: str) -> None:
    """Show the coordinator where the job is, while the lease is still this worker's."""
    held = _held(statement_id, attempt).update(progress=text[:100])
    if not held:
        raise _LeaseLost


def _held(statement_id: int, attempt: int):
    return Statement.objects.filter(pk=statement_id, status=COMPILING, attempts=attempt)


def _documents_store(
    statement: Statement, attempt: int, document: Document, rendered: dict[str, bytes]
) -> None:
    """Write the files, then record them and mark the version ready — if it is still ours.

    A crash between writing and committing leaves files no document points to; the sweep
    removes them once they are older than the lease (documents_orphans_remove). So that it
    never removes files about to be recorded, they are recorded only if writing them began
    less than half a lease ago; otherwise they are deleted and the job is tried again.
    """
    from reports.statements.renderers import document_checksum

    storage = StatementDocument._meta.get_field("file").storage
    written: dict[str, str] = {}
    committed = False
    began = time.monotonic()
    try:
        for file_format, data in rendered.items():
            written[file_format] = storage.save(
                _document_name(statement, file_format), ContentFile(data)
            )
        with transaction.atomic():
            # The row lock orders us with any worker that took the version over; the
            # attempts number tells whether that happened.
            current = (
                Statement.objects.select_for_update()
                .filter(pk=statement.pk, status=COMPILING, attempts=attempt)
                .first()
            )
            if current is None:
                raise _LeaseLost
            if time.monotonic() - began > settings.STATEMENT_LEASE_SECONDS / 2:
                raise TimeoutError(
                    f"Storing statement {statement.pk}'s documents took over half the lease; "
                    "the sweep may take them for orphans."
                )
            earlier = list(StatementDocument.objects.filter(statement=current))
            StatementDocument.objects.filter(pk__in=[d.pk for d in earlier]).delete()
            StatementDocument.objects.bulk_create(
                StatementDocument(
                    statement=current,
                    format=file_format,
                    file=written[file_format],
                    checksum=document_checksum(data),
                    size=len(data),
                )
                for file_format, data in rendered.items()
            )
            kept = getattr(statement, "evidence_kept_rows", None)
            if kept is not None:
                StatementEvidence.objects.filter(statement=current).delete()
                for row in kept:
                    row.statement = current
                StatementEvidence.objects.bulk_create(kept, batch_size=2000)
            Statement.objects.filter(pk=current.pk).update(
                evidence_kept=kept is not None,
                status=Statement.Status.READY,
                content=document.as_dict(),
                compiled_at=timezone.now(),
                lease_until=None,
                progress="",
                error="",
                **getattr(statement, "evidence_record", {}),
            )
            stale_names = [d.file.name for d in earlier if d.file.name]
            if stale_names:

                def replaced_files_delete() -> None:
                    _files_delete(stale_names)

                # Should this fail, the sweep removes them: no document points to them.
                transaction.on_commit(replaced_files_delete, robust=True)
        committed = True
    finally:
        if not committed:
            _files_delete(list(written.values()))


def _document_name(statement: Statement, file_format: str) -> str:
    # Chosen by the server, never from user input; the random part keeps names unguessable
    # and a retry from overwriting a file another record still points to.
    return (
        f"{DOCUMENTS_DIRECTORY}/{statement.mission.slug}/"
        f"{statement.kind}-v{statement.version}-{statement.language}-"
        f"{secrets.token_hex(6)}.{file_format}"
    )


def _files_delete(names: list[str]) -> None:
    storage = StatementDocument._meta.get_field("file").storage
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            # An S3 store raises its own errors; either way the sweep tries again later.
            logger.warning("Could not delete %s; the sweep will.", name, exc_info=True)


def _release_for_retry(statement_id: int, attempt: int) -> None:
    """Hand the version back (queued) so the task's retry may claim it at once."""
    try:
        _held(statement_id, attempt).update(
            status=QUEUED,
            lease_until=timezone.now() + resend_after(),
            progress="retry",
        )
    except TRANSIENT_ERRORS as error:
        # The database is still away: the lease is no longer renewed and expires; the retry
        # (or the sweep) takes the version then.
        _connection_discard_if_broken(error)
        logger.warning("Statement %s: could not release attempt %s.", statement_id, attempt)


def _fail(statement_id: int, attempt: int, message: str) -> None:
    _held(statement_id, attempt).update(
        status=Statement.Status.FAILED, error=message, lease_until=None, progress=""
    )


def _readable(error: Exception) -> str:
    """The error as the coordinator should read it: its message, not a traceback."""
    if isinstance(error, SoftTimeLimitExceeded):
        return gettext("Compiling took longer than allowed (%(seconds)d seconds).") % {
            "seconds": settings.STATEMENT_TIME_LIMIT_SECONDS * 9 // 10
        }
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or error.__class__.__name__


# ---------------------------------------------------------------------------------------------
# The sweep (periodic)


def statements_sweep(
    *, now: datetime.datetime | None = None, stale_after: datetime.timedelta | None = None
) -> list[int]:
    """Send the compile task again for versions whose job was lost; return their ids.

    Lost means: compiling under an expired lease (the worker or its connection died and the
    heartbeat stopped); queued with no message known to be in flight — sending failed
    (the broker was down), or it has waited longer than `stale_after`
    (STATEMENT_RESEND_AFTER_SECONDS); or queued at all when the broker lost its data since
    the last sweep (a Redis restart without persistence). Such versions go back to queued,
    so the coordinator sees them waiting, and are not sent again for another `stale_after`.
    A version started MAX_ATTEMPTS times is given up.
    """
    now = now or timezone.now()
    stale_after = stale_after if stale_after is not None else resend_after()
    lost = Q(status=COMPILING, lease_until__lt=now) | (
        Q(status=QUEUED)
        & (Q(lease_until__lt=now) | Q(lease_until__isnull=True, requested_at__lt=now - stale_after))
    )
    if _broker_lost_messages():
        logger.warning("The broker lost its messages: every queued statement is sent again.")
        lost |= Q(status=QUEUED)
    with transaction.atomic():
        # skip_locked: a row locked right now is being finished by a worker.
        swept = list(
            Statement.objects.select_for_update(skip_locked=True)
            .filter(lost)
            .order_by("pk")
            .values_list("pk", "attempts")
        )
        retried = [pk for pk, attempts in swept if attempts < MAX_ATTEMPTS]
        for pk, attempts in swept:
            if attempts < MAX_ATTEMPTS:
                continue
            Statement.objects.filter(pk=pk).update(
                status=Statement.Status.FAILED,
                lease_until=None,
                progress="",
                error=gettext(
                    "Compiling was started %(attempts)d times and never finished; "
                    "the workers' log has the errors."
                )
                % {"attempts": attempts},
            )
            logger.error("Statement %s given up after %s attempts.", pk, attempts)
        Statement.objects.filter(pk__in=retried).update(
            status=QUEUED,
            lease_until=now + stale_after,
            progress="waiting",
        )
        for pk in retried:
            statement_enqueue(pk)
    if retried:
        logger.warning("Statements sent again to the workers: %s", retried)
    return retried


def _broker_lost_messages() -> bool:
    """Whether a Redis broker lost its data since the last sweep (or this is the first sweep).

    The sweep keeps a key in the broker: a Redis restarted without persistence comes back
    without it, and without the queued messages.
    """
    url = current_app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        return False
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(client.set(BROKER_MARK, timezone.now().isoformat(), nx=True))
    except redis.exceptions.RedisError as error:
        logger.warning("The sweep cannot reach the broker: %s", error)
        return False
    finally:
        client.close()


def documents_orphans_remove(*, older_than: datetime.timedelta | None = None) -> list[str]:
    """Delete the statement files no document points to, written over `older_than` ago.

    A worker killed between writing a version's files and recording them leaves such files;
    so does a failed delete of replaced documents. `older_than` defaults to the lease: a
    worker records its files within half a lease of writing them, or deletes them itself.
    The files are listed before the documents are read, so a file recorded meanwhile is
    never taken for an orphan. Return the names deleted.
    """
    if older_than is None:
        older_than = datetime.timedelta(seconds=settings.STATEMENT_LEASE_SECONDS)
    storage = StatementDocument._meta.get_field("file").storage
    names = list(_stored_files(storage, DOCUMENTS_DIRECTORY))
    if not names:
        return []
    recorded = set(StatementDocument.objects.values_list("file", flat=True))
    cutoff = timezone.now() - older_than
    orphans = []
    for name in names:
        if name in recorded:
            continue
        try:
            if storage.get_modified_time(name) > cutoff:
                continue
        except (FileNotFoundError, NotImplementedError):
            continue
        orphans.append(name)
    if orphans:
        logger.warning("Removing %d statement files no document points to.", len(orphans))
        _files_delete(orphans)
    return orphans


def _stored_files(storage, directory: str):
    """Every file name under `directory` in the storage, at any depth."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for file_name in files:
        yield f"{directory}/{file_name}"
    for sub in directories:
        yield from _stored_files(storage, f"{directory}/{sub}")
