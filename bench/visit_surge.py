"""Election-day surge: observers filing full voting checklists at once, against a ceiling.

What it measures
    Many observers on their phones POST a complete voting checklist (every question answered,
    station, arrival and departure on election day, voter counts, a fresh submission key) to
    `/missions/<slug>/visits/new/` at the same time, then load the visit's page the answer
    redirects them to: POST and GET are timed as one submission, as a phone lives them.
    Beside it, in the same run and from the same gunicorn workers, it measures two references:

    - the floor (`bench/ceiling/floor.py`): a view behind login and CSRF that takes the same
      multipart body, looks up the participation and the station, and inserts the same rows
      (the visit, its answers with bulk_create, its incident, observer and history rows) in
      one transaction — the fastest honest write of a submission's data;
    - the bare insert (`bench/ceiling/urls.py`): one row, no session, what any Django write
      costs at least on this machine;
    - the least pair: the floor's POST followed, as a submission is, by the least page a
      phone could be redirected to (behind login: the participation and the visit's row
      read, a line of text answered). Its rate ÷ the floor's is the most the submissions'
      ratio could reach with a form that validated nothing and a page that showed nothing.

    All go through the product's full middleware (bench/ceiling/settings.py).
    Phases alternate, because the machine is shared and noisy: warm-up, A floor, B bare
    insert, C least pair, D submissions, E floor again (`--rounds 2` adds F least pair,
    G submissions, H floor). For each
    phase it reports requests/s, p50/p95/p99 latency and errors, and the CPU the gunicorn
    workers, the PostgreSQL backends and the load generator itself spent per request.

    A fraction of the submissions (`--retry-fraction`, 5 %) is sent twice with the same key,
    as a phone retrying after a dropped connection: half of them right after the first answer,
    half racing the first on a second connection; the floor gets the same. Afterwards the
    database is checked, for the floor's and the least pair's visits as for the product's:
    visits filed == distinct keys accepted, every retry redirected to the visit its first
    sending created, every visit has all its answers, the bare insert's table has one row
    per 204.

How to run it (from the project root; PostgreSQL on 127.0.0.1:5432, user postgres, trust auth)
    .venv/bin/python bench/visit_surge.py --clients 32 --seconds 20

    DATABASE_URL is not needed: the script uses its own database (`observa_bench_surge`,
    dropped, created and migrated afresh at every run) and sets DEBUG=false, a
    generated SECRET_KEY, ALLOWED_HOSTS=127.0.0.1 and SECURE_SSL_REDIRECT=false itself.
    It needs gunicorn, which the project installs (`make install`). Everything runs on
    loopback; every phase is bounded in time and in requests; gunicorn is stopped at the end,
    also on Ctrl-C. Figures go to stdout and to bench/out/visit_surge.json; the exit status is
    0 when the goal is met, 1 when it is missed.

    Options worth knowing: `--rounds N` (more alternation on a noisy machine), `--workers`
    (default 2×cores+1 sync workers), `--urlencoded` (instead of the browser's multipart),
    `--login-ceiling` (also time the bare insert behind login_required: what the session and
    user loads alone cost), `--app module:application` (serve another WSGI module found on
    PYTHONPATH, to time a change before making it).

Goal
    Submissions (POST + the page after it) at no less than 0.85 of the floor's rate, their p99
    under 300 ms, zero errors and zero duplicate visits (`make bench-surge`: 32 clients).
"""

import argparse
import http.client
import ipaddress
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
OUT = PROJECT / "bench" / "out" / "visit_surge.json"
WORK = Path("/tmp/observa_bench_surge")
SETTINGS = "bench.ceiling.settings"
SLUG = "surge-2026"
CEILING_PATH = "/bench/insert/"
LOGIN_CEILING_PATH = "/bench/insert-logged-in/"
FLOOR_PATH = f"/bench/floor/{SLUG}/visits/new/"
PING_PATH = "/bench/ping/"
ERROR_SAMPLES = 3
GOAL_RATIO = 0.85  # submissions (POST + the page it redirects to) ÷ the floor
GOAL_P99_MS = 300
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------------------------
# Environment and database


