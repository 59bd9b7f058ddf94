from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from missions.imports import ImportRejected
from missions.models import Mission
from reports.imports import visits_import


class Command(BaseCommand):
    help = (
        "File visits from paper forms, one CSV or XLSX row per visit, all or nothing "
        "(see docs/imports.md). Running the same file again creates nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV or XLSX file.")
        parser.add_argument("--mission", required=True, help="The slug of the mission.")
        parser.add_argument(
            "--checklist",
            required=True,
            help="The code of the checklist the forms answer; its latest version is used.",
        )
        parser.add_argument(
            "--user",
            help="The username recorded in each visit's history as having filed it.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and write nothing."
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
        try:
            target = Mission.objects.get(slug=mission)
        except Mission.DoesNotExist:
            raise CommandError(
                _("No mission with the slug “%(slug)s”.") % {"slug": mission}
            ) from None
        filer = None
        if user:
            try:
                filer = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(_("No user “%(user)s”.") % {"user": user}) from None
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(
                _("%(file)s cannot be read: %(reason)s") % {"file": file, "reason": error.strerror}
            ) from None
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
            for error in rejection.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("%(file)s was not imported: nothing was written.") % {"file": file}
            ) from None
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
