"""Who may do what on a mission: the one place roles are checked.

Every page, the admin and the services ask here, by the name of what is to be done:

    may(user, MANAGE, mission)          # one mission (also user.has_perm(MANAGE, mission))
    missions_where(user, MANAGE)        # the missions it holds for, as a lazy queryset

The rules (django-rules) and the querysets read the same table, ROLES_FOR, so a page that
checks one mission and an admin list that filters many can never disagree. A superuser holds
every role and every permission; an inactive or anonymous user none.

What each permission covers:

- MANAGE: the coordinator pages (statements, operations room, audit trail), the admin's
  objects of the mission, asking for statements, reviewing visits, publishing an approved
  statement, recording the reason for keeping an assessment the findings contradict.
- ASSESS: choosing the overall assessment and approving a statement: the head of mission's.
- READ_APPROVED: an approved statement before its embargo lifts (press officers and staff).
  Staff also read every version not yet approved (MANAGE).
- OBSERVE: the observer pages of the mission: anyone with a participation in it.
- FILE_VISITS: filing a visit under a participation (the target): its own observer, while
  accredited. Asked of the participation the observer pages already hold: no query.
- DOWNLOAD_STATEMENT: a statement's files (the target is the statement): anyone once it is
  published and past its embargo; before, its mission's staff, and its press officers once
  approved. Decided by the statement's mission id: no mission row is read.
"""

import rules
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from missions.models import Mission, MissionMembership
from observers.models import Participation

Role = MissionMembership.Role
User = AbstractBaseUser | AnonymousUser

MANAGE = "missions.manage"
ASSESS = "missions.assess_statement"
READ_APPROVED = "missions.read_approved_statement"
OBSERVE = "missions.observe"
FILE_VISITS = "missions.file_visits"
DOWNLOAD_STATEMENT = "reports.download_statement"

# Staff roles: the mission's coordinators and its head.
STAFF_ROLES = (Role.COORDINATOR, Role.HEAD)
ROLES_FOR: dict[str, tuple[str, ...]] = {
    MANAGE: STAFF_ROLES,
    ASSESS: (Role.HEAD,),
    READ_APPROVED: (Role.PRESS_OFFICER, *STAFF_ROLES),
}

_CACHE = "_roles_by_user"


def roles_known(holder, user: User, roles) -> None:
    """Record a user's roles on a mission (or statement) instance already read, so checks
    on it ask no more.

    A page that loads the mission together with the user's memberships (one query) tells
    it here; the record lives as long as that instance (one request, one job).
    """
    holder.__dict__.setdefault(_CACHE, {})[user.pk] = frozenset(roles)


def _roles(user: User, mission_id: int, holder) -> frozenset[str]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(Role.values)
    known = holder.__dict__.get(_CACHE, {})
    if user.pk not in known:
        roles = MissionMembership.objects.filter(mission_id=mission_id, user=user)
        roles_known(holder, user, roles.values_list("role", flat=True))
    return holder.__dict__[_CACHE][user.pk]


def roles_of(user: User, mission: Mission) -> frozenset[str]:
    """The user's staff roles on the mission (every role for a superuser)."""
    return _roles(user, mission.pk, mission)


def _statement_roles(user: User, statement) -> frozenset[str]:
    # By the statement's mission id: checking a download reads no mission row.
    return _roles(user, statement.mission_id, statement)


def _holding(permission: str):
    roles = frozenset(ROLES_FOR[permission])

    @rules.predicate(name=f"holds a role for {permission}")
    def holds(user: User, mission: Mission | None) -> bool:
        return mission is not None and bool(roles_of(user, mission) & roles)

    return holds


@rules.predicate
def is_observer(user: User, mission: Mission | None) -> bool:
    if mission is None or not user.is_authenticated or not user.is_active:
        return False
    return Participation.objects.filter(mission=mission, user=user).exists()


def participation_accredited(participation: Participation) -> bool:
    return participation.accreditation == Participation.Accreditation.ACCREDITED


@rules.predicate
def files_under(user: User, participation: Participation | None) -> bool:
    return (
        participation is not None
        and user.is_authenticated
        and participation.user_id == user.pk
        and participation_accredited(participation)
    )


@rules.predicate
def statement_released(user: User, statement) -> bool:
    return statement is not None and statement.is_released


@rules.predicate
def manages_statement_mission(user: User, statement) -> bool:
    return statement is not None and bool(_statement_roles(user, statement) & set(STAFF_ROLES))


@rules.predicate
def reads_approved_statement(user: User, statement) -> bool:
    from reports.models import Statement

    return (
        statement is not None
        and statement.status in (Statement.Status.APPROVED, Statement.Status.PUBLISHED)
        and bool(_statement_roles(user, statement) & set(ROLES_FOR[READ_APPROVED]))
    )


rules.add_perm(MANAGE, _holding(MANAGE))
rules.add_perm(ASSESS, _holding(ASSESS))
rules.add_perm(READ_APPROVED, _holding(READ_APPROVED))
rules.add_perm(OBSERVE, is_observer)
rules.add_perm(FILE_VISITS, files_under)
# Published and past its embargo: anyone; else the mission's staff (every version), or its
# press officers once approved.
rules.add_perm(
    DOWNLOAD_STATEMENT, statement_released | manages_statement_mission | reads_approved_statement
)


def may(user: User, permission: str, target) -> bool:
    """Tell whether the user may do `permission` on the mission (or statement) `target`.

    The same answer as Django's `user.has_perm(permission, target)`, which holds every
    permission for an active superuser (filing a visit still needs an accreditation to file
    under: the observer pages look it up).
    """
    if user.is_active and user.is_superuser:
        return True
    return rules.has_perm(permission, user, target)


def missions_where(user: User, permission: str) -> QuerySet[Mission]:
    """The missions on which the user holds `permission`: every one for a superuser.

    Lazy: callers use it as a subquery and add no query of their own.
    """
    if not user.is_authenticated or not user.is_active:
        return Mission.objects.none()
    if user.is_superuser:
        return Mission.objects.all()
    if permission == OBSERVE:
        return Mission.objects.filter(participations__user=user).distinct()
    if permission == FILE_VISITS:
        return Mission.objects.filter(
            participations__user=user,
            participations__accreditation=Participation.Accreditation.ACCREDITED,
        ).distinct()
    return Mission.objects.filter(
        memberships__user=user, memberships__role__in=ROLES_FOR[permission]
    ).distinct()
