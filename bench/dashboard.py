"""Time the operations room, its feed, its exports and the admin's changelists at national scale.

Builds (once; later runs reuse it) a mission with 10,101 polling stations (Kazakhstan's 2022
count) in 17 regions, 1,000 teams assigned to every station, and 100,000 visits of a
20-question checklist (2,000,000 answers, about 3 % of them concerns, 2,500 incidents), then
runs ANALYZE and times, as a coordinator through the whole Django stack (middleware, session,
templates), best of five after one warm-up:

- the dashboard (goal: under 300 ms), with its figures counted (as every
  OPERATIONS_FIGURES_SECONDS) and from the cache, and its feed refresh (goal: under 50 ms),
  with their query counts; the map's data and the concern chart (computed once a minute);
- every admin changelist, plain and with a search (goal: each under 60 ms);
- each export in CSV and XLSX, with its size and how far the process's peak memory rose
  while it was written (little: the rows are read a chunk at a time); an XLSX export over
  OPERATIONS_EXPORT_JOB_ROWS rows is asked for as a job, run in-process, and its file fetched.

Run it from the project root (PostgreSQL on 127.0.0.1:5432):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/observa_bench_dashboard \\
        .venv/bin/python bench/dashboard.py [--rebuild] [--skip-exports]

Figures go to stdout and to bench/out/dashboard.json.
"""

import argparse
import datetime
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import PROJECT, database_ensure, django_setup

SLUG = "bench-operations"
STATIONS = 10_101
REGIONS = 17
DISTRICTS_PER_REGION = 12
VISITS = 100_000
QUESTIONS = 20
OBSERVERS = 2_000
TEAMS = 1_000
INCIDENTS = 2_500


