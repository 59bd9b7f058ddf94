from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from missions.management.base import mission_named
from reports.checklist_files import ChecklistFileError, checklist_load, standard_checklists


class Command(BaseCommand):
    help = (
        "Import a checklist file (YAML or JSON) into a mission as the next version of its code "
        "(see docs/checklists.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mission", required=True, help="The mission's slug.")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("file", nargs="?", type=Path, help="A checklist file.")
        source.add_argument(
            "--standard",
            metavar="NAME",
            help="A standard checklist: " + ", ".join(standard_checklists()) + ".",
        )
        source.add_argument("--all-standard", action="store_true", help="Every standard checklist.")

    def handle(self, *args, mission: str, file: Path | None, standard, all_standard, **options):
        target = mission_named(mission)
        files = self._files(file, standard, all_standard)
        texts = []
        for path in files:
            try:
                texts.append((path, path.read_text(encoding="utf-8")))
            except FileNotFoundError:
                raise CommandError(_("%(file)s: no such file.") % {"file": path}) from None
            except IsADirectoryError:
                raise CommandError(_("%(file)s: this is a directory.") % {"file": path}) from None
            except UnicodeDecodeError:
                raise CommandError(_("%(file)s: not a UTF-8 text file.") % {"file": path}) from None
        try:
            # Several files go in together or not at all.
            with transaction.atomic():
                created = [
                    checklist_load(mission=target, text=text, source=str(path))
                    for path, text in texts
                ]
        except ChecklistFileError as error:
            raise CommandError(_("%(error)s Nothing was imported.") % {"error": error}) from None
        for checklist in created:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Imported “%(title)s” as version %(version)d of “%(code)s”.")
                    % {
                        "title": checklist.title,
                        "version": checklist.version,
                        "code": checklist.code,
                    }
                )
            )

    def _files(self, file: Path | None, standard: str | None, all_standard: bool) -> list[Path]:
        available = standard_checklists()
        if all_standard:
            return list(available.values())
        if standard is not None:
            if standard not in available:
                raise CommandError(
                    _("No standard checklist “%(name)s”; there are %(names)s.")
                    % {"name": standard, "names": ", ".join(available)}
                )
            return [available[standard]]
        return [file]
