"""Bad input ends in a message that says what is wrong, never a traceback, and nothing is kept
that should not be: bundles of the wrong shape, spreadsheets that unpack or run too long,
photos that carry their location, and exports a spreadsheet would run as formulas."""

import copy
import csv
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from missions import imports as spreadsheet
from missions.bundle import MAX_DEPTH, BundleError, bundle_parse, mission_export, mission_import
from missions.imports import ImportRejected, cell_neutralise
from missions.models import Mission
from reports import attachments
from reports.attachments import attachment_clean
from stations.imports import stations_import
from stations.models import PollingStation
from tests.factories import MissionFactory, PollingStationFactory
from tests.test_imports import csv_file, xlsx_file
from tests.visits_support import photo_jpeg

# ---- Bundles ---------------------------------------------------------------------------


@pytest.fixture
def bundle(db):
    return copy.deepcopy(mission_export(mission=MissionFactory(slug="kz-2022")))


@pytest.mark.parametrize(
    ("damage", "where", "message"),
    [
        (lambda b: b["mission"].update(starts_on=12345), "mission.starts_on", "a date as text"),
        (lambda b: b["mission"].update(name=["a", "b"]), "mission.name", "expected text"),
        (lambda b: b["election"].update(is_early="yes"), "election.is_early", "true or false"),
        (
            lambda b: b["election"]["figures"].update(registered_voters={"n": 1}),
            "election.registered_voters",
            "a whole number",
        ),
        (
            lambda b: b["election"]["figures"].update(registered_voters=True),
            "election.registered_voters",
            "a whole number",
        ),
        (
            lambda b: b["election"].update(election_day=[2022, 11, 20]),
            "election.election_day",
            "a date as text",
        ),
    ],
)
def test_a_bundle_value_of_the_wrong_type_is_named_and_nothing_is_imported(
    bundle, damage, where, message
):
    damage(bundle)

    with pytest.raises(BundleError) as error:
        mission_import(bundle=bundle, slug="broken")

    assert error.value.where == where
    assert message in error.value.message
    assert not Mission.objects.filter(slug="broken").exists()


def test_the_import_command_explains_a_date_written_as_a_number(bundle, tmp_path):
    bundle["mission"]["starts_on"] = 12345
    path = tmp_path / "mission.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")

    with pytest.raises(CommandError, match=r"mission\.starts_on: expected a date as text"):
        call_command("import_mission", str(path), slug="broken")
    assert not Mission.objects.filter(slug="broken").exists()


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_a_deeply_nested_bundle_is_refused_with_a_message(db, tmp_path, depth):
    path = tmp_path / "mission.json"
    path.write_text('{"format": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")

    with pytest.raises(CommandError, match="nests"):
        call_command("import_mission", str(path))


def test_nesting_within_the_limit_is_read():
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH

    assert bundle_parse(text) == json.loads(text)


# ---- Spreadsheets ----------------------------------------------------------------------


@pytest.fixture
def election(db):
    return MissionFactory(slug="kz").election


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused_unopened(election, monkeypatch):
    monkeypatch.setattr(spreadsheet, "XLSX_MAX_UNPACKED_BYTES", 1024 * 1024)
    content = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx_file([["number"], ["1"]]))) as source,
        zipfile.ZipFile(content, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        # Two megabytes of zeros pack into a few kilobytes.
        bomb.writestr("xl/media/padding.bin", b"\0" * (2 * 1024 * 1024))
    assert len(content.getvalue()) < 20_000

    with pytest.raises(ImportRejected) as rejection:
        stations_import(election=election, file_name="big.xlsx", content=content.getvalue())

    assert "unpacks to 2 MB, more than the 1 MB" in str(rejection.value.errors[0])
    assert PollingStation.objects.count() == 0


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_with_too_many_rows_is_refused(election, monkeypatch, kind):
    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 5)
    rows = [["number"], *[[str(n)] for n in range(1, 8)]]
    content = csv_file(rows) if kind == "csv" else xlsx_file(rows)

    with pytest.raises(ImportRejected) as rejection:
        stations_import(election=election, file_name=f"stations.{kind}", content=content)

    assert "more than 5 rows" in str(rejection.value.errors[0])
    assert PollingStation.objects.count() == 0


def test_a_file_at_the_row_limit_is_imported(election, monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 5)
    rows = [["number"], *[[str(n)] for n in range(1, 5)]]

    stations_import(election=election, file_name="stations.csv", content=csv_file(rows))

    assert PollingStation.objects.count() == 4


# ---- Photos ----------------------------------------------------------------------------


def test_a_photo_is_stored_without_its_exif_location():
    original = photo_jpeg(gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)

    content_type, stored = attachment_clean(SimpleUploadedFile("p.jpg", original))

    image = Image.open(io.BytesIO(stored.read()))
    assert content_type == "image/jpeg"
    assert image.size == (16, 12)
    assert not image.getexif()
    assert b"PhoneMaker" not in stored.open().read()


def test_a_photo_claiming_too_many_pixels_is_refused(monkeypatch):
    monkeypatch.setattr(attachments, "MAX_IMAGE_PIXELS", 100)

    with pytest.raises(Exception) as error:
        attachment_clean(SimpleUploadedFile("huge.jpg", photo_jpeg(size=(20, 20))))

    assert "the limit is" in " ".join(error.value.messages)


def test_a_file_that_only_begins_like_a_jpeg_is_refused():
    fake = SimpleUploadedFile("p.jpg", b"\xff\xd8\xff\xe0" + b"<script>" * 40)

    with pytest.raises(Exception) as error:
        attachment_clean(fake)

    assert "is not a photo that can be read" in " ".join(error.value.messages)


# ---- Exports ---------------------------------------------------------------------------

FORMULAE = ["=1+1", "@SUM(1+1)", "+1-2", "-2+3", "\t=1", "\r=1"]


@pytest.mark.parametrize("value", FORMULAE)
def test_a_formula_like_cell_is_neutralised(value):
    assert cell_neutralise(value) == "'" + value
    assert cell_neutralise("School No. 1") == "School No. 1"
    assert cell_neutralise(-2) == -2


def _export(client, format_index: str):
    url = reverse("admin:stations_pollingstation_export")
    page = client.get(url)
    fields = {name: "on" for name in page.context["form"].fields if "resource_" in name}
    return client.post(url, {"format": format_index, "resource": "0", **fields})


def test_csv_and_xlsx_exports_neutralise_formulae_and_read_back(coordinator_client, personas):
    election = personas.mission_a.election
    for number, name in enumerate(FORMULAE, start=1):
        PollingStationFactory(election=election, number=str(number), name=name, area=None)

    rows = list(csv.reader(io.StringIO(_export(coordinator_client, "0").content.decode())))
    names = [row[rows[0].index("name")] for row in rows[1:]]
    workbook = load_workbook(io.BytesIO(_export(coordinator_client, "1").content))
    sheet = list(workbook.worksheets[0].iter_rows(values_only=True))
    xlsx_names = [row[sheet[0].index("name")] for row in sheet[1:]]

    assert names == ["'" + value for value in FORMULAE]
    assert xlsx_names == ["'" + value for value in FORMULAE]
    again = stations_import(
        election=election, file_name="export.csv", content=_export(coordinator_client, "0").content
    )
    # Every import trims a cell's surrounding whitespace, so only the tab and CR ones change.
    assert [s.name for s in again.unchanged] == FORMULAE[:4]