def parse_args() -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent observers (32)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of a phase (20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up per path, s (3)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="visit phases, each between two ceilings (1)"
    )
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per phase")
    parser.add_argument(
        "--workers", type=int, default=2 * cores + 1, help="gunicorn sync workers (2×cores+1)"
    )
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--observers", type=int, default=200)
    parser.add_argument("--retry-fraction", type=float, default=0.05)
    parser.add_argument(
        "--incident-fraction", type=float, default=0.10, help="visits reporting one incident"
    )
    parser.add_argument(
        "--urlencoded", action="store_true", help="send urlencoded, not multipart like a browser"
    )
    parser.add_argument(
        "--database", default="observa_bench_surge", help="dropped and recreated at every run"
    )
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument(
        "--login-ceiling",
        action="store_true",
        help="also measure the bare insert behind login_required (session + user loads)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--app",
        default="config.wsgi:application",
        help="WSGI application gunicorn serves (to try a change: a module on PYTHONPATH)",
    )
    args = parser.parse_args()
    if not args.database.startswith("observa_bench_surge"):
        parser.error("--database must start with observa_bench_surge: it is dropped at every run")
    if not ipaddress.ip_address(args.pg_host).is_loopback:
        parser.error("--pg-host must be a loopback address")
    for name in ("clients", "workers", "stations", "observers", "rounds", "max_requests"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not (0 < args.seconds <= 600 and 0 <= args.warmup <= 60):
        parser.error("--seconds must be in (0, 600], --warmup in [0, 60]")
    if not (0 <= args.retry_fraction <= 1 and 0 <= args.incident_fraction <= 1):
        parser.error("fractions are between 0 and 1")
    return args


def gunicorn_check() -> None:
    import importlib.util

    if importlib.util.find_spec("gunicorn") is None:
        sys.exit(
            "gunicorn is not installed in this virtualenv. Install it with\n"
            f"    {sys.executable} -m pip install gunicorn\n"
            "and run the benchmark again."
        )


def environment_set(args: argparse.Namespace) -> dict[str, str]:
    """The product's settings as production has them, on loopback and the benchmark's DB."""
    WORK.mkdir(parents=True, exist_ok=True)
    env = {
        "DATABASE_URL": f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/{args.database}",
        "DEBUG": "false",
        "EMBEDDED_SERVICES": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "MEDIA_ROOT": str(WORK / "media"),
        "BENCH_STATIC_ROOT": str(WORK / "static"),
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": SETTINGS,
    }
    for name in ("REDIS_URL", "CSRF_TRUSTED_ORIGINS", "BEHIND_TLS_PROXY", "TIME_ZONE"):
        os.environ.pop(name, None)
    os.environ.update(env)
    if str(PROJECT) not in sys.path:
        sys.path.insert(0, str(PROJECT))
    return dict(os.environ)


def database_recreate(args: argparse.Namespace) -> None:
    """Drop the benchmark's own database and create it empty: every run starts the same.

    Migrations are applied from scratch, so a migration history rewritten since the last run
    (an edited 0001 during development) cannot stop the benchmark.
    """
    import psycopg
    from psycopg import sql

    name = sql.Identifier(args.database)
    with psycopg.connect(
        dbname="postgres", user=args.pg_user, host=args.pg_host, port=args.pg_port, autocommit=True
    ) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(name))


def manage(env: dict[str, str], *command: str) -> None:
    subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), *command],
        cwd=PROJECT,
        env=env,
        check=True,
        timeout=600,
    )


def database_prepare(args: argparse.Namespace, env: dict[str, str]) -> None:
    database_recreate(args)
    manage(env, "migrate", "--noinput", "-v", "0")
    (WORK / "static").mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from here


# --------------------------------------------------------------------------------------------
# The mission at election scale


