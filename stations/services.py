from django.db import transaction

from stations.models import PATH_SEPARATOR, Area


@transaction.atomic
def area_save(*, area: Area) -> Area:
    """Validate and save an area, and bring the stored paths of its descendants up to date."""
    area.full_clean(exclude=["path"])
    old_path = area.path
    area.path = area.compute_path()
    area.save()
    if old_path and old_path != area.path:
        # Rename or move: walk the descendants by parent (a path prefix match could catch
        # another subtree whose name differs only in case), then write them in one go.
        areas = list(Area.objects.filter(election=area.election_id).only("pk", "parent", "name"))
        children: dict[int, list[Area]] = {}
        for other in areas:
            children.setdefault(other.parent_id, []).append(other)
        changed, parents = [], [area]
        while parents:
            parent = parents.pop()
            for child in children.get(parent.pk, []):
                child.path = f"{parent.path}{PATH_SEPARATOR}{child.name}"
                changed.append(child)
                parents.append(child)
        Area.objects.bulk_update(changed, ["path"], batch_size=500)
    return area
