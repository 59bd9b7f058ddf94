"""Importing polling stations and observers from CSV and XLSX: the services, the commands
and the admin pages, judged by what the database holds and what the user reads."""

import csv
import datetime
import io
import zipfile
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from missions.imports import MAX_ERRORS, ImportRejected
from observers.imports import observers_import
from observers.models import Delegation, Observer, Participation
from stations.imports import stations_import
from stations.models import Area, PollingStation
from tests.factories import (
    AreaFactory,
    MissionFactory,
    ObserverFactory,
    ParticipationFactory,
    PollingStationFactory,
)

STATION_HEADER = ["number", "name", "address", "area", "latitude", "longitude", "abroad"]
ROSTER_HEADER = ["full_name", "country", "delegation", "role", "accredited_on"]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"


def csv_file(rows, delimiter=",", bom=False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode()


def xlsx_file(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def database_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (PollingStation, Area, Observer, Delegation, Participation)
    }


def messages_of(rejection: pytest.ExceptionInfo[ImportRejected]) -> list[str]:
    return [str(error) for error in rejection.value.errors]


@pytest.fixture
def election(personas):
    election = personas.mission_a.election
    astana = AreaFactory(election=election, name="Astana", kind=Area.Kind.CITY)
    AreaFactory(election=election, parent=astana, name="Yesil District", kind=Area.Kind.DISTRICT)
    AreaFactory(election=election, parent=astana, name="Central", kind=Area.Kind.DISTRICT)
    almaty = AreaFactory(election=election, name="Almaty", kind=Area.Kind.CITY)
    AreaFactory(election=election, parent=almaty, name="Medeu District", kind=Area.Kind.DISTRICT)
    AreaFactory(election=election, parent=almaty, name="Central", kind=Area.Kind.DISTRICT)
    return election


def import_stations(election, rows, file_name="stations.csv"):
    return stations_import(election=election, file_name=file_name, content=csv_file(rows))


# ---- Polling stations ----


def test_a_csv_file_creates_stations_in_their_areas(election):
    result = import_stations(
        election,
        [
            STATION_HEADER,
            ["83", "School No. 83", "12 Kenesary St", "Astana / Yesil District", "51.1", "71.4"],
            ["84", "Lyceum", "", "almaty/medeu district", "", "", "no"],
            ["1-214", "Embassy in Moscow", "Moscow", "", "", "", "yes"],
        ],
    )

    assert len(result.created) == 3
    stations = {station.number: station for station in election.stations.select_related("area")}
    assert stations["83"].area.path == "Astana / Yesil District"
    assert stations["83"].latitude == Decimal("51.1")
    assert stations["84"].area.path == "Almaty / Medeu District"
    assert stations["1-214"].area is None
    assert stations["1-214"].is_abroad is True
    assert stations["84"].is_abroad is False


def test_an_area_may_be_named_alone_when_no_other_area_has_that_name(election):
    import_stations(election, [["number", "area"], ["1", "Yesil District"], ["2", "Astana"]])

    areas = dict(election.stations.values_list("number", "area__path"))
    assert areas == {"1": "Astana / Yesil District", "2": "Astana"}


def test_an_area_name_shared_by_two_areas_is_refused(election):
    with pytest.raises(ImportRejected) as rejection:
        import_stations(election, [["number", "area"], ["1", "Central"]])

    assert messages_of(rejection) == [
        "Row 2, area: “Central” names several areas (Almaty / Central; Astana / Central); "
        "give the whole path."
    ]


def test_an_xlsx_file_with_typed_numbers_is_imported(election):
    content = xlsx_file(
        [
            ["Number", "Name", "Area", "Latitude", "Longitude", "Abroad", "Registered voters"],
            [83, "School No. 83", "Astana / Yesil District", 51.1283, 71.4305, False, 2140],
            [None, None, None, None, None, None, None],
            [84, "Lyceum", "Almaty / Medeu District", None, None, None, 1890.0],
        ]
    )

    result = stations_import(election=election, file_name="stations.xlsx", content=content)

    assert len(result.created) == 2
    station = election.stations.get(number="83")
    assert (station.name, station.area.path) == ("School No. 83", "Astana / Yesil District")
    assert (station.latitude, station.longitude) == (Decimal("51.1283"), Decimal("71.4305"))
    assert election.stations.get(number="84").registered_voters == 1890


def test_headers_are_case_insensitive_and_a_semicolon_csv_with_decimal_commas_is_read(election):
    content = csv_file(
        [[" NUMBER ", "Area", "Latitude", "Longitude"], ["5", "Astana", "51,128312", "71,430502"]],
        delimiter=";",
        bom=True,
    )

    stations_import(election=election, file_name="stations.csv", content=content)

    station = election.stations.get(number="5")
    assert (station.latitude, station.longitude) == (Decimal("51.128312"), Decimal("71.430502"))


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [["number", "area"], ["1", "Astana"], ["2", "Nowhere"]],
            "Row 3, area: No area “Nowhere” in this election.",
        ),
        (
            [["number", "name"], ["1", "School"], ["2", "Lyceum"], ["1", "Gymnasium"]],
            "Row 4, number: Polling station 1 is already in row 2.",
        ),
        (
            [["number", "registered_voters"], ["1", "2140"], ["2", "many"]],
            "Row 3, registered_voters: “many” is not a whole number.",
        ),
        (
            [["number", "latitude", "longitude"], ["1", "95", "71.4"]],
            "Row 2, latitude: 95 is out of range; give a number from -90 to 90.",
        ),
        (
            [["number", "latitude", "longitude"], ["1", "51.1", "east"]],
            "Row 2, longitude: “east” is not a number.",
        ),
        (
            [["number", "latitude", "longitude"], ["1", "51.1", ""]],
            "Row 2, longitude: Give both latitude and longitude, or neither.",
        ),
        (
            [["number", "abroad"], ["1", "perhaps"]],
            "Row 2, abroad: “perhaps” is neither yes nor no.",
        ),
        (
            [["number", "name"], ["", "School"]],
            "Row 2, number: This is required.",
        ),
        (
            [["name", "area"], ["School", "Astana"]],
            "Column number: This column is required but missing from the first row.",
        ),
        (
            [["number", "adress"], ["1", "12 Kenesary St"]],
            "Row 1, adress: This import does not read a column of that name;",
        ),
        (
            [["number", "latitude"], ["1", "51.1"]],
            "Column longitude: Give both latitude and longitude columns, or neither.",
        ),
    ],
)
def test_a_bad_row_rejects_the_whole_file_naming_row_and_column(election, rows, message):
    PollingStationFactory(election=election, number="900")
    before = database_counts()

    with pytest.raises(ImportRejected) as rejection:
        import_stations(election, rows)

    assert messages_of(rejection)[0].startswith(message)
    assert database_counts() == before


