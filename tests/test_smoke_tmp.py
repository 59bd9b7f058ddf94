import json

from django.core.management import call_command

from missions.bundle import mission_export, mission_import
from tests.factories import ActivityFactory, ParticipationFactory, PollingStationFactory


def test_round_trip(db, personas):
    s = PollingStationFactory(election=personas.mission_a.election)
    ParticipationFactory(mission=personas.mission_a)
    a = ActivityFactory(mission=personas.mission_a)
    a.station_visits.create(station=s, position=0)
    data = mission_export(mission=personas.mission_a)
    copy = mission_import(bundle=json.loads(json.dumps(data)), slug="copy")
    again = mission_export(mission=copy)
    data["mission"]["slug"] = "copy"
    assert again == data
