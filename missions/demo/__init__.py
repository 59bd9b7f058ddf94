"""The demo mission: the SCO Observer Mission to Kazakhstan's early presidential election, 2022.

The mission lives in `sco-kazakhstan-2022.json`, a bundle written by hand from the mission's
published statement and media briefing; its `notes` say which data are illustrative. The demo
accounts belong to a local demo only: their passwords are printed, so they are never made on a
server (the `load_demo` command refuses them with DEBUG off).
"""

import json
import secrets
from dataclasses import dataclass
from importlib import resources
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from missions.bundle import mission_import
from missions.models import Mission, MissionMembership
from missions.services import coordinators_group_ensure
from observers.models import Participation

DEMO_SLUG = "sco-kazakhstan-2022"
DEMO_BUNDLE = "sco-kazakhstan-2022.json"
DEMO_OBSERVER = "Konstantin Mazurevsky"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str


def demo_bundle() -> dict[str, Any]:
    """Return the demo mission's bundle, read from the installed package."""
    text = resources.files(__package__).joinpath(DEMO_BUNDLE).read_text(encoding="utf-8")
    return json.loads(text)


@transaction.atomic
def demo_load() -> tuple[Mission, bool]:
    """Load the demo mission unless it is there already; return it and whether it was loaded.

    A demo mission that exists is left as it is, with whatever was added to it since.
    """
    mission = Mission.objects.filter(slug=DEMO_SLUG).first()
    if mission is not None:
        return mission, False
    return mission_import(bundle=demo_bundle()), True


def _account_reset(username: str, *, is_staff: bool) -> tuple[AbstractBaseUser, str]:
    user, _created = get_user_model().objects.get_or_create(username=username)
    password = secrets.token_urlsafe(9)
    user.set_password(password)
    user.is_active = True
    user.is_staff = is_staff
    user.is_superuser = False
    user.full_clean()
    user.save()
    return user, password


@transaction.atomic
def _participation_link(mission: Mission, user, participation: Participation) -> None:
    # One account per observer in a mission: unlink it from anyone it was moved to since.
    Participation.objects.filter(mission=mission, user=user).exclude(pk=participation.pk).update(
        user=None
    )
    participation.user = user
    participation.full_clean()
    participation.save(update_fields=["user"])


def demo_accounts_ensure(*, mission: Mission) -> list[DemoAccount]:
    """Create or reset the coordinator, head, observer and press accounts of the demo mission.

    Every call gives each account a fresh random password, returned here and stored nowhere
    else in clear.
    """
    coordinator, coordinator_password = _account_reset("coordinator", is_staff=True)
    coordinator.groups.add(coordinators_group_ensure())
    MissionMembership.objects.get_or_create(
        mission=mission, user=coordinator, role=MissionMembership.Role.COORDINATOR
    )

    head, head_password = _account_reset("head", is_staff=True)
    head.groups.add(coordinators_group_ensure())
    MissionMembership.objects.get_or_create(
        mission=mission, user=head, role=MissionMembership.Role.HEAD
    )
    _participation_link(mission, head, Participation.objects.get(mission=mission, role="head"))

    observer, observer_password = _account_reset("observer", is_staff=False)
    _participation_link(
        mission,
        observer,
        Participation.objects.get(mission=mission, observer__full_name=DEMO_OBSERVER),
    )

    press, press_password = _account_reset("press", is_staff=False)
    MissionMembership.objects.get_or_create(
        mission=mission, user=press, role=MissionMembership.Role.PRESS_OFFICER
    )

    return [
        DemoAccount("coordinator", coordinator_password),
        DemoAccount("head", head_password),
        DemoAccount("observer", observer_password),
        DemoAccount("press", press_password),
    ]