@pytest.mark.parametrize(
    ("file_name", "content"),
    [
        ("photo.csv", PNG),
        ("statement.pdf", PDF),
        ("stations.csv", "number,name\n1,Школа\n".encode("cp1251")),
        ("letter.xlsx", b"PK\x03\x04 a damaged or foreign zip archive"),
    ],
)
def test_a_file_that_is_neither_csv_nor_xlsx_is_refused(election, file_name, content):
    before = database_counts()

    with pytest.raises(ImportRejected) as rejection:
        stations_import(election=election, file_name=file_name, content=content)

    assert messages_of(rejection) == [
        f"“{file_name}” is not a CSV or XLSX file. Save the spreadsheet as “CSV UTF-8” or as "
        "an Excel workbook (.xlsx) and try again."
    ]
    assert database_counts() == before


def test_a_zip_archive_that_is_not_a_workbook_is_refused(election):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")

    with pytest.raises(ImportRejected) as rejection:
        stations_import(election=election, file_name="report.docx", content=buffer.getvalue())

    assert "is not a CSV or XLSX file" in messages_of(rejection)[0]


def test_every_bad_row_is_reported_and_blank_rows_keep_their_numbers(election):
    rows = [
        ["number", "area", "registered_voters"],
        ["1", "Astana", "100"],
        ["", "", ""],
        ["2", "Atlantis", "100"],
        ["3", "Astana", "-4"],
        ["1", "Astana", "100"],
    ]

    with pytest.raises(ImportRejected) as rejection:
        import_stations(election, rows)

    assert [(error.row, error.field) for error in rejection.value.errors] == [
        (4, "area"),
        (5, "registered_voters"),
        (6, "number"),
    ]