def mission_build():
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from missions.models import Election, Mission, MissionMembership
    from missions.services import coordinators_group_ensure
    from observers.models import Delegation, Observer, Participation, Team
    from reports.models import Checklist, Question, Section
    from stations.models import Area, Assignment, PollingStation

    mission = Mission.objects.filter(slug=SLUG).first()
    user_model = get_user_model()
    if mission is not None:
        return mission, user_model.objects.get(username="bench-coordinator")
    started = time.perf_counter()
    with transaction.atomic():
        mission = Mission.objects.create(
            organisation="Shanghai Cooperation Organisation",
            name="Benchmark operations mission",
            slug=SLUG,
            starts_on=datetime.date(2022, 11, 17),
            ends_on=datetime.date(2022, 11, 20),
            time_zone="Asia/Almaty",
            status="deployed",
        )
        election = Election.objects.create(
            mission=mission,
            country="Republic of Kazakhstan",
            kind="presidential",
            election_day=datetime.date(2022, 11, 20),
        )
        districts = []
        for r in range(REGIONS):
            region = Area.objects.create(
                election=election, kind="region", name=f"Region {r}", path=f"Region {r}"
            )
            districts += Area.objects.bulk_create(
                Area(
                    election=election,
                    parent=region,
                    kind="district",
                    name=f"District {r}-{d}",
                    path=f"Region {r} / District {r}-{d}",
                )
                for d in range(DISTRICTS_PER_REGION)
            )
        stations = PollingStation.objects.bulk_create(
            (
                PollingStation(
                    election=election,
                    number=str(n),
                    name=f"School No. {n}",
                    address=f"{n} Abay Avenue",
                    area=districts[n % len(districts)],
                    latitude=f"{43 + (n % 97) / 10:.6f}",
                    longitude=f"{52 + (n % 211) / 10:.6f}",
                    registered_voters=1000 + n % 2000,
                )
                for n in range(1, STATIONS + 1)
            ),
            batch_size=2000,
        )
        delegation = Delegation.objects.create(mission=mission, name="Member states", kind="state")
        people = Observer.objects.bulk_create(
            Observer(full_name=f"Observer {n}", other_names=f"Наблюдатель {n}")
            for n in range(OBSERVERS)
        )
        members = Participation.objects.bulk_create(
            Participation(
                mission=mission,
                observer=person,
                delegation=delegation,
                accreditation="accredited",
                position=n,
            )
            for n, person in enumerate(people)
        )
        teams = Team.objects.bulk_create(
            Team(mission=mission, name=f"Team {n:04d}") for n in range(TEAMS)
        )
        Team.members.through.objects.bulk_create(
            Team.members.through(team=teams[n // 2], participation=member)
            for n, member in enumerate(members)
        )
        Assignment.objects.bulk_create(
            (
                Assignment(
                    team=teams[n % TEAMS],
                    station=station,
                    date=election.election_day,
                    phase="voting",
                    planned_time=datetime.time(8 + n % 11, 0),
                )
                for n, station in enumerate(stations)
            ),
            batch_size=5000,
        )
        checklist = Checklist.objects.create(
            mission=mission, code="voting", title="Voting", phase="voting"
        )
        section = Section.objects.create(checklist=checklist, title="Voting")
        Question.objects.bulk_create(
            Question(
                checklist=checklist,
                section=section,
                position=n,
                code=f"q{n:02d}",
                text=f"Was requirement {n} met?",
                kind="yes_no",
                concern_answers=["no"],
                severity=("minor", "serious", "critical")[n % 3],
            )
            for n in range(QUESTIONS)
        )
        user = user_model.objects.create_user(
            "bench-coordinator", password="unused", first_name="Bench", is_staff=True
        )
        user.groups.add(coordinators_group_ensure())
        MissionMembership.objects.create(mission=mission, user=user, role="coordinator")
        first_station = stations[0].pk
        first_member = members[0].pk
        # Volume by SQL: Django would spend minutes building two million objects.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO reports_visit (mission_id, station_id, checklist_id, filed_by_id,
                    key, arrived_at, departed_at, notes, review, review_comment, has_concerns,
                    unobserved, concerns, created_at, updated_at)
                SELECT %(mission)s, %(station)s + (n %% %(stations)s), %(checklist)s,
                    %(member)s + (n %% %(observers)s), gen_random_uuid(),
                    TIMESTAMPTZ '2022-11-20 07:00+06' + (n %% 780) * INTERVAL '1 minute',
                    NULL, 'Visit ' || n,
                    (ARRAY['submitted', 'reviewed', 'reviewed', 'returned'])[1 + n %% 4], '',
                    false, '[]'::jsonb, '[]'::jsonb,
                    TIMESTAMPTZ '2022-11-20 07:10+06' + n * INTERVAL '500 milliseconds',
                    TIMESTAMPTZ '2022-11-20 07:10+06' + n * INTERVAL '500 milliseconds'
                FROM generate_series(0, %(visits)s - 1) AS n
                """,
                {
                    "mission": mission.pk,
                    "station": first_station,
                    "stations": STATIONS,
                    "checklist": checklist.pk,
                    "member": first_member,
                    "observers": OBSERVERS,
                    "visits": VISITS,
                },
            )
            cursor.execute(
                """
                INSERT INTO reports_answer (visit_id, question_id, value, is_concern)
                SELECT v.id, q.id, to_jsonb(CASE WHEN c THEN 'no' ELSE 'yes' END), c
                FROM reports_visit v
                CROSS JOIN reports_question q
                CROSS JOIN LATERAL (SELECT random() < 0.03 AS c OFFSET 0) r
                WHERE v.mission_id = %(mission)s AND q.checklist_id = %(checklist)s
                """,
                {"mission": mission.pk, "checklist": checklist.pk},
            )
            cursor.execute(
                """
                INSERT INTO reports_incident (visit_id, category, severity, description,
                    complaint_filed)
                SELECT id, 'procedure', (ARRAY['minor', 'serious'])[1 + id %% 2],
                    'Reported by the team', id %% 4 = 0
                FROM reports_visit WHERE mission_id = %(mission)s
                ORDER BY random() LIMIT %(incidents)s
                """,
                {"mission": mission.pk, "incidents": INCIDENTS},
            )
            # What filing a visit keeps with it: its concern answers.
            cursor.execute(
                """
                UPDATE reports_visit v SET concerns = c.pairs
                FROM (
                    SELECT visit_id, jsonb_agg(jsonb_build_array(question_id, id)) AS pairs
                    FROM reports_answer
                    WHERE is_concern AND question_id IN (
                        SELECT id FROM reports_question WHERE checklist_id = %(checklist)s
                    )
                    GROUP BY visit_id
                ) c
                WHERE v.id = c.visit_id
                """,
                {"checklist": checklist.pk},
            )
            cursor.execute(
                """
                UPDATE reports_visit v SET has_concerns = true
                WHERE v.mission_id = %(mission)s AND (
                    EXISTS (SELECT 1 FROM reports_answer a WHERE a.visit_id = v.id
                            AND a.is_concern)
                    OR EXISTS (SELECT 1 FROM reports_incident i WHERE i.visit_id = v.id))
                """,
                {"mission": mission.pk},
            )
    with connection.cursor() as cursor:
        # As autovacuum would leave it: statistics and the visibility map (index-only scans).
        cursor.execute("VACUUM ANALYZE")
    print(f"Built {SLUG}: {VISITS:,} visits in {time.perf_counter() - started:.0f} s.")
    return mission, user


SLOW_QUERIES = os.environ.get("BENCH_SHOW_QUERIES") == "1"


def timed(client, url: str, runs: int = 5, before=None) -> dict:
    """One warm-up GET, then `runs` timed: best and median milliseconds, the time of the best
    run spent in SQL, the query count, the status."""
    from django.db import connection

    queries: list[tuple[float, str]] = []

    def count(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append(((time.perf_counter() - started) * 1000, sql))

    def get() -> tuple[float, float, int, int, float]:
        if before is not None:
            before()
        queries.clear()
        # Counted by a wrapper: the request's start resets Django's own query log.
        with connection.execute_wrapper(count):
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            if response.streaming:
                b"".join(response)
            elapsed = (time.perf_counter() - started) * 1000
            cpu = (time.process_time() - cpu) * 1000
        sql = sum(ms for ms, _sql in queries)
        return elapsed, sql, len(queries), response.status_code, cpu

    get()
    if SLOW_QUERIES:
        for ms, sql in sorted(queries, reverse=True)[:4]:
            print(f"    {ms:7.1f} ms  {sql[:300]}")
    results = [get() for _ in range(runs)]
    best = min(results)
    return {
        "best_ms": round(best[0], 1),
        "median_ms": round(statistics.median(r[0] for r in results), 1),
        "sql_ms": round(best[1], 1),
        "queries": best[2],
        "status": best[3],
        # The Django process's own CPU time (least of the runs): on a machine other work
        # shares, wall times rise with its load, this much less.
        "cpu_ms": round(min(r[4] for r in results), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--skip-pages", action="store_true", help="time the exports only")
    parser.add_argument(
        "--admin-only", action="store_true", help="time the admin's changelists only"
    )
    parser.add_argument(
        "--exports", nargs="*", help="which exports, e.g. visits.csv answers.xlsx (default: all)"
    )
    arguments = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("Set DATABASE_URL to a PostgreSQL database the benchmark may fill.")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    database_ensure(url)
    django_setup()

    from django.conf import settings
    from django.contrib import admin
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    # Production settings, but static files by their plain names: no collectstatic needed.
    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()

    from missions.models import Mission
    from reports.operations.exports import EXPORTS

    if arguments.rebuild:
        Mission.objects.filter(slug=SLUG).delete()
    _mission, user = mission_build()
    client = Client()
    client.force_login(user)
    # A coordinator who has given their second factor, as after a real login.
    from accounts.services import MFA_SESSION_KEY, MFA_VERIFIED

    session = client.session
    session[MFA_SESSION_KEY] = MFA_VERIFIED
    session.save()
    figures: dict[str, dict] = {}

    def record(name: str, url: str, goal_ms: float | None = None, runs: int = 5, before=None):
        result = timed(client, url, runs, before)
        if result["status"] != 200:
            print(f"{name:58} refused ({result['status']}): not a coordinator's page")
            return
        verdict = ""
        if goal_ms is not None:
            verdict = "ok" if result["best_ms"] < goal_ms else f"OVER {goal_ms:.0f} ms"
        figures[name] = {**result, "goal_ms": goal_ms}
        print(
            f"{name:50} {result['best_ms']:7.1f} ms (median {result['median_ms']:7.1f}, "
            f"SQL {result['sql_ms']:6.1f}, CPU {result['cpu_ms']:6.1f})  "
            f"{result['queries']:3} q  {verdict}"
        )

    load = os.getloadavg()
    print(f"load average at the start: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    operations = f"/missions/{SLUG}/operations/"
    if not arguments.skip_pages and not arguments.admin_only:
        record("dashboard, figures counted (cache emptied)", operations, 300, before=cache.clear)
        record("dashboard, figures from the cache", operations, 300)
        record("feed refresh", operations + "feed/", 50)
        record("map data (10,101 stations)", operations + "stations.json")
        computed = []
        for _ in range(3):
            cache.clear()
            started = time.perf_counter()
            client.get(operations + "concerns-chart/")
            computed.append((time.perf_counter() - started) * 1000)
        print(
            f"{'concern chart, computed (once a minute, then cached)':50} {min(computed):7.1f} ms"
        )
        figures["concern chart, computed"] = {"best_ms": round(min(computed), 1)}
        record("concern chart, cached", operations + "concerns-chart/")

    if not arguments.skip_pages:
        searches = {
            "reports.visit": "4242",
            "stations.pollingstation": "4242",
            "stations.assignment": "4242",
            "observers.observer": "Observer 1234",
            "observers.participation": "Observer 1234",
            "observers.team": "Team 0123",
            "reports.answer": "q07",
        }
        for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
            if not user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
                continue  # users, groups, devices, logs: a superuser's pages, not a coordinator's
            label = model._meta.label_lower
            changelist = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
            )
            record(f"admin {label}", changelist, 60)
            if admin.site._registry[model].search_fields:
                term = searches.get(label, "Astana")
                record(f"admin {label} ?q={term}", f"{changelist}?q={term}", 60)

    if not arguments.skip_exports and not arguments.admin_only:
        for slug in EXPORTS:
            for format in ("csv", "xlsx"):
                if arguments.exports and f"{slug}.{format}" not in arguments.exports:
                    continue
                export_url = reverse("operations:export", args=[SLUG, slug, format])
                rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                started = time.perf_counter()
                response = client.get(export_url)
                how = "at once"
                if "Content-Disposition" not in response:
                    # Over OPERATIONS_EXPORT_JOB_ROWS: offered as a job, which runs here
                    # in-process (EMBEDDED_SERVICES) when it is asked for; then its file.
                    how = "as a job"
                    job_page = client.post(export_url)["Location"]
                    response = client.get(job_page.rstrip("/") + "/file")
                size = sum(len(chunk) for chunk in response)
                seconds = time.perf_counter() - started
                # How far the process's peak memory rose while writing (kB on Linux).
                grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
                name = f"export {slug}.{format}"
                figures[name] = {
                    "written": how,
                    "seconds": round(seconds, 2),
                    "bytes": size,
                    "peak_memory_growth_mib": round(grew, 1),
                }
                print(
                    f"{name:50} {seconds:7.2f} s  {size / 2**20:7.1f} MiB  "
                    f"peak memory grew {grew:6.1f} MiB  ({how})"
                )

        # The jobs' files are measured, not kept.
        from reports.models import ExportJob

        for job in ExportJob.objects.filter(mission__slug=SLUG):
            job.file.delete(save=False)
            job.delete()

    out = PROJECT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "dashboard.json").write_text(json.dumps(figures, indent=2))
    load = os.getloadavg()
    cores = os.cpu_count()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({cores} cores)")


if __name__ == "__main__":
    main()
