"""Every text a user or a shared file can write comes out escaped on every page that shows it.

A mission is built whose every free-text field — of its checklist, sections and questions
(choices and translations too), polling station, area, observer, delegation, team, assignment,
visit, incident, election, candidate and activity — holds markup that would run script if
printed as it is. Every observer, statement and press page and every admin page showing those
objects is then read, as the roles that may read it.
"""

import uuid

import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse

from missions.models import Candidate, Election, MissionActivity, MissionMembership
from observers.models import Delegation, Observer, Team
from reports.models import Checklist, Incident, Question, Section, StatementText, Visit
from reports.services import IncidentData, VisitData, visit_submit
from stations.models import Area, Assignment, PollingStation
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    CandidateFactory,
    MembershipFactory,
    PollingStationFactory,
    UserFactory,
)
from tests.visits_support import election_day, make_checklist

LONG = "\"'><script>xss()</script><img src=x onerror=xss()>"
SHORT = "<svg/onload=xss()>"
# What must never reach a page as markup.
RAW = ("<script>xss()", "<img src=x onerror", "<svg/onload")
# Fields that carry structure, not text a person types (the tree's path, a time zone).
STRUCTURAL = {"path", "time_zone"}


def _payload(field: models.Field) -> str:
    return LONG if field.max_length is None or field.max_length >= len(LONG) else SHORT


def poison(queryset) -> None:
    """Put the payload into every free-text field of the queryset's rows, bypassing forms."""
    model = queryset.model
    values = {
        f.name: _payload(f)
        for f in model._meta.fields
        if isinstance(f, models.CharField | models.TextField)
        and not isinstance(f, models.SlugField)
        and not f.choices
        and f.name not in STRUCTURAL
        and (f.max_length is None or f.max_length >= len(SHORT))
    }
    assert values, model
    queryset.update(**values)


@pytest.fixture
def poisoned(personas):
    mission = personas.mission_a
    checklist = make_checklist(mission)
    area = AreaFactory(election=mission.election, name="Capital")
    station = PollingStationFactory(election=mission.election, number="83", area=area)
    participation = personas.observer_participation
    team = Team.objects.create(mission=mission, name="Team 1")
    team.members.add(participation)
    Assignment.objects.create(team=team, station=station, date=mission.ends_on, phase="voting")
    CandidateFactory(election=mission.election)
    ActivityFactory(mission=mission)
    StatementText.objects.create(mission=mission, section="conclusions", body="x")
    questions = {q.code: q for q in checklist.questions.all()}
    visit, _ = visit_submit(
        participation=participation,
        key=uuid.uuid4(),
        data=VisitData(
            station=station,
            checklist=checklist,
            arrived_at=election_day(mission, 10),
            answers={
                questions["info_materials"].pk: "yes",
                questions["evacuation_plan"].pk: "yes",
                questions["box_sealed"].pk: "no",
                questions["atmosphere"].pk: "tense",
                questions["problems"].pk: ["secrecy"],
                questions["remarks"].pk: LONG,
            },
            incidents=[IncidentData(category="other", severity="serious", description="x")],
        ),
        user=personas.observer,
    )
    for queryset in (
        Checklist.objects.filter(pk=checklist.pk),
        Section.objects.filter(checklist=checklist),
        Question.objects.filter(checklist=checklist),
        PollingStation.objects.filter(pk=station.pk),
        Area.objects.filter(pk=area.pk),
        Observer.objects.filter(pk=participation.observer_id),
        Delegation.objects.filter(mission=mission),
        Team.objects.filter(mission=mission),
        Assignment.objects.filter(team__mission=mission),
        Visit.objects.filter(pk=visit.pk),
        Incident.objects.filter(visit=visit),
        Election.objects.filter(mission=mission),
        Candidate.objects.filter(election__mission=mission),
        MissionActivity.objects.filter(mission=mission),
        StatementText.objects.filter(mission=mission),
    ):
        poison(queryset)
    for question in Question.objects.filter(checklist=checklist):
        if question.choices:
            question.choices = [[value, LONG] for value, _label in question.choices]
        question.text_ru = question.help_text_ru = question.concern_sentence_ru = LONG
        question.save(update_fields=["choices", "text_ru", "help_text_ru", "concern_sentence_ru"])
    return {
        "mission": mission,
        "checklist": checklist,
        "station": station,
        "area": area,
        "visit": visit,
        "team": team,
    }