def test_a_wholly_wrong_file_stops_at_a_readable_number_of_errors(election):
    rows = [["number", "area"]] + [[str(number), "Atlantis"] for number in range(200)]

    with pytest.raises(ImportRejected) as rejection:
        import_stations(election, rows)

    messages = messages_of(rejection)
    assert len(messages) == MAX_ERRORS + 1
    assert messages[-1] == (
        f"Checking stopped after {MAX_ERRORS} errors; correct these and import the file again."
    )


def test_reimporting_updates_known_numbers_and_leaves_missing_columns_alone(election):
    import_stations(
        election,
        [["number", "name", "area", "registered_voters"], ["1", "School", "Astana", "100"]]
        + [[str(number), "Lyceum", "Almaty", "200"] for number in range(2, 6)],
    )

    result = import_stations(
        election,
        [["number", "name", "registered_voters"], ["1", "School No. 1", "150"]]
        + [[str(number), "Lyceum", "200"] for number in range(2, 6)]
        + [["6", "Gymnasium", ""]],
    )

    assert (len(result.created), len(result.updated), len(result.unchanged)) == (1, 1, 4)
    first = election.stations.get(number="1")
    assert (first.name, first.registered_voters, first.area.path) == ("School No. 1", 150, "Astana")
    assert election.stations.count() == 6


def test_reimporting_with_blank_cells_clears_those_details(election):
    import_stations(
        election,
        [
            ["number", "area", "latitude", "longitude", "abroad", "registered_voters"],
            ["1", "Astana / Yesil District", "51.1", "71.4", "no", "100"],
            ["2", "Almaty", "43.2", "76.9", "no", "200"],
        ],
    )

    result = import_stations(
        election,
        [
            ["number", "area", "latitude", "longitude", "abroad", "registered_voters"],
            ["1", "", "", "", "yes", ""],
            ["2", "Astana", "43.25", "76.95", "no", "200"],
        ],
    )

    assert len(result.updated) == 2
    first, second = election.stations.order_by("number")
    assert (first.area, first.latitude, first.longitude) == (None, None, None)
    assert (first.is_abroad, first.registered_voters) == (True, None)
    assert (second.area.path, second.latitude, second.longitude) == (
        "Astana",
        Decimal("43.25"),
        Decimal("76.95"),
    )


def test_a_dry_run_reports_without_writing(election):
    result = stations_import(
        election=election,
        file_name="stations.csv",
        content=csv_file([["number"], ["1"], ["2"]]),
        dry_run=True,
    )

    assert len(result.created) == 2
    assert election.stations.count() == 0


@pytest.mark.parametrize("size", [5, 50])
def test_the_import_reads_the_database_once_however_long_the_file(
    election, django_assert_num_queries, size
):
    area = Area.objects.get(election=election, path="Astana / Yesil District")
    PollingStationFactory(election=election, number="1", area=area)
    rows = [["number", "name", "area"]] + [
        [str(number), "School", "Astana / Yesil District"] for number in range(1, size + 1)
    ]

    # Savepoint, lock the election, its areas, its stations, insert the new stations,
    # update the known one's name, insert the audit trail's entries (one INSERT), release
    # the savepoint.
    with django_assert_num_queries(8):
        import_stations(election, rows)

    assert election.stations.count() == size


# ---- Observers ----