def checklist_build(mission):
    """The standard voting checklist if the project has it, else a 35-question one."""
    from reports.models import Checklist, Question, Section

    path = PROJECT / "reports" / "standard_checklists" / "voting.yaml"
    try:
        from reports.checklist_files import checklist_load
    except ImportError:
        checklist_load = None
    if checklist_load is not None and path.exists():
        try:
            checklist = checklist_load(
                mission=mission, text=path.read_text("utf-8"), source=path.name
            )
            return checklist, "reports/standard_checklists/voting.yaml"
        except Exception as error:  # the file or the loader is someone else's work in progress
            print(f"Could not load {path.name} ({error}); building a 35-question checklist.")

    checklist = Checklist.objects.create(
        mission=mission, code="voting", version=1, title="Voting", phase="voting"
    )
    titles = ["Polling station", "Voter identification", "Secrecy", "Ballot box", "Conduct"]
    sections = Section.objects.bulk_create(
        [Section(checklist=checklist, position=i, title=t) for i, t in enumerate(titles)]
    )
    questions = []
    for i in range(35):
        section = sections[i * len(sections) // 35]
        extra = {"kind": "yes_no", "concern_answers": ["no"], "severity": "minor"}
        if i % 12 == 5:
            extra = {
                "kind": "single",
                "choices": [["calm", "Calm"], ["tense", "Tense"], ["hostile", "Hostile"]],
                "concern_answers": ["tense", "hostile"],
                "severity": "serious",
            }
        elif i % 12 == 8:
            extra = {
                "kind": "multiple",
                "choices": [["queue", "Long queue"], ["secrecy", "Secrecy"], ["crowd", "Crowd"]],
                "concern_answers": ["secrecy"],
                "required": False,
            }
        elif i % 12 == 10:
            extra = {"kind": "number", "min_value": 0, "max_value": 5000, "concern_above": 50}
        elif i == 33:
            extra = {"kind": "time", "required": False}
        elif i == 34:
            extra = {"kind": "text", "required": False}
        questions.append(
            Question(
                checklist=checklist,
                section=section,
                position=i,
                code=f"q{i:02d}",
                text=f"Question {i}?",
                **extra,
            )
        )
    Question.objects.bulk_create(questions)
    return checklist, "built with the ORM (35 questions)"


def mission_build(args: argparse.Namespace) -> dict:
    """A mission, its election, stations, accredited observers logged in, and a checklist."""
    import datetime

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    from missions.models import Election, Mission
    from observers.models import Delegation, Observer, Participation
    from reports import selectors
    from stations.models import PollingStation

    day = datetime.date(2026, 3, 15)
    mission = Mission.objects.create(
        organisation="Benchmark Observation Organisation",
        organisation_acronym="BOO",
        name="Election-day surge benchmark",
        slug=SLUG,
        status=Mission.Status.DEPLOYED,
        starts_on=day - datetime.timedelta(days=6),
        ends_on=day + datetime.timedelta(days=1),
        time_zone="Asia/Almaty",
    )
    election = Election.objects.create(
        mission=mission, country="Benchmarkistan", kind="presidential", election_day=day
    )
    PollingStation.objects.bulk_create(
        PollingStation(
            election=election,
            number=str(n),
            name=f"School No. {n}",
            address=f"{n} Main Street",
            registered_voters=1000 + (n * 37) % 2000,
        )
        for n in range(1, args.stations + 1)
    )
    delegation = Delegation.objects.create(mission=mission, name="Benchmark", kind="other")
    User = get_user_model()
    password = make_password(secrets.token_urlsafe(16))  # hashed once, shared: nobody logs in
    users = User.objects.bulk_create(
        User(username=f"surge{n:04d}", email=f"surge{n:04d}@example.org", password=password)
        for n in range(args.observers)
    )
    observers = Observer.objects.bulk_create(
        Observer(full_name=f"Observer {n:04d}", country="Benchmarkland")
        for n in range(args.observers)
    )
    Participation.objects.bulk_create(
        Participation(
            mission=mission,
            observer=observer,
            delegation=delegation,
            position=n,
            accreditation=Participation.Accreditation.ACCREDITED,
            accreditation_number=f"B-{n:04d}",
            user=user,
        )
        for n, (user, observer) in enumerate(zip(users, observers, strict=True))
    )
    checklist, checklist_source = checklist_build(mission)
    questions = selectors.questions_of(checklist)

    identities = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        secret = _get_new_csrf_string()
        identities.append(
            {
                "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}; "
                f"{settings.CSRF_COOKIE_NAME}={secret}",
                "csrf": _mask_cipher_secret(secret),
            }
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_ceiling ("
            " id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),"
            " payload text NOT NULL)"
        )
        cursor.execute("TRUNCATE bench_ceiling")
        cursor.execute("ANALYZE")
    return {
        "mission_id": mission.pk,
        "day": day,
        "checklist_id": checklist.pk,
        "checklist_source": checklist_source,
        "rules": checklist.rules,
        "questions": [
            {
                "code": q.code,
                "kind": q.kind,
                "choices": q.choice_values,
                "min": float(q.min_value) if q.min_value is not None else 0.0,
                "max": float(q.max_value) if q.max_value is not None else 500.0,
            }
            for q in questions
        ],
        "identities": identities,
        "stations": [str(n) for n in range(1, args.stations + 1)],
    }


# --------------------------------------------------------------------------------------------
# Gunicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(args: argparse.Namespace, env: dict[str, str], port: int) -> subprocess.Popen:
    log = WORK / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", args.app,
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers),
        "--worker-class", "sync",
        "--backlog", "2048",
        "--timeout", "60",
        "--graceful-timeout", "5",
        "--chdir", str(PROJECT),
        "--error-logfile", str(log),
        "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=PROJECT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}; see {log}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", PING_PATH)
            if connection.getresponse().status == 204:
                connection.close()
                if len(worker_pids(process.pid)) >= args.workers:
                    return process
        except OSError:
            pass
        time.sleep(0.2)
    gunicorn_stop(process)
    sys.exit(f"gunicorn did not answer on 127.0.0.1:{port} within 60 s; see {log}")


def gunicorn_stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # the master stops its workers
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def worker_pids(master: int) -> list[int]:
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in text.split()]


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU of each process, from /proc (Linux)."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return seconds


def postgres_pids(database: str) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        return [row[0] for row in cursor.fetchall()]


# --------------------------------------------------------------------------------------------
# Load generation


