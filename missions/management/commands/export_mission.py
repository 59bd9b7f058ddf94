import json

from django.core.management.base import BaseCommand, CommandError

from missions.bundle import mission_export
from missions.models import Mission


class Command(BaseCommand):
    help = "Write a whole mission as one JSON bundle to standard output (see docs/bundle.md)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The mission's slug.")

    def handle(self, *args, slug, **options):
        try:
            mission = Mission.objects.select_related("election").get(slug=slug)
        except Mission.DoesNotExist:
            raise CommandError(f"No mission with the slug “{slug}”.") from None
        self.stdout.write(json.dumps(mission_export(mission=mission), ensure_ascii=False, indent=2))