def test_a_roster_creates_people_delegations_and_participations(personas):
    mission = personas.mission_b
    content = csv_file(
        [
            [*ROSTER_HEADER, "other_names", "delegation_kind", "accreditation"],
            [
                "Nurlan Abdirov",
                "Republic of Kazakhstan",
                "SCO Secretariat",
                "Head of mission",
                "15.11.2022",
                "Абдиров Нурлан ;  Abdirov N.",
                "body",
                "accredited",
            ],
            ["Aibek Dzhaparov", "Kyrgyz Republic", "Kyrgyz Republic", "", "2022-11-16", "", "", ""],
        ]
    )

    result = observers_import(mission=mission, file_name="roster.csv", content=content)

    assert (len(result.created), result.people_created, result.delegations_created) == (2, 2, 2)
    head = Participation.objects.select_related("observer", "delegation").get(
        mission=mission, role=Participation.Role.HEAD
    )
    assert head.observer.full_name == "Nurlan Abdirov"
    assert head.observer.other_names == "Абдиров Нурлан; Abdirov N."
    assert (head.delegation.name, head.delegation.kind) == ("SCO Secretariat", "body")
    assert head.accredited_on == datetime.date(2022, 11, 15)
    assert head.accreditation == Participation.Accreditation.ACCREDITED
    member = Participation.objects.get(mission=mission, observer__full_name="Aibek Dzhaparov")
    assert (member.role, member.accreditation) == ("observer", "requested")
    assert member.delegation.kind == Delegation.Kind.MEMBER_STATE


def test_a_person_already_in_the_installation_is_reused(personas):
    person = ObserverFactory(full_name="Aibek Dzhaparov", country="Kyrgyz Republic")
    ObserverFactory(full_name="Aibek Dzhaparov", country="Republic of Tajikistan")
    people_before = Observer.objects.count()
    content = csv_file(
        [
            ["full_name", "country", "delegation", "position"],
            ["Aibek Dzhaparov", "Kyrgyz Republic", "Kyrgyz Republic", "Member of Parliament"],
            ["Aibek  Dzhaparov", "Kazakhstan", "Kyrgyz Republic", ""],
        ]
    )

    observers_import(mission=personas.mission_b, file_name="roster.csv", content=content)

    assert Observer.objects.count() == people_before + 1
    person.refresh_from_db()
    assert person.position == "Member of Parliament"
    assert person.participations.get().mission == personas.mission_b


def test_a_person_serving_on_another_mission_is_not_taken_over(personas):
    other = personas.observer_participation.observer
    other.position = "Member of the Central Election Commission"
    other.save()
    content = csv_file(
        [
            ["full_name", "country", "delegation", "position"],
            [other.full_name, other.country, "Kyrgyz Republic", "Rewritten by mission B"],
        ]
    )

    observers_import(mission=personas.mission_b, file_name="roster.csv", content=content)

    other.refresh_from_db()
    assert other.position == "Member of the Central Election Commission"
    newcomer = Participation.objects.get(mission=personas.mission_b).observer
    assert newcomer.pk != other.pk
    assert newcomer.position == "Rewritten by mission B"


def test_reimporting_a_roster_updates_the_observers_already_on_it(personas):
    participation = personas.observer_participation
    observer = participation.observer
    content = csv_file(
        [
            ["full_name", "country", "delegation", "role", "accreditation_number"],
            [observer.full_name, observer.country, "Secretariat", "expert", "B-0001"],
        ]
    )

    result = observers_import(mission=personas.mission_a, file_name="roster.csv", content=content)

    assert (len(result.created), len(result.updated)) == (0, 1)
    participation.refresh_from_db()
    assert participation.role == Participation.Role.EXPERT
    assert participation.accreditation_number == "B-0001"
    assert participation.delegation.name == "Secretariat"
    # The accreditation column was not in the file: the accreditation stands.
    assert participation.accreditation == Participation.Accreditation.ACCREDITED