def rules_keep(world: dict, values: dict[str, list[str]]) -> None:
    """Make random answers keep the checklist's rules between answers, as an observer's do.

    For each rule whose `when` holds and whose `require` does not, the required question is
    answered the way the rule asks (reports/rules.py reads the same conditions).
    """
    from reports.rules import condition_holds

    kinds = {q["code"]: q for q in world["questions"]}

    def value(code: str):
        chosen = values.get(code, [])
        if kinds[code]["kind"] == "multiple":
            return chosen
        return chosen[0] if chosen else None

    for rule in world.get("rules") or []:
        when, require = rule["when"], rule["require"]
        if when["question"] not in kinds or require["question"] not in kinds:
            continue
        if not condition_holds(when, value(when["question"])):
            continue
        code = require["question"]
        if condition_holds(require, value(code)):
            continue
        question = kinds[code]
        if "answer" in require:
            values[code] = [str(require["answer"][0])]
        elif "not" in require:
            refused = {str(item) for item in require["not"]}
            choices = [c for c in question["choices"] if c not in refused]
            values[code] = choices[:1]
        elif "above" in require:
            values[code] = [str(int(float(require["above"])) + 1)]
        elif "at_most" in require:
            values[code] = [str(int(float(require["at_most"])))]
        else:  # answered
            values[code] = [question["choices"][0] if question["choices"] else "1"]


class Client:
    """One observer's phone: its own connection, cookies, CSRF token and random stream."""

    def __init__(self, index: int, port: int, world: dict, args: argparse.Namespace):
        self.index = index
        self.port = port
        self.world = world
        self.args = args
        self.random = random.Random(args.seed * 1000 + index)
        identities = world["identities"]
        # Client i files as observers i, i + C, i + 2C, …: all observers file, none in two threads.
        self.identities = identities[index :: args.clients] or [identities[index % len(identities)]]
        self.turn = 0
        # Where each observer (by CSRF token) is on its round of the stations: see visit_fields.
        self.rounds: dict[str, list[int]] = {}
        self.connection = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def close(self) -> None:
        self.connection.close()

    # Requests -----------------------------------------------------------------------------

    @staticmethod
    def _send(connection, method, path, body, headers) -> None:
        connection.request(method, path, body=body, headers=headers)

    @staticmethod
    def _receive(connection) -> tuple[int, dict, bytes]:
        response = connection.getresponse()
        body = response.read()
        result = (response.status, dict(response.getheaders()), body)
        if response.will_close:  # gunicorn's sync workers close after every response
            connection.close()  # http.client reconnects on the next request
        return result

    def exchange(self, method, path, body, headers) -> tuple[int, dict, bytes, float]:
        started = time.perf_counter()
        try:
            self._send(self.connection, method, path, body, headers)
            status, response_headers, response_body = self._receive(self.connection)
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.connection = self._connect()
            return 0, {}, repr(error).encode(), time.perf_counter() - started
        return status, response_headers, response_body, time.perf_counter() - started

    def race(self, requests_) -> list[tuple[int, dict, bytes, float]]:
        """Send the same POST on two connections before reading either answer."""
        connections = [self.connection, self._connect()]
        started = time.perf_counter()
        results = []
        try:
            for connection, (method, path, body, headers) in zip(
                connections, requests_, strict=True
            ):
                self._send(connection, method, path, body, headers)
            for connection in connections:
                status, response_headers, response_body = self._receive(connection)
                results.append(
                    (status, response_headers, response_body, time.perf_counter() - started)
                )
        except (OSError, http.client.HTTPException) as error:
            results += [(0, {}, repr(error).encode(), time.perf_counter() - started)] * (
                2 - len(results)
            )
            self.connection.close()
            self.connection = self._connect()
        connections[1].close()
        return results

    def ceiling_request(self, n: int):
        body = f"n={self.index}-{n}".encode()
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": str(len(body)),
        }
        return "POST", CEILING_PATH, body, headers

    def login_ceiling_request(self, n: int):
        method, _path, body, headers = self.ceiling_request(n)
        identity = self.identities[n % len(self.identities)]
        return method, LOGIN_CEILING_PATH, body, {**headers, "Cookie": identity["cookie"]}

    def next_station(self, identity: dict) -> str:
        """The next station on this observer's round, from a random start: an observer does not
        come back to a station (a second visit to it within 30 minutes is a likely duplicate,
        which the form rightly asks about, and a real round does not do either)."""
        stations = self.world["stations"]
        start_turn = self.rounds.setdefault(
            identity["csrf"], [self.random.randrange(len(stations)), 0]
        )
        station = stations[(start_turn[0] + start_turn[1]) % len(stations)]
        start_turn[1] += 1
        return station

    def visit_fields(self, identity: dict, key: str) -> list[tuple[str, str]]:
        r = self.random
        world = self.world
        arrived = r.randrange(8 * 60, 19 * 60)
        departed = arrived + r.randrange(20, 60)
        voters = r.randrange(800, 3000)
        fields = [
            ("csrfmiddlewaretoken", identity["csrf"]),
            ("checklist", str(world["checklist_id"])),
            ("key", key),
            ("station", self.next_station(identity)),
            ("arrived_at", f"{world['day']:%Y-%m-%d}T{arrived // 60:02d}:{arrived % 60:02d}"),
            ("departed_at", f"{world['day']:%Y-%m-%d}T{departed // 60:02d}:{departed % 60:02d}"),
            ("voters_on_list", str(voters)),
            ("ballots_issued", str(r.randrange(0, voters))),
            ("notes", "Queue outside at arrival; the chair answered all our questions."),
        ]
        values: dict[str, list[str]] = {}
        for question in world["questions"]:
            kind = question["kind"]
            if kind == "yes_no":
                chosen = ["yes" if r.random() < 0.9 else "no"]
            elif kind == "single":
                chosen = [r.choice(question["choices"])]
            elif kind == "multiple":
                chosen = r.sample(question["choices"], k=min(2, len(question["choices"])))
            elif kind == "number":
                low, high = int(question["min"]), int(question["max"])
                chosen = [str(r.randint(low, max(low, min(high, low + 80))))]
            elif kind == "time":
                chosen = [f"{r.randrange(7, 9):02d}:{r.randrange(0, 60):02d}"]
            else:
                chosen = ["Voting proceeded in an orderly manner."]
            values[question["code"]] = chosen
        rules_keep(world, values)
        for code, chosen in values.items():
            fields.extend(("q_" + code, value) for value in chosen)
        incident = r.random() < self.args.incident_fraction
        fields += [
            ("incidents-TOTAL_FORMS", "1"),
            ("incidents-INITIAL_FORMS", "0"),
            ("incidents-MIN_NUM_FORMS", "0"),
            ("incidents-MAX_NUM_FORMS", "50"),
            ("incidents-0-category", "overcrowding" if incident else ""),
            ("incidents-0-severity", "minor" if incident else ""),
            ("incidents-0-description", "Crowd at the entrance." if incident else ""),
            ("incidents-0-question", ""),
        ]
        return fields

    def visit_request(self, identity: dict, key: str):
        fields = self.visit_fields(identity, key)
        if self.args.urlencoded:
            body = urllib.parse.urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        else:
            boundary = "----observa" + uuid.uuid4().hex
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                for name, value in fields
            ]
            # What a browser sends for a file input left empty.
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
                'filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n'
            )
            parts.append(f"--{boundary}--\r\n")
            body = "".join(parts).encode()
            content_type = f"multipart/form-data; boundary={boundary}"
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "Origin": f"http://127.0.0.1:{self.port}",
            "Cookie": identity["cookie"],
            "Content-Type": content_type,
            "Content-Length": str(len(body)),
            "Accept-Language": "en",
            "User-Agent": "observa-visit-surge",
        }
        return "POST", f"/missions/{SLUG}/visits/new/", body, headers

    def floor_request(self, identity: dict, key: str):
        method, _path, body, headers = self.visit_request(identity, key)
        return method, FLOOR_PATH, body, headers

    def page_request(self, identity: dict, path: str):
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "Cookie": identity["cookie"],
            "Accept-Language": "en",
            "User-Agent": "observa-visit-surge",
        }
        return "GET", path, None, headers


