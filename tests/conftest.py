"""Personas: a coordinator, an observer and a press officer of mission A, and an outsider
who coordinates mission B and must be refused everything of A's."""

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from missions.models import Mission, MissionMembership
from missions.services import coordinators_group_ensure
from observers.models import Participation
from tests.factories import (
    MembershipFactory,
    MissionFactory,
    ParticipationFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def test_client_logins_pass_the_second_factor(monkeypatch):
    """A test client's force_login() or login() stands for a completed login, second
    factor included.

    Real logins through the login pages owe the second factor (tests/test_accounts.py
    checks that); tests about other pages start from a session that has given it.
    """
    from accounts.services import MFA_SESSION_KEY, MFA_VERIFIED

    original = Client._login

    def _login(self, user, backend=None):
        original(self, user, backend)
        session = self.session
        session[MFA_SESSION_KEY] = MFA_VERIFIED
        session.save()

    monkeypatch.setattr(Client, "_login", _login)


@dataclass
class Personas:
    mission_a: Mission
    mission_b: Mission
    coordinator: object
    observer: object
    observer_participation: Participation
    press_officer: object
    outsider: object


def make_coordinator(mission: Mission, username: str):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(coordinators_group_ensure())
    MembershipFactory(mission=mission, user=user, role=MissionMembership.Role.COORDINATOR)
    return user


@pytest.fixture
def personas(db) -> Personas:
    mission_a = MissionFactory(name="Mission A", slug="mission-a")
    mission_b = MissionFactory(name="Mission B", slug="mission-b")
    observer = UserFactory(username="observer-a")
    participation = ParticipationFactory(mission=mission_a, user=observer, accredited=True)
    press = UserFactory(username="press-a")
    MembershipFactory(mission=mission_a, user=press, role=MissionMembership.Role.PRESS_OFFICER)
    return Personas(
        mission_a=mission_a,
        mission_b=mission_b,
        coordinator=make_coordinator(mission_a, "coordinator-a"),
        observer=observer,
        observer_participation=participation,
        press_officer=press,
        outsider=make_coordinator(mission_b, "coordinator-b"),
    )


@pytest.fixture
def coordinator_client(client, personas):
    client.force_login(personas.coordinator)
    return client


@pytest.fixture
def outsider_client(client, personas):
    client.force_login(personas.outsider)
    return client


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request in a user's own language (their
    saved preference) leaves it active in the thread, and translated model fields and
    messages would follow it into the next test."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _press_list_forgotten(settings):
    """Each test starts with no cached public press list: the cache outlives the test database.
    The cache is on, as with Redis (one test process shares its cache with itself)."""
    from reports.statements import press_cache

    settings.PRESS_CACHE_SECONDS = 300
    press_cache._bump()


@pytest.fixture(autouse=True)
def _frozen_checklists_forgotten():
    """Each test starts with no checklist version kept by the process: a rolled-back test
    database may give the next test's checklist an id a previous test's had (SQLite)."""
    from reports import checklist_cache

    checklist_cache.forget()
    yield
    checklist_cache.forget()
