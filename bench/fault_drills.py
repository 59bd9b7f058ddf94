"""Fault drills for the statement jobs: crash things mid-job and time the recovery.

Starts its own Redis on a free loopback port (no persistence, like a default install), its own
PostgreSQL database (`observa_drills`, dropped and created again) with the demo mission, a
Celery worker and the beat that runs the sweep, all with the product's default settings
(lease 30 s, heartbeat 10 s, sweep every 10 s). Then, one after the other:

1. kills the prefork child compiling a statement (SIGKILL, mid-render);
2. kills the whole worker, children and all (SIGKILL), and starts a new one, as a supervisor
   would;
3. terminates the job's PostgreSQL connection (pg_terminate_backend) mid-render;
4. restarts Redis while statement jobs are queued in it (their messages are lost);
5. leaves files a worker killed before committing would leave, and waits for the sweep.

After each it checks every statement it asked for: ready, one document per format whose
file matches its SHA-256 checksum, no second set of documents, no second version, and no
file in the media folder that no document points to. It prints a table with the time to
recovery, and exits 1 if anything was lost, duplicated or orphaned, or a recovery took longer
than its goal (60 s; 2 minutes for the Redis restart).

    .venv/bin/python bench/fault_drills.py          # or: make drills

PostgreSQL must answer on 127.0.0.1:5432 (user postgres, or --pg-* options); redis-server
must be installed (it is started here, never the machine's own). Figures also go to
bench/out/fault_drills.json. Bounded: gives up after --budget seconds (default 600).
"""

