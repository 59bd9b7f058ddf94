import copy
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from missions.bundle import BundleError, mission_export, mission_import
from missions.models import Mission
from observers.models import Observer, Participation
from stations.models import Area, PollingStation
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    CandidateFactory,
    DelegationFactory,
    MissionFactory,
    ParticipationFactory,
    PollingStationFactory,
)


@pytest.fixture
def full_mission(db):
    mission = MissionFactory(name="Mission to the early presidential election", slug="kz-2022")
    election = mission.election
    election.stations_total = 10101
    election.stations_abroad = 68
    election.official_turnout = Decimal("69.44")
    election.has_against_all = True
    election.save()
    for position, name in enumerate(["Karakat Abden", "Nurlan Auesbaev"], start=1):
        CandidateFactory(election=election, ballot_position=position, full_name=name)
    china = DelegationFactory(mission=mission, name="People's Republic of China", position=0)
    secretariat = DelegationFactory(
        mission=mission, name="SCO Secretariat", kind="body", position=1
    )
    ParticipationFactory(
        mission=mission,
        delegation=secretariat,
        role="head",
        observer__full_name="Zhang Ming",
        observer__position="SCO Secretary-General",
        accredited=True,
    )
    ParticipationFactory(
        mission=mission,
        delegation=china,
        observer__full_name="Wang Tao",
        observer__other_names="Wang Tao (王涛)",
    )
    astana = AreaFactory(election=election, name="Astana", kind="city")
    yesil = AreaFactory(election=election, parent=astana, name="Yesil District", kind="district")
    stations = [
        PollingStationFactory(election=election, area=yesil, number=number)
        for number in ("83", "58", "309")
    ]
    stations[0].latitude, stations[0].longitude = Decimal("51.128207"), Decimal("71.430411")
    stations[0].save()
    visit = ActivityFactory(mission=mission, kind="visit", description="Visited stations")
    for position, station in enumerate(reversed(stations)):
        visit.station_visits.create(station=station, position=position)
    return mission


def test_export_then_import_under_a_new_slug_gives_the_same_bundle(full_mission):
    exported = json.loads(json.dumps(mission_export(mission=full_mission)))

    copy_of_mission = mission_import(bundle=exported, slug="kz-2022-copy")

    again = mission_export(mission=copy_of_mission)
    assert again["mission"]["slug"] == "kz-2022-copy"
    again["mission"]["slug"] = "kz-2022"
    assert again == exported
    assert Mission.objects.count() == 2
    # The same people serve on both missions: the person records are shared.
    assert Observer.objects.filter(full_name="Zhang Ming").count() == 1
    assert Participation.objects.filter(observer__full_name="Zhang Ming").count() == 2


def test_export_keeps_the_order_the_statement_follows(full_mission):
    bundle = mission_export(mission=full_mission)

    assert [d["name"] for d in bundle["delegations"]] == [
        "People's Republic of China",
        "SCO Secretariat",
    ]
    assert bundle["activities"][0]["stations"] == ["309", "58", "83"]
    assert [s["number"] for s in bundle["stations"]] == ["58", "83", "309"]
    assert bundle["stations"][1]["area"] == "Astana / Yesil District"
    assert bundle["election"]["figures"]["official_turnout"] == "69.44"


def test_the_export_command_writes_json_and_the_import_command_reads_it(
    full_mission, tmp_path, capsys
):
    call_command("export_mission", "kz-2022")
    path = tmp_path / "mission.json"
    path.write_text(capsys.readouterr().out, encoding="utf-8")

    call_command("import_mission", str(path), "--slug", "kz-2022-b")

    copied = Mission.objects.get(slug="kz-2022-b")
    assert copied.election.stations.count() == 3
    assert "Imported mission" in capsys.readouterr().out


def test_importing_an_existing_slug_is_refused_without_writing(full_mission):
    bundle = mission_export(mission=full_mission)

    with pytest.raises(BundleError, match="already exists") as error:
        mission_import(bundle=bundle)

    assert error.value.where == "mission.slug"
    assert Mission.objects.count() == 1


def _assert_refused(bundle, where, message):
    counts = (Mission.objects.count(), PollingStation.objects.count(), Area.objects.count())
    with pytest.raises(BundleError) as error:
        mission_import(bundle=bundle, slug="broken")
    assert error.value.where == where
    assert message in error.value.message
    assert (Mission.objects.count(), PollingStation.objects.count(), Area.objects.count()) == (
        counts
    )


@pytest.mark.parametrize(
    ("damage", "where", "message"),
    [
        (lambda b: b.update(format="something-else"), "format", "not a mission bundle"),
        (lambda b: b.update(version=99), "version", "not supported"),
        (lambda b: b.update(visits=[]), "", "unknown key “visits”"),
        (lambda b: b["mission"].pop("name"), "mission", "“name” is missing"),
        (
            lambda b: b["mission"].update(starts_on="2022-13-01"),
            "mission.starts_on",
            "invalid date",
        ),
        (
            lambda b: b["election"].update(kind="imperial"),
            "election.kind",
            "not a valid choice",
        ),
        (
            lambda b: b["delegations"][1]["members"][0].update(role="chief"),
            "delegations[1].members[0].role",
            "not a valid choice",
        ),
        (
            lambda b: b["stations"][2].update(area="Astana / Nowhere"),
            "stations[2].area",
            "no area “Astana / Nowhere”",
        ),
        (
            lambda b: b["stations"][2].update(number="58"),
            "stations[2].number",
            "appears twice",
        ),
        (
            lambda b: b["stations"][0].update(latitude="123.5", longitude="71.4"),
            "stations[0].latitude",
            "less than or equal to 90",
        ),
        (
            lambda b: b["activities"][0]["stations"].append("999"),
            "activities[0].stations[3]",
            "no polling station No. 999",
        ),
        (lambda b: b.update(stations={}), "stations", "expected a list"),
    ],
)
def test_a_damaged_bundle_is_refused_with_its_place_and_writes_nothing(
    full_mission, damage, where, message
):
    bundle = copy.deepcopy(mission_export(mission=full_mission))
    damage(bundle)

    _assert_refused(bundle, where, message)


def test_a_second_head_in_the_bundle_is_refused(full_mission):
    bundle = mission_export(mission=full_mission)
    bundle["delegations"][0]["members"][0]["role"] = "head"

    _assert_refused(bundle, "delegations[1].members[0]", "already has a head")


def test_the_import_command_explains_a_file_that_is_not_json(db, tmp_path):
    path = tmp_path / "mission.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_mission", str(path))


def test_the_export_command_refuses_an_unknown_mission(db):
    with pytest.raises(CommandError, match="No mission"):
        call_command("export_mission", "nowhere")
