"""A coordinator sees, before compiling, what a Russian or Chinese statement would print in
English, and opens the list to find the record to translate."""

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from missions.demo import DEMO_SLUG
from missions.models import Mission, MissionMembership
from missions.services import coordinators_group_ensure
from observers.models import Observer


def test_the_statements_page_shows_what_is_missing_in_chinese(page_for, live_server, artefacts):
    call_command("load_demo", stdout=StringIO())
    mission = Mission.objects.get(slug=DEMO_SLUG)
    user = get_user_model().objects.create_user("coord", password="x", is_staff=True)
    user.groups.add(coordinators_group_ensure())
    MissionMembership.objects.create(mission=mission, user=user, role="coordinator")
    Observer.objects.filter(full_name_en="Wang Tao").update(position_zh_hans="")

    page = page_for(user)
    page.goto(live_server.url + reverse("statements:list", args=[DEMO_SLUG]))
    page.get_by_text("Chinese: 1 text is not written in this language").click()
    page.screenshot(path=artefacts / "missing-translations.png", full_page=True)

    link = page.get_by_role("link", name="Observer: Wang Tao")
    assert link.is_visible()
    assert page.get_by_text(
        "Russian: every text the statement prints is written in this language."
    ).is_visible()
    link.click()
    page.screenshot(path=artefacts / "missing-translation-admin.png", full_page=True)
    position = page.locator("[name=position_zh_hans]")
    assert position.count() == 1 and position.input_value() == ""
    assert page.locator("[name=position_ru]").input_value().startswith("советник-посланник")
