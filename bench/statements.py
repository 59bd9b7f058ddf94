"""Time a mission's findings and its final statement's renderers at election scale.

Builds (once; later runs reuse them) three missions of a 40-question checklist (about 3 % of
answers signal a concern, one visit in forty reports an incident, 5 % of visits await review
and 1 % were sent back): 1,000 and 10,000 visits to 1,000 polling stations, and 100,000 visits
to 3,000 stations (4 million answers), then:

- computes the findings of each, counting queries: the count must not grow with the visits.
  Each is timed twice: on the statistics PostgreSQL has right after the bulk import (the
  missions are built with autovacuum off on the visit and answer tables, as after a surge
  or an import, before autovacuum catches up), and again after a manual ANALYZE;
- composes the final statement and renders it as HTML, PDF and DOCX, best of three each, and
  gives the PDF's time per page; times reading the evidence a version keeps (once).

Goals: findings over 100,000 visits in under 1.5 s both before and after ANALYZE, with the
same number of queries as over 1,000; a PDF at under 250 ms a page. The before-ANALYZE figure
is only meaningful on a fresh build (`--rebuild`).

Run it from the project root (PostgreSQL on 127.0.0.1:5432):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/observa_bench_statements \\
        .venv/bin/python bench/statements.py

`--rebuild` drops the benchmark's database (DATABASE_URL names it: give it one of its own)
and builds the missions again. Figures go to stdout and to
bench/out/statements.json.
"""

import argparse
import datetime
import io
import json
import os
import random
import sys
import time
import zoneinfo
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import PROJECT, database_drop, database_ensure, django_setup

QUESTIONS = 40
SECTIONS = 4
CONCERN_RATE = 0.03