class Phase:
    """What every client of one phase saw, merged under a lock."""

    def __init__(self, name: str, kind: str):
        self.name = name
        self.kind = kind
        self.lock = threading.Lock()
        self.stop = threading.Event()  # set on Ctrl-C: clients finish their request and leave
        self.latencies: list[float] = []
        self.errors = 0
        self.error_samples: list[str] = []
        self.statuses: dict[int, int] = {}
        self.accepted: dict[str, str] = {}  # key → Location of its first acceptance
        self.retries = 0
        self.retry_mismatches: list[str] = []
        self.new_visits = 0
        self.ceiling_rows = 0
        self.elapsed = 0.0

    def fail(self, sample: str) -> None:
        with self.lock:
            self.errors += 1
            if len(self.error_samples) < ERROR_SAMPLES:
                self.error_samples.append(sample)

    def record(self, status: int, body: bytes, latency: float, ok: bool) -> None:
        with self.lock:
            self.latencies.append(latency)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if not ok:
                self.errors += 1
                if len(self.error_samples) < ERROR_SAMPLES:
                    self.error_samples.append(f"HTTP {status}: {error_text(body)}")


def error_text(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    found = re.findall(
        r'class="[^"]*(?:invalid-feedback|errorlist|alert)[^"]*"[^>]*>(.*?)</', text, re.S
    )
    if found:
        text = " | ".join(found)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", text).strip()[:600]


VISIT_LOCATION = re.compile(rf"^/missions/{re.escape(SLUG)}/visits/(\d+)/$")


def run_client(client: Client, phase: Phase, deadline: float, budget: "Budget") -> None:
    n = 0
    while time.monotonic() < deadline and not phase.stop.is_set() and budget.take():
        n += 1
        if phase.kind in ("ceiling", "login"):
            request = (
                client.ceiling_request if phase.kind == "ceiling" else client.login_ceiling_request
            )(n)
            status, _headers, body, latency = client.exchange(*request)
            ok = status == 204
            phase.record(status, body, latency, ok)
            if ok:
                with phase.lock:
                    phase.ceiling_rows += 1
            continue

        identity = client.identities[client.turn % len(client.identities)]
        client.turn += 1
        key = str(uuid.UUID(int=client.random.getrandbits(128), version=4))
        if phase.kind in ("floor", "pair"):
            request = client.floor_request(identity, key)
        else:
            request = client.visit_request(identity, key)
        retry = client.random.random() < client.args.retry_fraction
        if retry and n % 2 == 0:
            results = client.race([request, request])
        else:
            results = [client.exchange(*request)]
            if retry:
                results.append(client.exchange(*request))
        accepted = [
            headers["Location"]
            for status, headers, _body, _latency in results
            if status == 302 and VISIT_LOCATION.match(headers.get("Location", ""))
        ]
        follow = 0.0
        if phase.kind in ("visits", "pair") and accepted:
            # What the phone does next: load the visit's page. Timed with the POST, as one.
            page = accepted[0]
            if phase.kind == "pair":  # the least page instead of the product's
                page = page.replace(f"/missions/{SLUG}/", f"/bench/floor/{SLUG}/", 1)
            status, _headers, body, follow = client.exchange(*client.page_request(identity, page))
            if status != 200:
                phase.fail(f"GET {page}: HTTP {status}: {error_text(body)}")
        locations = []
        for index, (status, headers, body, latency) in enumerate(results):
            location = headers.get("Location", "")
            ok = status == 302 and VISIT_LOCATION.match(location) is not None
            latency += follow if index == 0 else 0.0
            phase.record(status, body if not ok else b"", latency, ok)
            if ok:
                locations.append(location)
        with phase.lock:
            if locations:
                phase.accepted[key] = locations[0]
                phase.new_visits += 1
            if len(results) > 1:
                phase.retries += 1
                if len(locations) == 2 and locations[0] != locations[1]:
                    phase.retry_mismatches.append(f"{key}: {locations[0]} ≠ {locations[1]}")


class Budget:
    """At most `limit` requests per phase, across all clients."""

    def __init__(self, limit: int):
        self.left = limit
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def phase_run(name, kind, seconds, clients, args, gunicorn, database) -> Phase:
    phase = Phase(name, kind)
    workers = worker_pids(gunicorn.pid)
    backends = postgres_pids(database)
    server_before = cpu_seconds(workers)
    pg_before = cpu_seconds(backends)
    client_before = time.process_time()
    started = time.monotonic()
    deadline = started + seconds
    budget = Budget(args.max_requests)
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        futures = [pool.submit(run_client, c, phase, deadline, budget) for c in clients]
        try:
            for future in futures:
                future.result(timeout=seconds + 120)
        except BaseException:
            phase.stop.set()
            raise
    phase.elapsed = time.monotonic() - started
    server_after = cpu_seconds(worker_pids(gunicorn.pid))
    pg_after = cpu_seconds(postgres_pids(database))
    # A process that started during the phase (a worker restarted, a database connection
    # reopened after DATABASE_CONN_MAX_AGE) counts with all its CPU.
    phase.cpu = {
        "gunicorn": sum(t - server_before.get(p, 0.0) for p, t in server_after.items()),
        "postgres": sum(t - pg_before.get(p, 0.0) for p, t in pg_after.items()),
        "client": time.process_time() - client_before,
    }
    return phase


# --------------------------------------------------------------------------------------------
# Report


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def phase_summary(phase: Phase) -> dict:
    ordered = sorted(phase.latencies)
    count = len(ordered)
    per_request = {k: (v / count * 1000 if count else None) for k, v in phase.cpu.items()}
    summary = {
        "phase": phase.name,
        "kind": phase.kind,
        "requests": count,
        "seconds": round(phase.elapsed, 3),
        "requests_per_s": round(count / phase.elapsed, 1) if phase.elapsed else 0.0,
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 1),
        "p95_ms": round(percentile(ordered, 0.95) * 1000, 1),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 1),
        "errors": phase.errors,
        "statuses": {str(k): v for k, v in sorted(phase.statuses.items())},
        "cpu_ms_per_request": {
            k: round(v, 2) if v is not None else None for k, v in per_request.items()
        },
        "error_samples": phase.error_samples,
    }
    if phase.kind in ("visits", "floor", "pair"):
        summary["new_visits"] = phase.new_visits
        summary["new_visits_per_s"] = round(phase.new_visits / phase.elapsed, 1)
        summary["retries"] = phase.retries
        summary["retry_mismatches"] = phase.retry_mismatches[:10]
    return summary


