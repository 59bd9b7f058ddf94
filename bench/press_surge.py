"""The press at the embargo lift: the public loading `/press/` and downloading the statement.

What it measures
    Many anonymous readers (journalists, the public) GET the press page and a released
    statement's PDF at once, from gunicorn sync workers in production mode (DEBUG off,
    WhiteNoise, the product's middleware), beside a static file of the same size that
    WhiteNoise serves from the same workers: the most these workers can do for a file.
    Phases alternate, because the machine is shared and noisy: `/press/` listing 2 statements,
    the static file, the PDF download, `/press/` listing 50 statements (the 48 more published
    just before it), then the 48 withdrawn again for the next round. For each phase it
    reports requests/s, p50/p95/p99 latency, errors and the CPU the gunicorn workers, the
    PostgreSQL backends and the load generator spent per request.

    Every answer is checked: 200, the press page listing exactly the statements published
    at that moment (three download links each), the file's bytes the stored size.

How to run it (from the project root; PostgreSQL on 127.0.0.1:5432, user postgres, trust auth,
Redis on loopback)
    .venv/bin/python bench/press_surge.py --clients 64 --seconds 10

    The script uses its own database (`observa_bench_press`, dropped, created and migrated
    afresh at every run) and the Redis database `--redis-url` names (the product's cache,
    which tells every worker when the public's list changes; default REDIS_URL, else
    redis://127.0.0.1:6379/0); it sets DEBUG=false and a generated SECRET_KEY itself.
    Everything runs on loopback; every phase is bounded in time and in requests; gunicorn is
    stopped at the end, also on Ctrl-C. Figures go to stdout and bench/out/press_surge.json;
    the exit status is 0 when the goal is met, 1 when it is missed.

Goal
    `/press/` with 50 statements at no less than half its rate with 2, the PDF download at no
    less than half the static file's rate, at 64 clients, with no error.
"""

import argparse
import hashlib
import http.client
import ipaddress
import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from bench import visit_surge  # noqa: E402
from bench.visit_surge import (  # noqa: E402
    cpu_seconds,
    database_recreate,
    free_port,
    gunicorn_start,
    gunicorn_stop,
    manage,
    percentile,
    postgres_pids,
    worker_pids,
)

OUT = PROJECT / "bench" / "out" / "press_surge.json"
WORK = Path("/tmp/observa_bench_press")
SETTINGS = "bench.ceiling.settings"
STATIC_NAME = "bench-press-statement.pdf"
FEW, MANY = 2, 50
ERROR_SAMPLES = 3


