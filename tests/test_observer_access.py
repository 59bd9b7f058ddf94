"""Who may open each observer page: the full matrix of pages × personas, and other missions' ids.

The observer pages answer a stranger 404 (a mission's existence is not confirmed to people
outside it), a member of the mission who is not an observer 403, and an anonymous visitor a
redirect to the login page. Every URL in reports.urls must have a row in MATRIX.
"""

import io
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from observers.models import Participation
from reports.models import Attachment, Checklist, Visit, VisitRevision
from reports.services import VisitData, visit_submit
from reports.urls import urlpatterns
from stations.models import PollingStation
from tests.factories import ParticipationFactory, UserFactory
from tests.visits_support import (
    answers,
    election_day,
    form_fields,
    make_checklist,
    photo_jpeg,
    station_of,
)

JPEG = photo_jpeg(gps=False)

LOGIN = "login"  # a redirect to the login page that comes back to the page asked for
API = "api:visit_file"  # the observer API's one endpoint, beside the pages of reports.urls

PERSONAS = (
    "anonymous",
    "observer",  # accredited observer of mission A who filed the visit
    "team_mate",  # accredited observer of mission A named on that visit, who did not file it
    "other_observer",  # accredited observer of mission A, not on that visit
    "press_officer",  # of mission A
    "coordinator",  # of mission A
    "coordinator_b",  # coordinates mission B only
    "observer_b",  # observes for mission B only
)

# (URL name, method) → what each persona gets. 200 for a page shown, 302 for a valid form
# accepted (it redirects to the visit), LOGIN, 403 or 404.
MATRIX: dict[tuple[str, str], dict[str, int | str]] = {
    ("mission_home", "GET"): {
        "anonymous": LOGIN,
        "observer": 200,
        "team_mate": 200,
        "other_observer": 200,
        "press_officer": 403,
        "coordinator": 403,
        "coordinator_b": 404,
        "observer_b": 404,
    },
    ("assignment_list", "GET"): {
        "anonymous": LOGIN,
        "observer": 200,
        "team_mate": 200,
        "other_observer": 200,
        "press_officer": 403,
        "coordinator": 403,
        "coordinator_b": 404,
        "observer_b": 404,
    },
    ("visit_list", "GET"): {
        "anonymous": LOGIN,
        "observer": 200,
        "team_mate": 200,
        "other_observer": 200,
        "press_officer": 403,
        "coordinator": 403,
        "coordinator_b": 404,
        "observer_b": 404,
    },
    ("visit_new", "GET"): {
        "anonymous": LOGIN,
        "observer": 200,
        "team_mate": 200,
        "other_observer": 200,
        "press_officer": 403,
        "coordinator": 403,
        "coordinator_b": 404,
        "observer_b": 404,
    },
    ("visit_new", "POST"): {
        "anonymous": LOGIN,
        "observer": 302,
        "team_mate": 302,
        "other_observer": 302,
        "press_officer": 403,
        "coordinator": 403,
        "coordinator_b": 404,
        "observer_b": 404,
    },
    ("visit_detail", "GET"): {
        "anonymous": LOGIN,
        "observer": 200,
        "team_mate": 200,
        "other_observer": 404,
        "press_officer": 403,
        "coordinator": 403,
        "coordinator_b": 404,
        "observer_b": 404,
    },
    ("visit_edit", "GET"): {
        "anonymous": LOGIN,
        "observer": 200,
        "team_mate": 403,
        "other_observer": 404,
        "press_officer": 403,
        "coordinator": 403,
        "coordinator_b": 404,
        "observer_b": 404,
    },
    ("visit_edit", "POST"): {
        "anonymous": LOGIN,
        "observer": 302,
        "team_mate": 403,
        "other_observer": 404,
        "press_officer": 403,
        "coordinator": 403,
        "coordinator_b": 404,
        "observer_b": 404,
    },
    # What a phone needs to install the mission's pages, and the list of pages it keeps.
    ("manifest", "GET"): {
        "anonymous": LOGIN,
        "observer": 200,
        "team_mate": 200,
        "other_observer": 200,
        "press_officer": 403,
        "coordinator": 403,
        "coordinator_b": 404,
        "observer_b": 404,
    },
    ("offline_pages", "GET"): {
        "anonymous": LOGIN,
        "observer": 200,
        "team_mate": 200,
        "other_observer": 200,
        "press_officer": 403,
        "coordinator": 403,
        "coordinator_b": 404,
        "observer_b": 404,
    },
    # The service worker is the same code for everyone and holds no data.
    ("service_worker", "GET"): {
        "anonymous": 200,
        "observer": 200,
        "team_mate": 200,
        "other_observer": 200,
        "press_officer": 200,
        "coordinator": 200,
        "coordinator_b": 200,
        "observer_b": 200,
    },
    # The observer API the page's outbox sends through (reports.api): an anonymous caller is
    # told 401 rather than sent to a login page, and a filed visit answers 201.
    (API, "POST"): {
        "anonymous": 401,
        "observer": 201,
        "team_mate": 201,
        "other_observer": 201,
        "press_officer": 403,
        "coordinator": 403,
        "coordinator_b": 404,
        "observer_b": 404,
    },
    # Coordinators review attachments in the admin through this URL; the press officer does
    # not see observers' material and is told it does not exist.
    ("attachment", "GET"): {
        "anonymous": LOGIN,
        "observer": 200,
        "team_mate": 200,
        "other_observer": 404,
        "press_officer": 404,
        "coordinator": 200,
        "coordinator_b": 404,
        "observer_b": 404,
    },
}


