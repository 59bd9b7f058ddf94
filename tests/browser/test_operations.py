"""The operations room in a real browser: the demo coordinator watches the feed while the demo
observer files a visit with a critical concern, and the concern arrives without a reload."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import expect

from missions.demo import demo_accounts_ensure, demo_load
from reports.models import Checklist, Question, Visit

FEED_WAIT_MS = 15_000
# What the project's Content-Security-Policy will allow: nothing inline, tiles from anywhere.
STRICT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: http: https:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'"
)


def enforce_strict_policy(page, live_server) -> list[str]:
    """Serve the mission's pages under a strict policy; return the violations reported."""
    violations: list[str] = []

    def with_policy(route):
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": STRICT_POLICY}
        route.fulfill(response=response, headers=headers)

    page.route(live_server.url + "/missions/**", with_policy)
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and violations.append(message.text)
        ),
    )
    return violations


@pytest.fixture(autouse=True)
def fresh_cache():
    # The room's figures are cached per mission, and test missions reuse primary keys.
    cache.clear()


def clear_answer(question: Question):
    """An answer to the question that signals no concern (None: leave it empty)."""
    if question.kind in (Question.Kind.YES_NO, Question.Kind.SINGLE):
        return next(v for v in question.choice_values if v not in question.concern_answers)
    if question.kind == Question.Kind.NUMBER:
        return str(int(question.min_value or 0))
    if question.kind == Question.Kind.TIME:
        return "08:00"
    return None


def file_critical_visit(page, live_server, mission, checklist: Checklist) -> None:
    """Fill the observer's voting form as a person would: every answer clear, but the ballot
    boxes were not sealed."""
    page.goto(
        live_server.url
        + reverse("reports:visit_new", args=[mission.slug])
        + f"?checklist={checklist.pk}"
    )
    page.fill("input[name=station]", "64")
    page.fill("input[name=arrived_at]", "2022-11-20T16:40")
    for question in checklist.questions.all():
        value = "no" if question.code == "ballot_box_sealed" else clear_answer(question)
        if value is None:
            continue
        name = f"q_{question.code}"
        if question.kind in (Question.Kind.YES_NO, Question.Kind.SINGLE):
            # The answer buttons are the radio buttons' labels.
            radio = page.locator(f'input[name="{name}"][value="{value}"]')
            page.locator(f'label.toggle-answer[for="{radio.get_attribute("id")}"]').click()
        else:
            page.fill(f'[name="{name}"]', value)
    page.get_by_role("button", name="Send the visit").click()
    # Filed when the phone lands on the visit's own page (a slow machine takes a while).
    expect(page).to_have_url(re.compile(r"/visits/\d+/$"), timeout=30_000)


def test_the_coordinator_sees_a_critical_concern_arrive_without_reloading(
    page_for, live_server, artefacts, settings
):
    settings.OPERATIONS_FEED_SECONDS = 1
    # No network here: the tiles fail, and the map must still show the stations.
    settings.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    mission, _loaded = demo_load()
    demo_accounts_ensure(mission=mission)
    users = get_user_model().objects
    coordinator, observer = users.get(username="coordinator"), users.get(username="observer")

    room = page_for(coordinator, viewport={"width": 1366, "height": 900})
    violations = enforce_strict_policy(room, live_server)
    room.goto(live_server.url + reverse("operations:dashboard", args=[mission.slug]))
    assert room.get_by_role("heading", name="Operations room").is_visible()
    by_phase = room.locator("#coverage-by-phase")
    assert by_phase.locator("tr", has_text="Voting").inner_text().split() == [
        "Voting",
        "22",
        "22",
        "0",
        "100%",
    ]
    assert "Astana / Almaty District" in room.locator("#coverage-by-area").inner_text()
    assert "No serious or critical concern" in room.locator("#ops-feed").inner_text()
    # A locator's wait, not wait_for_function: the page's policy forbids evaluated code.
    expect(room.locator("#station-map")).to_have_attribute(
        "data-station-count", "30", timeout=10_000
    )
    room.evaluate("window.notReloaded = true")
    room.screenshot(path=artefacts / "operations-before.png", full_page=True)

    checklist = Checklist.objects.get(mission=mission, code="voting")
    field = page_for(observer, viewport={"width": 412, "height": 915})
    file_critical_visit(field, live_server, mission, checklist)
    field.screenshot(path=artefacts / "operations-observer-filed.png", full_page=True)
    visit = Visit.objects.filter(mission=mission).order_by("-created_at").first()
    assert visit.station.number == "64"
    assert visit.answers.filter(question__code="ballot_box_sealed", is_concern=True).exists()

    flagged = room.locator("#ops-feed .ops-feed-new.ops-feed-critical")
    flagged.first.wait_for(timeout=FEED_WAIT_MS)
    assert room.evaluate("window.notReloaded") is True
    feed = room.locator("#ops-feed").inner_text()
    assert "1 new critical concern since this page was opened." in feed
    assert "No. 64" in feed
    assert (
        "Were the ballot boxes sealed and in plain view throughout?" in flagged.first.inner_text()
    )
    room.locator("#ops-feed").scroll_into_view_if_needed()
    room.screenshot(path=artefacts / "operations-after.png", full_page=True)
    assert violations == [], "no inline script or style in the operations room"

    # The item opens the visit in the admin.
    flagged.first.locator("a").click()
    change_page = reverse("admin:reports_visit_change", args=[visit.pk])
    expect(room).to_have_url(re.compile(re.escape(change_page) + "$"), timeout=30_000)


def test_the_visit_list_is_readable_at_1366_pixels(page_for, live_server, artefacts):
    mission, _loaded = demo_load()
    demo_accounts_ensure(mission=mission)
    coordinator = get_user_model().objects.get(username="coordinator")
    page = page_for(coordinator, viewport={"width": 1366, "height": 768})
    page.goto(live_server.url + reverse("admin:reports_visit_changelist"))
    page.screenshot(path=artefacts / "admin-visits-1366.png")
    headers = page.locator("#result_list thead th")
    names = [name.strip() for name in headers.all_inner_texts()]
    for name in ("POLLING STATION", "ARRIVED", "CONCERNS", "INCIDENTS", "REVIEW"):
        assert name in names
    # Every column fits beside the filters without scrolling sideways.
    review = page.locator("#result_list thead th.column-review_state").bounding_box()
    results = page.locator("#changelist-form .results").bounding_box()
    assert review["x"] + review["width"] <= results["x"] + results["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    badge = page.locator("#result_list td.field-review_state span.ops-state").first
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    # Station numbers in natural order on the stations list.
    page.goto(live_server.url + reverse("admin:stations_pollingstation_changelist"))
    numbers = page.locator(
        "#result_list td.field-station_number, #result_list th.field-station_number"
    )
    numbers = [int(n) for n in numbers.all_inner_texts()]
    assert numbers == sorted(numbers)
    page.screenshot(path=artefacts / "admin-stations-1366.png")