def test_the_head_seat_and_an_accreditation_number_can_change_hands_in_one_file(personas):
    mission = personas.mission_b
    old_head = ParticipationFactory(
        mission=mission, role=Participation.Role.HEAD, accreditation_number="H-1"
    )
    new_head = ParticipationFactory(mission=mission, delegation=old_head.delegation)
    content = csv_file(
        [
            ["full_name", "country", "delegation", "role", "accreditation_number"],
            [
                old_head.observer.full_name,
                old_head.observer.country,
                old_head.delegation.name,
                "observer",
                "",
            ],
            [
                new_head.observer.full_name,
                new_head.observer.country,
                new_head.delegation.name,
                "head",
                "H-1",
            ],
        ]
    )

    observers_import(mission=mission, file_name="roster.csv", content=content)

    new_head.refresh_from_db()
    assert (new_head.role, new_head.accreditation_number) == ("head", "H-1")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ["Aibek Dzhaparov", "Kyrgyz Republic", "Kyrgyz Republic", "observer", "31.02.2022"],
            "Row 3, accredited_on: “31.02.2022” is not a date; write it as 2022-11-15 or "
            "15.11.2022.",
        ),
        (
            ["Aibek Dzhaparov", "Kyrgyz Republic", "Kyrgyz Republic", "chief", ""],
            "Row 3, role: “chief” is not one of: head, observer, expert, aide.",
        ),
        (
            ["", "Kyrgyz Republic", "Kyrgyz Republic", "observer", ""],
            "Row 3, full_name: This is required.",
        ),
        (
            ["Nurlan Abdirov", "Republic of Kazakhstan", "Secretariat", "", ""],
            "Row 3, full_name: Nurlan Abdirov is already in row 2.",
        ),
        (
            ["Aibek Dzhaparov", "Kyrgyz Republic", "Kyrgyz Republic", "head", ""],
            "Row 3, role: Nurlan Abdirov in row 2 is head of mission already, and a mission "
            "has one head.",
        ),
    ],
)
def test_a_bad_roster_row_rejects_the_whole_file(personas, row, message):
    before = database_counts()
    content = csv_file(
        [
            ROSTER_HEADER,
            ["Nurlan Abdirov", "Republic of Kazakhstan", "Secretariat", "head", "2022-11-15"],
            row,
        ]
    )

    with pytest.raises(ImportRejected) as rejection:
        observers_import(mission=personas.mission_b, file_name="roster.csv", content=content)

    assert messages_of(rejection) == [message]
    assert database_counts() == before


def test_a_roster_cannot_reuse_an_accreditation_number_or_add_a_second_head(personas):
    ParticipationFactory(mission=personas.mission_a, role=Participation.Role.HEAD)
    taken = personas.observer_participation
    before = database_counts()
    content = csv_file(
        [
            ["full_name", "delegation", "role", "accreditation_number"],
            ["Nurlan Abdirov", "Secretariat", "head", ""],
            ["Aibek Dzhaparov", "Secretariat", "observer", taken.accreditation_number],
        ]
    )

    with pytest.raises(ImportRejected) as rejection:
        observers_import(mission=personas.mission_a, file_name="roster.csv", content=content)

    assert [(error.row, error.field) for error in rejection.value.errors] == [
        (2, "role"),
        (3, "accreditation_number"),
    ]
    assert f"is already the accreditation number of {taken.observer.full_name}" in str(
        rejection.value
    )
    assert database_counts() == before


def test_an_xlsx_roster_with_date_cells_is_imported(personas):
    content = xlsx_file(
        [
            ["Full name", "Delegation", "Accredited on", "Accreditation number"],
            ["Nurlan Abdirov", "Secretariat", datetime.datetime(2022, 11, 15), 1017],
        ]
    )

    observers_import(mission=personas.mission_b, file_name="roster.xlsx", content=content)

    participation = Participation.objects.get(mission=personas.mission_b)
    assert participation.accredited_on == datetime.date(2022, 11, 15)
    assert participation.accreditation_number == "1017"


# ---- Commands ----


def test_the_stations_command_imports_and_prints_counts(election, tmp_path):
    path = tmp_path / "stations.csv"
    path.write_bytes(csv_file([["number", "area"], ["1", "Astana"], ["2", "Almaty"]]))
    out = io.StringIO()

    call_command("import_stations", str(path), mission="mission-a", stdout=out)

    assert "2 polling stations created, 0 updated, 0 unchanged" in out.getvalue()
    assert election.stations.count() == 2


def test_the_stations_command_prints_every_bad_row_and_fails(election, tmp_path):
    path = tmp_path / "stations.csv"
    path.write_bytes(csv_file([["number", "area"], ["1", "Atlantis"], ["2", "Lemuria"]]))
    err = io.StringIO()

    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_stations", str(path), mission="mission-a", stderr=err)

    assert [line[:13] for line in err.getvalue().splitlines()] == ["Row 2, area: ", "Row 3, area: "]
    assert election.stations.count() == 0


