"""The statement jobs: request, claim and lease, compile, sweep, the command, and a real
Celery worker on Redis (including a redelivered task)."""

import datetime
import hashlib
import os
import socket
import threading
import time
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse

import kombu.exceptions
import kombu.pools
import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage, default_storage
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, connections
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from missions.models import MissionMembership
from reports import tasks
from reports.models import Statement, StatementDocument
from reports.statements import renderers
from reports.statements.document import Document
from reports.statements.jobs import (
    MAX_ATTEMPTS,
    StatementBusy,
    documents_orphans_remove,
    statement_claim,
    statement_compile,
    statement_request,
    statements_sweep,
)
from tests.factories import MembershipFactory, MissionFactory, UserFactory

FORMATS = ["docx", "html", "pdf"]


class TaskRecorder:
    """Stands in for the compile task where a test must see what was enqueued."""

    def __init__(self):
        self.sent: list[int] = []

    def delay(self, statement_id):
        self.sent.append(statement_id)


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    recorder = TaskRecorder()
    monkeypatch.setattr(tasks, "statement_compile_task", recorder)
    return recorder.sent


@pytest.fixture
def eager_tasks():
    """Run tasks in-process even when REDIS_URL points the suite at a real broker."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def fresh_storage(settings):
    """An empty in-memory storage for each test (the files of one test stay out of the next)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.fixture
def broker_kept_its_messages(monkeypatch):
    """The broker did not lose its data since the last sweep (see the tests of a Redis
    restart for when it did)."""
    monkeypatch.setattr("reports.statements.jobs._broker_lost_messages", lambda: False)


@pytest.fixture
def mission(db):
    return MissionFactory(name="Mission A", slug="mission-a")


def queued_statement(mission, *, kind=Statement.Kind.FINAL, version=1, **fields) -> Statement:
    return Statement.objects.create(
        mission=mission,
        kind=kind,
        language="en",
        version=version,
        dated_on=mission.ends_on,
        **fields,
    )


def stored_bytes(document: StatementDocument) -> bytes:
    with default_storage.open(document.file.name) as file:
        return file.read()


def assert_one_document_per_format(statement: Statement) -> None:
    documents = list(statement.documents.order_by("format"))
    assert [d.format for d in documents] == FORMATS
    for document in documents:
        data = stored_bytes(document)
        assert document.checksum == hashlib.sha256(data).hexdigest()
        assert document.size == len(data) > 0


def files_of(mission) -> list[str]:
    directory = f"statements/{mission.slug}"
    if not default_storage.exists(directory):
        return []
    return default_storage.listdir(directory)[1]


# ---------------------------------------------------------------------------------------------
# Asking for a version


def test_a_request_records_a_queued_version_and_enqueues_it_only_after_commit(
    mission, enqueued, django_capture_on_commit_callbacks
):
    coordinator = UserFactory()
    MembershipFactory(mission=mission, user=coordinator, role=MissionMembership.Role.COORDINATOR)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        statement = statement_request(
            mission=mission, kind="final", language="ru", requested_by=coordinator
        )
        assert enqueued == []  # nothing is sent while the transaction is open

    statement.refresh_from_db()
    assert (statement.status, statement.version, statement.language) == ("queued", 1, "ru")
    assert statement.requested_by == coordinator
    assert len(callbacks) == 1
    assert enqueued == [statement.pk]


def test_a_request_from_someone_who_does_not_run_the_mission_is_refused(
    mission, enqueued, django_capture_on_commit_callbacks
):
    press = UserFactory()
    MembershipFactory(mission=mission, user=press, role=MissionMembership.Role.PRESS_OFFICER)

    refused = pytest.raises(PermissionDenied, match="for the mission's coordinators")
    with django_capture_on_commit_callbacks(execute=True), refused:
        statement_request(mission=mission, kind="final", language="en", requested_by=press)

    assert not Statement.objects.filter(mission=mission).exists()
    assert enqueued == []


