"""The observer's form on an emulated phone: offline, through the outbox, and back online.

Chromium with a service worker on the live server: the pages are kept on the device, visits
typed with no network wait in the outbox and are filed exactly once when it returns.
"""

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from observers.models import Team
from reports.models import Answer, Question, Visit
from stations.models import Assignment
from tests.visits_support import make_checklist, photo_jpeg, station_of

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0 Mobile Safari/537.36"
    ),
    "service_workers": "allow",
}
TIMEOUT = 15_000
JPEG = photo_jpeg(gps=False)


@pytest.fixture
def mission(personas):
    mission = personas.mission_a
    mission.time_zone = "Asia/Almaty"
    mission.save()
    checklist = make_checklist(mission)
    section = checklist.sections.get(position=1)
    for position, (code, text, kind) in enumerate(
        [
            ("complaints", "Were complaints recorded?", "yes_no"),
            ("complaint_count", "How many complaints?", "number"),
        ]
    ):
        Question.objects.create(
            checklist=checklist,
            section=section,
            position=30 + position,
            code=code,
            text=text,
            kind=kind,
            required=False,
        )
    Question.objects.filter(checklist=checklist, code="box_sealed").update(not_observed=True)
    checklist.rules = [
        {
            "when": {"question": "complaints", "answer": ["yes"]},
            "require": {"question": "complaint_count", "above": 0},
            "message": "Complaints were recorded, so their number is above 0.",
        }
    ]
    checklist.save()
    team = Team.objects.create(mission=mission, name="Team 1")
    team.members.add(personas.observer_participation)
    for number in ("83", "84"):
        Assignment.objects.create(
            team=team,
            station=station_of(mission, number),
            date=mission.ends_on,
            phase="voting",
        )
    mission.checklist = checklist
    return mission


def form_url(live_server, mission) -> str:
    path = reverse("reports:visit_new", args=[mission.slug])
    return f"{live_server.url}{path}?checklist={mission.checklist.pk}"


def ready(page) -> None:
    page.wait_for_selector("html[data-offline-ready=yes]", state="attached", timeout=TIMEOUT)


def form_ready(page) -> None:
    page.wait_for_selector("#visit-form[data-ready=yes]", state="attached", timeout=TIMEOUT)


def fill_visit(page, *, station: str, time: str, notes: str, box: str = "yes") -> None:
    page.fill("#id_station", station)
    page.fill("#id_arrived_at", f"2022-11-20T{time}")
    for code, value in [
        ("info_materials", "yes"),
        ("evacuation_plan", "no"),
        ("atmosphere", "calm"),
    ]:
        page.click(f"label[for^=id_q_{code}_]:text-is('{value.capitalize()}')")
    if box == "not_observed":
        page.check("#id_n_box_sealed")
    else:
        page.click(f"label[for^=id_q_box_sealed_]:text-is('{box.capitalize()}')")
    page.fill("#id_q_waiting", "12")
    page.fill("#id_q_remarks", f"Remarks at {station}")
    page.fill("#id_notes", notes)


def outbox_text(page) -> str:
    return page.locator("#outbox-status [data-outbox-text]").inner_text()


