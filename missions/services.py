from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from missions.models import Mission, MissionMembership


@transaction.atomic
def mission_create(*, mission: Mission, created_by: AbstractBaseUser) -> Mission:
    """Save a new mission and make its creator a coordinator unless they are a superuser.

    Without the membership a staff coordinator would lose sight of the mission they just
    created, since the admin shows staff only the missions they belong to.
    """
    mission.full_clean()
    mission.save()
    if not created_by.is_superuser:
        MissionMembership.objects.get_or_create(
            mission=mission, user=created_by, role=MissionMembership.Role.COORDINATOR
        )
    return mission
