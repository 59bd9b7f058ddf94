from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from missions.models import Mission, MissionMembership, UserPreference
from missions.permissions import STAFF_ROLES
from observers.models import Participation


def missions_of_user(user: AbstractBaseUser) -> QuerySet[Mission]:
    """Return every mission the user belongs to, as staff or as an observer."""
    as_observer = Participation.objects.filter(user=user)
    return (
        Mission.objects.filter(
            Q(pk__in=MissionMembership.objects.filter(user=user).values("mission_id"))
            | Q(pk__in=as_observer.values("mission_id"))
        )
        .annotate(
            is_observer=Exists(as_observer.filter(mission=OuterRef("pk"))),
            is_staff_member=Exists(
                MissionMembership.objects.filter(
                    user=user, role__in=STAFF_ROLES, mission=OuterRef("pk")
                )
            ),
        )
        .order_by("-starts_on", "name")
    )


def user_language(*, user: AbstractBaseUser) -> str:
    """The language the user chose for every page ("" if none: their browser's)."""
    return UserPreference.objects.filter(user=user).values_list("language", flat=True).first() or ""