@dataclass
class Field:
    """Mission A and mission B, each with a checklist, a station and one filed visit."""

    users: dict[str, object]
    participations: dict[str, Participation]
    checklist_a: Checklist
    station_a: PollingStation
    visit_a: Visit
    attachment_a: Attachment
    checklist_b: Checklist
    station_b: PollingStation
    visit_b: Visit
    attachment_b: Attachment


def _filed(participation, checklist, station, user, observers=()) -> tuple[Visit, Attachment]:
    # Every required question answered, so the page's correction form is valid as shown.
    required = {"info_materials": "yes", "evacuation_plan": "yes", "box_sealed": "yes"}
    values = {q.pk: required[q.code] for q in checklist.questions.filter(code__in=required)}
    values[checklist.questions.get(code="atmosphere").pk] = "calm"
    visit, _created = visit_submit(
        participation=participation,
        key=uuid.uuid4(),
        data=VisitData(
            station=station,
            checklist=checklist,
            arrived_at=election_day(checklist.mission, 9),
            answers=values,
            observers=observers,
        ),
        files=[SimpleUploadedFile("ballot-box.jpg", JPEG, "image/jpeg")],
        user=user,
    )
    return visit, visit.attachments.get()


@pytest.fixture
def field(personas) -> Field:
    mission_a, mission_b = personas.mission_a, personas.mission_b
    other_observer = UserFactory(username="observer-a2")
    team_mate = UserFactory(username="observer-a3")
    observer_b = UserFactory(username="observer-b")
    participations = {
        "observer": personas.observer_participation,
        "other_observer": ParticipationFactory(
            mission=mission_a, user=other_observer, accredited=True
        ),
        "team_mate": ParticipationFactory(mission=mission_a, user=team_mate, accredited=True),
        "observer_b": ParticipationFactory(mission=mission_b, user=observer_b, accredited=True),
    }
    checklist_a, station_a = make_checklist(mission_a), station_of(mission_a, "83")
    checklist_b, station_b = make_checklist(mission_b), station_of(mission_b, "84")
    visit_a, attachment_a = _filed(
        participations["observer"],
        checklist_a,
        station_a,
        personas.observer,
        observers=[participations["team_mate"]],
    )
    visit_b, attachment_b = _filed(participations["observer_b"], checklist_b, station_b, observer_b)
    return Field(
        users={
            "observer": personas.observer,
            "team_mate": team_mate,
            "other_observer": other_observer,
            "press_officer": personas.press_officer,
            "coordinator": personas.coordinator,
            "coordinator_b": personas.outsider,
            "observer_b": observer_b,
        },
        participations=participations,
        checklist_a=checklist_a,
        station_a=station_a,
        visit_a=visit_a,
        attachment_a=attachment_a,
        checklist_b=checklist_b,
        station_b=station_b,
        visit_b=visit_b,
        attachment_b=attachment_b,
    )


def _as_observer(field: Field) -> Client:
    browser = Client()
    browser.force_login(field.users["observer"])
    return browser


