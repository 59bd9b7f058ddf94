import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from missions.bundle import BundleError, mission_import


class Command(BaseCommand):
    help = "Create a mission from a JSON bundle, all or nothing (see docs/bundle.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The bundle file.")
        parser.add_argument("--slug", help="Import the mission under this slug instead.")

    def handle(self, *args, file: Path, slug: str | None, **options):
        try:
            bundle = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not a UTF-8 text file.") from None
        except json.JSONDecodeError as error:
            raise CommandError(
                f"{file}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})."
            ) from None
        try:
            mission = mission_import(bundle=bundle, slug=slug)
        except BundleError as error:
            raise CommandError(f"{file}: {error}. Nothing was imported.") from None
        self.stdout.write(
            self.style.SUCCESS(f"Imported mission “{mission.name}” as “{mission.slug}”.")
        )