def test_two_visits_typed_offline_are_filed_exactly_once_when_the_phone_is_back_online(
    page_for, live_server, personas, mission, artefacts
):
    # Playwright polls its waits with evaluated code, which the pages' policy forbids; the
    # policy itself is checked in test_csp.py.
    page = page_for(personas.observer, bypass_csp=True, **PHONE)
    context = page.context
    page.goto(live_server.url + reverse("reports:mission_home", args=[mission.slug]))
    ready(page)
    page.goto(form_url(live_server, mission))
    form_ready(page)
    ready(page)

    context.set_offline(True)
    page.reload()
    form_ready(page)
    assert page.locator("h1").inner_text() == "Voting"

    fill_visit(page, station="83", time="10:00", notes="Queue outside")
    page.set_input_files(
        "#id_attachments",
        files=[{"name": "queue.jpg", "mimeType": "image/jpeg", "buffer": JPEG}],
    )
    page.click("button[type=submit]:text-is('Send the visit')")
    page.wait_for_function(
        "document.querySelector('#outbox-status').dataset.waiting === '1'", timeout=TIMEOUT
    )
    fill_visit(page, station="84", time="11:30", notes="Calm", box="not_observed")
    page.click("button[type=submit]:text-is('Send the visit')")
    page.wait_for_function(
        "document.querySelector('#outbox-status').dataset.waiting === '2'", timeout=TIMEOUT
    )
    assert outbox_text(page) == "2 visits waiting to send"
    page.screenshot(path=artefacts / "offline-outbox.png", full_page=True)
    assert Visit.objects.count() == 0

    # The page is killed and opened again, still with no network.
    page.close()
    page = context.new_page()
    page.goto(form_url(live_server, mission))
    form_ready(page)
    page.wait_for_function(
        "document.querySelector('#outbox-status').dataset.waiting === '2'", timeout=TIMEOUT
    )
    assert Visit.objects.count() == 0

    context.set_offline(False)
    page.wait_for_function(
        "document.querySelector('#outbox-status').hidden === true", timeout=TIMEOUT
    )

    visits = list(Visit.objects.order_by("arrived_at"))
    assert [visit.station.number for visit in visits] == ["83", "84"]
    assert [visit.notes for visit in visits] == ["Queue outside", "Calm"]
    assert [a.original_name for a in visits[0].attachments.all()] == ["queue.jpg"]
    assert visits[1].attachments.count() == 0
    for visit in visits:
        values = dict(visit.answers.values_list("question__code", "value"))
        assert values["info_materials"] == "yes"
        assert values["evacuation_plan"] == "no"
        assert values["atmosphere"] == "calm"
        assert values["waiting"] == 12
        assert values["remarks"] == f"Remarks at {visit.station.number}"
    assert dict(visits[0].answers.values_list("question__code", "value"))["box_sealed"] == "yes"
    not_seen = Answer.objects.get(visit=visits[1], question__code="box_sealed")
    assert (not_seen.value, not_seen.is_concern) == (None, False)

    # A third visit the server refuses comes back with the message beside its field.
    page.goto(form_url(live_server, mission))
    form_ready(page)
    fill_visit(page, station="99999", time="13:00", notes="Third")
    page.click("button[type=submit]:text-is('Send the visit')")
    error = page.locator("[data-server-error=station]")
    error.wait_for(timeout=TIMEOUT)
    page.screenshot(path=artefacts / "offline-refused.png", full_page=True)
    assert error.inner_text() == "There is no polling station No. 99999 in this election."
    assert page.locator("#div_id_station [data-server-error]").count() == 1
    assert page.input_value("#id_station") == "99999"
    assert page.input_value("#id_notes") == "Third"
    assert page.input_value("#id_q_remarks") == "Remarks at 99999"
    assert Visit.objects.count() == 2


def test_what_is_typed_and_the_photo_chosen_come_back_after_a_reload(
    page_for, live_server, personas, mission, artefacts
):
    page = page_for(personas.observer, **PHONE)
    page.goto(form_url(live_server, mission))
    form_ready(page)
    key = page.input_value("input[name=key]")
    fill_visit(page, station="83", time="09:15", notes="Half typed")
    page.set_input_files(
        "#id_attachments",
        files=[
            {"name": "box.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff" + b"0" * 64}
        ],
    )
    page.click("[data-incident-add]")
    page.select_option("#id_incidents-1-category", "secrecy")
    page.wait_for_timeout(600)  # the draft is saved 300 ms after the last change

    page.reload()
    form_ready(page)

    page.screenshot(path=artefacts / "draft-restored.png", full_page=True)
    assert page.input_value("#id_notes") == "Half typed"
    assert page.input_value("#id_station") == "83"
    assert page.input_value("input[name=key]") == key
    assert page.eval_on_selector("#id_attachments", "input => input.files[0].name") == "box.jpg"
    assert page.input_value("#id_incidents-1-category") == "secrecy"
    assert page.is_checked("#id_q_evacuation_plan_1")


