"""The demo mission against its sources: the SCO Mission's statement of 20 November 2022 and the
Secretary-General's media briefing of 21 November 2022 (/work/shared/seeds). The expected
strings below are typed from those texts, not read from the bundle."""

import datetime
import json
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from missions.bundle import mission_export
from missions.demo import DEMO_SLUG, demo_bundle
from missions.models import ActivityStation, Mission, MissionActivity, MissionMembership
from observers.models import Delegation, Observer, Participation
from stations.models import Area, PollingStation

CEC = "Central Election Commission of the Republic of Kazakhstan"

# Statement, section 1: the delegations in order, each member as (name, position, role).
ROSTER = [
    (
        "People's Republic of China",
        "state",
        [
            (
                "Wang Tao",
                "Envoy Counsellor of the Embassy of the People's Republic of China in the "
                "Republic of Kazakhstan",
                "observer",
            ),
            (
                "Li Zixin",
                "Attaché from the Embassy of the People's Republic of China to the Republic "
                "of Kazakhstan",
                "observer",
            ),
        ],
    ),
    (
        "Kyrgyz Republic",
        "state",
        [
            (
                "Anar Dubanbayeva",
                "Member of the Central Election Commission for Elections and Referendums of "
                "the Kyrgyz Republic",
                "observer",
            ),
            (
                "Kanimet Sarbagyshev",
                "Expert of the Department of International Cooperation and Interaction with "
                "Participants of the Electoral Process of the Central Election Commission for "
                "Elections and Referendums of the Kyrgyz Republic",
                "expert",
            ),
        ],
    ),
    (
        "Islamic Republic of Pakistan",
        "state",
        [
            (
                "Altaf Hussain",
                "Deputy Head of the Diplomatic Mission/Head of the Office of the Embassy of the "
                "Islamic Republic of Pakistan in the Republic of Kazakhstan",
                "observer",
            ),
        ],
    ),
    (
        "Russian Federation",
        "state",
        [
            (
                "Gennady Semigin",
                "Chairman of the Committee of the State Duma of the Russian Federation",
                "observer",
            ),
            (
                "Alexander Vysokinsky",
                "Member of the Federation Council Committee of the Federal Assembly of the "
                "Russian Federation",
                "observer",
            ),
            (
                "Konstantin Mazurevsky",
                "Member of the Central Election Commission of the Russian Federation",
                "observer",
            ),
        ],
    ),
    (
        "Republic of Tajikistan",
        "state",
        [
            (
                "Khidirzoda Mahfirat Umar",
                "Member of the Central Commission for Elections and Referendums of the "
                "Republic of Tajikistan",
                "observer",
            ),
            (
                "Yusufbek Shodmonbekov",
                "Member of the Central Commission for Elections and Referendums of the "
                "Republic of Tajikistan",
                "observer",
            ),
        ],
    ),
    (
        "Republic of Uzbekistan",
        "state",
        [
            (
                "Khudoyor Mamatov",
                "Head of the Secretariat of the Central Election Commission of the Republic "
                "of Uzbekistan",
                "observer",
            ),
        ],
    ),
    (
        "SCO Secretariat",
        "body",
        [
            ("Zhang Ming", "SCO Secretary-General", "head"),
            ("Iskander Baytasov", "Counsellor", "observer"),
            ("Fan Yingchuan", "Second Category Expert", "expert"),
            ("Zheng Haining", "administrative aide", "aide"),
            ("Azamat Kospanov", "administrative aide", "aide"),
        ],
    ),
    (
        "SCO RATS Executive Committee",
        "body",
        [
            ("Artur Golovanov", "Deputy Director of the SCO RATS Executive Committee", "observer"),
            ("Chaudhary Brij Mohan Singh", "administrative aide", "aide"),
        ],
    ),
]

# Statement, section 6: ballot order, name, nominating body, description. The typographic
# apostrophes and en dashes are the statement's own.
CANDIDATES = [
    (
        1,
        "Karakat Abden",
        "Republican Public Association National Alliance of Professional Social Workers",
        "",
    ),
    (2, "Nurlan Auesbaev", "opposition National Social Democratic Party", ""),
    (3, "Jiguli Dairabaev", "Auyl People’s Democratic Patriotic Party", ""),
    (4, "Meiram Kazhyken", "Amanat Republican Trade Union Association", ""),
    (
        5,
        "Kassym-Jomart Tokayev",
        "Amanat and Ak Zhol parties and the People’s Party of Kazakhstan",
        "the incumbent President of Kazakhstan",
    ),
    (
        6,
        "Saltanat Tursynbekova",
        "Republican Public Association Kazak Analary – Desturge Zhol (Kazakhstani Mothers – "
        "The Road to Traditions)",
        "",
    ),
]

