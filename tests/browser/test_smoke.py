"""The home page and the login page in a real browser."""

from django.urls import reverse

from tests.factories import UserFactory


def test_a_signed_in_user_sees_the_home_page_in_chromium(page_for, live_server, artefacts):
    user = UserFactory(username="zhang.ming", first_name="Zhang", last_name="Ming")
    page = page_for(user)
    page.goto(live_server.url + reverse("home"))
    page.screenshot(path=artefacts / "home.png", full_page=True)
    assert "/accounts/login/" not in page.url
    assert page.get_by_role("heading", name="My missions").is_visible()
    assert page.get_by_text("You are not on any mission yet.").is_visible()


def test_an_anonymous_visitor_is_sent_to_the_login_page(page_for, live_server, artefacts):
    page = page_for()
    page.goto(live_server.url + reverse("home"))
    page.screenshot(path=artefacts / "login.png", full_page=True)
    assert "/accounts/login/" in page.url
    assert page.locator("input[name=password]").count() == 1
