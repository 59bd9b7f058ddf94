"""The demo mission's field observations: what the statement of 20 November 2022 reports the
observers saw must be what the demo's visits hold."""

import datetime
import re
import zoneinfo
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from missions.demo import DEMO_SLUG
from missions.models import Mission
from observers.models import Team
from reports.models import Answer, Checklist, Incident, Visit
from stations.models import Assignment
from tests.visits_support import form_fields

ASTANA = zoneinfo.ZoneInfo("Asia/Almaty")


@pytest.fixture
def demo(db) -> Mission:
    call_command("load_demo", stdout=StringIO())
    return Mission.objects.get(slug=DEMO_SLUG)


def local_day(visit: Visit) -> datetime.date:
    return visit.arrived_at.astimezone(ASTANA).date()


def test_the_demo_carries_the_five_standard_checklists(demo):
    codes = set(Checklist.objects.filter(mission=demo).values_list("code", flat=True))

    assert codes == {"pre_election", "opening", "voting", "closing", "accessibility"}


def test_the_head_of_missions_team_visited_the_five_named_stations_on_19_november(demo):
    visits = [
        visit
        for visit in Visit.objects.filter(mission=demo).select_related("station", "checklist")
        if local_day(visit) == datetime.date(2022, 11, 19)
    ]

    assert sorted(v.station.number for v in visits) == ["111", "309", "314", "58", "83"]
    assert {v.checklist.phase for v in visits} == {"pre_election"}
    for visit in visits:
        names = {p.observer.full_name for p in visit.observers.all()}
        assert "Zhang Ming" in names


def test_on_election_day_22_stations_were_visited_in_four_districts_of_astana_and_one_of_akmola(
    demo,
):
    visits = [
        visit
        for visit in Visit.objects.filter(mission=demo).select_related("station__area__parent")
        if local_day(visit) == datetime.date(2022, 11, 20)
    ]
    stations = {visit.station for visit in visits}
    districts = {(s.area.parent.name, s.area.name) for s in stations}

    assert len(stations) == 22
    assert sorted(parent for parent, _district in districts).count("Astana") == 4
    assert sorted(parent for parent, _district in districts).count("Akmola Region") == 1


def test_the_answers_agree_with_the_statement_no_concern_no_incident_no_complaint(demo):
    answers = Answer.objects.filter(visit__mission=demo)

    assert answers.count() > 500
    assert not answers.filter(is_concern=True).exists()
    assert not Incident.objects.filter(visit__mission=demo).exists()
    assert not Visit.objects.filter(mission=demo, has_concerns=True).exists()
    # Every station had its information materials; no overcrowding; no complaints.
    assert set(answers.filter(question__code="info_materials").values_list("value", flat=True)) == {
        "yes"
    }
    assert set(answers.filter(question__code="overcrowding").values_list("value", flat=True)) == {
        "no"
    }
    assert set(
        answers.filter(question__code="outside_interference").values_list("value", flat=True)
    ) == {"no"}
    assert set(
        answers.filter(question__code="complaints_recorded").values_list("value", flat=True)
    ) == {"no"}


def test_teams_are_assigned_to_every_station_they_visited(demo):
    assert Team.objects.filter(mission=demo).count() == 9
    for visit in Visit.objects.filter(mission=demo).select_related("station"):
        assert Assignment.objects.filter(
            team__members=visit.filed_by, station=visit.station, date=local_day(visit)
        ).exists(), visit


def test_the_coordinator_has_visits_to_review_and_the_observer_one_to_correct(demo):
    reviews = set(Visit.objects.filter(mission=demo).values_list("review", flat=True))

    assert reviews == {"reviewed", "submitted", "returned"}
    returned = Visit.objects.get(mission=demo, review="returned")
    assert returned.filed_by.observer.full_name == "Konstantin Mazurevsky"


def test_the_demo_observer_logs_in_and_files_another_visit(db, settings, client):
    settings.DEBUG = True
    out = StringIO()
    call_command("load_demo", "--accounts", stdout=out)
    password = dict(re.findall(r"username: (\S+)\s+password: (\S+)", out.getvalue()))["observer"]
    assert client.login(username="observer", password=password)
    mission = Mission.objects.get(slug=DEMO_SLUG)
    checklist = Checklist.objects.get(mission=mission, code="voting")
    before = Visit.objects.filter(mission=mission).count()

    home = client.get(reverse("reports:mission_home", args=[DEMO_SLUG]))
    assert "Konstantin Mazurevsky" in home.text
    assert "Sent back to you for correction" in home.text
    url = reverse("reports:visit_new", args=[DEMO_SLUG])
    data = form_fields(client.get(f"{url}?checklist={checklist.pk}").text)
    for question in checklist.questions.all():
        if question.kind == "yes_no":
            data[f"q_{question.code}"] = "no" if "yes" in question.concern_answers else "yes"
        elif question.kind == "single":
            data[f"q_{question.code}"] = next(
                str(v) for v, _label in question.choices if str(v) not in question.concern_answers
            )
        elif question.kind == "number" and question.required:
            data[f"q_{question.code}"] = "2"
    data.update(station="58", arrived_at="2022-11-20T17:30", departed_at="2022-11-20T18:00")

    response = client.post(url, data)

    assert response.status_code == 302, response.text
    assert Visit.objects.filter(mission=mission).count() == before + 1
