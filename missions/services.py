from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import transaction

from missions.models import Mission, MissionMembership, UserPreference


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


COORDINATOR_GROUP = "Mission coordinators"
COORDINATED_APPS = ("missions", "observers", "stations", "reports")


def coordinators_group_ensure(*, using: str = "default") -> Group:
    """Return the group whose permissions a coordinator's staff account needs, up to date.

    What a coordinator can see is still limited to their own missions by the admin.
    """
    group, _created = Group.objects.using(using).get_or_create(name=COORDINATOR_GROUP)
    group.permissions.set(
        Permission.objects.using(using).filter(content_type__app_label__in=COORDINATED_APPS)
    )
    return group


def user_language_set(*, user: AbstractBaseUser, language: str) -> UserPreference:
    """Remember the language the user reads every page in ("" for their browser's)."""
    with transaction.atomic():
        preference, _created = UserPreference.objects.select_for_update().get_or_create(user=user)
        preference.language = language
        preference.full_clean()
        preference.save(update_fields=["language"])
    return preference