def new_visit_form(field: Field, **overrides) -> dict[str, str]:
    """A filled-in new-visit form, read from the page the observer is shown."""
    page = _as_observer(field).get(
        reverse("reports:visit_new", args=["mission-a"])
        + f"?checklist={field.checklist_a.pk}&station={field.station_a.pk}"
    )
    assert page.status_code == 200
    data = form_fields(page.text) | answers()
    data |= {"arrived_at": "2022-11-20T11:00", "notes": "Filed in the access matrix"}
    return data | overrides


def edit_form(field: Field, **overrides) -> dict[str, str]:
    """The visit's correction form as its observer is shown it, with the notes changed."""
    page = _as_observer(field).get(
        reverse("reports:visit_edit", args=["mission-a", field.visit_a.pk])
    )
    assert page.status_code == 200
    return form_fields(page.text) | {"notes": "Corrected in the access matrix"} | overrides


def request_for(field: Field, name: str, method: str) -> tuple[str, dict[str, str] | None]:
    """The path a persona asks for (with its query string) and, for a POST, the form sent."""
    slug = "mission-a"
    if name in ("mission_home", "assignment_list", "visit_list", "manifest", "offline_pages"):
        return reverse(f"reports:{name}", args=[slug]), None
    if name == "service_worker":
        return reverse(f"reports:{name}", args=[slug]), None
    if name == API:
        return reverse(API, kwargs={"slug": slug}), new_visit_form(field)
    if name == "visit_new":
        path = reverse("reports:visit_new", args=[slug])
        if method == "POST":
            return path, new_visit_form(field)
        return path + f"?checklist={field.checklist_a.pk}&station={field.station_a.pk}", None
    if name in ("visit_detail", "visit_edit"):
        path = reverse(f"reports:{name}", args=[slug, field.visit_a.pk])
        return path, edit_form(field) if method == "POST" else None
    if name == "attachment":
        return reverse("reports:attachment", args=[slug, field.attachment_a.pk]), None
    raise AssertionError(f"no request for {name}: add it here and a row to MATRIX")


def what_the_database_holds(field: Field) -> tuple:
    visit = Visit.objects.get(pk=field.visit_a.pk)
    return Visit.objects.count(), VisitRevision.objects.count(), visit.notes, visit.updated_at


def test_the_matrix_covers_every_observer_url_and_every_persona():
    names = {pattern.name for pattern in urlpatterns}

    assert {name for name, _method in MATRIX} == names | {API}
    for row in MATRIX.values():
        assert tuple(row) == PERSONAS


@pytest.mark.parametrize(
    ("name", "method", "persona", "expected"),
    [
        pytest.param(name, method, persona, expected, id=f"{name}-{method}-{persona}")
        for (name, method), row in MATRIX.items()
        for persona, expected in row.items()
    ],
)
def test_each_persona_gets_what_the_matrix_says(client, field, name, method, persona, expected):
    path, data = request_for(field, name, method)
    before = what_the_database_holds(field)
    if persona != "anonymous":
        client.force_login(field.users[persona])

    response = client.post(path, data) if method == "POST" else client.get(path)

    if expected == LOGIN:
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        assert location.path == reverse("login")
        assert parse_qs(location.query)["next"] == [path]
    else:
        assert response.status_code == expected
    if expected == 201:
        visit = Visit.objects.exclude(pk__in=[field.visit_a.pk, field.visit_b.pk]).get()
        assert visit.filed_by == field.participations[persona]
        assert response.json()["url"] == reverse(
            "reports:visit_detail", args=["mission-a", visit.pk]
        )
    elif expected == 302:
        # A valid form was accepted: it leads to the visit it filed or corrected.
        if name == "visit_new":
            visit = Visit.objects.exclude(pk__in=[field.visit_a.pk, field.visit_b.pk]).get()
            assert visit.filed_by == field.participations[persona]
        else:
            visit = Visit.objects.get(pk=field.visit_a.pk)
            assert visit.notes == "Corrected in the access matrix"
        assert response["Location"] == reverse("reports:visit_detail", args=["mission-a", visit.pk])
    else:
        assert what_the_database_holds(field) == before
    if expected == 200 and name == "attachment":
        # The photo as stored: its pixels, encoded anew (see reports/attachments.py).
        photo = Image.open(io.BytesIO(b"".join(response.streaming_content)))
        assert (photo.format, photo.size) == ("JPEG", (16, 12))
    elif expected == 200 and name == "offline_pages":
        assert reverse("reports:assignment_list", args=["mission-a"]) in response.json()["pages"]
    elif expected == 200 and name == "service_worker":
        assert 'request.method !== "GET"' in response.text
    elif expected == 200:
        assert "Mission A" in response.text
    if expected == 404:
        # Nothing of the mission, the visit or its observer is given away.
        assert "Mission A" not in response.text
        assert field.visit_a.station.name not in response.text
        assert field.participations["observer"].observer.full_name not in response.text


