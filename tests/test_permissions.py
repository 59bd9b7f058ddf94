"""Who may do what on a mission (missions/permissions.py): one table, asked by the pages, the
admin and the services alike."""

import datetime

import pytest
from django.utils import timezone

from missions.models import MissionMembership
from missions.permissions import (
    ASSESS,
    DOWNLOAD_STATEMENT,
    FILE_VISITS,
    MANAGE,
    OBSERVE,
    READ_APPROVED,
    may,
    missions_where,
    roles_known,
)
from reports.models import Statement
from tests.factories import MembershipFactory, UserFactory
from tests.test_approvals import make_statement

PERMISSIONS = (MANAGE, ASSESS, READ_APPROVED, OBSERVE)

# Persona → the permissions they hold on mission A (and nothing on mission B, except the
# superuser and mission B's coordinator).
HOLDS: dict[str, set[str]] = {
    "anonymous": set(),
    "coordinator": {MANAGE, READ_APPROVED},
    "head": {MANAGE, ASSESS, READ_APPROVED},
    "press_officer": {READ_APPROVED},
    "observer": {OBSERVE},
    "outsider": set(),  # coordinates mission B only
    "public": set(),  # logged in, on no mission
    "retired": set(),  # mission A's coordinator whose account was switched off
    "superuser": set(PERMISSIONS),
}


@pytest.fixture
def users(personas):
    from django.contrib.auth.models import AnonymousUser

    head = UserFactory(username="head-a")
    MembershipFactory(mission=personas.mission_a, user=head, role=MissionMembership.Role.HEAD)
    retired = UserFactory(username="retired", is_active=False)
    MembershipFactory(
        mission=personas.mission_a, user=retired, role=MissionMembership.Role.COORDINATOR
    )
    return {
        "anonymous": AnonymousUser(),
        "coordinator": personas.coordinator,
        "head": head,
        "press_officer": personas.press_officer,
        "observer": personas.observer,
        "outsider": personas.outsider,
        "public": UserFactory(username="reader"),
        "retired": retired,
        "superuser": UserFactory(username="root", is_superuser=True, is_staff=True),
    }


@pytest.mark.parametrize("persona", sorted(HOLDS))
def test_each_persona_holds_what_the_table_says_on_one_mission_and_in_lists(
    personas, users, persona
):
    user = users[persona]
    mission = personas.mission_a

    held = {permission for permission in PERMISSIONS if may(user, permission, mission)}
    listed = {
        permission
        for permission in PERMISSIONS
        if missions_where(user, permission).filter(pk=mission.pk).exists()
    }

    assert held == HOLDS[persona]
    # The admin's lists and the pages' checks read the same rule.
    assert listed == held


def test_django_s_has_perm_answers_the_same(personas, users):
    mission = personas.mission_a
    for persona, user in users.items():
        for permission in PERMISSIONS:
            assert user.has_perm(permission, mission) == may(user, permission, mission), (
                persona,
                permission,
            )


def test_another_mission_s_coordinator_holds_nothing_here_but_manages_their_own(personas, users):
    outsider = users["outsider"]

    assert not may(outsider, MANAGE, personas.mission_a)
    assert may(outsider, MANAGE, personas.mission_b)
    assert list(missions_where(outsider, MANAGE)) == [personas.mission_b]


def test_roles_read_with_the_mission_are_not_asked_for_again(
    personas, users, django_assert_num_queries
):
    mission = type(personas.mission_a).objects.get(pk=personas.mission_a.pk)
    roles_known(mission, users["head"], [MissionMembership.Role.HEAD])

    with django_assert_num_queries(0):
        assert may(users["head"], MANAGE, mission)
        assert may(users["head"], ASSESS, mission)


def test_roles_asked_for_once_per_mission_instance(personas, users, django_assert_num_queries):
    mission = type(personas.mission_a).objects.get(pk=personas.mission_a.pk)

    with django_assert_num_queries(1):
        assert may(users["coordinator"], MANAGE, mission)
        assert not may(users["coordinator"], ASSESS, mission)
        assert may(users["coordinator"], READ_APPROVED, mission)


STATUSES = (
    Statement.Status.READY,
    Statement.Status.APPROVED,
    Statement.Status.PUBLISHED,
)
# (status, embargo in the future?) → who may download the statement's files.
DOWNLOADS = {
    # Compiled, not yet approved: the mission's staff check it.
    (Statement.Status.READY, False): {"coordinator", "head", "superuser"},
    # Approved: the press office prepares.
    (Statement.Status.APPROVED, False): {"coordinator", "head", "press_officer", "superuser"},
    # Published under embargo: still only those who prepare it.
    (Statement.Status.PUBLISHED, True): {"coordinator", "head", "press_officer", "superuser"},
    # Published, embargo over: everyone.
    (Statement.Status.PUBLISHED, False): set(HOLDS),
}


@pytest.mark.parametrize(("status", "embargoed"), list(DOWNLOADS))
def test_who_may_download_a_statement(personas, users, status, embargoed):
    statement = make_statement(personas.mission_a, status=status)
    if status == Statement.Status.PUBLISHED:
        statement.published_at = timezone.now()
        statement.embargo_until = (
            timezone.now() + datetime.timedelta(hours=2) if embargoed else None
        )
        statement.save(update_fields=["published_at", "embargo_until"])
    statement = Statement.objects.get(pk=statement.pk)

    allowed = {
        persona
        for persona, user in users.items()
        if may(user, DOWNLOAD_STATEMENT, Statement.objects.get(pk=statement.pk))
    }

    assert allowed == DOWNLOADS[(status, embargoed)]


def test_an_observer_files_under_their_own_participation_while_accredited(personas, users):
    from observers.models import Participation

    observer = users["observer"]
    participation = personas.observer_participation

    assert may(observer, FILE_VISITS, participation)
    assert list(missions_where(observer, FILE_VISITS)) == [personas.mission_a]
    # Nobody else files under it.
    assert not may(users["coordinator"], FILE_VISITS, participation)
    assert not may(users["anonymous"], FILE_VISITS, participation)

    participation.accreditation = Participation.Accreditation.REVOKED
    participation.save(update_fields=["accreditation"])

    assert not may(observer, FILE_VISITS, participation)
    assert list(missions_where(observer, FILE_VISITS)) == []
    # Still one of the mission's observers: their pages stay open, filing does not.
    assert may(observer, OBSERVE, personas.mission_a)
