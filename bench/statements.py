"""Time a mission's findings and its final statement's renderers at election scale.

Builds (once; later runs reuse it) a mission with 1,000 polling stations and 10,000 visits of a
40-question checklist (about 3 % of answers signal a concern, a few hundred incidents), and a
second mission with a tenth of the visits, then:

- computes the findings of both, counting queries: the count must not grow with the visits;
- composes the final statement and renders it as HTML, PDF and DOCX, best of three each, and
  gives the PDF's time per page.

Goals: findings in under two seconds; a PDF at under 250 ms a page.

Run it from the project root (PostgreSQL on 127.0.0.1:5432):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/observa_bench_statements \\
        .venv/bin/python bench/statements.py

`--rebuild` drops the benchmark missions and builds them again. Figures go to stdout and to
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

from bench.database import PROJECT, database_ensure, django_setup

QUESTIONS = 40
SECTIONS = 4
CONCERN_RATE = 0.03


def mission_build(slug: str, stations: int, visits: int, observers: int):
    from django.db import transaction

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
        questions = Question.objects.bulk_create(
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
                )
                for n in range(visits)
            ),
            batch_size=2000,
        )
        concerned = set()
        answers = []
        for visit in visit_rows:
            for question in questions:
                concern = rng.random() < CONCERN_RATE
                if concern:
                    concerned.add(visit.pk)
                answers.append(
                    Answer(
                        visit=visit,
                        question=question,
                        value="no" if concern else "yes",
                        is_concern=concern,
                    )
                )
            if len(answers) >= 20000:
                Answer.objects.bulk_create(answers, batch_size=5000)
                answers = []
        Answer.objects.bulk_create(answers, batch_size=5000)
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
    database_ensure(url)
    django_setup()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from pypdf import PdfReader

    from missions.models import Mission
    from reports.composer import statement_compose
    from reports.findings import findings_compute
    from reports.renderers import RENDERERS

    if arguments.rebuild:
        Mission.objects.filter(slug__startswith="bench-statements-").delete()
    small = mission_build("bench-statements-1k", stations=1000, visits=1000, observers=40)
    large = mission_build("bench-statements-10k", stations=1000, visits=10000, observers=40)

    figures: dict[str, object] = {}
    for label, mission in (("1,000 visits", small), ("10,000 visits", large)):
        with CaptureQueriesContext(connection) as queries:
            findings_compute(mission=mission)
        seconds, findings = best_of(3, lambda m=mission: findings_compute(mission=m))
        figures[f"findings, {label}"] = {"seconds": round(seconds, 3), "queries": len(queries)}
        print(f"findings, {label:14} {seconds * 1000:8.0f} ms   {len(queries)} queries")

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

    grew = (
        figures["findings, 10,000 visits"]["queries"]
        != figures["findings, 1,000 visits"]["queries"]
    )
    print(
        "goals: findings < 2 s: "
        + ("met" if figures["findings, 10,000 visits"]["seconds"] < 2 else "MISSED")
        + "; PDF < 250 ms a page: "
        + ("met" if figures["render pdf"]["ms_per_page"] < 250 else "MISSED")
        + "; findings queries constant: "
        + ("no, they GREW" if grew else "yes")
    )
    out = PROJECT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "statements.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
