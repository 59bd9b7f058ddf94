"""The statement pages: the coordinators' (reports.statements.urls), the press office's and the
public's (reports.statements.press_urls), and the statement admin.

Coordinator pages answer the mission's coordinators and head; another member of the mission
(press officer, observer) gets 403, anyone else 404, an anonymous visitor the login page. The
press pages show everyone what is published and released, and the mission's press officers
also what is approved or under embargo; any other version answers 404.
"""

import datetime
import json
import re
import time
import zoneinfo
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports.models import Statement, StatementDocument, StatementEvidence, StatementText
from reports.statements import press_urls
from reports.statements import urls as statement_urls
from reports.statements.approvals import statement_publish
from tests.factories import UserFactory
from tests.test_approvals import (
    file_visit,
    incident,
    make_head,
    make_statement,
    small_document,
)
from tests.visits_support import make_checklist

LOGIN = "login"
BYTES = {"html": b"<p>statement</p>", "pdf": b"%PDF-1.7 statement", "docx": b"PK\x03\x04docx"}

PERSONAS = (
    "anonymous",
    "coordinator",  # of mission A
    "head",  # head of mission A
    "press_officer",  # of mission A
    "observer",  # accredited observer of mission A
    "outsider",  # coordinates mission B only
    "public",  # logged in, on no mission
)

STAFF_ONLY = {
    "anonymous": LOGIN,
    "coordinator": 200,
    "head": 200,
    "press_officer": 403,
    "observer": 403,
    "outsider": 404,
    "public": 404,
}
STAFF_FORM = {**STAFF_ONLY, "coordinator": 302, "head": 302}

# (URL name, method) → what each persona gets: 200 for a page, 302 for a form accepted (it
# redirects back to the statement), LOGIN, 403 or 404.
MATRIX: dict[tuple[str, str], dict[str, int | str]] = {
    ("list", "GET"): STAFF_ONLY,
    ("list", "POST"): STAFF_FORM,
    ("detail", "GET"): STAFF_ONLY,
    ("status", "GET"): STAFF_ONLY,
    ("assess", "POST"): STAFF_FORM,
    # Approving is the head's alone.
    ("approve", "POST"): {**STAFF_FORM, "coordinator": 403},
    ("publish", "POST"): STAFF_FORM,
    ("evidence", "GET"): STAFF_ONLY,
    ("download", "GET"): STAFF_ONLY,
}


def page_text(response) -> str:
    return unescape(response.content.decode())


