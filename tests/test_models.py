"""Constraints and invariants as the database and the models hold them, and the services
that keep derived data (area paths, accreditations) right."""

import datetime
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from missions.models import ActivityStation, Election, Mission
from observers.models import Participation
from observers.services import participations_accredit, participations_revoke
from stations.models import Area, PollingStation
from stations.services import area_save
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    DelegationFactory,
    MissionFactory,
    ObserverFactory,
    ParticipationFactory,
    PollingStationFactory,
)

pytestmark = pytest.mark.django_db


@contextmanager
def refused_by_database():
    """Expect an IntegrityError, in a savepoint of its own so the test can query on."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


def messages_of(error: ValidationError, field: str) -> list[str]:
    return [str(message) for message in error.message_dict.get(field, [])]


# --- Missions and elections -----------------------------------------------------------------


def test_a_mission_cannot_end_before_it_starts():
    with refused_by_database():
        MissionFactory(starts_on=datetime.date(2022, 11, 20), ends_on=datetime.date(2022, 11, 17))

    assert not Mission.objects.exists()


def test_a_one_day_mission_is_allowed():
    day = datetime.date(2022, 11, 20)
    mission = MissionFactory(starts_on=day, ends_on=day)

    mission.full_clean()
    assert Mission.objects.get(pk=mission.pk).ends_on == day


def test_full_clean_explains_a_mission_period_that_ends_before_it_starts():
    mission = MissionFactory.build(
        starts_on=datetime.date(2022, 11, 20), ends_on=datetime.date(2022, 11, 17), election=None
    )

    with pytest.raises(ValidationError) as error:
        mission.full_clean()

    assert "The mission cannot end before it starts." in error.value.messages


def test_a_mission_cannot_be_formed_before_it_was_invited():
    mission = MissionFactory.build(
        invited_on=datetime.date(2022, 10, 1), formed_on=datetime.date(2022, 9, 27), election=None
    )

    with pytest.raises(ValidationError) as error:
        mission.full_clean()

    assert messages_of(error.value, "formed_on") == [
        "A mission is formed after the invitation, not before it."
    ]


@pytest.mark.parametrize("turnout", ["-0.01", "100.01"])
def test_the_database_refuses_a_turnout_outside_0_to_100(turnout):
    election = MissionFactory().election
    election.official_turnout = Decimal(turnout)

    with refused_by_database():
        election.save()

    election.refresh_from_db()
    assert election.official_turnout is None


@pytest.mark.parametrize("turnout", ["0", "100", "68.49"])
def test_a_turnout_between_0_and_100_is_stored(turnout):
    election = MissionFactory().election
    election.official_turnout = Decimal(turnout)
    election.save()

    election.full_clean()
    assert Election.objects.get(pk=election.pk).official_turnout == Decimal(turnout)


def test_full_clean_refuses_a_turnout_above_100():
    election = MissionFactory().election
    election.official_turnout = Decimal("100.5")

    with pytest.raises(ValidationError) as error:
        election.full_clean()

    assert "official_turnout" in error.value.message_dict


def test_polling_stations_abroad_cannot_outnumber_all_polling_stations():
    election = MissionFactory().election
    election.stations_total = 10_101
    election.stations_abroad = 10_102

    with refused_by_database():
        election.save()

    election.refresh_from_db()
    assert election.stations_abroad is None


def test_polling_stations_abroad_may_equal_the_total_or_stand_alone():
    election = MissionFactory().election
    election.stations_total = 68
    election.stations_abroad = 68
    election.save()
    other = MissionFactory().election
    other.stations_abroad = 68  # the total is not published yet
    other.save()

    assert Election.objects.get(pk=election.pk).stations_at_home == 0
    assert Election.objects.get(pk=other.pk).stations_abroad == 68


# --- Participations -------------------------------------------------------------------------


def test_a_mission_has_at_most_one_head():
    mission = MissionFactory()
    ParticipationFactory(mission=mission, role=Participation.Role.HEAD)

    with refused_by_database():
        ParticipationFactory(mission=mission, role=Participation.Role.HEAD)

    assert mission.participations.filter(role=Participation.Role.HEAD).count() == 1


def test_each_mission_may_have_its_own_head():
    ParticipationFactory(role=Participation.Role.HEAD)
    ParticipationFactory(role=Participation.Role.HEAD)

    assert Participation.objects.filter(role=Participation.Role.HEAD).count() == 2


def test_a_person_serves_once_per_mission():
    participation = ParticipationFactory()

    with refused_by_database():
        ParticipationFactory(mission=participation.mission, observer=participation.observer)

    assert participation.observer.participations.count() == 1


def test_a_person_may_serve_on_two_missions():
    observer = ObserverFactory()
    ParticipationFactory(observer=observer)
    ParticipationFactory(observer=observer)

    assert observer.participations.values("mission").distinct().count() == 2


def test_an_accreditation_number_is_unique_within_a_mission():
    participation = ParticipationFactory(accreditation_number="KZ-0001")

    with refused_by_database():
        ParticipationFactory(mission=participation.mission, accreditation_number="KZ-0001")

    assert Participation.objects.filter(accreditation_number="KZ-0001").count() == 1


def test_many_participations_of_a_mission_may_await_their_accreditation_number():
    mission = MissionFactory()
    ParticipationFactory.create_batch(3, mission=mission, accreditation_number="")

    assert mission.participations.filter(accreditation_number="").count() == 3


def test_two_missions_may_issue_the_same_accreditation_number():
    ParticipationFactory(accreditation_number="KZ-0001")
    ParticipationFactory(accreditation_number="KZ-0001")

    assert Participation.objects.filter(accreditation_number="KZ-0001").count() == 2


def test_a_participation_cannot_belong_to_another_missions_delegation():
    mission = MissionFactory()
    foreign_delegation = DelegationFactory()
    participation = Participation(
        mission=mission, observer=ObserverFactory(), delegation=foreign_delegation
    )

    with pytest.raises(ValidationError) as error:
        participation.full_clean()

    assert messages_of(error.value, "delegation") == ["This delegation is not in this mission."]


# --- Polling stations -----------------------------------------------------------------------


def test_a_station_number_is_unique_within_an_election():
    station = PollingStationFactory(number="83")

    with refused_by_database():
        PollingStationFactory(election=station.election, number="83")

    assert station.election.stations.filter(number="83").count() == 1


def test_two_elections_may_have_a_station_with_the_same_number():
    PollingStationFactory(number="83")
    PollingStationFactory(number="83")

    assert PollingStation.objects.filter(number="83").count() == 2


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(Decimal("51.128207"), None), (None, Decimal("71.430411"))],
    ids=["latitude-only", "longitude-only"],
)
def test_station_coordinates_come_in_pairs(latitude, longitude):
    with refused_by_database():
        PollingStationFactory(latitude=latitude, longitude=longitude)

    assert not PollingStation.objects.exists()


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (Decimal("90.000001"), Decimal("71")),
        (Decimal("-90.5"), Decimal("71")),
        (Decimal("51"), Decimal("180.000001")),
        (Decimal("51"), Decimal("-181")),
    ],
)
def test_the_database_refuses_coordinates_out_of_range(latitude, longitude):
    with refused_by_database():
        PollingStationFactory(latitude=latitude, longitude=longitude)

    assert not PollingStation.objects.exists()


def test_full_clean_refuses_a_latitude_out_of_range():
    station = PollingStationFactory()
    station.latitude = Decimal("91")
    station.longitude = Decimal("71")

    with pytest.raises(ValidationError) as error:
        station.full_clean()

    assert "latitude" in error.value.message_dict
    assert "longitude" not in error.value.message_dict


def test_a_station_with_both_coordinates_or_neither_is_stored():
    located = PollingStationFactory(latitude=Decimal("-90"), longitude=Decimal("180"))
    unlocated = PollingStationFactory(latitude=None, longitude=None)

    located.refresh_from_db()
    unlocated.refresh_from_db()
    assert (located.latitude, located.longitude) == (Decimal("-90"), Decimal("180"))
    assert (unlocated.latitude, unlocated.longitude) == (None, None)


def test_a_station_cannot_lie_in_another_elections_area():
    station = PollingStationFactory()
    station.area = AreaFactory()  # in an election of its own

    with pytest.raises(ValidationError) as error:
        station.full_clean()

    assert messages_of(error.value, "area") == ["This area belongs to another election."]


def test_an_activity_cannot_visit_another_missions_station():
    activity = ActivityFactory()
    visit = ActivityStation(activity=activity, station=PollingStationFactory(), position=0)

    with pytest.raises(ValidationError) as error:
        visit.full_clean()

    assert messages_of(error.value, "station") == ["This polling station is not in this election."]


# --- Areas ----------------------------------------------------------------------------------


def test_top_level_area_names_are_unique_within_an_election():
    region = AreaFactory(name="Almaty Region")

    with refused_by_database():
        AreaFactory(election=region.election, name="Almaty Region")

    assert region.election.areas.filter(name="Almaty Region").count() == 1


def test_two_elections_may_each_have_a_top_level_area_of_the_same_name():
    AreaFactory(name="Almaty Region")
    AreaFactory(name="Almaty Region")

    assert Area.objects.filter(name="Almaty Region", parent=None).count() == 2


def test_area_names_are_unique_within_their_parent():
    region = AreaFactory(kind=Area.Kind.REGION)
    AreaFactory(election=region.election, parent=region, name="Central District")

    with refused_by_database():
        AreaFactory(election=region.election, parent=region, name="Central District")

    assert region.children.filter(name="Central District").count() == 1


def test_two_parents_may_each_have_a_part_of_the_same_name():
    north = AreaFactory(name="North")
    south = AreaFactory(election=north.election, name="South")
    AreaFactory(election=north.election, parent=north, name="Central District")
    AreaFactory(election=north.election, parent=south, name="Central District")
    # and a top-level area may share the name of someone's part
    AreaFactory(election=north.election, name="Central District")

    assert north.election.areas.filter(name="Central District").count() == 3


def test_an_area_cannot_be_part_of_another_elections_area():
    foreign_region = AreaFactory()
    area = Area(election=MissionFactory().election, parent=foreign_region, kind="city", name="X")

    with pytest.raises(ValidationError) as error:
        area.full_clean(exclude=["path"])

    assert messages_of(error.value, "parent") == ["The parent area belongs to another election."]


def test_an_area_cannot_be_part_of_itself():
    region = AreaFactory()
    region.parent = region

    with pytest.raises(ValidationError) as error:
        region.full_clean()

    assert messages_of(error.value, "parent") == ["An area cannot be part of itself."]


def test_an_area_cannot_be_moved_under_its_own_descendant():
    region = AreaFactory(name="Region")
    city = AreaFactory(election=region.election, parent=region, name="City")
    district = AreaFactory(election=region.election, parent=city, name="District")
    region.parent = district

    with pytest.raises(ValidationError) as error:
        area_save(area=region)

    assert messages_of(error.value, "parent") == ["An area cannot be part of itself."]
    region.refresh_from_db()
    assert region.parent is None
    assert region.path == "Region"


def test_an_area_name_cannot_contain_the_path_separator():
    area = Area(election=MissionFactory().election, kind="city", name="Nur-Sultan/Astana")

    with pytest.raises(ValidationError) as error:
        area_save(area=area)

    assert "name" in error.value.message_dict
    assert not Area.objects.exists()


# --- area_save ------------------------------------------------------------------------------


@pytest.fixture
def area_tree():
    """North → Town → Centre, South, and Northern → Outskirts (a name that starts like North)."""
    election = MissionFactory().election
    north = area_save(area=Area(election=election, kind="region", name="North"))
    town = area_save(area=Area(election=election, parent=north, kind="city", name="Town"))
    area_save(area=Area(election=election, parent=town, kind="district", name="Centre"))
    area_save(area=Area(election=election, kind="region", name="South"))
    northern = area_save(area=Area(election=election, kind="region", name="Northern"))
    area_save(area=Area(election=election, parent=northern, kind="city", name="Outskirts"))
    return election


def stored_paths(election) -> list[str]:
    return list(election.areas.order_by("path").values_list("path", flat=True))


def test_area_save_stores_the_path_from_the_root(area_tree):
    assert stored_paths(area_tree) == [
        "North",
        "North / Town",
        "North / Town / Centre",
        "Northern",
        "Northern / Outskirts",
        "South",
    ]


def test_renaming_an_area_renames_the_paths_of_all_its_descendants(area_tree):
    north = area_tree.areas.get(path="North")
    north.name = "Upper North"

    area_save(area=north)

    assert stored_paths(area_tree) == [
        "Northern",
        "Northern / Outskirts",
        "South",
        "Upper North",
        "Upper North / Town",
        "Upper North / Town / Centre",
    ]


def test_moving_an_area_moves_the_paths_of_all_its_descendants(area_tree):
    town = area_tree.areas.get(path="North / Town")
    town.parent = area_tree.areas.get(path="South")

    area_save(area=town)

    assert stored_paths(area_tree) == [
        "North",
        "Northern",
        "Northern / Outskirts",
        "South",
        "South / Town",
        "South / Town / Centre",
    ]


def test_moving_an_area_to_the_top_level_shortens_its_descendants_paths(area_tree):
    town = area_tree.areas.get(path="North / Town")
    town.parent = None

    area_save(area=town)

    assert stored_paths(area_tree) == [
        "North",
        "Northern",
        "Northern / Outskirts",
        "South",
        "Town",
        "Town / Centre",
    ]


def test_area_save_leaves_another_elections_paths_alone(area_tree):
    other = MissionFactory().election
    area_save(area=Area(election=other, kind="region", name="North"))
    north = area_tree.areas.get(path="North")
    north.name = "Upper North"

    area_save(area=north)

    assert stored_paths(other) == ["North"]


# --- Accreditation --------------------------------------------------------------------------


def test_accrediting_fills_the_date_and_the_election_commission_as_issuing_body():
    participation = ParticipationFactory()
    commission = participation.mission.election.commission

    changed = participations_accredit(
        participations=Participation.objects.all(), accredited_on=datetime.date(2022, 11, 16)
    )

    participation.refresh_from_db()
    assert changed == 1
    assert participation.accreditation == Participation.Accreditation.ACCREDITED
    assert participation.accredited_on == datetime.date(2022, 11, 16)
    assert participation.accredited_by == commission
    assert participation.accreditation_number == ""


def test_accrediting_dates_the_accreditation_today_by_default():
    participation = ParticipationFactory()

    participations_accredit(participations=Participation.objects.all())

    participation.refresh_from_db()
    assert participation.accredited_on == timezone.localdate()


def test_accrediting_keeps_an_existing_number_date_and_issuing_body():
    participation = ParticipationFactory(
        accreditation=Participation.Accreditation.REVOKED,
        accreditation_number="KZ-0042",
        accredited_on=datetime.date(2022, 11, 10),
        accredited_by="Territorial Election Commission",
    )

    changed = participations_accredit(
        participations=Participation.objects.all(), accredited_on=datetime.date(2022, 11, 18)
    )

    participation.refresh_from_db()
    assert changed == 1
    assert participation.accreditation == Participation.Accreditation.ACCREDITED
    assert participation.accreditation_number == "KZ-0042"
    assert participation.accredited_on == datetime.date(2022, 11, 10)
    assert participation.accredited_by == "Territorial Election Commission"


def test_accrediting_names_the_given_issuing_body_over_the_commission():
    participation = ParticipationFactory()

    participations_accredit(
        participations=Participation.objects.all(), accredited_by="Ministry of Foreign Affairs"
    )

    participation.refresh_from_db()
    assert participation.accredited_by == "Ministry of Foreign Affairs"


def test_accrediting_counts_only_participations_not_yet_accredited():
    accredited = ParticipationFactory(accredited=True)
    requested = ParticipationFactory(mission=accredited.mission)
    before = Participation.objects.values().get(pk=accredited.pk)

    changed = participations_accredit(participations=Participation.objects.all())

    assert changed == 1
    assert Participation.objects.values().get(pk=accredited.pk) == before
    requested.refresh_from_db()
    assert requested.is_accredited


def test_accrediting_only_touches_the_given_participations():
    chosen = ParticipationFactory()
    other = ParticipationFactory(mission=chosen.mission)

    participations_accredit(participations=Participation.objects.filter(pk=chosen.pk))

    other.refresh_from_db()
    assert other.accreditation == Participation.Accreditation.REQUESTED
    assert other.accredited_on is None


def test_revoking_keeps_the_accreditation_number_and_date_on_record():
    participation = ParticipationFactory(
        accredited=True, accreditation_number="KZ-0042", accredited_on=datetime.date(2022, 11, 10)
    )

    changed = participations_revoke(participations=Participation.objects.all())

    participation.refresh_from_db()
    assert changed == 1
    assert participation.accreditation == Participation.Accreditation.REVOKED
    assert participation.accreditation_number == "KZ-0042"
    assert participation.accredited_on == datetime.date(2022, 11, 10)
    assert participation.accredited_by == "Central Election Commission"


def test_revoking_leaves_requested_accreditations_requested():
    requested = ParticipationFactory()

    changed = participations_revoke(participations=Participation.objects.all())

    requested.refresh_from_db()
    assert changed == 0
    assert requested.accreditation == Participation.Accreditation.REQUESTED


def test_renaming_an_area_leaves_a_namesake_subtree_of_another_case_alone(db):
    from stations.models import Area
    from stations.services import area_save
    from tests.factories import AreaFactory, ElectionFactory

    election = ElectionFactory()
    kappa = AreaFactory(election=election, name="Kappa", kind="region")
    shouting = AreaFactory(election=election, name="KAPPA", kind="region")
    AreaFactory(election=election, parent=kappa, name="Town", kind="city")
    AreaFactory(election=election, parent=shouting, name="Town", kind="city")

    kappa.name = "Lambda"
    area_save(area=kappa)

    assert sorted(Area.objects.filter(election=election).values_list("path", flat=True)) == [
        "KAPPA",
        "KAPPA / Town",
        "Lambda",
        "Lambda / Town",
    ]