def test_the_commands_refuse_an_unknown_mission(db, tmp_path):
    path = tmp_path / "file.csv"
    path.write_bytes(csv_file([["number"], ["1"]]))

    with pytest.raises(CommandError, match="No mission with the slug “nowhere”"):
        call_command("import_stations", str(path), mission="nowhere")
    with pytest.raises(CommandError, match="No mission with the slug “nowhere”"):
        call_command("import_observers", str(path), mission="nowhere")


def test_the_stations_command_refuses_a_mission_without_an_election(db, tmp_path):
    MissionFactory(slug="no-election", election=None)
    path = tmp_path / "file.csv"
    path.write_bytes(csv_file([["number"], ["1"]]))

    with pytest.raises(CommandError, match="has no election yet"):
        call_command("import_stations", str(path), mission="no-election")


def test_the_observers_command_imports_the_roster(personas, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_file([["full_name", "delegation"], ["Nurlan Abdirov", "Secretariat"]]))
    out = io.StringIO()

    call_command("import_observers", str(path), mission="mission-b", stdout=out)

    assert "1 observers added, 0 updated" in out.getvalue()
    assert personas.mission_b.participations.get().observer.full_name == "Nurlan Abdirov"


def test_the_observers_command_dry_run_writes_nothing(personas, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_file([["full_name", "delegation"], ["Nurlan Abdirov", "Secretariat"]]))
    out = io.StringIO()

    call_command("import_observers", str(path), mission="mission-b", dry_run=True, stdout=out)

    assert "Nothing was written" in out.getvalue()
    assert not personas.mission_b.participations.exists()


# ---- Admin ----


class _HiddenInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.values[attributes["name"]] = attributes.get("value") or ""


def hidden_inputs(response) -> dict[str, str]:
    parser = _HiddenInputs()
    parser.feed(response.content.decode())
    return parser.values


def admin_upload(client, url_name, mission, file_name, content):
    return client.post(
        reverse(url_name),
        {
            "mission": mission.pk,
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile(file_name, content),
        },
    )


STATIONS_IMPORT = "admin:stations_pollingstation_import"
STATIONS_CONFIRM = "admin:stations_pollingstation_process_import"


def test_a_coordinator_is_offered_only_their_own_missions(coordinator_client, personas):
    response = coordinator_client.get(reverse(STATIONS_IMPORT))

    assert response.status_code == 200
    assert list(response.context["form"].fields["mission"].queryset) == [personas.mission_a]
    assert "Mission B" not in response.content.decode()


def test_a_coordinator_imports_stations_after_confirming_the_preview(
    coordinator_client, personas, election
):
    content = csv_file([["number", "name", "area"], ["1", "School", "Astana"], ["2", "", ""]])

    preview = admin_upload(
        coordinator_client, STATIONS_IMPORT, personas.mission_a, "s.csv", content
    )

    assert "2 new, 0 to update, 0 unchanged" in preview.content.decode()
    assert election.stations.count() == 0
    confirmed = coordinator_client.post(reverse(STATIONS_CONFIRM), hidden_inputs(preview))
    assert confirmed.status_code == 302
    assert dict(election.stations.values_list("number", "area__path")) == {"1": "Astana", "2": None}


def test_an_upload_with_a_bad_row_shows_the_row_and_writes_nothing(
    coordinator_client, personas, election
):
    content = csv_file([["number", "area"], ["1", "Astana"], ["2", "Atlantis"]])

    response = admin_upload(
        coordinator_client, STATIONS_IMPORT, personas.mission_a, "s.csv", content
    )

    page = response.content.decode()
    assert "The file was not imported" in page
    assert "Row 3, area: No area “Atlantis” in this election." in page
    assert "Confirm import" not in page
    assert election.stations.count() == 0


def test_an_upload_of_a_picture_is_refused_on_the_page(coordinator_client, personas, election):
    response = admin_upload(coordinator_client, STATIONS_IMPORT, personas.mission_a, "p.csv", PNG)

    assert "“p.csv” is not a CSV or XLSX file." in response.content.decode()
    assert election.stations.count() == 0