def parse_args() -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64, help="concurrent readers (64)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of a phase (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up per path, s (2)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of the four phases (1)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per phase")
    parser.add_argument(
        "--workers", type=int, default=2 * cores + 1, help="gunicorn sync workers (2×cores+1)"
    )
    parser.add_argument("--pdf-kb", type=int, default=64, help="size of the PDF, KiB (64)")
    parser.add_argument("--content-kb", type=int, default=13, help="compiled content, KiB (13)")
    parser.add_argument(
        "--database", default="observa_bench_press", help="dropped and recreated at every run"
    )
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    )
    parser.add_argument("--app", default="config.wsgi:application")
    args = parser.parse_args()
    if not args.database.startswith("observa_bench_press"):
        parser.error("--database must start with observa_bench_press: it is dropped at every run")
    redis_host = urllib.parse.urlsplit(args.redis_url).hostname or ""
    for host in (args.pg_host, redis_host):
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            parser.error(f"{host!r} is not a loopback address: the benchmark stays on loopback")
    for name in ("clients", "workers", "rounds", "max_requests", "pdf_kb"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not (0 < args.seconds <= 600 and 0 <= args.warmup <= 60):
        parser.error("--seconds must be in (0, 600], --warmup in [0, 60]")
    return args


def environment_set(args: argparse.Namespace) -> dict[str, str]:
    WORK.mkdir(parents=True, exist_ok=True)
    visit_surge.WORK = WORK  # gunicorn's log goes beside this benchmark's files
    env = {
        "DATABASE_URL": f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/{args.database}",
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "MEDIA_ROOT": str(WORK / "media"),
        "BENCH_STATIC_ROOT": str(WORK / "static"),
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": SETTINGS,
    }
    for name in ("CSRF_TRUSTED_ORIGINS", "BEHIND_TLS_PROXY", "TIME_ZONE", "DOWNLOAD_OFFLOAD"):
        os.environ.pop(name, None)
    os.environ.update(env)
    return dict(os.environ)


# --------------------------------------------------------------------------------------------
# The statements


def pdf_bytes(kb: int) -> bytes:
    body = hashlib.shake_256(b"observa press surge").digest(kb * 1024 - 16)
    return b"%PDF-1.7\n%bench\n" + body


def missions_build(count: int) -> list:
    import datetime

    from missions.models import Mission

    start = datetime.date(2026, 3, 1)
    return [
        Mission.objects.create(
            organisation="Benchmark Observation Organisation",
            organisation_acronym="BOO",
            name=f"Press surge mission {n:02d}",
            slug=f"press-surge-{n:02d}",
            status=Mission.Status.DEPLOYED,
            starts_on=start + datetime.timedelta(days=n),
            ends_on=start + datetime.timedelta(days=n + 10),
            time_zone="Asia/Almaty",
        )
        for n in range(count)
    ]


def statements_publish(slots: list[tuple], pdf: bytes, content: dict) -> list[int]:
    """Publish one released statement with HTML, PDF and DOCX files in each slot."""
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from reports.models import Statement, StatementDocument

    files = {"html": b"<p>statement</p>" * 400, "pdf": pdf, "docx": b"PK\x03\x04" + pdf[4:]}
    ids = []
    for mission, kind, language in slots:
        statement = Statement.objects.create(
            mission=mission,
            kind=kind,
            language=language,
            version=1,
            status=Statement.Status.PUBLISHED,
            dated_on=datetime.date(2026, 3, 16),
            published_at=timezone.now(),
            content=content,
        )
        for file_format, data in files.items():
            StatementDocument.objects.create(
                statement=statement,
                format=file_format,
                file=ContentFile(data, name=f"statements/{statement.pk}.{file_format}"),
                checksum=hashlib.sha256(data).hexdigest(),
                size=len(data),
            )
        ids.append(statement.pk)
    return ids


def world_build(args: argparse.Namespace) -> dict:
    from django.conf import settings

    kinds = ["final", "preliminary", "briefing"]
    languages = [code for code, _name in settings.LANGUAGES]
    per_mission = len(kinds) * len(languages)
    missions = missions_build(-(-MANY // per_mission))
    slots = [(m, k, lang) for m in missions for k in kinds for lang in languages][:MANY]
    content = {"blocks": [{"text": "x" * 200, "evidence": list(range(20))}] * 40}
    while len(json.dumps(content)) < args.content_kb * 1024:
        content["blocks"].append({"text": "y" * 200, "evidence": list(range(20))})
    pdf = pdf_bytes(args.pdf_kb)
    few = statements_publish(slots[:FEW], pdf, content)
    (WORK / "static").mkdir(parents=True, exist_ok=True)
    (WORK / "static" / STATIC_NAME).write_bytes(pdf)
    return {"slots": slots, "few": few, "pdf": pdf, "content": content, "more": []}


def grow(world: dict) -> None:
    world["more"] = statements_publish(world["slots"][FEW:], world["pdf"], world["content"])


def shrink(world: dict) -> None:
    from reports.models import Statement

    for statement in Statement.objects.filter(pk__in=world["more"]):
        statement.delete()  # one by one, as withdrawing does: each forgets the public's list
    world["more"] = []


# --------------------------------------------------------------------------------------------
# Load


class Phase:
    def __init__(self, name: str, kind: str, path: str, check):
        self.name, self.kind, self.path, self.check = name, kind, path, check
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors = 0
        self.error_samples: list[str] = []
        self.bytes = 0
        self.elapsed = 0.0
        self.cpu: dict[str, float] = {}

    def record(self, status: int, body: bytes, latency: float) -> None:
        problem = None if status == 200 else f"HTTP {status}"
        if problem is None:
            problem = self.check(body)
        with self.lock:
            self.latencies.append(latency)
            self.bytes += len(body)
            if problem:
                self.errors += 1
                if len(self.error_samples) < ERROR_SAMPLES:
                    self.error_samples.append(problem[:300])


def fetch(connection: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    connection.request("GET", path, headers={"Accept-Language": "en"})
    response = connection.getresponse()
    body = response.read()
    if response.will_close:
        connection.close()
    return response.status, body


def reader(port: int, phase: Phase, deadline: float, budget: list, lock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        while time.monotonic() < deadline:
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            started = time.perf_counter()
            try:
                status, body = fetch(connection, phase.path)
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status, body = 0, repr(error).encode()
            phase.record(status, body, time.perf_counter() - started)
    finally:
        connection.close()


def phase_run(phase: Phase, seconds: float, args, port: int, gunicorn) -> Phase:
    workers = worker_pids(gunicorn.pid)
    backends = postgres_pids(args.database)
    server_before, pg_before = cpu_seconds(workers), cpu_seconds(backends)
    client_before = time.process_time()
    started = time.monotonic()
    budget, lock = [args.max_requests], threading.Lock()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        futures = [
            pool.submit(reader, port, phase, started + seconds, budget, lock)
            for _ in range(args.clients)
        ]
        for future in futures:
            future.result(timeout=seconds + 120)
    phase.elapsed = time.monotonic() - started
    server_after = cpu_seconds(worker_pids(gunicorn.pid))
    pg_after = cpu_seconds(postgres_pids(args.database))
    phase.cpu = {
        "gunicorn": sum(t - server_before.get(p, 0.0) for p, t in server_after.items()),
        "postgres": sum(t - pg_before.get(p, 0.0) for p, t in pg_after.items()),
        "client": time.process_time() - client_before,
    }
    return phase


def summary(phase: Phase) -> dict:
    ordered = sorted(phase.latencies)
    count = len(ordered)
    return {
        "phase": phase.name,
        "kind": phase.kind,
        "path": phase.path,
        "requests": count,
        "seconds": round(phase.elapsed, 3),
        "requests_per_s": round(count / phase.elapsed, 1) if phase.elapsed else 0.0,
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 1),
        "p95_ms": round(percentile(ordered, 0.95) * 1000, 1),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 1),
        "errors": phase.errors,
        "mb_per_s": round(phase.bytes / phase.elapsed / 1e6, 1) if phase.elapsed else 0.0,
        "cpu_ms_per_request": {
            k: round(v / count * 1000, 2) if count else None for k, v in phase.cpu.items()
        },
        "error_samples": phase.error_samples,
    }


def table(summaries: list[dict]) -> str:
    head = (
        f"{'phase':<24}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'MB/s':>7}   cpu ms/req: gunicorn / postgres / client"
    )
    lines = [head, "-" * len(head)]
    for s in summaries:
        cpu = s["cpu_ms_per_request"]
        lines.append(
            f"{s['phase']:<24}{s['requests']:>9}{s['requests_per_s']:>9.1f}{s['p50_ms']:>9.1f}"
            f"{s['p95_ms']:>9.1f}{s['p99_ms']:>9.1f}{s['errors']:>8}{s['mb_per_s']:>7.1f}   "
            f"{cpu['gunicorn'] or 0:.2f} / {cpu['postgres'] or 0:.2f} / {cpu['client'] or 0:.2f}"
        )
    return "\n".join(lines)


def listing(expected: int):
    def check(body: bytes) -> str | None:
        found = body.count(b'href="/press/statements/')
        if found != 3 * expected:
            return f"/press/ lists {found // 3} statements, not {expected}"
        return None

    return check


def exact(data: bytes):
    def check(body: bytes) -> str | None:
        return None if body == data else f"{len(body)} bytes, not the {len(data)} stored"

    return check


def main() -> int:
    args = parse_args()
    env = environment_set(args)
    command = " ".join([".venv/bin/python", "bench/press_surge.py", *sys.argv[1:]])
    print(f"Preparing database {args.database} on {args.pg_host}:{args.pg_port} …", flush=True)
    database_recreate(args)
    manage(env, "migrate", "--noinput", "-v", "0")

    import django

    django.setup()
    from django.db import connection

    world = world_build(args)
    connection.close()
    download = f"/press/statements/{world['few'][0]}/pdf/"
    static = f"/static/{STATIC_NAME}"
    load_before = os.getloadavg()

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    phases: list[Phase] = []
    gunicorn = None
    try:
        port = free_port()
        gunicorn = gunicorn_start(args, env, port)
        print(
            f"gunicorn on 127.0.0.1:{port}: {args.workers} sync workers, {os.cpu_count()} cores; "
            f"{args.clients} clients; PDF and static file {len(world['pdf']) // 1024} KiB.",
            flush=True,
        )

        def run(name, kind, path, check, seconds):
            print(f"Phase {name}: {seconds:g} s …", flush=True)
            phases.append(phase_run(Phase(name, kind, path, check), seconds, args, port, gunicorn))

        few, many, file_check = listing(FEW), listing(MANY), exact(world["pdf"])
        if args.warmup:
            run("warm-up /press/ (2)", "press-2", "/press/", few, args.warmup)
            run("warm-up static", "static", static, file_check, args.warmup)
            run("warm-up download", "download", download, file_check, args.warmup)
        letters = iter("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for round_ in range(args.rounds):
            if round_:
                shrink(world)
            run(f"{next(letters, '+')} /press/ (2 listed)", "press-2", "/press/", few, args.seconds)
            run(f"{next(letters, '+')} static file", "static", static, file_check, args.seconds)
            run(
                f"{next(letters, '+')} PDF download", "download", download, file_check, args.seconds
            )
            grow(world)
            run(
                f"{next(letters, '+')} /press/ (50 listed)",
                "press-50",
                "/press/",
                many,
                args.seconds,
            )
    except KeyboardInterrupt:
        print("\nInterrupted: stopping gunicorn.", file=sys.stderr)
        gunicorn_stop(gunicorn)
        return 130
    finally:
        gunicorn_stop(gunicorn)
    load_after = os.getloadavg()
    connection.close()

    summaries = [summary(p) for p in phases]
    measured = [s for s in summaries if not s["phase"].startswith("warm")]

    def rate(kind: str) -> float:
        rates = [s["requests_per_s"] for s in measured if s["kind"] == kind]
        return sum(rates) / len(rates) if rates else 0.0

    press_ratio = rate("press-50") / rate("press-2") if rate("press-2") else 0.0
    download_ratio = rate("download") / rate("static") if rate("static") else 0.0
    errors = sum(p.errors for p in phases)
    met = press_ratio >= 0.5 and download_ratio >= 0.5 and errors == 0

    print()
    print(table(summaries))
    for s in summaries:
        for sample in s["error_samples"]:
            print(f"  {s['phase']}: {sample}")
    print()
    print(f"/press/ with 50 ÷ with 2      {press_ratio:6.2f}   (goal ≥ 0.50)")
    print(f"PDF download ÷ static file    {download_ratio:6.2f}   (goal ≥ 0.50)")
    print(f"errors {errors}")
    print(
        "load average before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(
            *load_before, *load_after
        )
    )
    print(f"goal {'MET' if met else 'MISSED'}")
    print(f"command: {command}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "command": command,
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
                "load_average": {"before": load_before, "after": load_after},
                "parameters": {
                    k: v for k, v in vars(args).items() if k not in ("pg_user", "redis_url")
                },
                "phases": summaries,
                "press_ratio": round(press_ratio, 3),
                "download_ratio": round(download_ratio, 3),
                "errors": errors,
                "goal": {"press_ratio": 0.5, "download_ratio": 0.5, "errors": 0, "met": met},
            },
            indent=2,
        )
        + "\n"
    )
    print(f"JSON: {OUT.relative_to(PROJECT)}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