import argparse
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
OUT = PROJECT / "bench" / "out"
DEMO_SLUG = "sco-kazakhstan-2022"
# Settings the drills must see at their defaults.
PRODUCT_SETTINGS = (
    "STATEMENT_LEASE_SECONDS",
    "STATEMENT_HEARTBEAT_SECONDS",
    "STATEMENT_SWEEP_SECONDS",
    "STATEMENT_RESEND_AFTER_SECONDS",
    "STATEMENT_TIME_LIMIT_SECONDS",
    "CELERY_VISIBILITY_TIMEOUT",
    "MEDIA_S3_BUCKET",
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--database", default="observa_drills")
    parser.add_argument("--budget", type=float, default=600, help="give up after this long (s)")
    parser.add_argument("--keep", action="store_true", help="keep the database and work folder")
    return parser.parse_args()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Budget:
    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def check(self) -> None:
        if self.left() <= 0:
            raise TimeoutError("the drills ran out of their time budget")


# ---------------------------------------------------------------------------------------------
# The services: Redis, PostgreSQL, the worker and beat


class Processes:
    """The processes the drills start, each in its own session, stopped by their own ids."""

    def __init__(self, work: Path, env: dict[str, str]):
        self.work = work
        self.env = env
        self.redis: subprocess.Popen | None = None
        self.redis_port = free_port()
        self.worker: subprocess.Popen | None = None
        self.workers_started = 0
        self.beat: subprocess.Popen | None = None

    def redis_start(self) -> None:
        data = self.work / "redis"
        data.mkdir(exist_ok=True)
        self.redis = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(data),
            ],
            stdout=open(self.work / "redis.log", "a"),  # noqa: SIM115 - kept for the process
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        import redis

        client = redis.Redis(port=self.redis_port, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server did not answer on port {self.redis_port}")

    def redis_kill(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.kill()
            self.redis.wait(timeout=10)

    def worker_start(self) -> None:
        self.workers_started += 1
        self.worker = subprocess.Popen(
            [
                str(PROJECT / ".venv" / "bin" / "celery"),
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"drills{self.workers_started}@%h",
            ],
            cwd=PROJECT,
            env=self.env,
            stdout=open(self.work / "worker.log", "a"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def worker_children(self) -> list[int]:
        if self.worker is None:
            return []
        try:
            text = Path(f"/proc/{self.worker.pid}/task/{self.worker.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def worker_kill(self) -> None:
        """SIGKILL the worker and its children at once (its own process group)."""
        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(timeout=10)

    def beat_start(self) -> None:
        self.beat = subprocess.Popen(
            [
                str(PROJECT / ".venv" / "bin" / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel=INFO",
                f"--schedule={self.work / 'beat-schedule'}",
            ],
            cwd=PROJECT,
            env=self.env,
            stdout=open(self.work / "beat.log", "a"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop_all(self) -> None:
        for process in (self.beat, self.worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            try:
                self.redis.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.redis.kill()


def database_recreate(args: argparse.Namespace) -> None:
    import psycopg
    from psycopg import sql

    name = sql.Identifier(args.database)
    with psycopg.connect(
        dbname="postgres", user=args.pg_user, host=args.pg_host, port=args.pg_port, autocommit=True
    ) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(name))


def database_drop(args: argparse.Namespace) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        dbname="postgres", user=args.pg_user, host=args.pg_host, port=args.pg_port, autocommit=True
    ) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.database))
        )


def manage(env: dict[str, str], *command: str) -> None:
    subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), *command],
        cwd=PROJECT,
        env=env,
        check=True,
        timeout=300,
        stdout=subprocess.DEVNULL,
    )


# ---------------------------------------------------------------------------------------------
# Asking, waiting, checking


@dataclass
class Outcome:
    drill: str
    statements: int
    lost: int = 0
    duplicates: int = 0
    bad_checksums: int = 0
    orphans: int = 0
    recovery_s: float | None = None
    goal_s: float = 60
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return (
            self.lost == 0
            and self.duplicates == 0
            and self.bad_checksums == 0
            and self.orphans == 0
            and self.recovery_s is not None
            and self.recovery_s <= self.goal_s
        )


def request(kind: str = "final", language: str = "en"):
    from missions.models import Mission
    from reports.statements.jobs import statement_request

    mission = Mission.objects.get(slug=DEMO_SLUG)
    return statement_request(mission=mission, kind=kind, language=language, requested_by=None)


def statuses(ids: list[int]) -> dict[int, tuple[str, str]]:
    from reports.models import Statement

    return {
        pk: (status, progress)
        for pk, status, progress in Statement.objects.filter(pk__in=ids).values_list(
            "pk", "status", "progress"
        )
    }


def wait_for(condition, *, timeout: float, poll: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return False


def wait_mid_render(statement_id: int, timeout: float = 60) -> bool:
    """Wait until the worker is rendering the version (the middle of the job)."""

    def rendering() -> bool:
        status, progress = statuses([statement_id])[statement_id]
        return status == "compiling" and progress.startswith("render:")

    return wait_for(rendering, timeout=timeout, poll=0.01)


def wait_ready(ids: list[int], timeout: float) -> float | None:
    """Seconds until every version is ready, from now; None if some are not in time."""
    started = time.monotonic()
    done = wait_for(
        lambda: all(status == "ready" for status, _p in statuses(ids).values()),
        timeout=timeout,
        poll=0.1,
    )
    return time.monotonic() - started if done else None


def media_files(media: Path) -> set[str]:
    root = media / "statements"
    if not root.exists():
        return set()
    return {str(path.relative_to(media)) for path in root.rglob("*") if path.is_file()}


def orphans_of(media: Path) -> set[str]:
    from reports.models import StatementDocument

    on_disk = media_files(media)  # listed first: a file recorded meanwhile is not an orphan
    recorded = set(StatementDocument.objects.values_list("file", flat=True))
    return on_disk - recorded


def check(outcome: Outcome, ids: list[int], media: Path, requested_versions: int) -> None:
    """Count what was lost, duplicated, corrupted and orphaned among the drill's versions."""
    from reports.models import Statement, StatementDocument

    formats = set(StatementDocument.Format.values)
    for statement in Statement.objects.filter(pk__in=ids).prefetch_related("documents"):
        documents = list(statement.documents.all())
        if statement.status != "ready" or {d.format for d in documents} != formats:
            outcome.lost += 1
            outcome.notes.append(f"statement {statement.pk}: {statement.status} {statement.error}")
        outcome.duplicates += len(documents) - len({d.format for d in documents})
        for document in documents:
            data = (media / document.file.name).read_bytes()
            if hashlib.sha256(data).hexdigest() != document.checksum or len(data) != document.size:
                outcome.bad_checksums += 1
    versions = Statement.objects.filter(mission__slug=DEMO_SLUG).count()
    outcome.duplicates += max(0, versions - requested_versions)


def orphans_settle(outcome: Outcome, media: Path, timeout: float) -> None:
    """Orphans left now are the sweep's to remove within a lease and a sweep: wait that long."""
    wait_for(lambda: not orphans_of(media), timeout=timeout, poll=0.5)
    outcome.orphans = len(orphans_of(media))


# ---------------------------------------------------------------------------------------------
# The drills


def drill_child_killed(processes: Processes, state: dict, settings) -> Outcome:
    outcome = Outcome("prefork child killed mid-compile", statements=1)
    for _try in range(5):
        statement = request()
        state["requested"] += 1
        if not wait_mid_render(statement.pk):
            break
        # Asking the worker which child runs the job takes a second's broadcast, longer than a
        # small statement renders: its prefork children are killed at once instead (the idle
        # one is replaced like the other).
        children = processes.worker_children()
        still_rendering = statuses([statement.pk])[statement.pk][0] == "compiling"
        if not children or not still_rendering:
            outcome.notes.append("the job finished before it could be killed; again")
            wait_ready([statement.pk], timeout=60)
            state["ids"].append(statement.pk)
            outcome.statements += 1
            continue
        for child in children:
            os.kill(child, signal.SIGKILL)
        killed_at = time.monotonic()
        if statuses([statement.pk])[statement.pk][0] == "ready":
            # It was done in the instant between the look and the kill: no crash to recover.
            outcome.notes.append("the job finished before it could be killed; again")
            state["ids"].append(statement.pk)
            outcome.statements += 1
            continue
        log(f"Killed children {children} while statement {statement.pk} was compiling.")
        state["ids"].append(statement.pk)
        waited = wait_ready([statement.pk], timeout=3 * outcome.goal_s)
        outcome.recovery_s = None if waited is None else time.monotonic() - killed_at
        return outcome
    outcome.notes.append("never caught a job mid-compile")
    return outcome


def drill_worker_killed(processes: Processes, state: dict, settings) -> Outcome:
    outcome = Outcome("whole worker killed (and restarted)", statements=1)
    statement = request()
    state["requested"] += 1
    state["ids"].append(statement.pk)
    if not wait_mid_render(statement.pk):
        outcome.notes.append("never caught the job mid-compile")
    processes.worker_kill()
    killed_at = time.monotonic()
    log(f"Killed the worker compiling statement {statement.pk}; starting a new one in 2 s.")
    time.sleep(2)  # a supervisor's restart delay
    processes.worker_start()
    waited = wait_ready([statement.pk], timeout=3 * outcome.goal_s)
    outcome.recovery_s = None if waited is None else time.monotonic() - killed_at
    return outcome


def drill_connection_terminated(processes: Processes, state: dict, settings) -> Outcome:
    from django.db import connection

    outcome = Outcome("job's database connection terminated", statements=1)
    statement = request()
    state["requested"] += 1
    state["ids"].append(statement.pk)
    if not wait_mid_render(statement.pk):
        outcome.notes.append("never caught the job mid-compile")
    # The job's connections: the last query they ran is about this version's row.
    mine = re.compile(rf'"reports_statement"\."id" = {statement.pk}\b')
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, query FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        backends = [pid for pid, query in cursor.fetchall() if mine.search(query or "")]
        for pid in backends:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    terminated_at = time.monotonic()
    log(f"Terminated {len(backends)} connection(s) of the job of statement {statement.pk}.")
    if not backends:
        outcome.notes.append("found no connection of the job to terminate")
    waited = wait_ready([statement.pk], timeout=3 * outcome.goal_s)
    outcome.recovery_s = None if waited is None else time.monotonic() - terminated_at
    return outcome


def drill_redis_restarted(processes: Processes, state: dict, settings) -> Outcome:
    import redis

    outcome = Outcome("Redis restarted with jobs queued", statements=5, goal_s=120)
    asked = [
        ("final", "en"),
        ("preliminary", "en"),
        ("briefing", "en"),
        ("final", "ru"),
        ("preliminary", "ru"),
    ]
    ids = []
    for kind, language in asked:
        ids.append(request(kind, language).pk)
    state["requested"] += len(ids)
    state["ids"].extend(ids)
    client = redis.Redis(port=processes.redis_port)
    queued = client.llen("celery")
    processes.redis_kill()
    processes.redis_start()
    restarted_at = time.monotonic()
    not_started = sum(status == "queued" for status, _p in statuses(ids).values())
    log(
        f"Restarted Redis with {queued} job message(s) in its queue "
        f"({not_started} of {len(ids)} versions not started)."
    )
    outcome.notes.append(f"{queued} messages were queued in Redis when it restarted")
    waited = wait_ready(ids, timeout=2 * outcome.goal_s)
    outcome.recovery_s = None if waited is None else time.monotonic() - restarted_at
    return outcome


def drill_files_left_behind(processes: Processes, state: dict, settings) -> Outcome:
    """What a worker killed between writing a version's files and recording them leaves."""
    outcome = Outcome("files left by a worker killed before committing", statements=0)
    media = Path(settings.MEDIA_ROOT)
    folder = media / "statements" / DEMO_SLUG
    folder.mkdir(parents=True, exist_ok=True)
    left = []
    for file_format in ("html", "pdf", "docx"):
        path = folder / f"final-v99-en-{secrets.token_hex(6)}.{file_format}"
        path.write_bytes(b"written, never recorded")
        left.append(path)
    started = time.monotonic()
    log(f"Left {len(left)} files no document points to; waiting for the sweep.")
    removed = wait_for(lambda: not any(p.exists() for p in left), timeout=3 * outcome.goal_s)
    outcome.recovery_s = time.monotonic() - started if removed else None
    return outcome


DRILLS = [
    drill_child_killed,
    drill_worker_killed,
    drill_connection_terminated,
    drill_redis_restarted,
    drill_files_left_behind,
]


# ---------------------------------------------------------------------------------------------


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| drill | statements | lost | duplicates | bad checksums | orphan files "
        "| recovery | goal | result |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for o in outcomes:
        recovery = "—" if o.recovery_s is None else f"{o.recovery_s:.1f} s"
        lines.append(
            f"| {o.drill} | {o.statements} | {o.lost} | {o.duplicates} | {o.bad_checksums} "
            f"| {o.orphans} | {recovery} | {o.goal_s:.0f} s | {'pass' if o.passed else 'FAIL'} |"
        )
    return "\n".join(lines)


def main() -> int:
    args = parse_args()
    budget = Budget(args.budget)
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is not installed (apt-get install redis-server).")
    work = Path(tempfile.mkdtemp(prefix="observa-drills-"))
    media = work / "media"
    media.mkdir()
    processes = Processes(work, {})
    for name in (*PRODUCT_SETTINGS, "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "DATABASE_URL": (
                f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/{args.database}"
            ),
            "REDIS_URL": f"redis://127.0.0.1:{processes.redis_port}/0",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SECURE_SSL_REDIRECT": "false",
            "MEDIA_ROOT": str(media),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOG_LEVEL": "INFO",
        }
    )
    processes.env = dict(os.environ)
    outcomes: list[Outcome] = []
    try:
        log(f"Work folder {work}; Redis on 127.0.0.1:{processes.redis_port}.")
        processes.redis_start()
        database_recreate(args)
        manage(processes.env, "migrate", "--noinput", "-v", "0")
        manage(processes.env, "load_demo")
        sys.path.insert(0, str(PROJECT))
        import django

        django.setup()
        from django.conf import settings

        import config.celery  # noqa: F401  (the app the tasks are sent with)

        log(
            f"Lease {settings.STATEMENT_LEASE_SECONDS} s, heartbeat "
            f"{settings.STATEMENT_HEARTBEAT_SECONDS} s, sweep every "
            f"{settings.STATEMENT_SWEEP_SECONDS} s, resend after "
            f"{settings.STATEMENT_RESEND_AFTER_SECONDS} s."
        )
        processes.worker_start()
        processes.beat_start()
        state = {"requested": 0, "ids": []}
        warm = request()
        state["requested"] += 1
        took = wait_ready([warm.pk], timeout=min(120, budget.left()))
        if took is None:
            raise RuntimeError(f"the first statement was not compiled; see {work}/worker.log")
        log(f"The worker started and compiled a first statement in {took:.1f} s.")
        for drill in DRILLS:
            budget.check()
            before = len(state["ids"])
            log(f"Drill: {drill.__name__.removeprefix('drill_').replace('_', ' ')}")
            outcome = drill(processes, state, settings)
            ids = state["ids"][before:]
            outcome.statements = len(ids) if ids else outcome.statements
            check(outcome, ids, media, state["requested"])
            orphans_settle(
                outcome,
                media,
                timeout=min(
                    budget.left(),
                    settings.STATEMENT_LEASE_SECONDS + 2 * settings.STATEMENT_SWEEP_SECONDS,
                ),
            )
            outcomes.append(outcome)
            recovery = "—" if outcome.recovery_s is None else f"{outcome.recovery_s:.1f} s"
            log(f"  recovered in {recovery}: {'pass' if outcome.passed else 'FAIL'}")
    except Exception as error:
        log(f"The drills stopped: {error!r}; logs in {work}")
        outcomes.append(Outcome(f"stopped: {error}", statements=0))
        args.keep = True
    finally:
        processes.stop_all()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
    print()
    print(table(outcomes))
    for outcome in outcomes:
        for note in outcome.notes:
            print(f"- {outcome.drill}: {note}")
    totals = {
        "lost": sum(o.lost for o in outcomes),
        "duplicates": sum(o.duplicates for o in outcomes),
        "orphans": sum(o.orphans for o in outcomes),
    }
    print(
        f"\nTotal: {totals['lost']} lost, {totals['duplicates']} duplicate documents, "
        f"{totals['orphans']} orphan files."
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "fault_drills.json").write_text(
        json.dumps([asdict(o) | {"passed": o.passed} for o in outcomes], indent=2)
    )
    if args.keep:
        print(f"Kept the database {args.database} and {work}.")
    else:
        database_drop(args)
        shutil.rmtree(work, ignore_errors=True)
    return 0 if outcomes and all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