def visible_text(response) -> str:
    """The page's words as a reader sees them: no tags, single spaces."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def add_documents(statement: Statement, formats=("html", "pdf", "docx")) -> None:
    for file_format in formats:
        data = BYTES[file_format]
        StatementDocument.objects.create(
            statement=statement,
            format=file_format,
            file=ContentFile(data, name=f"statements/{statement.pk}-{file_format}.bin"),
            checksum="0" * 64,
            size=len(data),
        )


@dataclass
class World:
    personas: object
    users: dict[str, object]
    mission: object
    visits: list
    statement: Statement  # ready, final, English, with an evidence paragraph and documents

    def client(self, persona: str) -> Client:
        client = Client()
        if self.users[persona] is not None:
            client.force_login(self.users[persona])
        return client


@pytest.fixture
def world(personas) -> World:
    mission = personas.mission_a
    mission.time_zone = "Asia/Almaty"
    mission.save(update_fields=["time_zone"])
    checklist = make_checklist(mission)
    participation = personas.observer_participation
    visits = [
        file_visit(mission, checklist, participation, number="11", atmosphere="tense"),
        file_visit(
            mission,
            checklist,
            participation,
            number="12",
            atmosphere="tense",
            incidents=[incident("serious", complaint=True)],
        ),
    ]
    tense = [a.pk for v in visits for a in v.answers.filter(question__code="atmosphere")]
    statement = make_statement(
        mission,
        content=small_document(
            {
                "visits": [v.pk for v in visits],
                "answers": tense,
                "incidents": [i.pk for v in visits for i in v.incidents.all()],
            }
        ),
    )
    add_documents(statement)
    users = {
        "anonymous": None,
        "coordinator": personas.coordinator,
        "head": make_head(mission),
        "press_officer": personas.press_officer,
        "observer": personas.observer,
        "outsider": personas.outsider,
        "public": UserFactory(username="reader"),
    }
    return World(personas, users, mission, visits, statement)


def url(world: World, name: str, statement: Statement | None = None, **extra) -> str:
    statement = statement or world.statement
    kwargs = {"slug": world.mission.slug}
    if name != "list":
        kwargs["pk"] = statement.pk
    if name == "evidence":
        kwargs["paragraph_id"] = extra.get("paragraph_id", "monitoring-1")
    if name == "download":
        kwargs["format"] = extra.get("format", "pdf")
    return reverse(f"statements:{name}", kwargs=kwargs)


POST_DATA = {
    "list": {"kind": "final", "language": "ru"},
    "assess": {"assessment": "serious"},
    "approve": {},
    "publish": {"embargo_until": ""},
}


# -- who may open the coordinator pages --------------------------------------------------------


def test_every_coordinator_url_is_in_the_matrix():
    assert {name for name, _method in MATRIX} == {p.name for p in statement_urls.urlpatterns}


# A form each persona posts, and who it changes anything for: the statement must be in a state
# where the action can succeed, so a refusal is the user's and not the statement's.
CHANGES: dict[str, set[str]] = {
    "list": {"coordinator", "head"},  # a new version is queued
    # A coordinator's form is accepted, but the assessment is the head's to choose.
    "assess": {"head"},
    "approve": {"head"},
    "publish": {"coordinator", "head"},
}
REFUSED = "These pages are for the mission's coordinators."
APPROVER_ONLY = "Only the head of mission can approve a statement."


def _ready_for(world: World, name: str) -> None:
    statement = world.statement
    if name == "approve":
        # The assessment the findings bear out (a serious incident is on file).
        statement.assessment = Statement.Assessment.SERIOUS_VIOLATIONS
        statement.save(update_fields=["assessment"])
    elif name == "publish":
        statement.assessment = Statement.Assessment.SERIOUS_VIOLATIONS
        statement.status = Statement.Status.APPROVED
        statement.approved_by = world.users["head"]
        statement.approved_at = timezone.now()
        statement.save(update_fields=["assessment", "status", "approved_by", "approved_at"])


def _statements_held(world: World) -> list[tuple]:
    return list(
        Statement.objects.filter(mission=world.mission)
        .order_by("pk")
        .values_list("pk", "status", "assessment", "approved_by", "published_at")
    )


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "method"), list(MATRIX))
def test_coordinator_pages_answer_each_persona(world, name, method, persona):
    """What each persona gets, by what they see and what the database holds afterwards."""
    _ready_for(world, name)
    address = url(world, name)
    client = world.client(persona)
    before = _statements_held(world)

    response = client.post(address, POST_DATA[name]) if method == "POST" else client.get(address)

    expected = MATRIX[(name, method)][persona]
    after = _statements_held(world)
    if method == "POST":
        changed = persona in CHANGES[name]
        assert (after != before) == changed, (
            f"{persona} {'did not change' if changed else 'changed'} the statements"
        )
    else:
        assert after == before
    if expected == LOGIN:
        assert response.status_code == 302
        assert urlsplit(response["Location"]).path == reverse("login")
    elif expected == 302:
        # A form accepted leads back to a statement of this mission.
        assert response.status_code == 302
        assert response["Location"].startswith(url(world, "list"))
    elif expected == 200:
        assert response.status_code == 200
        if name == "download":
            assert b"".join(response.streaming_content) == BYTES["pdf"]
        elif name == "status":
            assert response.json()["status"] == world.statement.status
        else:
            assert "Mission A" in visible_text(response)
    elif expected == 403:
        assert response.status_code == 403
        refused = APPROVER_ONLY if persona == "coordinator" else REFUSED
        assert refused in visible_text(response)
        assert "Final statement" not in visible_text(response)
    else:
        assert expected == 404 and response.status_code == 404
        # Nothing of the mission or its statement is given away.
        assert "Mission A" not in response.content.decode()


def test_a_superuser_opens_every_mission_s_statements(world):
    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    assert client.get(url(world, "detail")).status_code == 200


@pytest.mark.parametrize("name", ["detail", "status", "evidence", "download"])
def test_another_mission_s_statement_is_not_found_under_this_mission(world, name):
    other = make_statement(world.personas.mission_b, content=world.statement.content)
    add_documents(other)

    response = world.client("coordinator").get(url(world, name, other))

    assert response.status_code == 404


# -- asking for a statement --------------------------------------------------------------------


def form_selects(html: str) -> dict[str, list[str]]:
    return {
        name: re.findall(r'<option value="([^"]*)"', body)
        for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S)
    }


def test_a_coordinator_asks_for_a_new_version_from_the_list(world):
    client = world.client("coordinator")
    selects = form_selects(client.get(url(world, "list")).content.decode())
    assert selects == {
        "kind": ["preliminary", "final", "briefing"],
        # Every language at once first, then each one (the page's language switch comes
        # earlier in the page).
        "language": ["all", "en", "ru", "zh-hans"],
    }

    response = client.post(url(world, "list"), {"kind": "final", "language": "en"})

    created = Statement.objects.get(mission=world.mission, kind="final", language="en", version=2)
    assert created.status == Statement.Status.QUEUED
    assert created.requested_by == world.users["coordinator"]
    assert response["Location"] == url(world, "detail", created)


def test_an_unknown_language_comes_back_with_an_error(world):
    response = world.client("coordinator").post(
        url(world, "list"), {"kind": "final", "language": "xx"}
    )

    assert response.status_code == 400
    assert "Select a valid choice" in page_text(response)
    assert Statement.objects.filter(mission=world.mission).count() == 1


def test_the_list_shows_every_version_with_its_documents_and_people(world):
    approved = make_statement(
        world.mission,
        version=2,
        status=Statement.Status.APPROVED,
        requested_by=world.users["coordinator"],
        approved_by=world.users["head"],
        approved_at=timezone.now(),
    )
    add_documents(approved, ["pdf"])

    text = page_text(world.client("head").get(url(world, "list")))

    assert f'href="{url(world, "detail", approved)}"' in text
    assert f'href="{url(world, "detail")}"' in text
    assert "Ready for approval" in text
    assert "Approved" in text
    assert "head-a" in text and "coordinator-a" in text
    assert url(world, "download", approved, format="pdf") in text
    assert url(world, "download", world.statement, format="docx") in text


# -- following the compilation -----------------------------------------------------------------


def test_the_status_endpoint_reports_the_progress(world):
    statement = make_statement(world.mission, version=2, status=Statement.Status.QUEUED)
    client = world.client("coordinator")

    first = client.get(url(world, "status", statement))
    Statement.objects.filter(pk=statement.pk).update(
        status=Statement.Status.COMPILING, progress="render:pdf"
    )
    second = client.get(url(world, "status", statement))

    assert first["Content-Type"] == "application/json"
    assert json.loads(first.content) == {
        "status": "queued",
        "label": "Queued",
        "progress": "",
        "done": False,
    }
    assert json.loads(second.content)["progress"] == "Rendering the PDF document"
    assert json.loads(client.get(url(world, "status")).content)["done"] is True


def test_a_compiling_statement_s_page_follows_the_job_without_a_manual_refresh(world):
    statement = make_statement(world.mission, version=2, status=Statement.Status.COMPILING)
    Statement.objects.filter(pk=statement.pk).update(progress="render:docx")

    html = world.client("coordinator").get(url(world, "detail", statement)).content.decode()

    assert "Rendering the DOCX document" in html
    # The page's script (a static file: the content security policy allows no inline
    # script) polls the status endpoint named in the page.
    assert f'data-status-url="{url(world, "status", statement)}"' in html
    assert '<script src="/static/observa/statement_status.js" defer></script>' in html
    script = Path(finders.find("observa/statement_status.js")).read_text(encoding="utf-8")
    assert "window.setTimeout(poll, 2000)" in script
    assert '<noscript><meta http-equiv="refresh"' in html


def test_a_ready_statement_s_page_does_not_poll(world):
    html = world.client("coordinator").get(url(world, "detail")).content.decode()

    assert "status.json" not in html
    assert "http-equiv" not in html


def test_a_failed_statement_shows_its_error_and_offers_to_compile_again(world):
    statement = make_statement(
        world.mission, version=2, status=Statement.Status.FAILED, error="No election record."
    )

    text = page_text(world.client("coordinator").get(url(world, "detail", statement)))

    assert "could not be compiled" in text
    assert "No election record." in text
    assert "Compile again" in text


# -- reading a statement and its evidence ------------------------------------------------------


def test_a_paragraph_with_evidence_links_to_its_evidence(world):
    html = world.client("coordinator").get(url(world, "detail")).content.decode()

    evidence_url = url(world, "evidence")
    assert re.search(
        rf'<p id="monitoring-1" data-evidence="1"><a class="evidence-link" href="{evidence_url}"'
        r"[^>]*>At three polling stations the atmosphere was tense.</a></p>",
        html,
    )
    # The paragraph without evidence is plain text.
    assert "<p>The observers visited five polling stations.</p>" in html


def test_the_evidence_page_lists_the_visits_answers_and_incidents(world):
    response = world.client("coordinator").get(url(world, "evidence"))

    text = visible_text(response)
    assert "At three polling stations the atmosphere was tense." in text
    assert "No. 11" in text and "No. 12" in text
    assert "Atmosphere — Tense" in text
    assert "The voter list was not signed." in text
    assert "complaint filed" in text
    observer_name = world.personas.observer_participation.observer.full_name
    assert observer_name in text
    assert "Voting (v1)" in text
    for visit in world.visits:
        assert reverse("admin:reports_visit_change", args=[visit.pk]) in page_text(response)
    # Times as the observers saw them, in the mission's time zone (Asia/Almaty).
    arrived = timezone.localtime(world.visits[0].arrived_at, zoneinfo.ZoneInfo("Asia/Almaty"))
    assert arrived.strftime("%H:%M") in text


@pytest.mark.parametrize("paragraph_id", ["monitoring-9", "nothing"])
def test_a_paragraph_without_evidence_has_no_evidence_page(world, paragraph_id):
    response = world.client("coordinator").get(url(world, "evidence", paragraph_id=paragraph_id))

    assert response.status_code == 404


# -- assessing, approving and publishing through the page --------------------------------------


def test_the_head_chooses_the_assessment_and_sees_the_contradiction(world):
    client = world.client("head")

    response = client.post(url(world, "assess"), {"assessment": "no_violations"}, follow=True)

    text = page_text(response)
    assert "The assessment is saved." in text
    assert "the statement is being compiled again" in text
    world.statement.refresh_from_db()
    assert world.statement.assessment == "no_violations"
    assert world.statement.status == Statement.Status.QUEUED
    # Once compiled again, the page says what the findings hold against the assessment.
    Statement.objects.filter(pk=world.statement.pk).update(status=Statement.Status.READY)
    text = page_text(client.get(url(world, "detail")))
    assert "2 polling stations with serious concerns, 1 serious incident and 1 complaint" in text


def test_a_coordinator_records_no_override_before_the_head_chooses(world):
    response = world.client("coordinator").post(
        url(world, "assess"), {"override_reason": "A quarrel."}, follow=True
    )

    assert "The head of mission chooses the assessment first." in page_text(response)
    world.statement.refresh_from_db()
    assert (world.statement.assessment, world.statement.override_reason) == ("", "")


def test_a_coordinator_cannot_change_the_assessment_from_the_page(world):
    Statement.objects.filter(pk=world.statement.pk).update(assessment="serious")
    client = world.client("coordinator")
    html = client.get(url(world, "detail")).content.decode()
    assert re.search(r'<select[^>]*name="assessment"[^>]*disabled', html)

    client.post(url(world, "assess"), {"assessment": "no_violations", "override_reason": ""})

    world.statement.refresh_from_db()
    assert world.statement.assessment == "serious"


def test_an_override_is_shown_to_the_head_with_who_recorded_it_and_lets_the_head_approve(world):
    Statement.objects.filter(pk=world.statement.pk).update(assessment="no_violations")
    head = world.client("head")
    refused = page_text(head.post(url(world, "approve"), follow=True))
    assert "Choose another assessment, or have a coordinator record why" in refused

    world.client("coordinator").post(
        url(world, "assess"),
        {"override_reason": "Both complaints were withdrawn.", "assessment": "no_violations"},
    )
    page = page_text(head.get(url(world, "detail")))
    assert "Override recorded by coordinator-a:" in page
    assert "Both complaints were withdrawn." in page

    approved = page_text(head.post(url(world, "approve"), follow=True))

    assert "The statement is approved." in approved
    world.statement.refresh_from_db()
    assert world.statement.status == Statement.Status.APPROVED
    assert world.statement.approved_by == world.users["head"]


def test_only_the_head_sees_the_approve_button(world):
    Statement.objects.filter(pk=world.statement.pk).update(assessment="serious")

    assert "Approve this statement" in page_text(world.client("head").get(url(world, "detail")))
    assert "Approve this statement" not in page_text(
        world.client("coordinator").get(url(world, "detail"))
    )


def test_a_double_click_on_approve_approves_once(world):
    Statement.objects.filter(pk=world.statement.pk).update(assessment="serious")
    head = world.client("head")

    head.post(url(world, "approve"))
    approved_at = Statement.objects.get(pk=world.statement.pk).approved_at
    second = page_text(head.post(url(world, "approve"), follow=True))

    assert "The statement was already approved." in second
    assert Statement.objects.get(pk=world.statement.pk).approved_at == approved_at


def test_publishing_with_an_embargo_in_the_mission_s_time_zone(world):
    Statement.objects.filter(pk=world.statement.pk).update(status=Statement.Status.APPROVED)
    zone = zoneinfo.ZoneInfo("Asia/Almaty")
    release = (timezone.localtime(timezone.now(), zone) + datetime.timedelta(days=2)).replace(
        second=0, microsecond=0
    )
    client = world.client("coordinator")
    assert 'type="datetime-local"' in client.get(url(world, "detail")).content.decode()

    response = client.post(
        url(world, "publish"), {"embargo_until": release.strftime("%Y-%m-%dT%H:%M")}, follow=True
    )

    assert "The statement is published." in page_text(response)
    world.statement.refresh_from_db()
    assert world.statement.status == Statement.Status.PUBLISHED
    assert world.statement.embargo_until == release
    assert f"Embargoed until {release:%-d %b %Y %H:%M}" in page_text(response)


def test_an_embargo_in_the_past_is_refused_on_the_page(world):
    Statement.objects.filter(pk=world.statement.pk).update(status=Statement.Status.APPROVED)

    response = world.client("head").post(
        url(world, "publish"), {"embargo_until": "2022-11-20T18:00"}, follow=True
    )

    assert "An embargo must end in the future." in page_text(response)
    assert Statement.objects.get(pk=world.statement.pk).status == Statement.Status.APPROVED


# -- downloads ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_format", "content_type"),
    [
        ("pdf", "application/pdf"),
        ("html", "text/html; charset=utf-8"),
        (
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_a_coordinator_downloads_any_version_as_an_attachment(world, file_format, content_type):
    statement = make_statement(world.mission, version=2, status=Statement.Status.FAILED)
    add_documents(statement, [file_format])

    response = world.client("coordinator").get(
        url(world, "download", statement, format=file_format)
    )

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="mission-a-final-statement-v2-en.{file_format}"'
    )
    assert b"".join(response.streaming_content) == BYTES[file_format]


def test_a_format_that_was_not_made_is_not_found(world):
    statement = make_statement(world.mission, version=2)
    add_documents(statement, ["pdf"])

    response = world.client("coordinator").get(url(world, "download", statement, format="docx"))

    assert response.status_code == 404


# -- the press pages ---------------------------------------------------------------------------


@dataclass
class Press:
    released: Statement  # final, English, v2 published (v1 published before it)
    older: Statement  # final, English, v1 published
    embargoed: Statement  # preliminary, English, published under a future embargo
    approved: Statement  # briefing, English, approved and not published
    ready: Statement  # final, Russian, ready
    other_mission: Statement  # mission B's approved final statement


@pytest.fixture
def press(world) -> Press:
    mission = world.mission
    now = timezone.now()
    published = {"status": Statement.Status.PUBLISHED, "published_at": now}
    older = make_statement(mission, version=2, **published)
    released = make_statement(mission, version=3, **published)
    embargoed = make_statement(
        mission,
        kind="preliminary",
        embargo_until=now + datetime.timedelta(hours=3),
        **published,
    )
    approved = make_statement(mission, kind="briefing", status=Statement.Status.APPROVED)
    ready = make_statement(mission, language="ru")
    other = make_statement(world.personas.mission_b, status=Statement.Status.APPROVED)
    for statement in (older, released, embargoed, approved, ready, other):
        add_documents(statement)
    return Press(released, older, embargoed, approved, ready, other)


def press_url(statement: Statement, file_format: str = "pdf") -> str:
    return reverse("press:download", args=[statement.pk, file_format])


RELEASED_ONLY = {
    "anonymous": 404,
    "coordinator": 200,
    "head": 200,
    "press_officer": 404,
    "observer": 404,
    "outsider": 404,
    "public": 404,
}
BRIEFED = {**RELEASED_ONLY, "press_officer": 200}
DOWNLOADS = {
    "released": dict.fromkeys(PERSONAS, 200),
    "older": dict.fromkeys(PERSONAS, 200),
    "embargoed": BRIEFED,
    "approved": BRIEFED,
    "ready": RELEASED_ONLY,
    # Mission B's coordinator may; mission A's people may not.
    "other_mission": {
        **dict.fromkeys(PERSONAS, 404),
        "outsider": 200,
    },
}


def test_every_press_url_is_tested():
    assert {p.name for p in press_urls.urlpatterns} == {"list", "download"}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("which", list(DOWNLOADS))
def test_press_downloads_answer_each_persona(world, press, which, persona):
    statement = getattr(press, which)

    response = world.client(persona).get(press_url(statement))

    assert response.status_code == DOWNLOADS[which][persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_press_list_is_open_to_everyone(world, press, persona):
    assert world.client(persona).get(reverse("press:list")).status_code == 200


@pytest.mark.parametrize("persona", ["anonymous", "public", "observer"])
def test_the_public_sees_only_the_newest_released_version(world, press, persona):
    html = world.client(persona).get(reverse("press:list")).content.decode()

    assert press_url(press.released) in html
    for hidden in (press.older, press.embargoed, press.approved, press.ready, press.other_mission):
        assert press_url(hidden) not in html
    assert "Embargoed" not in html
    assert "not yet published" not in html


def test_another_mission_s_coordinator_sees_its_own_approved_statement_and_a_s_released(
    world, press
):
    html = world.client("outsider").get(reverse("press:list")).content.decode()

    assert press_url(press.released) in html
    assert press_url(press.other_mission) in html
    for hidden in (press.older, press.embargoed, press.approved, press.ready):
        assert press_url(hidden) not in html


def test_the_press_officer_also_sees_embargoed_and_approved_statements_marked(world, press):
    response = world.client("press_officer").get(reverse("press:list"))

    text = page_text(response)
    for shown in (press.released, press.embargoed, press.approved):
        for file_format in ("html", "pdf", "docx"):
            assert press_url(shown, file_format) in text
    for hidden in (press.older, press.ready, press.other_mission):
        assert press_url(hidden) not in text
    release = timezone.localtime(press.embargoed.embargo_until, zoneinfo.ZoneInfo("Asia/Almaty"))
    assert f"Embargoed until {release:%-d %B %Y %H:%M}" in text
    assert "Approved, not yet published" in text


def test_each_press_download_link_names_the_statement_language_and_format(world, press):
    html = world.client("press_officer").get(reverse("press:list")).content.decode()

    def link_text(statement, file_format):
        match = re.search(
            rf'<a [^>]*href="{re.escape(press_url(statement, file_format))}"[^>]*>([^<]*)</a>', html
        )
        return unescape(match.group(1))

    assert link_text(press.released, "pdf") == "Final statement in English, PDF"
    assert link_text(press.released, "docx") == "Final statement in English, DOCX"
    assert link_text(press.embargoed, "html") == "Preliminary statement in English, HTML"
    assert link_text(press.approved, "pdf") == "Press briefing in English, PDF"


def test_an_embargo_that_has_passed_releases_the_statement(world, press):
    Statement.objects.filter(pk=press.embargoed.pk).update(
        embargo_until=timezone.now() - datetime.timedelta(minutes=1)
    )

    html = world.client("anonymous").get(reverse("press:list")).content.decode()

    assert press_url(press.embargoed) in html
    assert world.client("anonymous").get(press_url(press.embargoed)).status_code == 200


def test_the_press_list_keeps_the_published_version_while_a_newer_one_awaits_publication(
    world, press
):
    newer = make_statement(world.mission, version=4, status=Statement.Status.APPROVED)
    add_documents(newer)

    public = world.client("anonymous").get(reverse("press:list")).content.decode()
    briefed = world.client("press_officer").get(reverse("press:list")).content.decode()

    assert press_url(press.released) in public and press_url(newer) not in public
    assert press_url(newer) in briefed and press_url(press.released) not in briefed


def test_a_press_download_is_an_attachment_with_the_server_s_name(world, press):
    response = world.client("anonymous").get(press_url(press.released, "docx"))

    assert response["Content-Disposition"] == (
        'attachment; filename="mission-a-final-statement-v3-en.docx"'
    )
    assert b"".join(response.streaming_content) == BYTES["docx"]


# -- the press at the embargo lift: caches, validators, ranges --------------------------------


def pdf_of(statement: Statement) -> StatementDocument:
    return statement.documents.get(format="pdf")


def test_a_released_download_carries_its_checksum_date_and_is_immutable(world, press):
    document = pdf_of(press.released)

    response = world.client("anonymous").get(press_url(press.released))

    assert response["ETag"] == f'"{document.checksum}"'
    assert parsedate_to_datetime(response["Last-Modified"]) == document.created_at.replace(
        microsecond=0
    )
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Accept-Ranges"] == "bytes"


def test_an_embargoed_download_seen_by_the_press_officer_is_private(world, press):
    response = world.client("press_officer").get(press_url(press.embargoed))

    assert b"".join(response.streaming_content) == BYTES["pdf"]
    assert response["Cache-Control"] == "private, no-cache"


def test_a_reader_holding_the_file_is_told_it_has_not_changed(world, press):
    client = world.client("anonymous")
    first = client.get(press_url(press.released))

    by_etag = client.get(press_url(press.released), headers={"If-None-Match": first["ETag"]})
    by_date = client.get(
        press_url(press.released), headers={"If-Modified-Since": first["Last-Modified"]}
    )
    changed = client.get(press_url(press.released), headers={"If-None-Match": '"other"'})

    for response in (by_etag, by_date):
        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == first["ETag"]
    assert changed.status_code == 200
    assert b"".join(changed.streaming_content) == BYTES["pdf"]


def test_a_conditional_request_does_not_reveal_an_embargoed_file(world, press):
    document = pdf_of(press.embargoed)

    response = world.client("anonymous").get(
        press_url(press.embargoed), headers={"If-None-Match": f'"{document.checksum}"'}
    )

    assert response.status_code == 404
    assert "ETag" not in response


@pytest.mark.parametrize(
    ("header", "part", "content_range"),
    [
        ("bytes=0-3", b"%PDF", "bytes 0-3/18"),
        ("bytes=9-", b"statement", "bytes 9-17/18"),
        ("bytes=-4", b"ment", "bytes 14-17/18"),
        ("bytes=9-1000", b"statement", "bytes 9-17/18"),
    ],
)
def test_a_download_resumes_from_a_range(world, press, header, part, content_range):
    response = world.client("anonymous").get(press_url(press.released), headers={"Range": header})

    assert response.status_code == 206
    assert b"".join(response.streaming_content) == part
    assert response["Content-Range"] == content_range
    assert response["Content-Length"] == str(len(part))
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("header", ["bytes=18-", "bytes=100-200", "bytes=-0"])
def test_a_range_past_the_end_is_unsatisfiable(world, press, header):
    response = world.client("anonymous").get(press_url(press.released), headers={"Range": header})

    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */18"


@pytest.mark.parametrize("header", ["bytes=0-1,4-5", "lines=1-2", "bytes=5-2"])
def test_a_range_not_understood_gets_the_whole_file(world, press, header):
    response = world.client("anonymous").get(press_url(press.released), headers={"Range": header})

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == BYTES["pdf"]


def test_a_range_of_a_file_changed_since_gets_the_whole_file(world, press):
    response = world.client("anonymous").get(
        press_url(press.released), headers={"Range": "bytes=0-3", "If-Range": '"stale"'}
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == BYTES["pdf"]


def test_a_range_is_refused_to_whoever_may_not_download(world, press):
    response = world.client("anonymous").get(
        press_url(press.approved), headers={"Range": "bytes=0-3"}
    )

    assert response.status_code == 404
    assert "Content-Range" not in response


@pytest.mark.parametrize(
    ("offload", "header", "value"),
    [
        ("x-accel-redirect", "X-Accel-Redirect", "/protected-media/statements/"),
        ("x-sendfile", "X-Sendfile", "/statements/"),
    ],
)
def test_the_front_server_can_be_handed_the_file(world, press, settings, offload, header, value):
    settings.DOWNLOAD_OFFLOAD = offload
    document = pdf_of(press.released)

    response = world.client("anonymous").get(press_url(press.released))

    assert response.status_code == 200
    assert response.content == b""
    assert value in response[header]
    assert response[header].endswith(document.file.name.rsplit("/", 1)[-1])
    assert response["ETag"] == f'"{document.checksum}"'
    assert response["Content-Disposition"] == (
        'attachment; filename="mission-a-final-statement-v3-en.pdf"'
    )


def test_the_front_server_is_not_handed_what_the_reader_may_not_have(world, press, settings):
    settings.DOWNLOAD_OFFLOAD = "x-accel-redirect"

    response = world.client("anonymous").get(press_url(press.embargoed))

    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response


def test_a_released_download_takes_no_query_once_served(world, press, django_assert_num_queries):
    client = world.client("anonymous")
    first = client.get(press_url(press.released))

    with django_assert_num_queries(0):
        again = client.get(press_url(press.released))

    assert b"".join(again.streaming_content) == BYTES["pdf"]
    assert again["ETag"] == first["ETag"]
    assert again["Content-Disposition"] == first["Content-Disposition"]


def test_a_remembered_released_file_is_answered_before_sessions_with_every_page_s_headers(
    world, press
):
    client = world.client("press_officer")  # signed in: the file is the public's all the same
    client.get(press_url(press.released))  # now remembered

    again = client.get(press_url(press.released))

    assert b"".join(again.streaming_content) == BYTES["pdf"]
    assert again["Cache-Control"] == "public, max-age=31536000, immutable"
    # Answered before the session, language and account middleware: nothing per reader.
    assert "Cookie" not in again.get("Vary", "") and "Accept-Language" not in again.get("Vary", "")
    assert not again.cookies
    # The headers every page carries.
    assert again["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in again["Content-Security-Policy"]
    assert "camera=()" in again["Permissions-Policy"]
    assert again["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("tail", ["x/pdf/", "1/pdf", "1/pdf/more/", "-1/pdf/"])
def test_an_address_beside_the_downloads_is_not_served_a_file(world, press, tail):
    client = world.client("anonymous")
    client.get(press_url(press.released))  # a released file remembered

    response = client.get(f"/press/statements/{tail}".replace("1/", f"{press.released.pk}/"))

    # Not found, or (without its last slash) sent to the address with it, as any page is.
    assert response.status_code in (404, 301)
    assert "Content-Disposition" not in response and not response.get("ETag")


def test_a_withdrawn_statement_s_file_is_no_longer_served(
    world, press, django_capture_on_commit_callbacks
):
    address = press_url(press.released)
    assert world.client("anonymous").get(address).status_code == 200  # and now remembered

    with django_capture_on_commit_callbacks(execute=True):
        press.released.delete()

    assert world.client("anonymous").get(address).status_code == 404


def test_an_embargoed_file_is_not_remembered_for_the_public(world, press):
    assert world.client("press_officer").get(press_url(press.embargoed)).status_code == 200

    assert world.client("anonymous").get(press_url(press.embargoed)).status_code == 404


def public_press_html() -> str:
    return Client().get(reverse("press:list")).content.decode()


def test_the_public_sees_a_statement_once_it_is_published(
    world, press, django_capture_on_commit_callbacks
):
    assert press_url(press.approved) not in public_press_html()  # and now cached

    with django_capture_on_commit_callbacks(execute=True):
        statement_publish(statement=press.approved, user=world.users["coordinator"])

    assert press_url(press.approved) in public_press_html()


def test_a_statement_published_under_embargo_stays_hidden_from_the_public(
    world, press, django_capture_on_commit_callbacks
):
    public_press_html()
    with django_capture_on_commit_callbacks(execute=True):
        statement_publish(
            statement=press.approved,
            user=world.users["coordinator"],
            embargo_until=timezone.now() + datetime.timedelta(hours=1),
        )

    assert press_url(press.approved) not in public_press_html()


def test_the_public_no_longer_sees_a_withdrawn_statement(
    world, press, django_capture_on_commit_callbacks
):
    withdrawn = press_url(press.released)
    assert withdrawn in public_press_html()

    with django_capture_on_commit_callbacks(execute=True):
        press.released.delete()

    html = public_press_html()
    assert withdrawn not in html
    assert press_url(press.older) in html  # the version before it is the newest again


def test_the_public_no_longer_sees_a_statement_set_back_from_published(
    world, press, django_capture_on_commit_callbacks
):
    assert press_url(press.released) in public_press_html()

    with django_capture_on_commit_callbacks(execute=True):
        press.released.status = Statement.Status.APPROVED
        press.released.save()

    assert press_url(press.released) not in public_press_html()


def test_the_public_sees_a_statement_when_its_embargo_passes(world, press):
    Statement.objects.filter(pk=press.embargoed.pk).update(
        embargo_until=timezone.now() + datetime.timedelta(seconds=1.5)
    )
    assert press_url(press.embargoed) not in public_press_html()  # cached until the lift

    time.sleep(1.6)

    assert press_url(press.embargoed) in public_press_html()


def test_without_a_shared_cache_nothing_is_kept_between_requests(world, press, settings):
    settings.PRESS_CACHE_SECONDS = 0  # the default without Redis
    assert press_url(press.approved) not in public_press_html()
    assert world.client("anonymous").get(press_url(press.released)).status_code == 200

    # Changed behind the cache's back: no signal, no invalidation.
    Statement.objects.filter(pk=press.approved.pk).update(
        status=Statement.Status.PUBLISHED, published_at=timezone.now()
    )
    Statement.objects.filter(pk=press.released.pk).update(status=Statement.Status.APPROVED)

    assert press_url(press.approved) in public_press_html()
    assert world.client("anonymous").get(press_url(press.released)).status_code == 404


def test_the_press_officer_is_not_served_the_public_s_list(world, press):
    public_press_html()

    html = world.client("press_officer").get(reverse("press:list")).content.decode()

    assert press_url(press.embargoed) in html
    assert "Embargoed until" in html


def test_the_public_s_list_is_cached_per_language(world, press):
    english = public_press_html()

    russian = Client(headers={"Accept-Language": "ru"}).get(reverse("press:list"))

    assert "Final statement in English, PDF" in english
    assert "Final statement in English, PDF" not in russian.content.decode()


def test_the_press_list_does_not_load_the_statements_content(world, press):
    with CaptureQueriesContext(connection) as queries:
        world.client("press_officer").get(reverse("press:list"))
        public_press_html()

    assert queries.captured_queries
    assert not any('"content"' in query["sql"] for query in queries.captured_queries)


# -- query counts ------------------------------------------------------------------------------


SIZES = [2, 10]

# The Django session, the logged-in user, and the user's memberships of the mission (with the
# mission joined).
STAFF_PAGE_START = 3


# The election, candidates, parties, their candidates, referendum questions, their options,
# offices, activities, delegations, members, areas, questions and texts.
MISSING_TRANSLATION_QUERIES = 13


def many_statements(mission, size: int, **fields) -> None:
    for version in range(1, size + 1):
        statement = make_statement(mission, version=version, **fields)
        add_documents(statement)


@pytest.mark.parametrize("size", SIZES)
def test_the_statement_list_takes_the_same_queries_however_many_versions(
    world, size, django_assert_num_queries
):
    many_statements(world.mission, size, language="ru", requested_by=world.users["coordinator"])
    client = world.client("coordinator")

    # STAFF_PAGE_START, then: the statements (who requested and approved them joined), their
    # documents, the visits a new version would leave out (one aggregate), then what
    # statements print, read once for the missing translations.
    with django_assert_num_queries(STAFF_PAGE_START + 3 + MISSING_TRANSLATION_QUERIES):
        response = client.get(url(world, "list"))

    assert response.content.decode().count("/download/pdf/") == size + 1


@pytest.mark.parametrize("size", SIZES)
def test_the_evidence_page_takes_the_same_queries_however_many_visits(
    world, size, django_assert_num_queries
):
    checklist = make_checklist(world.mission, code="closing", phase="closing")
    participation = world.personas.observer_participation
    visits = [
        file_visit(world.mission, checklist, participation, number=f"9{n}", box_sealed="no")
        for n in range(size)
    ]
    answers = [a.pk for v in visits for a in v.answers.filter(question__code="box_sealed")]
    Statement.objects.filter(pk=world.statement.pk).update(
        content=small_document({"visits": [v.pk for v in visits], "answers": answers})
    )
    client = world.client("coordinator")

    # STAFF_PAGE_START, then: the statement (mission and people joined) with its documents,
    # the answers (questions joined), the incidents, the visits (station, area, checklist and
    # filer joined) and their observers.
    with django_assert_num_queries(STAFF_PAGE_START + 6):
        response = client.get(url(world, "evidence"))

    assert visible_text(response).count("Was the ballot box sealed? — No") == size


@pytest.mark.parametrize("size", SIZES)
def test_a_versions_kept_evidence_takes_the_same_queries_however_many_visits(
    world, size, django_assert_num_queries
):
    visits = list(range(900, 900 + size))
    Statement.objects.filter(pk=world.statement.pk).update(
        content=small_document({"visits": visits, "answers": [n + 5000 for n in visits]}),
        evidence_kept=True,
    )
    StatementEvidence.objects.bulk_create(
        StatementEvidence(
            statement=world.statement,
            visit_ref=visit,
            station=f"No. {visit} — School",
            checklist="Voting (v1)",
            arrived_at=timezone.now(),
            review="reviewed",
            observers="Anna Petrova",
            answers=[
                {
                    "id": visit + 5000,
                    "question": "Was the ballot box sealed?",
                    "value": "no",
                    "shown": "No",
                }
            ],
        )
        for visit in visits
    )
    client = world.client("coordinator")

    # STAFF_PAGE_START, then: the statement (mission and people joined) with its documents,
    # the visits as the version kept them, and their review state now (none is on file).
    with django_assert_num_queries(STAFF_PAGE_START + 4):
        response = client.get(url(world, "evidence"))

    text = visible_text(response)
    assert text.count("Was the ballot box sealed? — No") == size
    assert text.count("removed after this version was compiled") == size


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("persona", "queries"),
    [
        # The statements (missions joined, newest visible versions only), their documents,
        # and the next embargo lift, which bounds how long the public's list is cached.
        ("anonymous", 3),
        # The session and the user, then the same two: the press officer's missions are a
        # subquery.
        ("press_officer", 4),
    ],
)
def test_the_press_list_takes_the_same_queries_however_many_statements(
    world, size, persona, queries, django_assert_num_queries
):
    published = {"status": Statement.Status.PUBLISHED, "published_at": timezone.now()}
    for language in ("en", "ru"):
        for kind in ("final", "preliminary"):
            many_statements(world.personas.mission_b, size, kind=kind, language=language)
        many_statements(world.mission, size, language=language, kind="briefing", **published)
    client = world.client(persona)

    with django_assert_num_queries(queries):
        response = client.get(reverse("press:list"))

    # Only the newest version of each: mission A's English and Russian briefings.
    assert response.content.decode().count("/press/statements/") == 2 * 3


@pytest.mark.parametrize("size", SIZES)
def test_the_public_s_press_list_takes_no_query_once_cached(world, size, django_assert_num_queries):
    published = {"status": Statement.Status.PUBLISHED, "published_at": timezone.now()}
    for language in ("en", "ru"):
        many_statements(world.mission, size, language=language, kind="briefing", **published)
    client = world.client("anonymous")
    first = client.get(reverse("press:list")).content.decode()

    with django_assert_num_queries(0):
        again = client.get(reverse("press:list")).content.decode()

    assert again.count("/press/statements/") == first.count("/press/statements/")
    assert again.count("/press/statements/") == 2 * 3


# -- the admin ---------------------------------------------------------------------------------


def admin_client(world, persona: str = "coordinator") -> Client:
    return world.client(persona)


def test_an_approved_statement_is_read_only_in_the_admin(world):
    Statement.objects.filter(pk=world.statement.pk).update(status=Statement.Status.APPROVED)
    client = admin_client(world)
    change = reverse("admin:reports_statement_change", args=[world.statement.pk])

    html = client.get(change).content.decode()

    assert 'name="place"' not in html
    assert 'name="dated_on"' not in html
    delete = reverse("admin:reports_statement_delete", args=[world.statement.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Statement.objects.filter(pk=world.statement.pk).exists()


def test_a_ready_statement_s_dating_and_workflow_are_read_only_in_the_admin(world):
    html = admin_client(world).get(
        reverse("admin:reports_statement_change", args=[world.statement.pk])
    )

    text = html.content.decode()
    # Its documents already carry the place and date: a change would not reach them.
    assert 'name="place"' not in text
    assert 'name="status"' not in text
    assert 'name="assessment"' not in text
    assert url(world, "detail") in text


def test_a_queued_statement_s_dating_is_changed_in_the_admin(world):
    queued = make_statement(world.mission, version=2, status=Statement.Status.QUEUED)
    change = reverse("admin:reports_statement_change", args=[queued.pk])
    client = admin_client(world)
    assert 'name="place"' in client.get(change).content.decode()

    # The documents inline is read-only but still posts its management form.
    management = {
        f"documents-{name}": value
        for name, value in (
            ("TOTAL_FORMS", "0"),
            ("INITIAL_FORMS", "0"),
            ("MIN_NUM_FORMS", "0"),
            ("MAX_NUM_FORMS", "0"),
        )
    }
    response = client.post(change, {"place": "Astana", "dated_on": "2022-11-20", **management})
    assert response.status_code == 302, response.content.decode()[:2000]

    queued.refresh_from_db()
    assert (queued.place, queued.status) == ("Astana", Statement.Status.QUEUED)


def test_statements_are_not_added_by_hand(world):
    assert admin_client(world).get(reverse("admin:reports_statement_add")).status_code == 403


def test_the_admin_action_compiles_a_new_version_of_each_selected_statement(world):
    second = make_statement(world.mission, version=2)
    russian = make_statement(world.mission, language="ru")
    changelist = reverse("admin:reports_statement_changelist")

    response = admin_client(world).post(
        changelist,
        {
            "action": "compile_new_version",
            "_selected_action": [world.statement.pk, second.pk, russian.pk],
        },
        follow=True,
    )

    assert "2 new versions are queued for compiling." in page_text(response)
    queued = Statement.objects.filter(mission=world.mission, status=Statement.Status.QUEUED)
    assert sorted(queued.values_list("language", "version")) == [("en", 3), ("ru", 2)]
    assert {s.requested_by for s in queued} == {world.users["coordinator"]}


def test_the_outsider_does_not_see_mission_a_s_statements_in_the_admin(world):
    response = admin_client(world, "outsider").get(reverse("admin:reports_statement_changelist"))

    assert response.status_code == 200
    assert url(world, "detail") not in response.content.decode()
    assert "Mission A" not in response.content.decode()
    change = reverse("admin:reports_statement_change", args=[world.statement.pk])
    assert admin_client(world, "outsider").get(change).status_code == 302  # "does not exist"


# The session, the user, the user's own and group permissions, the missions for the mission
# filter, the filtered and the total count, and the page of rows (missions and users joined).
ADMIN_CHANGELIST_START = 8
# The statement changelist adds the date hierarchy: the first and last request, and its days.
STATEMENT_CHANGELIST_QUERIES = ADMIN_CHANGELIST_START + 2
TEXT_CHANGELIST_QUERIES = ADMIN_CHANGELIST_START


@pytest.mark.parametrize("size", SIZES)
def test_the_statement_changelist_takes_the_same_queries_however_many_statements(
    world, size, django_assert_num_queries
):
    many_statements(world.mission, size, language="ru", requested_by=world.users["coordinator"])
    client = admin_client(world)
    changelist = reverse("admin:reports_statement_changelist")
    client.get(changelist)  # warms the content type cache

    with django_assert_num_queries(STATEMENT_CHANGELIST_QUERIES):
        response = client.get(changelist)

    assert response.content.decode().count('class="action-select"') == size + 1


# A mission has one text per section, each written in every language.
@pytest.mark.parametrize("size", [2, len(StatementText.Section.values)])
def test_the_statement_text_changelist_takes_the_same_queries_however_many_texts(
    world, size, django_assert_num_queries
):
    sections = list(StatementText.Section.values)
    for n in range(size):
        StatementText.objects.create(
            mission=world.mission,
            section=sections[n],
            body_en="The election was called by decree.",
            body_ru="Выборы назначены указом.",
        )
    client = admin_client(world)
    changelist = reverse("admin:reports_statementtext_changelist")
    client.get(changelist)

    with django_assert_num_queries(TEXT_CHANGELIST_QUERIES):
        response = client.get(changelist)

    assert response.content.decode().count('class="action-select"') == size


def test_a_coordinator_writes_an_authored_section_in_markdown(world):
    client = admin_client(world)
    add = reverse("admin:reports_statementtext_add")
    html = client.get(add).content.decode()
    for language in ("en", "ru", "zh_hans"):
        assert re.search(
            rf'<textarea[^>]*name="body_{language}"[^>]*style="font-family: monospace', html
        )

    client.post(
        add,
        {
            "mission": world.mission.pk,
            "section": "legal_basis",
            "body_en": "The election was called by **decree**.",
            "body_ru": "Выборы были назначены **указом**.",
            "body_zh_hans": "",
        },
    )

    text = StatementText.objects.get(mission=world.mission, section="legal_basis")
    assert text.body_en == "The election was called by **decree**."
    assert text.body_ru == "Выборы были назначены **указом**."
    assert not text.body_zh_hans


def test_the_outsider_cannot_write_mission_a_s_sections(world):
    response = admin_client(world, "outsider").post(
        reverse("admin:reports_statementtext_add"),
        {"mission": world.mission.pk, "section": "legal_basis", "body_en": "x"},
    )

    assert response.status_code == 200  # the form again, with the mission refused
    assert not StatementText.objects.exists()