def mission_build(slug: str, stations: int, visits: int, observers: int):
    from django.db import connection, transaction

    from missions.models import Election, Mission
    from observers.models import Delegation, Observer, Participation
    from reports.models import Answer, Checklist, Incident, Question, Section, Visit
    from stations.models import Area, PollingStation

    existing = Mission.objects.filter(slug=slug).select_related("election").first()
    if existing is not None:
        return existing
    rng = random.Random(slug)
    zone = zoneinfo.ZoneInfo("Asia/Almaty")
    started = time.perf_counter()
    with transaction.atomic():
        mission = Mission.objects.create(
            organisation="Shanghai Cooperation Organisation",
            organisation_acronym="SCO",
            name=f"Benchmark mission {slug}",
            slug=slug,
            starts_on=datetime.date(2024, 3, 10),
            ends_on=datetime.date(2024, 3, 17),
            time_zone="Asia/Almaty",
            inviting_body="Ministry of Foreign Affairs",
            formed_on=datetime.date(2024, 1, 15),
        )
        election = Election.objects.create(
            mission=mission,
            country="Republic of Kazakhstan",
            kind="parliamentary",
            election_day=datetime.date(2024, 3, 17),
            commission="Central Election Commission",
            official_turnout="54.20",
        )
        city = Area.objects.create(election=election, kind="city", name="Astana", path="Astana")
        districts = [
            Area.objects.create(
                election=election,
                parent=city,
                kind="district",
                name=f"District {n}",
                path=f"Astana / District {n}",
            )
            for n in range(1, 10)
        ]
        station_rows = PollingStation.objects.bulk_create(
            PollingStation(
                election=election,
                number=str(n),
                name=f"School No. {n}",
                area=districts[n % len(districts)],
                registered_voters=rng.randint(800, 3000),
            )
            for n in range(1, stations + 1)
        )
        delegations = [
            Delegation.objects.create(mission=mission, name=f"Delegation {n}", kind="state")
            for n in range(4)
        ]
        people = Observer.objects.bulk_create(
            Observer(full_name=f"Observer {slug} {n}", position="Member of parliament")
            for n in range(observers)
        )
        members = Participation.objects.bulk_create(
            Participation(
                mission=mission,
                observer=person,
                delegation=delegations[n % 4],
                role="head" if n == 0 else "observer",
                accreditation="accredited",
                accredited_on=datetime.date(2024, 3, 8),
                position=n,
            )
            for n, person in enumerate(people)
        )
        checklist = Checklist.objects.create(
            mission=mission, code="voting", title="Voting", phase="voting"
        )
        sections = [
            Section.objects.create(checklist=checklist, position=n, title=f"Section {n + 1}")
            for n in range(SECTIONS)
        ]
        Question.objects.bulk_create(
            Question(
                checklist=checklist,
                section=sections[n % SECTIONS],
                position=n,
                code=f"q{n:02d}",
                text=f"Was requirement {n} met?",
                kind="yes_no",
                concern_answers=["no"],
                severity=("minor", "serious", "critical")[n % 3],
                clear_sentence=f"Requirement {n} was met at all polling stations visited.",
                concern_sentence=(
                    f"Requirement {n} was not met at {{concerns}} of the {{stations}} polling "
                    "stations visited."
                ),
            )
            for n in range(QUESTIONS)
        )
        day = datetime.datetime(2024, 3, 17, 8, 0, tzinfo=zone)
        reviews = ["reviewed"] * 94 + ["submitted"] * 5 + ["returned"]
        visit_rows = Visit.objects.bulk_create(
            (
                Visit(
                    mission=mission,
                    station=station_rows[n % stations],
                    checklist=checklist,
                    filed_by=members[n % observers],
                    arrived_at=day + datetime.timedelta(minutes=n % 700),
                    voters_on_list=station_rows[n % stations].registered_voters,
                    ballots_issued=int(
                        station_rows[n % stations].registered_voters * rng.uniform(0.2, 0.6)
                    ),
                    review=reviews[n % len(reviews)],
                )
                for n in range(visits)
            ),
            batch_size=2000,
        )
        # Four million answers are written by the database itself: every visit answers every
        # question; about CONCERN_RATE of the answers are "no", a concern.
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [rng.random()])
            cursor.execute(
                f"""
                INSERT INTO {Answer._meta.db_table} (visit_id, question_id, value, is_concern)
                SELECT visit_id, question_id,
                       CASE WHEN concern THEN '"no"'::jsonb ELSE '"yes"'::jsonb END, concern
                FROM (
                    SELECT v.id AS visit_id, q.id AS question_id, random() < %s AS concern
                    FROM {Visit._meta.db_table} v CROSS JOIN {Question._meta.db_table} q
                    WHERE v.mission_id = %s AND q.checklist_id = %s
                ) generated
                """,
                [CONCERN_RATE, mission.pk, checklist.pk],
            )
            # What filing a visit keeps with it: its concern answers.
            cursor.execute(
                f"""
                UPDATE {Visit._meta.db_table} v SET concerns = c.pairs
                FROM (
                    SELECT visit_id, jsonb_agg(jsonb_build_array(question_id, id)) AS pairs
                    FROM {Answer._meta.db_table}
                    WHERE is_concern AND question_id IN (
                        SELECT id FROM {Question._meta.db_table} WHERE checklist_id = %s
                    )
                    GROUP BY visit_id
                ) c
                WHERE v.id = c.visit_id
                """,
                [checklist.pk],
            )
        concerned = set(
            Visit.objects.filter(mission=mission).exclude(concerns=[]).values_list("id", flat=True)
        )
        incidents = Incident.objects.bulk_create(
            Incident(
                visit=visit,
                category=rng.choice(["procedure", "voter_list", "campaigning", "other"]),
                severity=rng.choice(["minor", "serious"]),
                description="Reported by the team",
                complaint_filed=rng.random() < 0.25,
            )
            for visit in rng.sample(visit_rows, max(1, visits // 40))
        )
        concerned |= {incident.visit_id for incident in incidents}
        Visit.objects.filter(pk__in=concerned).update(has_concerns=True)
        del visit_rows
    print(f"Built {slug}: {visits:,} visits in {time.perf_counter() - started:.1f} s.")
    return Mission.objects.select_related("election").get(pk=mission.pk)


def best_of(runs: int, work):
    timings, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        timings.append(time.perf_counter() - started)
    return min(timings), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    arguments = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("Set DATABASE_URL to a PostgreSQL database the benchmark may fill.")
    # Progress shows as it happens, even with the output sent to a file.
    sys.stdout.reconfigure(line_buffering=True)
    if arguments.rebuild:
        database_drop(url)
    database_ensure(url)
    django_setup()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from pypdf import PdfReader

    from reports.models import Statement
    from reports.statements.composer import statement_compose
    from reports.statements.findings import findings_compute
    from reports.statements.renderers import RENDERERS
    from reports.statements.selectors import statement_evidence_kept

    tables = ["reports_visit", "reports_answer", "reports_incident"]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    missions = [
        ("1,000 visits", mission_build("bench-statements-1k", 1000, 1000, observers=40)),
        ("10,000 visits", mission_build("bench-statements-10k", 1000, 10000, observers=40)),
        ("100,000 visits", mission_build("bench-statements-100k", 3000, 100000, observers=200)),
    ]

    figures: dict[str, object] = {}
    for statistics in ("as imported", "after ANALYZE"):
        if statistics == "after ANALYZE":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        for label, mission in missions:
            with CaptureQueriesContext(connection) as queries:
                first_started = time.perf_counter()
                cpu_started = time.process_time()
                findings_compute(mission=mission)
                first = time.perf_counter() - first_started
                cpu = time.process_time() - cpu_started
            sql = sum(float(query["time"]) for query in queries.captured_queries)
            seconds, findings = best_of(3, lambda m=mission: findings_compute(mission=m))
            # On a shared machine the wall time also counts waiting for a CPU: the load
            # average, this process's CPU time and the queries' time say how much.
            figures[f"findings, {label}, {statistics}"] = {
                "first_run_seconds": round(first, 3),
                "seconds": round(seconds, 3),
                "queries": len(queries),
                "first_run_python_cpu_seconds": round(cpu, 3),
                "first_run_query_seconds": round(sql, 3),
                "load_average": round(os.getloadavg()[0], 1),
            }
            print(
                f"findings, {label:15} {statistics:14} first {first * 1000:6.0f} ms "
                f"(Python CPU {cpu * 1000:5.0f} ms, queries {sql * 1000:5.0f} ms), "
                f"best of 3 {seconds * 1000:6.0f} ms   {len(queries)} queries   "
                f"load {os.getloadavg()[0]:.1f}"
            )
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} RESET (autovacuum_enabled)")
    large = missions[1][1]
    findings = findings_compute(mission=large)

    seconds, document = best_of(
        3,
        lambda: statement_compose(
            mission=large,
            kind="final",
            language="en",
            findings=findings,
            dated_on=large.ends_on,
            assessment="serious",
        ),
    )
    figures["compose"] = {"seconds": round(seconds, 3)}
    print(f"compose the final statement {seconds * 1000:8.0f} ms")
    # What compiling a version adds to keep its evidence as it used it (read, not written).
    started = time.perf_counter()
    kept = statement_evidence_kept(
        statement=Statement(mission=large, kind="final", language="en"),
        paragraphs=document.paragraphs(),
        counted=findings.evidence.visit_ids,
    )
    seconds = time.perf_counter() - started
    figures["keep evidence"] = {"seconds": round(seconds, 3), "visits": len(kept)}
    print(f"keep its evidence           {seconds * 1000:8.0f} ms  {len(kept):,} visits")
    for name, render in RENDERERS.items():
        seconds, data = best_of(3, lambda r=render: r(document))
        entry = {"seconds": round(seconds, 3), "bytes": len(data)}
        line = f"render {name:5} {seconds * 1000:8.0f} ms  {len(data):>9,} bytes"
        if name == "pdf":
            pages = len(PdfReader(io.BytesIO(data)).pages)
            entry["pages"] = pages
            entry["ms_per_page"] = round(seconds * 1000 / pages, 1)
            line += f"  {pages} pages, {seconds * 1000 / pages:.0f} ms a page"
        figures[f"render {name}"] = entry
        print(line)

    counts = {entry["queries"] for key, entry in figures.items() if key.startswith("findings")}
    slowest = max(
        max(entry["first_run_seconds"], entry["seconds"])
        for key, entry in figures.items()
        if key.startswith("findings, 100,000")
    )
    print(
        "goals: findings over 100,000 visits < 1.5 s before and after ANALYZE: "
        + ("met" if slowest < 1.5 else "MISSED")
        + f" ({slowest:.2f} s at worst); PDF < 250 ms a page: "
        + ("met" if figures["render pdf"]["ms_per_page"] < 250 else "MISSED")
        + "; findings queries constant: "
        + ("yes" if len(counts) == 1 else f"no, they vary: {sorted(counts)}")
    )
    out = PROJECT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "statements.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
