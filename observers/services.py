import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from observers.models import Participation


@transaction.atomic
def participations_accredit(
    *,
    participations: QuerySet[Participation],
    accredited_on: datetime.date | None = None,
    accredited_by: str = "",
) -> int:
    """Accredit the given participations and return how many changed.

    An accreditation keeps its number and date if it already had them; a missing date
    becomes `accredited_on` (today by default) and a missing issuing body becomes the
    election commission of the mission.
    """
    day = accredited_on or timezone.localdate()
    changed = 0
    pending = participations.exclude(accreditation=Participation.Accreditation.ACCREDITED)
    for participation in pending.select_related("mission__election").select_for_update(
        of=("self",)
    ):
        participation.accreditation = Participation.Accreditation.ACCREDITED
        participation.accredited_on = participation.accredited_on or day
        if not participation.accredited_by:
            election = getattr(participation.mission, "election", None)
            participation.accredited_by = accredited_by or (election.commission if election else "")
        participation.full_clean()
        participation.save(update_fields=["accreditation", "accredited_on", "accredited_by"])
        changed += 1
    return changed


@transaction.atomic
def participations_revoke(*, participations: QuerySet[Participation]) -> int:
    """Revoke the accreditation of the given participations and return how many changed.

    The number and date stay on record: a revoked accreditation is history, not a blank.
    """
    return participations.filter(accreditation=Participation.Accreditation.ACCREDITED).update(
        accreditation=Participation.Accreditation.REVOKED
    )