def test_a_likely_duplicate_is_shown_with_the_choice_to_open_it_or_file_a_second(
    page_for, live_server, personas, mission, artefacts
):
    page = page_for(personas.observer, **PHONE)
    page.goto(form_url(live_server, mission))
    form_ready(page)
    fill_visit(page, station="83", time="10:00", notes="First")
    page.click("button[type=submit]:text-is('Send the visit')")
    page.wait_for_url("**/visits/*/", timeout=TIMEOUT)
    first = Visit.objects.get()

    page.go_back()
    form_ready(page)
    fill_visit(page, station="83", time="10:10", notes="Second")
    page.click("button[type=submit]:text-is('Send the visit')")
    panel = page.locator("#sent-errors")
    panel.wait_for(timeout=TIMEOUT)
    page.screenshot(path=artefacts / "duplicate.png", full_page=True)
    assert "You already filed a visit to this polling station" in panel.inner_text()
    link = page.get_by_role("link", name="Open that visit")
    assert link.get_attribute("href") == reverse(
        "reports:visit_detail", args=[mission.slug, first.pk]
    )
    assert Visit.objects.count() == 1

    page.get_by_role("button", name="File a second visit").click()
    page.wait_for_url(f"**/visits/{first.pk + 1}/", timeout=TIMEOUT)
    assert Visit.objects.count() == 2


def test_a_broken_rule_and_not_observed_in_the_browser(
    page_for, live_server, personas, mission, artefacts
):
    page = page_for(personas.observer, **PHONE)
    page.goto(form_url(live_server, mission))
    form_ready(page)
    fill_visit(page, station="83", time="10:00", notes="Rules", box="no")
    # Marking the question not observed clears its answer.
    page.check("#id_n_box_sealed")
    assert not page.is_checked("#id_q_box_sealed_1")
    page.click("label[for^=id_q_complaints_]:text-is('Yes')")
    page.fill("#id_q_complaint_count", "0")
    page.click("button[type=submit]:text-is('Send the visit')")
    error = page.locator("[data-server-error=q_complaint_count]")
    error.wait_for(timeout=TIMEOUT)
    assert error.inner_text() == "Complaints were recorded, so their number is above 0."
    assert Visit.objects.count() == 0

    page.fill("#id_q_complaint_count", "2")
    page.click("button[type=submit]:text-is('Send the visit')")
    page.wait_for_url("**/visits/*/", timeout=TIMEOUT)
    visit = Visit.objects.get()
    values = dict(visit.answers.values_list("question__code", "value"))
    assert values["box_sealed"] is None and values["complaint_count"] == 2
    assert page.get_by_text("Not observed").count() >= 1


def test_offline_the_observer_opens_an_assigned_station_and_files_from_its_checklist(
    page_for, live_server, personas, mission, artefacts
):
    page = page_for(personas.observer, **PHONE)
    page.goto(live_server.url + reverse("reports:mission_home", args=[mission.slug]))
    ready(page)

    page.context.set_offline(True)
    page.goto(live_server.url + reverse("reports:assignment_list", args=[mission.slug]))
    page.get_by_role("link", name="File a visit here").first.click()
    page.get_by_role("link", name="Voting").click()
    form_ready(page)

    page.screenshot(path=artefacts / "offline-station-form.png", full_page=True)
    assert page.input_value("#id_station") == "83"
    assert page.locator("h1").inner_text() == "Voting"


def test_the_now_buttons_give_the_time_in_the_missions_zone_not_the_phones(
    page_for, live_server, personas, mission
):
    page = page_for(personas.observer, timezone_id="America/Lima", **PHONE)
    page.goto(form_url(live_server, mission))
    form_ready(page)
    zone = zoneinfo.ZoneInfo("Asia/Almaty")
    before = datetime.datetime.now(zone).strftime("%Y-%m-%dT%H:%M")

    page.get_by_role("button", name="Arrived now").click()
    page.get_by_role("button", name="Leaving now").click()

    after = datetime.datetime.now(zone).strftime("%Y-%m-%dT%H:%M")
    assert page.input_value("#id_arrived_at") in {before, after}
    assert page.input_value("#id_departed_at") in {before, after}
