import json

from django.core.management.base import BaseCommand

from missions.bundle import mission_export
from missions.management.base import mission_named


class Command(BaseCommand):
    help = "Write a whole mission as one JSON bundle to standard output (see docs/bundle.md)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The mission's slug.")

    def handle(self, *args, slug, **options):
        mission = mission_named(slug)
        self.stdout.write(json.dumps(mission_export(mission=mission), ensure_ascii=False, indent=2))