def test_each_request_makes_the_next_version_of_that_kind_and_language(mission, enqueued):
    first = statement_request(mission=mission, kind="final", requested_by=None)
    second = statement_request(mission=mission, kind="final", requested_by=None)
    other_kind = statement_request(mission=mission, kind="preliminary", requested_by=None)
    other_language = statement_request(
        mission=mission, kind="final", language="zh-hans", requested_by=None
    )

    assert [first.version, second.version, other_kind.version, other_language.version] == [
        1,
        2,
        1,
        1,
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_requests_racing_for_one_statement_get_consecutive_versions(enqueued):
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL's row locking")
    mission = MissionFactory(slug="mission-a")
    barrier = threading.Barrier(4)
    versions, errors = [], []

    def ask():
        try:
            barrier.wait()
            statement = statement_request(mission=mission, kind="final", requested_by=None)
            versions.append(statement.version)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(versions) == [1, 2, 3, 4]
    assert sorted(enqueued) == sorted(Statement.objects.values_list("pk", flat=True))


def test_a_request_for_an_unknown_kind_or_language_is_refused(mission, enqueued):
    with pytest.raises(ValidationError):
        statement_request(mission=mission, kind="manifesto", requested_by=None)
    with pytest.raises(ValidationError):
        statement_request(mission=mission, kind="final", language="xx", requested_by=None)

    assert not Statement.objects.exists()


def test_a_request_dates_each_kind_of_statement_by_default(mission, enqueued):
    # The factory's mission runs 17–20 November 2022, election day the 20th.
    final = statement_request(mission=mission, kind="final", requested_by=None)
    preliminary = statement_request(mission=mission, kind="preliminary", requested_by=None)
    briefing = statement_request(mission=mission, kind="briefing", requested_by=None)
    dated = statement_request(
        mission=mission,
        kind="final",
        requested_by=None,
        dated_on=datetime.date(2022, 12, 1),
        place="Astana",
    )

    assert final.dated_on == datetime.date(2022, 11, 20)
    assert preliminary.dated_on == datetime.date(2022, 11, 21)
    # Long after the mission: the day after it ended.
    assert briefing.dated_on == datetime.date(2022, 11, 21)
    assert (dated.dated_on, dated.place) == (datetime.date(2022, 12, 1), "Astana")


# ---------------------------------------------------------------------------------------------
# Claiming and compiling


def test_compiling_makes_the_version_ready_with_one_document_per_format(mission):
    statement = queued_statement(mission)

    statement_compile(statement_id=statement.pk)

    statement.refresh_from_db()
    assert statement.status == Statement.Status.READY
    assert statement.attempts == 1
    assert statement.compiled_at is not None
    assert (statement.lease_until, statement.progress, statement.error) == (None, "", "")
    assert statement.content["title"]
    assert_one_document_per_format(statement)
    name = statement.documents.get(format="pdf").file.name
    assert name.startswith("statements/mission-a/final-v1-en-")
    assert name.endswith(".pdf")


def test_the_conclusions_follow_the_heads_assessment(mission):
    statement = queued_statement(mission, assessment=Statement.Assessment.NO_VIOLATIONS)

    statement_compile(statement_id=statement.pk)

    statement.refresh_from_db()
    text = Document.from_dict(statement.content).plain_text()
    assert "They noted no violations of national legislation" in text
    html = stored_bytes(statement.documents.get(format="html")).decode()
    assert "They noted no violations of national legislation" in html


def test_compiling_a_ready_version_again_does_nothing(mission):
    statement = queued_statement(mission)
    statement_compile(statement_id=statement.pk)
    documents = set(statement.documents.values_list("pk", "file"))

    outcome = statement_compile(statement_id=statement.pk)

    assert "already ready" in outcome
    assert set(statement.documents.values_list("pk", "file")) == documents
    assert len(files_of(mission)) == 3
    statement.refresh_from_db()
    assert statement.attempts == 1


def test_a_claim_is_refused_while_another_lease_is_live_and_succeeds_once_it_expires(mission):
    statement = queued_statement(mission)
    first = statement_claim(statement_id=statement.pk, lease_seconds=60)
    assert first is not None and first.status == Statement.Status.COMPILING

    assert statement_claim(statement_id=statement.pk, lease_seconds=60) is None
    with pytest.raises(StatementBusy) as busy:
        statement_compile(statement_id=statement.pk)
    assert busy.value.lease_until == first.lease_until

    Statement.objects.filter(pk=statement.pk).update(
        lease_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    second = statement_claim(statement_id=statement.pk, lease_seconds=60)

    assert second is not None
    assert second.attempts == 2
    assert second.lease_until > timezone.now()


def test_a_version_that_is_not_queued_or_compiling_is_never_claimed(mission):
    statement = queued_statement(mission, status=Statement.Status.FAILED)

    assert statement_claim(statement_id=statement.pk, lease_seconds=60) is None
    assert "already failed" in statement_compile(statement_id=statement.pk)


def test_a_compile_that_fails_marks_the_version_failed_with_the_message(mission, monkeypatch):
    def compose_failing(**kwargs):
        raise ValueError("The mission has no statement texts in English.")

    monkeypatch.setattr("reports.statements.composer.statement_compose", compose_failing)
    statement = queued_statement(mission)

    statement_compile(statement_id=statement.pk)

    statement.refresh_from_db()
    assert statement.status == Statement.Status.FAILED
    assert statement.error == "The mission has no statement texts in English."
    assert statement.lease_until is None
    assert not statement.documents.exists()


def test_a_transient_error_propagates_and_hands_the_version_back_for_the_retry(
    mission, monkeypatch
):
    def render_with_the_database_gone(document):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setitem(renderers.RENDERERS, "pdf", render_with_the_database_gone)
    statement = queued_statement(mission)

    with pytest.raises(OperationalError):
        statement_compile(statement_id=statement.pk)

    statement.refresh_from_db()
    assert statement.status == Statement.Status.QUEUED
    assert statement.error == ""
    assert not statement.documents.exists()
    assert files_of(mission) == []
    # The task's retry claims it at once.
    assert statement_claim(statement_id=statement.pk, lease_seconds=60).attempts == 2


def test_a_worker_whose_lease_was_taken_over_stores_nothing(mission, monkeypatch):
    statement = queued_statement(mission)
    render_docx = renderers.RENDERERS["docx"]

    def render_while_the_lease_is_taken_over(document):
        # This worker stalled past its lease; the redelivered task took the version over.
        Statement.objects.filter(pk=statement.pk).update(
            lease_until=timezone.now() - datetime.timedelta(seconds=1)
        )
        assert statement_claim(statement_id=statement.pk, lease_seconds=60) is not None
        return render_docx(document)

    monkeypatch.setitem(renderers.RENDERERS, "docx", render_while_the_lease_is_taken_over)

    outcome = statement_compile(statement_id=statement.pk)

    assert "lost its lease" in outcome
    assert not statement.documents.exists()
    assert files_of(mission) == []  # the files it had written are gone again
    statement.refresh_from_db()
    assert (statement.status, statement.attempts) == (Statement.Status.COMPILING, 2)


def test_documents_left_by_an_earlier_attempt_are_replaced(
    mission, django_capture_on_commit_callbacks
):
    statement = queued_statement(
        mission,
        status=Statement.Status.COMPILING,
        attempts=1,
        lease_until=timezone.now() - datetime.timedelta(seconds=1),
    )
    old_name = default_storage.save("statements/mission-a/old.pdf", ContentFile(b"%PDF-old"))
    StatementDocument.objects.create(
        statement=statement, format="pdf", file=old_name, checksum="0" * 64, size=8
    )

    with django_capture_on_commit_callbacks(execute=True):
        statement_compile(statement_id=statement.pk)

    assert_one_document_per_format(statement)
    assert not default_storage.exists(old_name)
    assert len(files_of(mission)) == 3


# ---------------------------------------------------------------------------------------------
# The sweep


def test_the_sweep_resends_lost_jobs_and_leaves_live_ones(
    mission, enqueued, broker_kept_its_messages, django_capture_on_commit_callbacks
):
    now = timezone.now()
    past = now - datetime.timedelta(seconds=5)
    stale_queued = queued_statement(mission, version=1)
    fresh_queued = queued_statement(mission, version=2)
    expired = queued_statement(mission, version=3, status="compiling", lease_until=past)
    live = queued_statement(
        mission, version=4, status="compiling", lease_until=now + datetime.timedelta(minutes=5)
    )
    ready = queued_statement(mission, version=5, status="ready")
    Statement.objects.filter(pk__in=[stale_queued.pk, ready.pk]).update(
        requested_at=now - datetime.timedelta(minutes=11)
    )

    with django_capture_on_commit_callbacks(execute=True):
        swept = statements_sweep(now=now, stale_after=datetime.timedelta(minutes=10))

    assert swept == [stale_queued.pk, expired.pk]
    assert enqueued == [stale_queued.pk, expired.pk]
    statuses = dict(Statement.objects.values_list("pk", "status"))
    assert statuses == {
        stale_queued.pk: "queued",
        fresh_queued.pk: "queued",
        expired.pk: "queued",
        live.pk: "compiling",
        ready.pk: "ready",
    }
    # Sent again once, not on every sweep while the new message is presumably in flight;
    # after another ten minutes every unfinished version is overdue.
    with django_capture_on_commit_callbacks(execute=True):
        assert statements_sweep(now=now + datetime.timedelta(minutes=1)) == []
        assert statements_sweep(now=now + datetime.timedelta(minutes=11)) == [
            stale_queued.pk,
            fresh_queued.pk,
            expired.pk,
            live.pk,
        ]


def test_the_sweep_gives_up_a_version_started_too_often(mission, enqueued):
    statement = queued_statement(
        mission,
        status="compiling",
        attempts=MAX_ATTEMPTS,
        lease_until=timezone.now() - datetime.timedelta(seconds=1),
    )

    assert statements_sweep() == []

    statement.refresh_from_db()
    assert statement.status == Statement.Status.FAILED
    assert f"started {MAX_ATTEMPTS} times" in statement.error
    assert enqueued == []


def test_a_swept_version_is_compiled_by_the_resent_task(
    mission, eager_tasks, django_capture_on_commit_callbacks
):
    statement = queued_statement(mission)
    Statement.objects.filter(pk=statement.pk).update(
        requested_at=timezone.now() - datetime.timedelta(hours=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        statements_sweep()

    statement.refresh_from_db()
    assert statement.status == Statement.Status.READY
    assert_one_document_per_format(statement)


# ---------------------------------------------------------------------------------------------
# The command


@pytest.fixture
def files_on_disk(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def test_the_command_refuses_to_record_a_version_as_asked_by_someone_else(db, eager_tasks):
    MissionFactory(slug="mission-a")
    UserFactory(username="reader")

    with pytest.raises(CommandError, match="reader does not coordinate mission-a"):
        call_command("compile_statement", "--mission=mission-a", "--kind=final", "--user=reader")

    assert not Statement.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_command_waits_for_the_version_and_prints_the_paths_of_its_documents(
    eager_tasks, files_on_disk, capsys
):
    mission = MissionFactory(slug="mission-a")
    coordinator = UserFactory(username="coordinator-a")
    MembershipFactory(mission=mission, user=coordinator, role=MissionMembership.Role.COORDINATOR)

    call_command(
        "compile_statement",
        "--mission=mission-a",
        "--kind=preliminary",
        "--user=coordinator-a",
        "--wait",
        "--timeout=60",
    )

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Queued version 1 of the preliminary statement (en) of ")
    paths = lines[1:]
    assert [path.rsplit(".", 1)[1] for path in paths] == FORMATS
    for path in paths:
        assert path.startswith(str(files_on_disk / "statements" / "mission-a"))
        assert os.path.getsize(path) > 0
    statement = Statement.objects.get()
    assert statement.status == Statement.Status.READY
    assert statement.requested_by.username == "coordinator-a"


@pytest.mark.django_db(transaction=True)
def test_the_command_reports_a_failed_version(eager_tasks, monkeypatch):
    def compose_failing(**kwargs):
        raise ValueError("No statement texts in English.")

    monkeypatch.setattr("reports.statements.composer.statement_compose", compose_failing)
    MissionFactory(slug="mission-a")

    with pytest.raises(CommandError, match=r"Version 1 failed: No statement texts in English\."):
        call_command("compile_statement", "--mission=mission-a", "--kind=final", "--wait")


@pytest.mark.django_db(transaction=True)
def test_the_command_gives_up_waiting_after_the_timeout(enqueued):
    MissionFactory(slug="mission-a")

    with pytest.raises(CommandError, match=r"still queued after 0\.3 seconds"):
        call_command(
            "compile_statement", "--mission=mission-a", "--kind=final", "--wait", "--timeout=0.3"
        )

    assert Statement.objects.get().status == Statement.Status.QUEUED


def test_the_command_refuses_an_unknown_mission(db):
    with pytest.raises(CommandError, match="No mission with the slug “nowhere”"):
        call_command("compile_statement", "--mission=nowhere", "--kind=final")


# ---------------------------------------------------------------------------------------------
# The Celery settings


def test_the_compile_task_is_acknowledged_late_and_requeued_if_its_worker_dies():
    task = celery_app.tasks["reports.tasks.statement_compile_task"]

    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.max_retries == 5
    assert task.retry_backoff is True
    assert OperationalError in task.autoretry_for


def test_redis_hands_a_job_to_another_worker_only_after_the_time_limits():
    limit = django_settings.STATEMENT_TIME_LIMIT_SECONDS
    task = celery_app.tasks["reports.tasks.statement_compile_task"]

    assert celery_app.conf.broker_transport_options["visibility_timeout"] > limit
    assert task.soft_time_limit < task.time_limit == limit


def test_a_visibility_timeout_below_the_time_limit_is_refused_at_start_up():
    from tests.test_settings import run_manage

    result = run_manage(
        "check", DEBUG="true", CELERY_VISIBILITY_TIMEOUT="300", STATEMENT_TIME_LIMIT_SECONDS="600"
    )

    assert result.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT must exceed STATEMENT_TIME_LIMIT_SECONDS" in result.stderr


def test_a_heartbeat_slower_than_half_the_lease_is_refused_at_start_up():
    from tests.test_settings import run_manage

    result = run_manage(
        "check", DEBUG="true", STATEMENT_LEASE_SECONDS="30", STATEMENT_HEARTBEAT_SECONDS="20"
    )

    assert result.returncode != 0
    assert "STATEMENT_HEARTBEAT_SECONDS must be between 1 and half" in result.stderr


def test_the_lease_heartbeat_and_sweep_follow_the_lease_setting():
    from tests.test_settings import run_manage

    script = (
        "from django.conf import settings as s; from config.celery import app; "
        "print(s.STATEMENT_LEASE_SECONDS, s.STATEMENT_HEARTBEAT_SECONDS, "
        "s.STATEMENT_SWEEP_SECONDS, s.STATEMENT_RESEND_AFTER_SECONDS, "
        "app.conf.beat_schedule['statements-sweep']['schedule'])"
    )
    clean = {"STATEMENT_HEARTBEAT_SECONDS": "", "STATEMENT_SWEEP_SECONDS": ""}
    quiet = ("shell", "--no-imports", "-c", script)
    defaults = run_manage(*quiet, DEBUG="true", STATEMENT_LEASE_SECONDS="", **clean)
    longer = run_manage(*quiet, DEBUG="true", STATEMENT_LEASE_SECONDS="90", **clean)

    assert defaults.stdout.split() == ["30", "10", "10", "60", "10.0"], defaults.stderr
    assert longer.stdout.split() == ["90", "30", "30", "180", "30.0"], longer.stderr


# ---------------------------------------------------------------------------------------------
# A real worker on Redis


@pytest.fixture
def redis_broker_url():
    """A dedicated Redis database for the worker tests, emptied before and after."""
    url = os.environ.get("REDIS_URL")
    reason = None
    client = None
    if not url:
        reason = "REDIS_URL is not set: the real-worker tests need a Redis broker"
    else:
        url = urlunparse(urlparse(url)._replace(path="/15"))
        try:
            client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
            client.ping()
        except redis.exceptions.RedisError as error:
            reason = f"Redis at {url} is unreachable: {error}"
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason} (CI is set: these tests must run, not be skipped)")
        pytest.skip(reason)
    client.flushdb()
    yield url
    client.flushdb()


def _broker_pools_reset(app) -> None:
    """Forget the broker connections made under the previous broker URL."""
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_worker(redis_broker_url):
    """Start a worker thread of the project's Celery app on the test Redis database.

    Yields a function that starts one: `with redis_worker(pool="threads", concurrency=2):`.
    The finished tasks' return values are collected in `redis_worker.results`.
    """
    changed = {
        "broker_url": redis_broker_url,
        "task_always_eager": False,
        "worker_hijack_root_logger": False,
    }
    saved = {name: celery_app.conf[name] for name in changed}
    celery_app.conf.update(changed)
    _broker_pools_reset(celery_app)
    results: list[object] = []
    lock = threading.Lock()

    def on_postrun(sender=None, retval=None, state=None, **kwargs):
        if sender is not None and sender.name == "reports.tasks.statement_compile_task":
            with lock:
                results.append((state, retval))
        # The worker thread's own connection: close it so the test database can be flushed
        # and dropped afterwards.
        connections.close_all()

    task_postrun.connect(on_postrun, weak=False)

    @contextmanager
    def run(pool="solo", concurrency=1):
        with start_worker(
            celery_app,
            pool=pool,
            concurrency=concurrency,
            perform_ping_check=False,
            shutdown_timeout=30,
        ) as worker:
            yield worker

    run.results = results
    try:
        yield run
    finally:
        task_postrun.disconnect(on_postrun)
        celery_app.conf.update(saved)
        _broker_pools_reset(celery_app)
        celery_app.set_current()
        celery_app.set_default()


def wait_until(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"Timed out after {timeout} s waiting until {what}")


def status_of(statement: Statement) -> str:
    return Statement.objects.values_list("status", flat=True).get(pk=statement.pk)


@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_compiles_a_requested_statement(redis_worker, settings):
    settings.STATEMENT_LEASE_SECONDS = 30
    mission = MissionFactory(slug="mission-a")

    with redis_worker():
        statement = statement_request(mission=mission, kind="final", requested_by=None)
        wait_until(lambda: status_of(statement) == "ready", timeout=60, what="it is ready")

    statement.refresh_from_db()
    assert statement.attempts == 1
    assert_one_document_per_format(statement)


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_task_takes_over_the_job_of_a_killed_worker(redis_worker, settings):
    settings.STATEMENT_LEASE_SECONDS = 30
    mission = MissionFactory(slug="mission-a")
    statement = queued_statement(mission)
    # A worker claimed it and was killed mid-job: the version is compiling under its lease,
    # and Redis redelivers the task (reject_on_worker_lost / visibility timeout).
    assert statement_claim(statement_id=statement.pk, lease_seconds=3) is not None

    with redis_worker():
        tasks.statement_compile_task.delay(statement.pk)
        # The redelivered task finds the lease live, retries when it expires, takes over.
        wait_until(lambda: status_of(statement) == "ready", timeout=60, what="it is ready")

    statement.refresh_from_db()
    assert statement.attempts == 2
    assert_one_document_per_format(statement)
    assert len(files_of(mission)) == 3
    states = [state for state, _retval in redis_worker.results]
    assert states == ["RETRY", "SUCCESS"]


@pytest.mark.django_db(transaction=True)
def test_the_same_task_delivered_twice_at_once_makes_one_set_of_documents(
    redis_worker, settings, monkeypatch
):
    settings.STATEMENT_LEASE_SECONDS = 5
    mission = MissionFactory(slug="mission-a")
    statement = queued_statement(mission)
    render_html = renderers.RENDERERS["html"]

    def render_html_slowly(document):
        # Long enough for the second delivery to arrive while the first is compiling.
        time.sleep(1)
        return render_html(document)

    monkeypatch.setitem(renderers.RENDERERS, "html", render_html_slowly)

    with redis_worker(pool="threads", concurrency=2):
        tasks.statement_compile_task.delay(statement.pk)
        tasks.statement_compile_task.delay(statement.pk)
        wait_until(
            lambda: sum(state == "SUCCESS" for state, _r in redis_worker.results) == 2,
            timeout=60,
            what="both deliveries have finished",
        )

    # The second delivery found the version being compiled, came back after the lease and
    # found it done.
    assert sorted(state for state, _r in redis_worker.results) == ["RETRY", "SUCCESS", "SUCCESS"]
    outcomes = sorted(str(r) for s, r in redis_worker.results if s == "SUCCESS")
    assert "already ready" in outcomes[0]
    assert "ready (attempt 1)" in outcomes[1]
    statement.refresh_from_db()
    assert (statement.status, statement.attempts) == (Statement.Status.READY, 1)
    assert_one_document_per_format(statement)
    assert len(files_of(mission)) == 3


# ---------------------------------------------------------------------------------------------
# The heartbeat, a dead database connection, orphan files


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_the_lease_of_a_job_that_runs_longer_than_the_lease(
    settings, monkeypatch
):
    settings.STATEMENT_LEASE_SECONDS = 1
    settings.STATEMENT_HEARTBEAT_SECONDS = 0.2
    statement = queued_statement(MissionFactory(slug="mission-a"))
    render_pdf = renderers.RENDERERS["pdf"]
    claims_meanwhile = []

    def render_slowly(document):
        time.sleep(2.5)  # more than twice the lease
        # A redelivered task arriving now must find the version still held.
        claims_meanwhile.append(statement_claim(statement_id=statement.pk, lease_seconds=1))
        return render_pdf(document)

    monkeypatch.setitem(renderers.RENDERERS, "pdf", render_slowly)

    outcome = statement_compile(statement_id=statement.pk)

    assert outcome == f"statement {statement.pk}: ready (attempt 1)"
    assert claims_meanwhile == [None]
    statement.refresh_from_db()
    assert (statement.status, statement.attempts, statement.lease_until) == ("ready", 1, None)
    assert_one_document_per_format(statement)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_connection_is_terminated_hands_the_version_back_on_a_new_connection(
    monkeypatch,
):
    if connection.vendor != "postgresql":
        pytest.skip("terminating a connection needs PostgreSQL")
    statement = queued_statement(MissionFactory(slug="mission-a"))
    render_pdf = renderers.RENDERERS["pdf"]

    def render_while_the_connection_is_terminated(document):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]

        def terminate():
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
            connections.close_all()

        thread = threading.Thread(target=terminate)
        thread.start()
        thread.join()
        return render_pdf(document)

    monkeypatch.setitem(renderers.RENDERERS, "pdf", render_while_the_connection_is_terminated)

    with pytest.raises(OperationalError):
        statement_compile(statement_id=statement.pk)

    # Released on a new connection: the task's retry may claim it at once.
    statement.refresh_from_db()
    assert (statement.status, statement.progress) == ("queued", "retry")
    assert statement_claim(statement_id=statement.pk, lease_seconds=30).attempts == 2
    assert files_of(statement.mission) == []


def test_documents_stored_slower_than_half_the_lease_are_deleted_and_the_job_tried_again(
    mission, settings, monkeypatch
):
    settings.STATEMENT_LEASE_SECONDS = 0.2
    save = InMemoryStorage._save

    def save_slowly(self, name, content):
        time.sleep(0.1)
        return save(self, name, content)

    monkeypatch.setattr(InMemoryStorage, "_save", save_slowly)
    statement = queued_statement(mission)

    # The sweep may already take files this old for orphans: they are not recorded.
    with pytest.raises(TimeoutError):
        statement_compile(statement_id=statement.pk)

    statement.refresh_from_db()
    assert (statement.status, statement.progress) == ("queued", "retry")
    assert not statement.documents.exists()
    assert files_of(mission) == []


def test_the_sweep_removes_files_no_document_points_to_once_older_than_the_lease(mission):
    statement = queued_statement(mission)
    statement_compile(statement_id=statement.pk)
    recorded = sorted(statement.documents.values_list("file", flat=True))
    # What a worker killed between writing and recording leaves behind.
    orphan = default_storage.save(
        "statements/mission-a/final-v1-en-0123456789ab.pdf", ContentFile(b"%PDF-1.7")
    )

    # Younger than the lease: it may be about to be recorded.
    assert documents_orphans_remove() == []
    assert default_storage.exists(orphan)

    assert documents_orphans_remove(older_than=datetime.timedelta(0)) == [orphan]
    assert not default_storage.exists(orphan)
    assert sorted(f"statements/mission-a/{name}" for name in files_of(mission)) == recorded
    assert_one_document_per_format(statement)


@pytest.mark.django_db(transaction=True)
def test_the_sweep_task_resends_lost_jobs_and_removes_orphans(enqueued, broker_kept_its_messages):
    statement = queued_statement(
        MissionFactory(slug="mission-a"),
        status="compiling",
        attempts=1,
        lease_until=timezone.now() - datetime.timedelta(seconds=1),
    )
    orphan = default_storage.save("statements/mission-a/lost.html", ContentFile(b"<p>"))
    storage = StatementDocument._meta.get_field("file").storage
    storage._resolve(orphan).modified_time -= datetime.timedelta(minutes=5)

    outcome = tasks.statements_sweep_task()

    assert outcome == {"resent": [statement.pk], "orphans_removed": [orphan]}
    assert enqueued == [statement.pk]
    assert not default_storage.exists(orphan)


# ---------------------------------------------------------------------------------------------
# The broker down, or restarted


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def broker_unreachable():
    """Point the Celery app at a loopback port where no broker listens."""
    saved = {name: celery_app.conf[name] for name in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=f"redis://127.0.0.1:{free_port()}/0", task_always_eager=False)
    _broker_pools_reset(celery_app)
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        _broker_pools_reset(celery_app)


@pytest.mark.django_db(transaction=True)
def test_a_statement_asked_for_while_the_broker_is_down_is_queued_and_the_sweep_has_it_compiled(
    redis_worker, personas, client
):
    mission = personas.mission_a
    client.force_login(personas.coordinator)

    with broker_unreachable():
        response = client.post(
            reverse("statements:list", args=[mission.slug]),
            {"kind": "final", "language": "en"},
            follow=True,
        )

    page = response.content.decode()
    assert response.status_code == 200
    assert "The workers cannot be reached right now" in page
    assert "will be compiled as soon as they can" in page
    statement = Statement.objects.get(mission=mission)
    assert (statement.status, statement.version, statement.progress) == ("queued", 1, "unsent")
    assert response.redirect_chain[-1][0] == reverse(
        "statements:detail", args=[mission.slug, statement.pk]
    )

    with redis_worker():
        assert statements_sweep() == [statement.pk]
        wait_until(lambda: status_of(statement) == "ready", timeout=60, what="it is ready")

    # One version only: nothing was queued twice.
    assert Statement.objects.filter(mission=mission).count() == 1
    assert_one_document_per_format(statement)
    download = client.get(reverse("statements:download", args=[mission.slug, statement.pk, "pdf"]))
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == statement.documents.get(format="pdf").checksum


@pytest.mark.django_db(transaction=True)
def test_the_command_says_a_version_is_queued_when_the_broker_is_down(capsys):
    MissionFactory(slug="mission-a")

    with broker_unreachable():
        call_command("compile_statement", "--mission=mission-a", "--kind=final")

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Queued version 1 of the final statement (en) of ")
    assert lines[1] == (
        "The workers cannot be reached right now; it will be compiled as soon as they can."
    )
    statement = Statement.objects.get()
    assert (statement.status, statement.progress) == ("queued", "unsent")


@pytest.mark.django_db(transaction=True)
def test_a_version_the_sweep_cannot_send_stays_due_for_the_next_sweep(enqueued):
    statement = queued_statement(
        MissionFactory(slug="mission-a"),
        status="compiling",
        attempts=1,
        lease_until=timezone.now() - datetime.timedelta(seconds=1),
    )
    tasks_module_task = tasks.statement_compile_task

    class BrokerDown:
        def delay(self, statement_id):
            raise kombu.exceptions.OperationalError("Error 111 connecting. Connection refused.")

    tasks.statement_compile_task = BrokerDown()
    try:
        assert statements_sweep() == [statement.pk]
    finally:
        tasks.statement_compile_task = tasks_module_task

    statement.refresh_from_db()
    assert (statement.status, statement.progress) == ("queued", "unsent")
    assert statement.lease_until <= timezone.now()
    assert statements_sweep() == [statement.pk]
    assert enqueued == [statement.pk]


@pytest.mark.django_db(transaction=True)
def test_after_the_broker_lost_its_data_the_sweep_resends_every_queued_version_at_once(
    redis_broker_url, enqueued
):
    statement = queued_statement(MissionFactory(slug="mission-a"))
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = redis_broker_url
    try:
        # The first sweep finds no mark: a restart it cannot tell from a first start.
        assert statements_sweep() == [statement.pk]
        # Its message is presumably in the broker now: not sent again.
        assert statements_sweep() == []
        # A Redis restart without persistence: the messages and the mark are gone.
        redis.Redis.from_url(redis_broker_url).flushdb()
        assert statements_sweep() == [statement.pk]
        assert statements_sweep() == []
    finally:
        celery_app.conf.broker_url = saved

    assert enqueued == [statement.pk, statement.pk]
