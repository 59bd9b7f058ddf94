"""Real-browser tests: Playwright driving Debian's Chromium against the live test server.

Screenshots go to BROWSER_ARTEFACTS (default: a folder under the system's temporary
directory) so a person can look at what the test saw.
"""

import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Chromium started as root on a machine with no network beyond the page under test.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in the test's thread; the test itself still
# talks to the database synchronously, which is what Django's guard would refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def artefacts() -> Path:
    folder = Path(
        os.environ.get("BROWSER_ARTEFACTS", Path(tempfile.gettempdir()) / "observa-screenshots")
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make system-deps`.")
        pytest.skip(f"Chromium is missing at {CHROMIUM}: run `make system-deps`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def log_in(context, live_server, user) -> None:
    """Give the browser context a session for this user, as the login page would."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # As after the second step of a login (two-factor authentication, see accounts/).
    session["accounts_mfa"] = "verified"
    session.save()
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


@pytest.fixture
def page_for(browser, live_server, transactional_db):
    """Open a page in a fresh browser context, logged in as `user` when one is given."""
    contexts = []

    def open_page(user=None, **context_options):
        context = browser.new_context(**context_options)
        contexts.append(context)
        if user is not None:
            log_in(context, live_server, user)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