ACCOUNT_LINE = re.compile(r"username: (\S+)\s+password: (\S+)")


def load_demo(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def database_counts() -> dict[str, int]:
    models = [
        Mission,
        Delegation,
        Observer,
        Participation,
        Area,
        PollingStation,
        MissionActivity,
        ActivityStation,
        MissionMembership,
        get_user_model(),
    ]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def demo(db) -> Mission:
    load_demo()
    return Mission.objects.select_related("election").get(slug=DEMO_SLUG)


def test_the_mission_has_the_statements_name_period_invitation_and_formation(demo):
    assert demo.organisation == "Shanghai Cooperation Organisation"
    assert demo.organisation_acronym == "SCO"
    assert demo.name == (
        "SCO Observer Mission to the early presidential election in the Republic of Kazakhstan"
    )
    assert demo.status == Mission.Status.CONCLUDED
    assert (demo.starts_on, demo.ends_on) == (
        datetime.date(2022, 11, 17),
        datetime.date(2022, 11, 20),
    )
    assert demo.inviting_body == "Ministry of Foreign Affairs of the Republic of Kazakhstan"
    assert demo.formed_on == datetime.date(2022, 9, 27)
    # The sources do not date the invitation itself.
    assert demo.invited_on is None


def test_the_election_carries_the_nationwide_figures(demo):
    election = demo.election
    assert election.country == "Republic of Kazakhstan"
    assert election.kind == "presidential"
    assert election.is_early is True
    assert election.election_day == datetime.date(2022, 11, 20)
    assert election.commission == CEC
    assert election.stations_total == 10_101
    assert election.stations_abroad == 68
    assert election.stations_abroad_countries == 53
    assert election.registered_voters == 11_950_485
    assert election.observers_from_organisations == 532
    assert election.organisations_count == 10
    assert election.observers_from_states == 109
    assert election.states_count == 35
    assert election.observers_accredited == 641
    # Announced by the commission after election day; the notes say it is not in the sources.
    assert str(election.official_turnout) == "69.44"
    assert election.has_against_all is True


def test_the_six_candidates_are_in_ballot_order_with_their_nominating_bodies(demo):
    candidates = [
        (c.ballot_position, c.full_name, c.nominated_by, c.description)
        for c in demo.election.candidates.order_by("ballot_position")
    ]
    assert candidates == CANDIDATES


def test_the_18_observers_are_accredited_by_the_commission_with_their_exact_positions(demo):
    participations = Participation.objects.filter(mission=demo).select_related("observer")
    assert participations.count() == 18
    expected = sorted(
        (name, position) for _name, _kind, members in ROSTER for name, position, _ in members
    )
    assert sorted((p.observer.full_name, p.observer.position) for p in participations) == expected
    assert {(p.accreditation, p.accredited_by) for p in participations} == {("accredited", CEC)}


def test_the_delegations_and_their_members_are_in_the_statements_order(demo):
    roster = [
        (
            delegation.name,
            delegation.kind,
            [
                (p.observer.full_name, p.observer.position, p.role)
                for p in delegation.participations.select_related("observer").order_by("position")
            ],
        )
        for delegation in Delegation.objects.filter(mission=demo).order_by("position")
    ]
    assert roster == ROSTER


def test_zhang_ming_heads_the_mission_from_the_secretariat(demo):
    head = Participation.objects.select_related("observer", "delegation").get(
        mission=demo, role=Participation.Role.HEAD
    )
    assert head.observer.full_name == "Zhang Ming"
    assert head.observer.position == "SCO Secretary-General"
    assert head.delegation.name == "SCO Secretariat"


def test_the_19_november_visit_lists_the_five_stations_in_the_statements_order(demo):
    visit = MissionActivity.objects.get(
        mission=demo, date=datetime.date(2022, 11, 19), kind=MissionActivity.Kind.PREPARATORY_VISIT
    )
    numbers = [v.station.number for v in visit.station_visits.select_related("station")]
    assert numbers == ["83", "58", "309", "111", "314"]
    assert "Zhang Ming" in visit.description


def test_the_media_briefing_keeps_its_date_after_the_mission_period(demo):
    briefing = MissionActivity.objects.get(mission=demo, kind=MissionActivity.Kind.BRIEFING)
    assert briefing.date == datetime.date(2022, 11, 21)


def test_the_areas_are_four_districts_of_astana_and_one_of_akmola_region(demo):
    areas = Area.objects.filter(election=demo.election)
    astana = areas.get(parent=None, name="Astana")
    akmola = areas.get(parent=None, name="Akmola Region")
    assert (astana.kind, akmola.kind) == ("city", "region")
    assert astana.children.filter(kind="district").count() == 4
    assert list(akmola.children.values_list("path", flat=True)) == [
        "Akmola Region / Tselinograd District"
    ]


def test_the_briefings_spellings_find_the_statements_names(demo):
    assert Observer.objects.get(other_names__icontains="Arthur Golovanov").full_name == (
        "Artur Golovanov"
    )
    assert Area.objects.get(other_names__icontains="Akmolinsk").name == "Akmola Region"


def test_at_least_22_stations_are_spread_over_all_five_districts(demo):
    stations = PollingStation.objects.filter(election=demo.election)
    assert stations.count() >= 22
    districts = Area.objects.filter(election=demo.election, kind="district")
    assert districts.count() == 5
    for district in districts:
        assert stations.filter(area=district).exists(), district.path
    assert stations.filter(area__isnull=True).count() == 0
    for station in stations:
        assert 1000 <= station.registered_voters <= 3000, station.number


def test_the_demo_round_trips_through_export(demo):
    bundle = demo_bundle()
    exported = json.loads(json.dumps(mission_export(mission=demo)))
    assert bundle["notes"], "the notes say which data are illustrative"
    assert {**exported, "notes": []} == {**bundle, "notes": []}


def test_loading_the_demo_twice_changes_nothing(demo):
    before = database_counts()

    output = load_demo()

    assert "already there" in output
    assert database_counts() == before


def test_it_tells_the_user_where_to_go(db):
    assert "http://127.0.0.1:8000/admin/" in load_demo()


def test_accounts_are_printed_and_can_log_in_with_their_roles(db, settings, client):
    settings.DEBUG = True

    output = load_demo("--accounts")

    passwords = dict(ACCOUNT_LINE.findall(output))
    assert sorted(passwords) == ["coordinator", "head", "observer", "press"]
    mission = Mission.objects.get(slug=DEMO_SLUG)
    users = {user.username: user for user in get_user_model().objects.all()}
    for username, password in passwords.items():
        assert client.login(username=username, password=password), username
        client.logout()

    coordinator = users["coordinator"]
    assert coordinator.is_staff and not coordinator.is_superuser
    assert mission.memberships.filter(user=coordinator, role="coordinator").exists()
    client.login(username="coordinator", password=passwords["coordinator"])
    response = client.get("/admin/missions/mission/")
    assert response.status_code == 200
    assert mission.name in response.text
    client.logout()

    assert not users["press"].is_staff
    assert mission.memberships.filter(user=users["press"], role="press").exists()
    assert not users["observer"].is_staff
    participation = Participation.objects.get(mission=mission, user=users["observer"])
    assert participation.observer.full_name == "Konstantin Mazurevsky"
    assert participation.is_accredited


def test_accounts_get_new_passwords_on_every_run_and_nothing_else_changes(db, settings, client):
    settings.DEBUG = True
    first = dict(ACCOUNT_LINE.findall(load_demo("--accounts")))
    counts = database_counts()

    second = dict(ACCOUNT_LINE.findall(load_demo("--accounts")))

    assert database_counts() == counts
    assert counts["User"] == 4
    for username in ("coordinator", "head", "observer", "press"):
        assert first[username] != second[username]
        assert not client.login(username=username, password=first[username])
        assert client.login(username=username, password=second[username])
        client.logout()


def test_accounts_are_refused_with_debug_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="local demo only"):
        load_demo("--accounts")

    assert not get_user_model().objects.exists()
    assert not Mission.objects.exists()


def test_the_head_account_is_zhang_ming_and_may_approve(db, settings):
    settings.DEBUG = True
    load_demo("--accounts")
    mission = Mission.objects.get(slug=DEMO_SLUG)
    head = get_user_model().objects.get(username="head")

    assert head.is_staff
    assert mission.memberships.filter(user=head, role="head").exists()
    assert Participation.objects.get(mission=mission, user=head).observer.full_name == "Zhang Ming"
