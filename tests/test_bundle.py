import copy
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from missions.bundle import BundleError, mission_export, mission_import
from missions.models import Mission
from observers.models import Observer, Participation, Team
from reports.models import StatementText, Visit
from reports.services import IncidentData, VisitData, visit_restore
from stations.models import Area, Assignment, PollingStation
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    CandidateFactory,
    DelegationFactory,
    MissionFactory,
    ParticipationFactory,
    PollingStationFactory,
)
from tests.visits_support import election_day, make_checklist


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
    _observations(mission, stations)
    return mission


def _observations(mission, stations):
    """Teams, an assignment, a checklist and a visit with answers and an incident."""
    mission.time_zone = "Asia/Almaty"
    mission.save()
    checklist = make_checklist(mission)
    members = list(Participation.objects.filter(mission=mission).order_by("pk"))
    team = Team.objects.create(mission=mission, name="Team 1")
    team.members.set(members)
    Assignment.objects.create(team=team, station=stations[0], date=mission.ends_on, phase="voting")
    questions = {q.code: q for q in checklist.questions.all()}
    visit_restore(
        participation=members[0],
        data=VisitData(
            station=stations[0],
            checklist=checklist,
            arrived_at=election_day(mission, 10),
            departed_at=election_day(mission, 11),
            voters_on_list=1800,
            ballots_issued=700,
            answers={
                questions["info_materials"].pk: "yes",
                questions["evacuation_plan"].pk: "no",
                questions["box_sealed"].pk: "yes",
                questions["atmosphere"].pk: "calm",
                questions["problems"].pk: ["queue"],
                questions["waiting"].pk: 12,
                questions["opened_at"].pk: "08:00",
            },
            incidents=[
                IncidentData(
                    category="campaigning",
                    severity="minor",
                    description="Posters at the entrance",
                    complaint_filed=True,
                    question=questions["atmosphere"],
                )
            ],
            observers=members[1:],
        ),
        review="reviewed",
    )
    StatementText.objects.create(
        mission=mission, section="legal_basis", body="1. The *Constitution*."
    )


def test_export_then_import_under_a_new_slug_gives_the_same_bundle(full_mission):
    exported = json.loads(json.dumps(mission_export(mission=full_mission)))

    copy_of_mission = mission_import(bundle=exported, slug="kz-2022-copy")

    again = mission_export(mission=copy_of_mission)
    assert again["mission"]["slug"] == "kz-2022-copy"
    again["mission"]["slug"] = "kz-2022"
    assert again == exported
    assert Mission.objects.count() == 2
    # The copy has its own people: importing it never rewrites the original's.
    assert Observer.objects.filter(full_name="Zhang Ming").count() == 2
    assert Participation.objects.filter(observer__full_name="Zhang Ming").count() == 2


def test_a_person_on_no_mission_yet_is_reused_by_an_import(full_mission):
    bundle = mission_export(mission=full_mission)
    Observer.objects.create(full_name="Li Wei", country="China")
    bundle["delegations"][0]["members"].append(
        {"full_name": "Li Wei", "country": "China", "position": "Counsellor", "role": "observer"}
    )

    copy = mission_import(bundle=bundle, slug="copy")

    assert Observer.objects.filter(full_name="Li Wei").count() == 1
    assert Participation.objects.get(mission=copy, observer__full_name="Li Wei")


def test_the_bundle_carries_visits_with_their_answers_incidents_and_review(full_mission):
    copy_of_mission = mission_import(bundle=mission_export(mission=full_mission), slug="copy")

    visit = Visit.objects.get(mission=copy_of_mission)
    assert visit.review == Visit.Review.REVIEWED
    assert visit.has_concerns
    assert visit.answers.get(question__code="evacuation_plan").is_concern
    assert visit.answers.get(question__code="problems").value == ["queue"]
    assert visit.incidents.get().complaint_filed
    assert visit.observers.count() == 2
    assert visit.checklist.mission == copy_of_mission
    assert copy_of_mission.teams.get().assignments.get().station.number == "83"
    assert copy_of_mission.statement_texts.get().body == "1. The *Constitution*."
    original = Visit.objects.get(mission=full_mission)
    assert visit.key != original.key


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
        (lambda b: b.update(ballots=[]), "", "unknown key “ballots”"),
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
        (
            lambda b: b["stations"][0].update(latitude="51.1", longitude=None),
            "stations[0].longitude",
            "both latitude and longitude",
        ),
        (
            lambda b: b["activities"][0]["stations"].append("58"),
            "activities[0].stations[3]",
            "listed twice",
        ),
        (
            lambda b: b["visits"][0]["answers"].update(box_sealed="maybe"),
            "visits[0].answers.box_sealed",
            "Select a valid choice",
        ),
        (
            lambda b: b["visits"][0]["answers"].pop("box_sealed"),
            "visits[0].answers.box_sealed",
            "This field is required",
        ),
        (
            lambda b: b["visits"][0].update(arrived_at="2023-01-01T10:00:00+06:00"),
            "visits[0].arrived_at",
            "outside the mission period",
        ),
        (
            lambda b: b["visits"][0].update(arrived_at="2022-11-20T10:00:00"),
            "visits[0].arrived_at",
            "with its offset",
        ),
        (
            lambda b: b["visits"][0].update(filed_by="Nobody"),
            "visits[0].filed_by",
            "no mission member “Nobody”",
        ),
        (
            lambda b: b["visits"][0].update(checklist_version=7),
            "visits[0].checklist",
            "no version 7",
        ),
        (
            lambda b: b["visits"][0]["incidents"][0].update(severity="apocalyptic"),
            "visits[0].incidents[0].severity",
            "not a valid choice",
        ),
        (
            lambda b: b["assignments"][0].update(team="Team Z"),
            "assignments[0].team",
            "no team “Team Z”",
        ),
        (
            lambda b: b["teams"][0]["members"].append("Nobody"),
            "teams[0].members[2]",
            "no mission member “Nobody”",
        ),
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


def test_the_export_command_refuses_a_mission_without_its_election(db):
    MissionFactory(slug="unfinished", election=None)

    with pytest.raises(CommandError, match="has no election yet"):
        call_command("export_mission", "unfinished")


def test_the_export_command_refuses_an_unknown_mission(db):
    with pytest.raises(CommandError, match="No mission"):
        call_command("export_mission", "nowhere")
