from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from missions.imports import ImportRejected
from missions.models import Election, Mission
from stations.imports import stations_import


class Command(BaseCommand):
    help = (
        "Import a mission's polling stations from a CSV or XLSX file, all or nothing "
        "(see docs/imports.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV or XLSX file.")
        parser.add_argument("--mission", required=True, help="The slug of the mission.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and write nothing."
        )

    def handle(self, *args, file: Path, mission: str, dry_run: bool, **options):
        try:
            election = Election.objects.select_related("mission").get(mission__slug=mission)
        except Election.DoesNotExist:
            if Mission.objects.filter(slug=mission).exists():
                raise CommandError(
                    _("Mission “%(slug)s” has no election yet; add it before its stations.")
                    % {"slug": mission}
                ) from None
            raise CommandError(
                _("No mission with the slug “%(slug)s”.") % {"slug": mission}
            ) from None
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(
                _("%(file)s cannot be read: %(reason)s") % {"file": file, "reason": error.strerror}
            ) from None
        try:
            result = stations_import(
                election=election, file_name=file.name, content=content, dry_run=dry_run
            )
        except ImportRejected as rejection:
            for error in rejection.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("%(file)s was not imported: nothing was written.") % {"file": file}
            ) from None
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
