from django.db import transaction

from stations.models import Area


@transaction.atomic
def area_save(*, area: Area) -> Area:
    """Validate and save an area, and bring the stored paths of its descendants up to date."""
    area.full_clean(exclude=["path"])
    old_path = area.path
    area.path = area.compute_path()
    area.save()
    if old_path and old_path != area.path:
        # Rename or move: every descendant's path starts with the old one.
        for descendant in Area.objects.filter(
            election=area.election_id, path__startswith=old_path + " / "
        ).order_by("path"):
            descendant.path = area.path + descendant.path[len(old_path) :]
            descendant.save(update_fields=["path"])
    return area