def verify(phases: list[Phase], world: dict) -> dict:
    """Count in the database what the clients were told was filed."""
    from django.db import connection

    from reports.models import Answer, Visit

    accepted: dict[str, str] = {}
    for phase in phases:
        if phase.kind in ("visits", "floor", "pair"):
            accepted.update(phase.accepted)
    visits = Visit.objects.filter(mission_id=world["mission_id"])
    in_db = dict(visits.values_list("key", "pk"))
    in_db = {str(key): pk for key, pk in in_db.items()}
    wrong_location = [
        key for key, location in accepted.items()
        if key in in_db and location != f"/missions/{SLUG}/visits/{in_db[key]}/"
    ]  # fmt: skip
    missing = [key for key in accepted if key not in in_db]
    answers = Answer.objects.filter(visit__mission_id=world["mission_id"]).count()
    expected_answers = len(in_db) * len(world["questions"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_ceiling")
        ceiling_rows = cursor.fetchone()[0]
    ceiling_ok = sum(p.ceiling_rows for p in phases if p.kind in ("ceiling", "login"))
    retry_mismatches = sum(len(p.retry_mismatches) for p in phases)
    return {
        "distinct_keys_accepted": len(accepted),
        "visits_in_database": len(in_db),
        "duplicates": len(in_db) - len(accepted) + retry_mismatches,
        "accepted_but_missing": len(missing),
        "redirected_to_another_visit": len(wrong_location),
        "retry_mismatches": retry_mismatches,
        "answers_in_database": answers,
        "answers_expected": expected_answers,
        "ceiling_rows_in_database": ceiling_rows,
        "ceiling_rows_acknowledged": ceiling_ok,
    }


def table(summaries: list[dict]) -> str:
    head = (
        f"{'phase':<22}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}   cpu ms/req: gunicorn / postgres / client"
    )
    lines = [head, "-" * len(head)]
    for s in summaries:
        cpu = s["cpu_ms_per_request"]
        lines.append(
            f"{s['phase']:<22}{s['requests']:>9}{s['requests_per_s']:>9.1f}{s['p50_ms']:>9.1f}"
            f"{s['p95_ms']:>9.1f}{s['p99_ms']:>9.1f}{s['errors']:>8}   "
            f"{cpu['gunicorn'] or 0:.2f} / {cpu['postgres'] or 0:.2f} / {cpu['client'] or 0:.2f}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    gunicorn_check()
    env = environment_set(args)
    command = " ".join([".venv/bin/python", "bench/visit_surge.py", *sys.argv[1:]])
    print(f"Preparing database {args.database} on {args.pg_host}:{args.pg_port} …", flush=True)
    database_prepare(args, env)

    import django

    django.setup()
    from django.db import connection

    started = time.monotonic()
    world = mission_build(args)
    connection.close()
    print(
        f"Mission {SLUG}: {args.stations} stations, {args.observers} observers logged in, "
        f"checklist of {len(world['questions'])} questions ({world['checklist_source']}); "
        f"built in {time.monotonic() - started:.1f} s.",
        flush=True,
    )

    gunicorn = None
    clients: list[Client] = []
    interrupted = False

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    phases: list[Phase] = []
    try:
        port = free_port()
        gunicorn = gunicorn_start(args, env, port)
        print(
            f"gunicorn on 127.0.0.1:{port}: {args.workers} sync workers, "
            f"{os.cpu_count()} cores; {args.clients} clients, "
            f"{'urlencoded' if args.urlencoded else 'multipart'} bodies.",
            flush=True,
        )
        clients = [Client(i, port, world, args) for i in range(args.clients)]
        run = (args, gunicorn, args.database)
        if args.warmup:
            print(f"Warm-up ({args.warmup:g} s per path) …", flush=True)
            phases.append(phase_run("warm-up ceiling", "ceiling", args.warmup, clients, *run))
            phases.append(phase_run("warm-up floor", "floor", args.warmup, clients, *run))
            phases.append(phase_run("warm-up least pair", "pair", args.warmup, clients, *run))
            if args.login_ceiling:
                phases.append(phase_run("warm-up logged-in", "login", args.warmup, clients, *run))
            phases.append(phase_run("warm-up visits", "visits", args.warmup, clients, *run))
        letters = iter("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        schedule = ["floor", "ceiling", *(["login"] if args.login_ceiling else [])]
        schedule += ["pair", "visits", "floor"] * args.rounds
        names = {
            "floor": "floor (same rows)",
            "ceiling": "bare 1 insert",
            "login": "logged-in 1 insert",
            "visits": "submit + page",
            "pair": "floor + least page",
        }
        for kind in schedule:
            what = names[kind]
            name = f"{next(letters, '+')} {what}"
            print(f"Phase {name}: {args.seconds:g} s …", flush=True)
            phases.append(phase_run(name, kind, args.seconds, clients, *run))
    except KeyboardInterrupt:
        interrupted = True
        print("\nInterrupted: stopping gunicorn.", file=sys.stderr)
    finally:
        for client in clients:
            client.close()
        gunicorn_stop(gunicorn)
    if interrupted:
        return 130

    summaries = [phase_summary(p) for p in phases]
    checks = verify(phases, world)
    connection.close()

    def measured(kind):
        return [s for s in summaries if s["kind"] == kind and not s["phase"].startswith("warm")]

    ceiling, visits, logged_in = measured("ceiling"), measured("visits"), measured("login")
    floor, pair = measured("floor"), measured("pair")
    login_rate = sum(s["requests_per_s"] for s in logged_in) / len(logged_in) if logged_in else None
    ceiling_rate = sum(s["requests_per_s"] for s in ceiling) / len(ceiling)
    floor_rate = sum(s["requests_per_s"] for s in floor) / len(floor)
    visit_rate = sum(s["requests_per_s"] for s in visits) / len(visits)
    new_visit_rate = sum(s["new_visits_per_s"] for s in visits) / len(visits)
    visit_p99 = max(s["p99_ms"] for s in visits)
    errors = sum(p.errors for p in phases)  # warm-up included: an error is an error
    ratio = visit_rate / floor_rate if floor_rate else 0.0
    pair_rate = sum(s["requests_per_s"] for s in pair) / len(pair)
    pair_ratio = pair_rate / floor_rate if floor_rate else 0.0
    met = (
        ratio >= GOAL_RATIO
        and visit_p99 < GOAL_P99_MS
        and errors == 0
        and checks["duplicates"] == 0
        and (
            checks["accepted_but_missing"] == 0
            and checks["redirected_to_another_visit"] == 0
            and checks["answers_in_database"] == checks["answers_expected"]
            and checks["ceiling_rows_in_database"] == checks["ceiling_rows_acknowledged"]
        )
    )

    print()
    print(table(summaries))
    for s in summaries:
        for sample in s["error_samples"]:
            print(f"  {s['phase']}: {sample}")
    print()
    print(f"floor, same rows (mean of {len(floor)})    {floor_rate:9.1f} req/s")
    print(
        f"bare 1 insert (mean of {len(ceiling)})       {ceiling_rate:9.1f} req/s"
        f"  (floor is {floor_rate / ceiling_rate:.2f} of it)"
    )
    print(
        f"submissions + page (incl. retries) {visit_rate:8.1f} req/s"
        f"  (new visits {new_visit_rate:.1f}/s; p99 {visit_p99:.0f} ms, goal < {GOAL_P99_MS} ms)"
    )
    if login_rate is not None:
        print(
            f"logged-in 1 insert                {login_rate:9.1f} req/s"
            f"  ({login_rate / ceiling_rate:.2f} of the ceiling)"
        )
    print(
        f"floor + least page (mean of {len(pair)})  {pair_rate:9.1f} req/s"
        f"  ({pair_ratio:.2f} of the floor: the most submissions + page could reach)"
    )
    print(f"ratio submissions ÷ floor          {ratio:9.2f}   (goal ≥ {GOAL_RATIO:.2f})")
    print(
        f"vs the bare insert                 {visit_rate / ceiling_rate:9.2f}"
        if ceiling_rate
        else ""
    )
    print(
        f"errors {errors}, duplicates {checks['duplicates']}; visits in database "
        f"{checks['visits_in_database']} = distinct keys accepted "
        f"{checks['distinct_keys_accepted']}; "
        f"retries {sum(p.retries for p in phases)}; answers {checks['answers_in_database']}"
        f"/{checks['answers_expected']}; ceiling rows {checks['ceiling_rows_in_database']}"
        f"/{checks['ceiling_rows_acknowledged']}"
    )
    print("load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"goal {'MET' if met else 'MISSED'}")
    print(f"command: {command}")

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "command": command,
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
                "parameters": {k: v for k, v in vars(args).items() if k not in ("pg_user",)},
                "checklist": {
                    "questions": len(world["questions"]),
                    "source": world["checklist_source"],
                },
                "phases": summaries,
                "floor_per_s": round(floor_rate, 1),
                "ceiling_per_s": round(ceiling_rate, 1),
                "submissions_per_s": round(visit_rate, 1),
                "least_pair_per_s": round(pair_rate, 1),
                "least_pair_ratio": round(pair_ratio, 3),
                "new_visits_per_s": round(new_visit_rate, 1),
                "logged_in_insert_per_s": round(login_rate, 1) if login_rate else None,
                "ratio": round(ratio, 3),
                "ratio_to_bare_insert": round(visit_rate / ceiling_rate, 3),
                "submissions_p99_ms": visit_p99,
                "load_average": os.getloadavg(),
                "goal": {
                    "ratio_at_least": GOAL_RATIO,
                    "p99_ms_under": GOAL_P99_MS,
                    "errors": 0,
                    "duplicates": 0,
                    "met": met,
                },
                "errors": errors,
                "checks": checks,
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
    print(f"JSON: {OUT.relative_to(PROJECT)}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