def assert_escaped(response, where: str) -> str:
    assert response.status_code == 200, (where, response.status_code)
    if not response["Content-Type"].startswith("text/html"):
        # A download (the checklist's YAML) is data, never read by the browser as a page.
        assert response["Content-Disposition"].startswith("attachment"), where
        assert response["X-Content-Type-Options"] == "nosniff"
        return ""
    page = response.content.decode()
    for raw in RAW:
        assert raw not in page, f"{where} prints {raw!r} unescaped"
    return page


def test_observer_pages_print_every_value_escaped(client, personas, poisoned):
    slug = poisoned["mission"].slug
    visit = poisoned["visit"]
    client.force_login(personas.observer)
    seen = ""
    for url in (
        reverse("reports:mission_home", args=[slug]),
        reverse("reports:assignment_list", args=[slug]),
        reverse("reports:visit_list", args=[slug]),
        reverse("reports:visit_new", args=[slug]) + f"?checklist={poisoned['checklist'].pk}",
        reverse("reports:visit_detail", args=[slug, visit.pk]),
        reverse("reports:visit_edit", args=[slug, visit.pk]),
    ):
        seen += assert_escaped(client.get(url), url)
        seen += assert_escaped(client.get(url, HTTP_ACCEPT_LANGUAGE="ru"), url + " (ru)")
    # The payload did reach the pages, as text.
    assert "&lt;script&gt;xss()&lt;/script&gt;" in seen
    assert "&lt;svg/onload=xss()&gt;" in seen


def _admin_urls(objects) -> list[str]:
    """Every changelist of the apps' models, the change page of each poisoned object, and the
    checklist's own pages."""
    urls = []
    for model in admin.site._registry:
        if model._meta.app_label not in ("missions", "observers", "stations", "reports"):
            continue
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        urls.append(reverse("admin:{}_{}_add".format(*info)))
        for obj in model._default_manager.filter(
            pk__in=[o.pk for o in objects if isinstance(o, model)]
        ):
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            urls.append(reverse("admin:{}_{}_history".format(*info), args=[obj.pk]))
    return urls


def test_admin_pages_print_every_value_escaped(client, personas, poisoned):
    mission = poisoned["mission"]
    checklist = poisoned["checklist"]
    objects = [
        mission,
        mission.election,
        checklist,
        poisoned["station"],
        poisoned["area"],
        poisoned["visit"],
        poisoned["team"],
        personas.observer_participation,
        personas.observer_participation.observer,
        *Question.objects.filter(checklist=checklist),
        *Delegation.objects.filter(mission=mission),
        *Assignment.objects.filter(team__mission=mission),
        *MissionActivity.objects.filter(mission=mission),
        *StatementText.objects.filter(mission=mission),
    ]
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    urls = [
        *_admin_urls(objects),
        reverse("admin:reports_checklist_export", args=[checklist.pk]),
        reverse("admin:reports_checklist_import"),
        reverse("admin:index"),
    ]
    seen = ""
    for user in (superuser, personas.coordinator):
        client.force_login(user)
        for url in urls:
            response = client.get(url, follow=True)
            if response.status_code == 403:  # e.g. statements are added from their page
                continue
            seen += assert_escaped(response, f"{url} as {user.username}")
    assert "&lt;script&gt;xss()&lt;/script&gt;" in seen
    assert "&lt;svg/onload=xss()&gt;" in seen


def test_the_statement_and_press_pages_print_every_value_escaped(client, personas, poisoned):
    mission = poisoned["mission"]
    head = UserFactory(username="head-a", is_staff=True)
    MembershipFactory(mission=mission, user=head, role=MissionMembership.Role.HEAD)
    client.force_login(head)

    assert_escaped(client.get(reverse("statements:list", args=[mission.slug])), "statements")
    client.force_login(personas.press_officer)
    assert_escaped(client.get(reverse("press:list")), "press")


def test_a_poisoned_name_is_kept_as_written(poisoned):
    # The payload is stored as typed; only its printing is escaped.
    assert PollingStation.objects.get(pk=poisoned["station"].pk).name == LONG
    assert Area.objects.get(pk=poisoned["area"].pk).name == LONG
