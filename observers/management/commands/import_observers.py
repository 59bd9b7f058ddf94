from pathlib import Path

from django.utils.translation import gettext as _

from missions.imports import ImportRejected
from missions.management.base import SheetImportCommand, mission_named
from observers.imports import observers_import


class Command(SheetImportCommand):
    help = (
        "Import observers into a mission's roster from a CSV or XLSX file, all or nothing "
        "(see docs/imports.md)."
    )

    def handle(self, *args, file: Path, mission: str, dry_run: bool, **options):
        target = mission_named(mission)
        content = self.read(file)
        try:
            result = observers_import(
                mission=target, file_name=file.name, content=content, dry_run=dry_run
            )
        except ImportRejected as rejection:
            raise self.rejected(file, rejection) from None
        figures = {
            "file": file,
            "mission": target.name,
            "created": len(result.created),
            "updated": len(result.updated),
            "unchanged": len(result.unchanged),
            "people": result.people_created,
            "delegations": result.delegations_created,
        }
        if dry_run:
            message = _(
                "%(file)s can be imported into “%(mission)s”: %(created)d observers to add, "
                "%(updated)d to update, %(unchanged)d unchanged (%(people)d new people, "
                "%(delegations)d new delegations). Nothing was written."
            )
        else:
            message = _(
                "Imported %(file)s into “%(mission)s”: %(created)d observers added, "
                "%(updated)d updated, %(unchanged)d unchanged (%(people)d new people, "
                "%(delegations)d new delegations)."
            )
        self.stdout.write(self.style.SUCCESS(message % figures))
