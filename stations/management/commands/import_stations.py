from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from missions.imports import ImportRejected
from missions.management.base import SheetImportCommand, mission_named
from stations.imports import stations_import


class Command(SheetImportCommand):
    help = (
        "Import a mission's polling stations from a CSV or XLSX file, all or nothing "
        "(see docs/imports.md)."
    )

    def handle(self, *args, file: Path, mission: str, dry_run: bool, **options):
        target = mission_named(mission)
        election = getattr(target, "election", None)
        if election is None:
            raise CommandError(
                _("Mission “%(slug)s” has no election yet; add it before its stations.")
                % {"slug": mission}
            )
        content = self.read(file)
        try:
            result = stations_import(
                election=election, file_name=file.name, content=content, dry_run=dry_run
            )
        except ImportRejected as rejection:
            raise self.rejected(file, rejection) from None
        figures = {
            "file": file,
            "mission": election.mission.name,
            "created": len(result.created),
            "updated": len(result.updated),
            "unchanged": len(result.unchanged),
        }
        if dry_run:
            message = _(
                "%(file)s can be imported into “%(mission)s”: %(created)d polling stations "
                "to create, %(updated)d to update, %(unchanged)d unchanged. Nothing was written."
            )
        else:
            message = _(
                "Imported %(file)s into “%(mission)s”: %(created)d polling stations created, "
                "%(updated)d updated, %(unchanged)d unchanged."
            )
        self.stdout.write(self.style.SUCCESS(message % figures))
