"""What the mission commands share: finding the mission and user named, reading a file."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from missions.imports import ImportRejected
from missions.models import Mission


def mission_named(slug: str) -> Mission:
    try:
        return Mission.objects.select_related("election").get(slug=slug)
    except Mission.DoesNotExist:
        raise CommandError(_("No mission with the slug “%(slug)s”.") % {"slug": slug}) from None


def user_named(username: str | None):
    if not username:
        return None
    User = get_user_model()
    try:
        return User.objects.get_by_natural_key(username)
    except User.DoesNotExist:
        raise CommandError(_("No user “%(user)s”.") % {"user": username}) from None


class SheetImportCommand(BaseCommand):
    """Import one CSV or XLSX file into a mission, all or nothing, naming every bad row."""

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV or XLSX file.")
        parser.add_argument("--mission", required=True, help="The slug of the mission.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and write nothing."
        )

    def read(self, file: Path) -> bytes:
        try:
            return file.read_bytes()
        except OSError as error:
            raise CommandError(
                _("%(file)s cannot be read: %(reason)s") % {"file": file, "reason": error.strerror}
            ) from None

    def rejected(self, file: Path, rejection: ImportRejected) -> CommandError:
        """Print every bad row and return the error that ends the command."""
        for error in rejection.errors:
            self.stderr.write(str(error))
        return CommandError(_("%(file)s was not imported: nothing was written.") % {"file": file})
