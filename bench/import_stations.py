"""Time importing Kazakhstan's 10,101 polling stations, from CSV and from XLSX, on PostgreSQL.

Run it from the project root with DATABASE_URL pointing at a PostgreSQL database it may
fill and empty again:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/observa_bench \\
        .venv/bin/python bench/import_stations.py

(`make bench-import` runs the same with the DATABASE_URL you set.) The database is created if
it does not exist, then migrated. Each import goes into a fresh election whose areas (two
cities and two regions, each with districts) are created first; the re-imports go into the
election the CSV filled: with the same file (nothing changes), with every station's voter
count changed, and with every column but the number changed (the worst case: every station
is updated in six columns). The missions are deleted at the end.
"""

import datetime
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import database_ensure, django_setup

STATIONS = 10_101
ABROAD = 75
AREAS = {
    ("Astana", "city"): ["Almaty District", "Baikonur District", "Yesil District", "Saryarka"],
    ("Almaty", "city"): ["Alatau", "Almaly", "Auezov", "Bostandyk", "Medeu", "Nauryzbay"],
    ("Akmola Region", "region"): ["Arshaly", "Astrakhan", "Atbasar", "Burabay", "Kokshetau"],
    ("Karaganda Region", "region"): ["Abay", "Aktogay", "Bukhar-Zhyrau", "Karkaraly", "Temirtau"],
}


def election_create(label: str):
    from missions.models import Election, Mission
    from stations.models import Area
    from stations.services import area_save

    stamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S%f")
    mission = Mission.objects.create(
        organisation="Shanghai Cooperation Organisation",
        name=f"Benchmark mission ({label})",
        slug=f"bench-{label}-{stamp}",
        starts_on=datetime.date(2022, 11, 17),
        ends_on=datetime.date(2022, 11, 20),
    )
    election = Election.objects.create(
        mission=mission,
        country="Republic of Kazakhstan",
        kind=Election.Kind.PRESIDENTIAL,
        election_day=datetime.date(2022, 11, 20),
    )
    for (name, kind), districts in AREAS.items():
        parent = area_save(area=Area(election=election, name=name, kind=kind))
        for district in districts:
            area_save(
                area=Area(election=election, parent=parent, name=district, kind=Area.Kind.DISTRICT)
            )
    return election


def station_rows(voters_offset: int = 0, shift: int = 0) -> list[list]:
    """Return the header and 10,101 rows; `shift` moves every station to other details."""
    paths = [
        f"{name} / {district}"
        for (name, _kind), districts in AREAS.items()
        for district in districts
    ]
    rows: list[list] = [
        [
            "number",
            "name",
            "address",
            "area",
            "latitude",
            "longitude",
            "abroad",
            "registered_voters",
        ]
    ]
    for number in range(1, STATIONS + 1):
        abroad = number > STATIONS - ABROAD
        rows.append(
            [
                str(number),
                f"Secondary school No. {number + shift}",
                f"{number + shift} Abay Avenue",
                "" if abroad else paths[(number + shift) % len(paths)],
                f"{43 + ((number + shift) % 1000) / 100:.6f}",
                f"{51 + ((number + shift) % 1700) / 100:.6f}",
                "yes" if abroad else "no",
                str(500 + number % 2500 + voters_offset),
            ]
        )
    return rows


def csv_bytes(rows: list[list]) -> bytes:
    import csv

    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed_import(label: str, election, file_name: str, content: bytes) -> None:
    from stations.imports import stations_import

    started = time.perf_counter()
    result = stations_import(election=election, file_name=file_name, content=content)
    seconds = time.perf_counter() - started
    print(
        f"{label:<34} {seconds:6.2f} s {STATIONS / seconds:9,.0f} rows/s   "
        f"created {len(result.created):>6,}  updated {len(result.updated):>6,}  "
        f"unchanged {len(result.unchanged):>6,}"
    )


def missions_delete(elections) -> None:
    from stations.models import Area, PollingStation

    for election in elections:
        PollingStation.objects.filter(election=election).delete()
        # Areas protect their parts: delete the districts before the cities and regions.
        Area.objects.filter(election=election, parent__isnull=False).delete()
        Area.objects.filter(election=election).delete()
        election.mission.delete()


def main() -> None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit(__doc__)
    database_ensure(url)
    django_setup()
    from django.db import connection

    rows = station_rows()
    csv_content = csv_bytes(rows)
    xlsx_content = xlsx_bytes(rows)
    changed_content = csv_bytes(station_rows(voters_offset=1))
    all_changed_content = csv_bytes(station_rows(voters_offset=2, shift=1))
    print(
        f"PostgreSQL {connection.pg_version // 10000}, {STATIONS:,} polling stations: "
        f"CSV {len(csv_content) / 1e6:.1f} MB, XLSX {len(xlsx_content) / 1e6:.1f} MB"
    )
    from_csv = election_create("csv")
    from_xlsx = election_create("xlsx")
    try:
        timed_import("CSV into a fresh election", from_csv, "stations.csv", csv_content)
        timed_import("XLSX into a fresh election", from_xlsx, "stations.xlsx", xlsx_content)
        timed_import("CSV again (nothing changes)", from_csv, "stations.csv", csv_content)
        timed_import("CSV, new voter counts", from_csv, "stations.csv", changed_content)
        timed_import("CSV, every column changed", from_csv, "stations.csv", all_changed_content)
    finally:
        missions_delete([from_csv, from_xlsx])


if __name__ == "__main__":
    main()
