"""The admin fitted to the operations room: badges, natural order of station numbers, names,
the mission's time zone, a search that finds stations and observers, and an index that opens on
the user's missions."""

import datetime
import re

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from reports.models import Statement, Visit, VisitRevision
from reports.services import visit_mark_reviewed
from tests.factories import AreaFactory, PollingStationFactory, UserFactory
from tests.operations_support import build_operations, file_visit
from tests.visits_support import make_checklist


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def column(response, name: str) -> list[str]:
    """The cells of one changelist column, top to bottom."""
    html = response.content.decode()
    cells = re.findall(rf'<(?:td|th) class="field-{name}[^"]*">(.*?)</(?:td|th)>', html, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def test_station_numbers_sort_as_numbers(coordinator_client, personas):
    for number in ("101", "502", "58", "64", "1000"):
        PollingStationFactory(election=personas.mission_a.election, number=number)
    response = coordinator_client.get(reverse("admin:stations_pollingstation_changelist"))
    assert column(response, "station_number") == ["58", "64", "101", "502", "1000"]


def test_visits_show_their_review_and_concerns_as_words_not_ticks(coordinator_client, personas):
    mission = personas.mission_a
    checklist = make_checklist(mission)
    station = PollingStationFactory(election=mission.election, number="58")
    arrived = datetime.datetime(2022, 11, 20, 3, 30, tzinfo=datetime.UTC)  # 09:30 in Almaty
    mission.time_zone = "Asia/Almaty"
    mission.save(update_fields=["time_zone"])
    file_visit(
        personas.observer_participation,
        station,
        checklist,
        user=personas.observer,
        arrived_at=arrived,
        box_sealed="no",
    )
    response = coordinator_client.get(reverse("admin:reports_visit_changelist"))
    html = response.content.decode()
    assert column(response, "concern_state") == ["Concerns"]
    assert column(response, "review_state") == ["Awaiting review"]
    assert 'class="ops-state ops-state-submitted"' in html
    assert "icon-yes.svg" not in html and "icon-no.svg" not in html
    assert column(response, "arrived") == ["20 Nov 09:30"]
    assert "operations/admin.css" in html
    assert "checklist" not in [
        h.lower() for h in re.findall(r'<th scope="col" class="[^"]*column-(\w+)', html)
    ]


def test_the_visit_search_finds_a_station_by_number_and_an_observer_by_any_spelling(
    coordinator_client, personas
):
    mission = personas.mission_a
    result = build_operations(mission, size=3, observer_user=personas.observer)
    _team, participation, pair = result["teams"][1]
    participation.observer.full_name = "Zhang Ming"
    participation.observer.other_names = "Чжан Мин"
    participation.observer.save()
    url = reverse("admin:reports_visit_changelist")
    for term in (pair[0].number, "Zhang Ming", "zhang", "Чжан Мин"):
        response = coordinator_client.get(url, {"q": term})
        assert column(response, "station_number") == [pair[0].number], term
    response = coordinator_client.get(url, {"q": "Nobody Here"})
    assert column(response, "station_number") == []


def test_histories_and_reviews_name_people_not_accounts(coordinator_client, personas):
    mission = personas.mission_a
    coordinator = personas.coordinator
    coordinator.first_name, coordinator.last_name = "Zhang", "Ming"
    coordinator.save()
    build_operations(mission, size=1, observer_user=personas.observer)
    visit = Visit.objects.get(mission=mission)
    visit_mark_reviewed(visit=visit, reviewer=coordinator)
    assert VisitRevision.objects.filter(visit=visit, changed_by=coordinator).exists()
    page = text_of(coordinator_client.get(reverse("admin:reports_visit_change", args=[visit.pk])))
    assert page.count("Zhang Ming") >= 2, "the reviewer and the history both name the person"
    assert coordinator.username not in page


def test_a_statement_s_approval_and_request_name_people_not_accounts(coordinator_client, personas):
    mission = personas.mission_a
    head = UserFactory(username="zming", first_name="Zhang", last_name="Ming")
    coordinator = personas.coordinator
    coordinator.first_name, coordinator.last_name = "Aigerim", "Seitkali"
    coordinator.save()
    statement = Statement.objects.create(
        mission=mission,
        kind=Statement.Kind.PRELIMINARY,
        language="en",
        version=1,
        status=Statement.Status.APPROVED,
        dated_on=datetime.date(2026, 3, 2),
        requested_by=coordinator,
        approved_by=head,
        approved_at=timezone.now(),
        override_by=head,
        override_reason="The head of mission read the findings.",
    )
    LogEntry.objects.create(
        user=coordinator,
        content_type=ContentType.objects.get_for_model(Statement),
        object_id=str(statement.pk),
        object_repr=str(statement),
        action_flag=CHANGE,
        change_message="Changed the dating.",
    )

    change = text_of(
        coordinator_client.get(reverse("admin:reports_statement_change", args=[statement.pk]))
    )
    history = text_of(
        coordinator_client.get(reverse("admin:reports_statement_history", args=[statement.pk]))
    )

    assert change.count("Zhang Ming") == 2, "approved by, and the override recorded by"
    assert "Aigerim Seitkali" in change, "requested by"
    assert head.username not in change
    assert "Aigerim Seitkali" in history
    assert coordinator.username not in history


def test_the_admin_index_opens_on_the_users_missions(coordinator_client, personas):
    response = coordinator_client.get(reverse("admin:index"))
    page = text_of(response)
    html = response.content.decode()
    assert "Your missions" in page
    assert "Mission A" in page
    assert "Mission B" not in page
    slug = personas.mission_a.slug
    for url in (
        reverse("operations:dashboard", args=[slug]),
        reverse("statements:list", args=[slug]),
        reverse("press:list"),
        reverse("operations:export", args=[slug, "visits", "xlsx"]),
    ):
        assert url in html


def test_a_staff_user_without_missions_sees_no_mission_list(client, personas):
    user = UserFactory(username="staff-nobody", is_staff=True)
    client.force_login(user)
    page = text_of(client.get(reverse("admin:index")))
    assert "Your missions" not in page
    assert "Mission A" not in page


def test_statement_pages_lead_to_the_operations_room(coordinator_client, personas):
    response = coordinator_client.get(reverse("statements:list", args=[personas.mission_a.slug]))
    assert reverse("operations:dashboard", args=[personas.mission_a.slug]) in (
        response.content.decode()
    )


def test_the_observer_filter_gives_way_to_the_search_when_observers_are_many(
    coordinator_client, personas, monkeypatch
):
    build_operations(personas.mission_a, size=3, observer_user=personas.observer)
    url = reverse("admin:reports_visit_changelist")
    monkeypatch.setattr("reports.admin.visits.FILER_CHOICES_LIMIT", 3)
    assert "By filed by" in text_of(coordinator_client.get(url))
    monkeypatch.setattr("reports.admin.visits.FILER_CHOICES_LIMIT", 2)
    page = text_of(coordinator_client.get(url))
    assert "By filed by" not in page
    assert "By area" in page


def test_the_lists_filters_offer_the_users_own_missions_and_areas_only(
    coordinator_client, personas
):
    mine, theirs = personas.mission_a, personas.mission_b
    PollingStationFactory(
        election=mine.election, area=AreaFactory(election=mine.election, name="Alpha Steppe")
    )
    PollingStationFactory(
        election=theirs.election, area=AreaFactory(election=theirs.election, name="Bravo Hills")
    )
    # A press officer's place on the other mission gives no coordinator's view of it.
    personas.coordinator.mission_memberships.create(mission=theirs, role="press")

    pages = {
        model: text_of(coordinator_client.get(reverse(f"admin:{model}_changelist")))
        for model in (
            "stations_pollingstation",
            "stations_assignment",
            "observers_participation",
            "observers_team",
            "reports_visit",
        )
    }

    assert "Alpha Steppe" in pages["stations_pollingstation"]
    for model, page in pages.items():
        assert "Bravo Hills" not in page, model
        assert theirs.name not in page, model


def test_the_visit_area_filter_opens_on_regions_and_lists_a_chosen_region_s_parts(
    coordinator_client, personas
):
    election = personas.mission_a.election
    region = AreaFactory(election=election, name="North", kind="region")
    AreaFactory(election=election, parent=region, name="Lake District")
    AreaFactory(election=election, parent=region, name="Hill District")

    def choices(**params) -> list[str]:
        response = coordinator_client.get(reverse("admin:reports_visit_changelist"), params)
        specs = response.context["cl"].filter_specs
        (spec,) = [s for s in specs if getattr(s, "parameter_name", "") == "area"]
        return [label for _value, label in spec.lookup_choices]

    assert choices() == ["North"]
    opened = choices(area=region.pk)
    assert opened == ["North", "North / Hill District", "North / Lake District"]


def test_a_statement_s_times_read_in_the_mission_s_time_zone_in_the_admin(
    coordinator_client, personas
):
    mission = personas.mission_a
    mission.time_zone = "Asia/Almaty"  # UTC+5
    mission.save(update_fields=["time_zone"])
    statement = Statement.objects.create(
        mission=mission,
        kind=Statement.Kind.PRELIMINARY,
        language="en",
        version=1,
        status=Statement.Status.APPROVED,
        dated_on=datetime.date(2026, 3, 2),
        approved_at=datetime.datetime(2026, 3, 2, 10, 30, tzinfo=datetime.UTC),
    )

    page = text_of(
        coordinator_client.get(reverse("admin:reports_statement_change", args=[statement.pk]))
    )

    assert "15:30" in page
    assert "10:30" not in page
