"""Every observer page on a phone-sized screen passes axe-core with no serious violation, and
the filing form is valid HTML for the W3C checker (vnu).

Both tools come from the npm registry (package.json; `npm ci` installs them into
node_modules/), vnu runs on the system's Java.
"""

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from observers.models import Team
from reports.models import Question
from reports.services import VisitData, visit_send_back, visit_submit
from stations.models import Assignment
from tests.browser.test_offline_filing import PHONE
from tests.factories import ParticipationFactory, UserFactory
from tests.visits_support import election_day, make_checklist, photo_jpeg, station_of

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
JPEG = photo_jpeg(gps=False)


def needs(path: Path, what: str) -> None:
    if path.exists():
        return
    message = f"{what} is missing at {path}: run `npm ci`."
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def filed(personas):
    """Mission A with assignments, a checklist allowing "not observed", and a visit sent back."""
    mission = personas.mission_a
    mission.time_zone = "Asia/Almaty"
    mission.save()
    checklist = make_checklist(mission)
    Question.objects.filter(checklist=checklist, code="box_sealed").update(not_observed=True)
    station = station_of(mission, "83")
    team = Team.objects.create(mission=mission, name="Team 1")
    team.members.add(personas.observer_participation)
    Assignment.objects.create(team=team, station=station, date=mission.ends_on, phase="voting")
    by_code = {question.code: question.pk for question in checklist.questions.all()}
    visit, _created = visit_submit(
        participation=personas.observer_participation,
        key=uuid.uuid4(),
        data=VisitData(
            station=station,
            checklist=checklist,
            arrived_at=election_day(mission, 9),
            answers={
                by_code["info_materials"]: "yes",
                by_code["evacuation_plan"]: "no",
                by_code["atmosphere"]: "calm",
            },
            not_observed={by_code["box_sealed"]},
        ),
        files=[SimpleUploadedFile("box.jpg", JPEG, "image/jpeg")],
        user=personas.observer,
    )
    visit_send_back(visit=visit, reviewer=personas.coordinator, comment="Check the seal")
    return {"mission": mission, "checklist": checklist, "visit": visit, "station": station}


def observer_pages(filed) -> dict[str, str]:
    slug = filed["mission"].slug
    new = reverse("reports:visit_new", args=[slug])
    return {
        "mission": reverse("reports:mission_home", args=[slug]),
        "assignments": reverse("reports:assignment_list", args=[slug]),
        "visits": reverse("reports:visit_list", args=[slug]),
        "checklist choice": new,
        "filing form": f"{new}?checklist={filed['checklist'].pk}&station={filed['station'].pk}",
        "visit": reverse("reports:visit_detail", args=[slug, filed["visit"].pk]),
        "correction form": reverse("reports:visit_edit", args=[slug, filed["visit"].pk]),
    }


def test_every_observer_page_has_no_serious_accessibility_violation_on_a_phone(
    page_for, live_server, personas, filed, artefacts
):
    needs(AXE, "axe-core")
    page = page_for(personas.observer, **PHONE)
    source = AXE.read_text(encoding="utf-8")
    found = {}
    for name, path in observer_pages(filed).items():
        page.goto(live_server.url + path)
        page.wait_for_selector("html[data-offline-ready=yes]", state="attached", timeout=15_000)
        page.evaluate(source)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [
            f"{violation['id']}: {[node['target'] for node in violation['nodes']]}"
            for violation in result["violations"]
            if violation["impact"] in ("serious", "critical")
        ]
        if serious:
            found[name] = serious
            page.screenshot(path=artefacts / f"axe-{name.replace(' ', '-')}.png", full_page=True)

    assert found == {}


def test_the_refusal_a_not_yet_accredited_observer_sees_has_no_serious_violation(
    page_for, live_server, personas, filed
):
    needs(AXE, "axe-core")
    waiting = UserFactory(username="not-yet-accredited")
    ParticipationFactory(mission=filed["mission"], user=waiting)
    page = page_for(waiting, **PHONE)
    page.goto(live_server.url + reverse("reports:visit_new", args=[filed["mission"].slug]))
    assert "You are not accredited yet" in page.locator("main").inner_text()
    page.wait_for_selector("html[data-offline-ready=yes]", state="attached", timeout=15_000)

    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")

    assert [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")] == []


def test_the_filing_form_is_valid_html_for_the_w3c_checker(
    client: Client, personas, filed, tmp_path
):
    needs(VNU, "The W3C checker (vnu-jar)")
    java = shutil.which("java")
    if java is None:
        pytest.fail("Java is needed to run the W3C checker: install default-jre-headless.")
    client.force_login(personas.observer)
    pages = observer_pages(filed)
    documents = []
    for name in ("filing form", "correction form"):
        document = tmp_path / f"{name.replace(' ', '-')}.html"
        document.write_text(client.get(pages[name]).text, encoding="utf-8")
        documents.append(str(document))

    checked = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *documents],
        capture_output=True,
        text=True,
        timeout=300,
    )

    messages = json.loads(checked.stderr or '{"messages": []}')["messages"]
    assert [
        f"{m.get('url', '').rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
    ] == []
