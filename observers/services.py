import datetime
import zoneinfo

from django.db import transaction
from django.db.models import Case, F, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.services import audit_rows
from missions.content_languages import DEFAULT_LANGUAGE, column
from missions.models import Election, Mission
from observers.models import Participation


@transaction.atomic
def participations_accredit(
    *,
    participations: QuerySet[Participation],
    accredited_on: datetime.date | None = None,
    accredited_by: str = "",
) -> int:
    """Accredit the given participations and return how many changed.

    An accreditation keeps its number, date and issuing body if it already had them; a
    missing date becomes `accredited_on` (today by default) and a missing issuing body
    `accredited_by`, or else the election commission of the participation's mission.
    Today is the day in the mission's time zone.
    """
    commission = Subquery(
        # The commission's English name, whatever language the user reads the site in.
        Election.objects.filter(mission=OuterRef("mission")).values(
            column("commission", DEFAULT_LANGUAGE)
        )[:1]
    )
    issuer = Value(accredited_by) if accredited_by else Coalesce(commission, Value(""))
    pending = participations.exclude(accreditation=Participation.Accreditation.ACCREDITED)
    changed = 0
    # One UPDATE per mission, whatever the number selected: an admin action may cover a
    # whole roster. "Today" is the mission's day, where the commission accredits.
    for mission in Mission.objects.filter(pk__in=pending.values("mission")):
        day = accredited_on or timezone.localdate(timezone=zoneinfo.ZoneInfo(mission.time_zone))
        # The rows as they were, locked, so that the trail names exactly the rows updated.
        before = list(
            pending.filter(mission=mission).select_for_update().select_related("observer")
        )
        changed += Participation.objects.filter(pk__in=[p.pk for p in before]).update(
            accreditation=Participation.Accreditation.ACCREDITED,
            accredited_on=Coalesce(F("accredited_on"), Value(day)),
            accredited_by=Case(When(accredited_by="", then=issuer), default=F("accredited_by")),
        )
        for status in {p.accreditation for p in before}:
            audit_rows(
                rows=[p for p in before if p.accreditation == status],
                changes={"accreditation": [status, Participation.Accreditation.ACCREDITED]},
                note="accredit",
            )
    return changed


@transaction.atomic
def participations_revoke(*, participations: QuerySet[Participation]) -> int:
    """Revoke the accreditation of the given participations and return how many changed.

    The number and date stay on record: a revoked accreditation is history, not a blank.
    """
    before = list(
        participations.filter(accreditation=Participation.Accreditation.ACCREDITED)
        .select_for_update()
        .select_related("observer")
    )
    changed = Participation.objects.filter(pk__in=[p.pk for p in before]).update(
        accreditation=Participation.Accreditation.REVOKED
    )
    audit_rows(
        rows=before,
        changes={
            "accreditation": [
                Participation.Accreditation.ACCREDITED,
                Participation.Accreditation.REVOKED,
            ]
        },
        note="revoke",
    )
    return changed