def test_a_coordinator_cannot_import_into_another_mission(outsider_client, personas, election):
    content = csv_file([["number"], ["1"]])

    response = admin_upload(outsider_client, STATIONS_IMPORT, personas.mission_a, "s.csv", content)

    assert response.context["form"].errors["mission"]
    assert election.stations.count() == 0


def test_a_confirmation_tampered_to_another_mission_is_refused(
    coordinator_client, outsider_client, personas, election
):
    content = csv_file([["number"], ["1"]])
    outsider_preview = admin_upload(
        outsider_client, STATIONS_IMPORT, personas.mission_b, "s.csv", content
    )
    tampered = {**hidden_inputs(outsider_preview), "mission": str(personas.mission_a.pk)}

    response = outsider_client.post(reverse(STATIONS_CONFIRM), tampered)

    assert response.status_code == 200
    assert "mission" in response.context["confirm_form"].errors
    assert PollingStation.objects.count() == 0


def test_an_export_is_a_csv_the_import_reads_back(coordinator_client, personas, election):
    import_stations(
        election,
        [
            [*STATION_HEADER, "registered_voters"],
            ["1", "School", "12 Kenesary St", "Astana / Yesil District", "51.1", "71.4", "", "9"],
            ["2", "Embassy", "", "", "", "", "yes", ""],
        ],
    )
    PollingStationFactory(election=personas.mission_b.election, number="77")
    export_page = coordinator_client.get(reverse("admin:stations_pollingstation_export"))
    fields = {name: "on" for name in export_page.context["form"].fields if "resource_" in name}

    response = coordinator_client.post(
        reverse("admin:stations_pollingstation_export"), {"format": "0", "resource": "0", **fields}
    )

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [*STATION_HEADER, "registered_voters"]
    assert rows[1] == [
        "1",
        "School",
        "12 Kenesary St",
        "Astana / Yesil District",
        "51.100000",
        "71.400000",
        "no",
        "9",
    ]
    assert [row[0] for row in rows[1:]] == ["1", "2"]
    again = stations_import(election=election, file_name="export.csv", content=response.content)
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 2)


def test_a_coordinator_imports_a_roster_from_the_admin(coordinator_client, personas):
    content = xlsx_file(
        [["full_name", "delegation", "role"], ["Nurlan Abdirov", "Secretariat", "head"]]
    )

    preview = admin_upload(
        coordinator_client,
        "admin:observers_participation_import",
        personas.mission_a,
        "roster.xlsx",
        content,
    )
    coordinator_client.post(
        reverse("admin:observers_participation_process_import"), hidden_inputs(preview)
    )

    head = personas.mission_a.participations.get(role=Participation.Role.HEAD)
    assert head.observer.full_name == "Nurlan Abdirov"


def test_the_roster_export_holds_the_import_columns(coordinator_client, personas):
    export_page = coordinator_client.get(reverse("admin:observers_participation_export"))
    fields = {name: "on" for name in export_page.context["form"].fields if "resource_" in name}

    response = coordinator_client.post(
        reverse("admin:observers_participation_export"), {"format": "0", "resource": "0", **fields}
    )

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    participation = personas.observer_participation
    assert rows[0][:3] == ["full_name", "other_names", "position"]
    assert [row[0] for row in rows[1:]] == [participation.observer.full_name]
    assert rows[1][rows[0].index("accredited_on")] == "2022-11-15"
    again = observers_import(
        mission=personas.mission_a, file_name="roster.csv", content=response.content
    )
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 1)


def test_an_xlsx_export_is_a_workbook_the_import_reads_back(coordinator_client, election):
    import_stations(
        election, [["number", "area", "latitude", "longitude"], ["1", "Astana", "51.1", "71.4"]]
    )
    export_page = coordinator_client.get(reverse("admin:stations_pollingstation_export"))
    fields = {name: "on" for name in export_page.context["form"].fields if "resource_" in name}

    response = coordinator_client.post(
        reverse("admin:stations_pollingstation_export"), {"format": "1", "resource": "0", **fields}
    )

    assert response["Content-Disposition"].endswith('.xlsx"')
    again = stations_import(election=election, file_name="export.xlsx", content=response.content)
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 1)
