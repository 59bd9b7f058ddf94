from pathlib import Path

from django.utils.translation import gettext as _

from missions.imports import ImportRejected
from missions.management.base import SheetImportCommand, mission_named, user_named
from reports.imports import visits_import


class Command(SheetImportCommand):
    help = (
        "File visits from paper forms, one CSV or XLSX row per visit, all or nothing "
        "(see docs/imports.md). Running the same file again creates nothing new."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--checklist",
            required=True,
            help="The code of the checklist the forms answer; its latest version is used.",
        )
        parser.add_argument(
            "--user",
            help="The username recorded in each visit's history as having filed it.",
        )

    def handle(
        self,
        *args,
        file: Path,
        mission: str,
        checklist: str,
        user: str | None,
        dry_run: bool,
        **options,
    ):
        target = mission_named(mission)
        filer = user_named(user)
        content = self.read(file)
        try:
            result = visits_import(
                mission=target,
                checklist_code=checklist,
                file_name=file.name,
                content=content,
                user=filer,
                dry_run=dry_run,
            )
        except ImportRejected as rejection:
            raise self.rejected(file, rejection) from None
        figures = {
            "file": file,
            "mission": target.name,
            "created": len(result.created),
            "unchanged": len(result.unchanged),
        }
        if dry_run:
            message = _(
                "%(file)s can be imported into “%(mission)s”: %(created)d visits to file, "
                "%(unchanged)d already filed. Nothing was written."
            )
        else:
            message = _(
                "Imported %(file)s into “%(mission)s”: %(created)d visits filed, "
                "%(unchanged)d already filed before."
            )
        self.stdout.write(self.style.SUCCESS(message % figures))
