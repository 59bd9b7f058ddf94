from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from missions.bundle import BundleError, bundle_parse, mission_import


class Command(BaseCommand):
    help = "Create a mission from a JSON bundle, all or nothing (see docs/bundle.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The bundle file.")
        parser.add_argument("--slug", help="Import the mission under this slug instead.")

    def handle(self, *args, file: Path, slug: str | None, **options):
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(_("%(file)s: no such file.") % {"file": file}) from None
        except UnicodeDecodeError:
            raise CommandError(_("%(file)s: not a UTF-8 text file.") % {"file": file}) from None
        try:
            mission = mission_import(bundle=bundle_parse(text), slug=slug)
        except BundleError as error:
            raise CommandError(
                _("%(file)s: %(error)s. Nothing was imported.") % {"file": file, "error": error}
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported mission “%(name)s” as “%(slug)s”.")
                % {"name": mission.name, "slug": mission.slug}
            )
        )