# Mission B's objects asked for through mission A's pages by mission A's observer:
# case → (method, URL name, the object whose id is in the path, query string).
FOREIGN_IDS = {
    "visit_detail of B's visit": ("GET", "visit_detail", "visit_b", ""),
    "visit_edit of B's visit": ("GET", "visit_edit", "visit_b", ""),
    "visit_edit POST to B's visit": ("POST", "visit_edit", "visit_b", ""),
    "attachment of B's visit": ("GET", "attachment", "attachment_b", ""),
    "visit_new with B's station": ("GET", "visit_new", None, "?checklist={ca}&station={sb}"),
    "visit_new with B's station, no checklist yet": ("GET", "visit_new", None, "?station={sb}"),
    "visit_new with B's checklist": ("GET", "visit_new", None, "?checklist={cb}&station={sa}"),
    "visit_new POST with B's checklist": ("POST", "visit_new", None, ""),
}


@pytest.mark.parametrize(
    ("method", "name", "object_name", "query"),
    [pytest.param(*case, id=case_id) for case_id, case in FOREIGN_IDS.items()],
)
def test_an_observer_cannot_reach_another_missions_objects_through_their_own_mission(
    client, field, method, name, object_name, query
):
    client.force_login(field.users["observer"])
    args = ["mission-a"] + ([getattr(field, object_name).pk] if object_name else [])
    path = reverse(f"reports:{name}", args=args) + query.format(
        ca=field.checklist_a.pk,
        cb=field.checklist_b.pk,
        sa=field.station_a.pk,
        sb=field.station_b.pk,
    )
    before = what_the_database_holds(field), Visit.objects.get(pk=field.visit_b.pk).notes

    if method == "GET":
        response = client.get(path)
    elif name == "visit_new":
        response = client.post(path, new_visit_form(field, checklist=str(field.checklist_b.pk)))
    else:
        response = client.post(path, edit_form(field))

    assert response.status_code == 404
    assert (what_the_database_holds(field), Visit.objects.get(pk=field.visit_b.pk).notes) == before


def test_every_page_that_takes_an_id_is_tried_with_another_missions_id():
    with_ids = {pattern.name for pattern in urlpatterns if "pk" in pattern.pattern.converters}

    assert with_ids <= {name for _method, name, _object, _query in FOREIGN_IDS.values()}


@pytest.mark.parametrize(
    ("persona", "name", "object_name"),
    [
        pytest.param("coordinator_b", "attachment", "attachment_a", id="coordinator_b-attachment"),
        pytest.param("observer_b", "attachment", "attachment_a", id="observer_b-attachment"),
        pytest.param("observer_b", "visit_detail", "visit_a", id="observer_b-visit_detail"),
        pytest.param("observer_b", "visit_edit", "visit_a", id="observer_b-visit_edit"),
    ],
)
def test_mission_bs_people_cannot_reach_mission_as_objects_through_their_own_mission(
    client, field, persona, name, object_name
):
    client.force_login(field.users[persona])

    response = client.get(
        reverse(f"reports:{name}", args=["mission-b", getattr(field, object_name).pk])
    )

    assert response.status_code == 404


def test_an_unknown_mission_is_not_found_for_an_observer(client, field):
    client.force_login(field.users["observer"])

    response = client.get(reverse("reports:mission_home", args=["no-such-mission"]))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "query"),
    [
        pytest.param("GET", "?checklist=abc", id="GET-checklist=abc"),
        pytest.param("GET", "?checklist={checklist_a}&station=abc", id="GET-station=abc"),
        pytest.param("POST", "", id="POST-checklist=abc"),
    ],
)
def test_a_mangled_id_in_the_new_visit_address_is_not_found_rather_than_a_server_error(
    client, field, method, query
):
    # A truncated link pasted from a chat message must not end on a server error page.
    client.raise_request_exception = False
    client.force_login(field.users["observer"])
    path = reverse("reports:visit_new", args=["mission-a"])

    if method == "GET":
        response = client.get(path + query.format(checklist_a=field.checklist_a.pk))
    else:
        response = client.post(path, new_visit_form(field, checklist="abc"))

    assert response.status_code == 404
