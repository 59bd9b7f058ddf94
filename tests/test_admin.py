"""The admin as coordinators use it: every page renders, the actions work, each coordinator
sees and touches only the missions they coordinate, and changelists make a fixed number of
queries however many rows they list."""

import datetime
import json
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone

from missions.models import ActivityStation, Election, Mission, MissionActivity, MissionMembership
from missions.services import coordinators_group_ensure
from observers.models import Delegation, Observer, Participation
from stations.models import Area, PollingStation
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    DelegationFactory,
    MembershipFactory,
    MissionFactory,
    ObserverFactory,
    ParticipationFactory,
    PollingStationFactory,
    UserFactory,
)

# The eight changelists a coordinator works in, by a short name used in test ids.
MODELS: dict[str, type[Model]] = {
    "mission": Mission,
    "election": Election,
    "activity": MissionActivity,
    "observer": Observer,
    "delegation": Delegation,
    "participation": Participation,
    "area": Area,
    "station": PollingStation,
}


def admin_url(model: type[Model], page: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def object_url(obj: Model, page: str = "change") -> str:
    return admin_url(type(obj), page, obj.pk)


def page_text(response) -> str:
    """The page as a reader sees its text: entities such as &#x27; turned back into characters."""
    return unescape(response.content.decode())


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


class _FormReader(HTMLParser):
    """Read the fields of one form as a browser would submit them (without a button)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.in_form = False
        self.fields: dict[str, list[str]] = {}
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def _add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.in_form = True
        if not self.in_form or "__prefix__" in (attrs.get("name") or ""):
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value") or "on")
                return
            self._add(name, attrs.get("value") or "")
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = attrs.get("value") or ""
            if self._select_first is None:
                self._select_first = value
            if "selected" in attrs:
                self._add(self._select, value)
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self._add(self._select, self._select_first)
            self._select = None
        elif tag == "textarea" and self._textarea:
            self._add(self._textarea, "".join(self._text).lstrip("\n"))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def read_form(response, model: type[Model]) -> dict[str, list[str] | str]:
    """Return the admin form's fields on a rendered add or change page, ready to post back."""
    reader = _FormReader(f"{model._meta.model_name}_form")
    reader.feed(response.content.decode())
    assert reader.fields, f"no {model._meta.model_name} form on the page"
    return dict(reader.fields)


def form_errors(response) -> str:
    """The error lists the admin shows beside the fields, as text."""
    return " ".join(str(errors) for errors in response.context["adminform"].form.errors.values())


# --- Two missions' worth of objects, each with names that give away whose they are -----------


@dataclass
class MissionWorld:
    mission: Mission
    election: Election
    activity: MissionActivity
    observer: Observer  # serves on this mission only
    delegation: Delegation
    participation: Participation  # requested, not accredited yet
    region: Area
    area: Area
    station: PollingStation

    def signature(self, kind: str) -> str:
        """Text that any page listing or showing the object of that kind contains."""
        return {
            "mission": self.mission.name,
            "election": self.election.country,
            "activity": self.activity.description,
            "observer": self.observer.full_name,
            "delegation": self.delegation.name,
            "participation": self.participation.accreditation_number,
            "area": self.area.path,
            "station": self.station.name,
        }[kind]

    def object(self, kind: str) -> Model:
        return {
            "mission": self.mission,
            "election": self.election,
            "activity": self.activity,
            "observer": self.observer,
            "delegation": self.delegation,
            "participation": self.participation,
            "area": self.area,
            "station": self.station,
        }[kind]


def furnish(mission: Mission, word: str) -> MissionWorld:
    """Give a mission an election, activity, roster, areas and a station named after `word`."""
    mission.name = f"{word} Observer Mission"
    mission.save(update_fields=["name"])
    election = mission.election
    election.country = f"Republic of {word}land"
    election.commission = f"Central Election Commission of {word}land"
    election.save(update_fields=["country", "commission"])
    delegation = DelegationFactory(mission=mission, name=f"Delegation of {word}ria")
    observer = ObserverFactory(full_name=f"{word}son Observer", institution=f"{word} Institute")
    participation = ParticipationFactory(
        mission=mission,
        observer=observer,
        delegation=delegation,
        accreditation_number=f"{word.upper()}-0001",
    )
    region = AreaFactory(election=election, kind=Area.Kind.REGION, name=f"{word} Region")
    area = AreaFactory(election=election, parent=region, name=f"{word} City")
    station = PollingStationFactory(
        election=election, number=f"{word[0]}-101", name=f"{word} School No. 101", area=area
    )
    activity = ActivityFactory(mission=mission, description=f"Briefing at the {word}land CEC")
    activity.station_visits.create(station=station, position=0)
    return MissionWorld(
        mission=mission,
        election=election,
        activity=activity,
        observer=observer,
        delegation=delegation,
        participation=participation,
        region=region,
        area=area,
        station=station,
    )


@dataclass
class World:
    a: MissionWorld
    b: MissionWorld


@pytest.fixture
def world(personas) -> World:
    return World(a=furnish(personas.mission_a, "Alpha"), b=furnish(personas.mission_b, "Beta"))


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def user_of(personas, superuser):
    def pick(name: str):
        return superuser if name == "superuser" else getattr(personas, name)

    return pick


# --- Every page renders ---------------------------------------------------------------------


@pytest.mark.parametrize("user", ["coordinator", "superuser"])
@pytest.mark.parametrize("kind", MODELS)
def test_every_changelist_lists_mission_a_objects(client, world, user_of, user, kind):
    client.force_login(user_of(user))

    response = client.get(admin_url(MODELS[kind], "changelist"))

    assert response.status_code == 200
    assert world.a.signature(kind) in page_text(response)


@pytest.mark.parametrize("user", ["coordinator", "superuser"])
@pytest.mark.parametrize("kind", MODELS)
def test_every_add_page_shows_an_empty_form(client, world, user_of, user, kind):
    client.force_login(user_of(user))

    response = client.get(admin_url(MODELS[kind], "add"))

    assert response.status_code == 200
    assert f'id="{MODELS[kind]._meta.model_name}_form"' in response.content.decode()
    assert world.a.signature(kind) not in page_text(response)


@pytest.mark.parametrize("user", ["coordinator", "superuser"])
@pytest.mark.parametrize("kind", MODELS)
def test_every_change_page_shows_the_objects_data(client, world, user_of, user, kind):
    client.force_login(user_of(user))

    response = client.get(object_url(world.a.object(kind)))

    assert response.status_code == 200
    assert world.a.signature(kind) in page_text(response)
    assert read_form(response, MODELS[kind])


def test_the_mission_changelist_counts_observers_and_stations(coordinator_client, world):
    ParticipationFactory.create_batch(2, mission=world.a.mission)

    response = coordinator_client.get(admin_url(Mission, "changelist"))

    [row] = response.context["cl"].result_list
    # the persona's, the furnished one and two more; one station
    assert (row.observer_total, row.station_total) == (4, 1)
    assert f'?mission__id__exact={world.a.mission.pk}">4</a>' in response.content.decode()


# --- Admin actions --------------------------------------------------------------------------


def post_action(client, action: str, *participations: Participation):
    return client.post(
        admin_url(Participation, "changelist"),
        {"action": action, "_selected_action": [p.pk for p in participations], "index": 0},
        follow=True,
    )


def test_the_coordinator_accredits_the_selected_observers(coordinator_client, world):
    participation = world.a.participation

    response = post_action(coordinator_client, "accredit", participation)

    assert response.status_code == 200
    assert shown_messages(response) == ["1 observer accredited."]
    participation.refresh_from_db()
    assert participation.accreditation == Participation.Accreditation.ACCREDITED
    assert participation.accredited_on == timezone.localdate()
    assert participation.accredited_by == "Central Election Commission of Alphaland"
    assert participation.accreditation_number == "ALPHA-0001"


def test_accrediting_counts_only_those_not_yet_accredited(coordinator_client, world, personas):
    already = personas.observer_participation
    already_on = already.accredited_on

    response = post_action(coordinator_client, "accredit", world.a.participation, already)

    assert shown_messages(response) == ["1 observer accredited."]
    already.refresh_from_db()
    assert already.accredited_on == already_on


def test_the_coordinator_revokes_an_accreditation_and_keeps_its_number(
    coordinator_client, personas
):
    participation = personas.observer_participation
    number, day = participation.accreditation_number, participation.accredited_on

    response = post_action(coordinator_client, "revoke", participation)

    assert response.status_code == 200
    assert shown_messages(response) == ["1 accreditation revoked."]
    participation.refresh_from_db()
    assert participation.accreditation == Participation.Accreditation.REVOKED
    assert (participation.accreditation_number, participation.accredited_on) == (number, day)


def test_outsider_cannot_accredit_another_missions_observer(outsider_client, world):
    response = post_action(outsider_client, "accredit", world.a.participation)

    assert shown_messages(response) == ["0 observers accredited."]
    world.a.participation.refresh_from_db()
    assert world.a.participation.accreditation == Participation.Accreditation.REQUESTED


def test_outsider_cannot_revoke_another_missions_accreditation(outsider_client, personas, world):
    response = post_action(outsider_client, "revoke", personas.observer_participation)

    assert shown_messages(response) == ["0 accreditations revoked."]
    personas.observer_participation.refresh_from_db()
    assert personas.observer_participation.is_accredited


# --- Mission scoping ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", MODELS)
def test_the_coordinator_sees_only_their_own_missions_objects(coordinator_client, world, kind):
    response = coordinator_client.get(admin_url(MODELS[kind], "changelist"))

    text = page_text(response)
    assert world.a.signature(kind) in text
    assert "Beta" not in text


@pytest.mark.parametrize("kind", MODELS)
def test_outsider_does_not_see_another_missions_objects(outsider_client, world, kind):
    response = outsider_client.get(admin_url(MODELS[kind], "changelist"))

    text = page_text(response)
    assert world.b.signature(kind) in text
    # nothing of mission A, not even in the filters' choices or the date hierarchy
    assert "Alpha" not in text


def test_the_superuser_sees_every_missions_objects(client, superuser, world):
    client.force_login(superuser)

    for kind, model in MODELS.items():
        text = page_text(client.get(admin_url(model, "changelist")))
        assert world.a.signature(kind) in text, kind
        assert world.b.signature(kind) in text, kind


@pytest.mark.parametrize("kind", MODELS)
def test_outsider_cannot_open_another_missions_object(outsider_client, world, kind):
    obj = world.a.object(kind)

    response = outsider_client.get(object_url(obj))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    response = outsider_client.get(response.url)
    assert shown_messages(response) == [
        f"{obj._meta.verbose_name} with ID “{obj.pk}” doesn’t exist. Perhaps it was deleted?"
    ]
    assert world.a.signature(kind) not in page_text(response)


@pytest.mark.parametrize("page", ["history", "delete"])
def test_outsider_cannot_open_another_missions_station_history_or_delete_page(
    outsider_client, world, page
):
    response = outsider_client.get(object_url(world.a.station, page), follow=True)

    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    assert "Alpha" not in page_text(response)


def test_outsider_cannot_delete_another_missions_station(outsider_client, world):
    response = outsider_client.post(object_url(world.a.station, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert PollingStation.objects.filter(pk=world.a.station.pk).exists()


def test_outsider_cannot_change_another_missions_station(client, personas, world):
    # The coordinator's own form, posted by the outsider.
    client.force_login(personas.coordinator)
    data = read_form(client.get(object_url(world.a.station)), PollingStation)
    data["name"] = "Renamed by an outsider"
    client.force_login(personas.outsider)

    response = client.post(object_url(world.a.station), data)

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    world.a.station.refresh_from_db()
    assert world.a.station.name == "Alpha School No. 101"


def test_an_observer_on_two_missions_shows_each_coordinator_only_their_participation(
    outsider_client, world
):
    shared = ObserverFactory(full_name="Shared Observer")
    ParticipationFactory(mission=world.a.mission, observer=shared, delegation=world.a.delegation)
    ParticipationFactory(mission=world.b.mission, observer=shared, delegation=world.b.delegation)

    response = outsider_client.get(object_url(shared))

    text = page_text(response)
    assert "Shared Observer" in text
    assert world.b.delegation.name in text
    assert "Alpha" not in text


@pytest.fixture
def outsider_participation_form(outsider_client, world):
    """The outsider's add-participation form, filled in for a newcomer to mission B."""
    newcomer = ObserverFactory(full_name="Newcomer")  # on no mission yet: everyone sees them
    data = read_form(outsider_client.get(admin_url(Participation, "add")), Participation)
    data.update(mission=world.b.mission.pk, observer=newcomer.pk, delegation=world.b.delegation.pk)
    return data


def test_outsider_adds_a_participation_to_their_own_mission(
    outsider_client, outsider_participation_form, world
):
    response = outsider_client.post(admin_url(Participation, "add"), outsider_participation_form)

    assert response.status_code == 302
    assert world.b.mission.participations.filter(observer__full_name="Newcomer").exists()


@pytest.mark.parametrize("field", ["delegation", "mission", "observer"])
def test_outsider_cannot_post_another_missions_object_into_a_participation(
    outsider_client, outsider_participation_form, world, field
):
    outsider_participation_form[field] = world.a.object(field).pk
    before = Participation.objects.count()

    response = outsider_client.post(admin_url(Participation, "add"), outsider_participation_form)

    assert response.status_code == 200
    assert "Select a valid choice" in form_errors(response)
    assert field in response.context["adminform"].form.errors
    assert Participation.objects.count() == before


@pytest.fixture
def outsider_station_form(outsider_client, world):
    data = read_form(outsider_client.get(admin_url(PollingStation, "add")), PollingStation)
    data.update(election=world.b.election.pk, number="B-102", area=world.b.area.pk)
    return data


def test_outsider_adds_a_station_to_their_own_election(
    outsider_client, outsider_station_form, world
):
    response = outsider_client.post(admin_url(PollingStation, "add"), outsider_station_form)

    assert response.status_code == 302
    assert world.b.election.stations.get(number="B-102").area == world.b.area


@pytest.mark.parametrize("field", ["area", "election"])
def test_outsider_cannot_post_another_missions_object_into_a_station(
    outsider_client, outsider_station_form, world, field
):
    outsider_station_form[field] = world.a.object(field).pk

    response = outsider_client.post(admin_url(PollingStation, "add"), outsider_station_form)

    assert response.status_code == 200
    assert "Select a valid choice" in form_errors(response)
    assert field in response.context["adminform"].form.errors
    assert not PollingStation.objects.filter(number="B-102").exists()


def test_outsider_cannot_make_an_area_part_of_another_missions_area(outsider_client, world):
    data = read_form(outsider_client.get(admin_url(Area, "add")), Area)
    data.update(election=world.b.election.pk, parent=world.a.region.pk, kind="city", name="X")

    response = outsider_client.post(admin_url(Area, "add"), data)

    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["adminform"].form.errors["parent"])
    assert not Area.objects.filter(name="X").exists()


def test_outsider_cannot_visit_another_missions_station_in_an_activity(outsider_client, world):
    url = object_url(world.b.activity)
    data = read_form(outsider_client.get(url), MissionActivity)
    data["station_visits-0-station"] = world.a.station.pk

    response = outsider_client.post(url, data)

    assert response.status_code == 200
    assert "Select a valid choice" in str(
        response.context["inline_admin_formsets"][0].formset.errors
    )
    assert list(world.b.activity.stations.all()) == [world.b.station]


def autocomplete(client, model: type[Model], field_name: str, term: str = "") -> list[str]:
    query = urlencode(
        {
            "app_label": model._meta.app_label,
            "model_name": model._meta.model_name,
            "field_name": field_name,
            "term": term,
        }
    )
    response = client.get(f"{reverse('admin:autocomplete')}?{query}")
    assert response.status_code == 200
    return [result["text"] for result in json.loads(response.content)["results"]]


# What a coordinator is offered when picking a related object, given their mission's world.
AUTOCOMPLETE_CASES = {
    "station-area": (PollingStation, "area", "", lambda w: [w.region.path, w.area.path]),
    "station-area-by-name": (PollingStation, "area", "City", lambda w: [w.area.path]),
    "station-election": (PollingStation, "election", "land", lambda w: [str(w.election)]),
    "area-parent": (Area, "parent", "City", lambda w: [w.area.path]),
    "participation-delegation": (Participation, "delegation", "of", lambda w: [w.delegation.name]),
    "participation-observer": (Participation, "observer", "son", lambda w: [w.observer.full_name]),
    "participation-mission": (Participation, "mission", "Observer", lambda w: [w.mission.name]),
    "activity-mission": (MissionActivity, "mission", "", lambda w: [w.mission.name]),
    "visit-station": (ActivityStation, "station", "School", lambda w: [str(w.station)]),
}


@pytest.mark.parametrize("case", AUTOCOMPLETE_CASES)
def test_autocomplete_offers_only_the_users_own_missions_objects(client, personas, world, case):
    model, field_name, term, offered = AUTOCOMPLETE_CASES[case]

    client.force_login(personas.coordinator)
    assert autocomplete(client, model, field_name, term) == offered(world.a)
    client.force_login(personas.outsider)
    assert autocomplete(client, model, field_name, term) == offered(world.b)


def test_autocomplete_finds_nothing_of_another_mission_by_its_name(outsider_client, world):
    assert autocomplete(outsider_client, PollingStation, "area", "Alpha") == []
    assert autocomplete(outsider_client, Participation, "observer", "Alphason") == []


def test_autocomplete_lists_areas_in_path_order(coordinator_client, world):
    AreaFactory(election=world.a.election, name="Charlie Region")
    AreaFactory(election=world.a.election, name="Bravo Region")

    assert autocomplete(coordinator_client, PollingStation, "area", "Region") == [
        "Alpha Region",
        "Alpha Region / Alpha City",
        "Bravo Region",
        "Charlie Region",
    ]


def test_autocomplete_lists_observers_by_name(coordinator_client, world):
    for name in ["Zhanna Zhumabek", "Bakyt Zhumabek", "Aigerim Zhumabek"]:
        ParticipationFactory(mission=world.a.mission, observer__full_name=name)

    assert autocomplete(coordinator_client, Participation, "observer", "Zhumabek") == [
        "Aigerim Zhumabek",
        "Bakyt Zhumabek",
        "Zhanna Zhumabek",
    ]


def test_autocomplete_lists_delegations_in_roster_order(coordinator_client, world):
    DelegationFactory(mission=world.a.mission, name="Delegation of Zembla", position=3)
    DelegationFactory(mission=world.a.mission, name="Delegation of Yemen", position=2)

    assert autocomplete(coordinator_client, Participation, "delegation", "Delegation of") == [
        "Delegation of Alpharia",
        "Delegation of Yemen",
        "Delegation of Zembla",
    ]


def test_autocomplete_lists_the_latest_mission_first(coordinator_client, personas, world):
    later = MissionFactory(
        name="Later Observer Mission",
        starts_on=datetime.date(2024, 3, 10),
        ends_on=datetime.date(2024, 3, 18),
    )
    MembershipFactory(mission=later, user=personas.coordinator)

    assert autocomplete(coordinator_client, MissionActivity, "mission", "Observer Mission") == [
        "Later Observer Mission",
        "Alpha Observer Mission",
    ]


@pytest.fixture
def idle_staff(db):
    """A staff account with a coordinator's permissions but no mission yet."""
    user = UserFactory(username="idle", is_staff=True)
    user.groups.add(coordinators_group_ensure())
    return user


@pytest.mark.parametrize("kind", MODELS)
def test_staff_without_a_mission_sees_empty_changelists(client, idle_staff, world, kind):
    client.force_login(idle_staff)

    response = client.get(admin_url(MODELS[kind], "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    text = page_text(response)
    assert f"0 {MODELS[kind]._meta.verbose_name_plural}" in text
    assert "Alpha" not in text
    assert "Beta" not in text


@pytest.mark.parametrize("user", ["observer", "press_officer", "anonymous"])
@pytest.mark.parametrize("kind", ["mission", "participation", "station"])
def test_users_who_are_not_staff_are_sent_to_the_admin_login(client, personas, world, user, kind):
    if user != "anonymous":
        client.force_login(getattr(personas, user))
    url = admin_url(MODELS[kind], "changelist")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


@pytest.mark.parametrize("user", ["observer", "press_officer", "anonymous"])
def test_users_who_are_not_staff_cannot_open_a_change_page(client, personas, world, user):
    if user != "anonymous":
        client.force_login(getattr(personas, user))

    response = client.get(object_url(world.a.participation), follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("admin:login"))
    assert "ALPHA-0001" not in page_text(response)


def test_a_coordinator_who_adds_a_mission_coordinates_it(coordinator_client, personas):
    data = read_form(coordinator_client.get(admin_url(Mission, "add")), Mission)
    data.update(
        organisation_en="Commonwealth of Independent States",
        organisation_acronym_en="CIS",
        name_en="Gamma Observer Mission",
        slug="gamma",
        starts_on="2024-03-10",
        ends_on="2024-03-18",
        **{
            "election-0-country_en": "Republic of Gammaland",
            "election-0-kind": Election.Kind.PARLIAMENTARY,
            "election-0-election_day": "2024-03-17",
        },
    )

    response = coordinator_client.post(admin_url(Mission, "add"), data)

    assert response.status_code == 302
    mission = Mission.objects.get(slug="gamma")
    assert mission.election.country == "Republic of Gammaland"
    assert list(mission.memberships.values_list("user__username", "role")) == [
        (personas.coordinator.username, MissionMembership.Role.COORDINATOR)
    ]
    assert "Gamma Observer Mission" in page_text(
        coordinator_client.get(admin_url(Mission, "changelist"))
    )
    assert coordinator_client.get(object_url(mission)).status_code == 200


def test_a_superuser_who_adds_a_mission_does_not_become_its_coordinator(client, superuser):
    client.force_login(superuser)
    data = read_form(client.get(admin_url(Mission, "add")), Mission)
    data.update(
        organisation_en="CIS",
        name_en="Delta Observer Mission",
        slug="delta",
        starts_on="2024-03-10",
        ends_on="2024-03-18",
    )

    response = client.post(admin_url(Mission, "add"), data)

    assert response.status_code == 302
    assert not Mission.objects.get(slug="delta").memberships.exists()


def test_the_mission_form_refuses_a_period_that_ends_before_it_starts(coordinator_client):
    data = read_form(coordinator_client.get(admin_url(Mission, "add")), Mission)
    data.update(organisation_en="CIS", name_en="Backwards", slug="backwards")
    data.update(starts_on="2024-03-18", ends_on="2024-03-10")

    response = coordinator_client.post(admin_url(Mission, "add"), data)

    assert response.status_code == 200
    assert "The mission cannot end before it starts." in page_text(response)
    assert not Mission.objects.filter(slug="backwards").exists()


@pytest.mark.parametrize("kind", MODELS)
def test_every_change_form_saves_as_the_coordinator_got_it(coordinator_client, world, kind):
    obj = world.a.object(kind)
    url = object_url(obj)
    data = read_form(coordinator_client.get(url), MODELS[kind])

    response = coordinator_client.post(url, data)

    assert response.status_code == 302, form_errors(response)
    assert response.url == admin_url(MODELS[kind], "changelist")
    assert world.a.signature(kind) in page_text(coordinator_client.get(url))


def test_moving_an_activity_to_another_mission_is_refused_while_it_visits_stations(
    client, superuser, world
):
    client.force_login(superuser)
    url = object_url(world.a.activity)
    data = read_form(client.get(url), MissionActivity)
    data["mission"] = world.b.mission.pk

    client.post(url, data)

    # The mission is fixed once the activity exists: the posted one is ignored.
    world.a.activity.refresh_from_db()
    assert world.a.activity.mission == world.a.mission


def test_moving_a_delegation_with_members_to_another_mission_is_refused(client, superuser, world):
    # A superuser (or a coordinator of both missions) may pick any of their missions.
    client.force_login(superuser)
    url = object_url(world.a.delegation)
    data = read_form(client.get(url), Delegation)
    data["mission"] = world.b.mission.pk

    client.post(url, data)

    # Whatever the admin answers, no participation may end up in another mission's delegation.
    participation = Participation.objects.select_related("delegation").get(
        pk=world.a.participation.pk
    )
    assert participation.delegation.mission_id == participation.mission_id


def test_moving_an_area_with_parts_to_another_election_is_refused(client, superuser, world):
    client.force_login(superuser)
    url = object_url(world.a.region)
    data = read_form(client.get(url), Area)
    data["election"] = world.b.election.pk

    client.post(url, data)

    # Whatever the admin answers, parts and stations stay in their area's election.
    city = Area.objects.select_related("parent").get(pk=world.a.area.pk)
    assert city.parent.election_id == city.election_id
    station = PollingStation.objects.select_related("area").get(pk=world.a.station.pk)
    assert station.area.election_id == station.election_id


def test_renaming_an_area_in_the_admin_renames_its_parts_paths(coordinator_client, world):
    url = object_url(world.a.region)
    data = read_form(coordinator_client.get(url), Area)
    data["name_en"] = "Alpha Province"

    response = coordinator_client.post(url, data)

    assert response.status_code == 302
    world.a.area.refresh_from_db()
    assert world.a.area.path == "Alpha Province / Alpha City"


# --- Query counts ---------------------------------------------------------------------------


def grow(kind: str, personas, rows: int) -> None:
    """Add `rows` rows of a changelist's model to mission A, with what its columns show."""
    mission = personas.mission_a
    election = mission.election
    for _ in range(rows):
        if kind in ("mission", "election"):
            other = MissionFactory()  # with its election
            MembershipFactory(mission=other, user=personas.coordinator)
            ParticipationFactory(mission=other)
            PollingStationFactory(election=other.election)
        elif kind == "activity":
            activity = ActivityFactory(mission=mission)
            activity.station_visits.create(station=PollingStationFactory(election=election))
        elif kind in ("observer", "participation"):
            ParticipationFactory(mission=mission, accredited=True)  # each in a new delegation
        elif kind == "delegation":
            ParticipationFactory(mission=mission, delegation=DelegationFactory(mission=mission))
        elif kind == "area":
            region = AreaFactory(election=election, kind=Area.Kind.REGION)
            PollingStationFactory(election=election, area__parent=region)
        elif kind == "station":
            PollingStationFactory(election=election)  # each in an area of its own


# Every changelist GET by a coordinator starts with four queries: the session, the user, and
# the user's and the group's permissions. A superuser skips the two permission queries. Then:
#   mission:       count, full count, the page, date hierarchy min/max and days, organisations
#   election:      count, full count, the page, countries filter
#   activity:      missions filter, count, full count, the page, date hierarchy min/max and days
#   observer:      count, full count, the page, countries filter
#   delegation:    missions filter, count, full count, the page
#   participation: missions filter, delegations filter, count, the page (no full count:
#                  the list can be a whole roster, so show_full_result_count is off)
#   area:          missions filter, count, full count, the page
#   station:       missions filter, areas filter, count, the page (no full count, as above)
CHANGELIST_QUERIES = {
    "mission": 4 + 6,
    "election": 4 + 4,
    "activity": 4 + 6,
    "observer": 4 + 4,
    "delegation": 4 + 4,
    "participation": 4 + 4,
    "area": 4 + 4,
    "station": 4 + 4,
}
PERMISSION_QUERIES = 2


@pytest.mark.parametrize("user", ["coordinator", "superuser"])
@pytest.mark.parametrize("rows", [2, 20])
@pytest.mark.parametrize("kind", MODELS)
def test_changelist_queries_do_not_grow_with_its_rows(
    client, personas, user_of, django_assert_num_queries, kind, rows, user
):
    grow(kind, personas, rows)
    client.force_login(user_of(user))
    expected = CHANGELIST_QUERIES[kind] - (PERMISSION_QUERIES if user == "superuser" else 0)

    with django_assert_num_queries(expected):
        response = client.get(admin_url(MODELS[kind], "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count >= rows
