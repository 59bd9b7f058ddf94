from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from missions.models import Mission, MissionMembership, UserPreference
from observers.models import Participation

STAFF_ROLES = (MissionMembership.Role.COORDINATOR, MissionMembership.Role.HEAD)


def missions_coordinated_by(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Mission]:
    """Return the missions a user may manage: all for a superuser, else those they coordinate.

    The queryset is lazy, so callers use it as a subquery and add no query of their own.
    """
    if not user.is_authenticated or not user.is_active:
        return Mission.objects.none()
    if user.is_superuser:
        return Mission.objects.all()
    return Mission.objects.filter(
        memberships__user=user, memberships__role__in=STAFF_ROLES
    ).distinct()


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


def mission_roles(user: AbstractBaseUser | AnonymousUser, mission: Mission) -> set[str]:
    """Return the user's staff roles in the mission; a superuser holds them all."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return set(MissionMembership.Role.values)
    return set(
        MissionMembership.objects.filter(mission=mission, user=user).values_list("role", flat=True)
    )


def user_language(*, user: AbstractBaseUser) -> str:
    """The language the user chose for every page ("" if none: their browser's)."""
    return UserPreference.objects.filter(user=user).values_list("language", flat=True).first() or ""
