import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from missions.bundle import mission_export
from missions.management.base import mission_named


class Command(BaseCommand):
    help = "Write a whole mission as one JSON bundle to standard output (see docs/bundle.md)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The mission's slug.")

    def handle(self, *args, slug, **options):
        mission = mission_named(slug)
        if not hasattr(mission, "election"):
            raise CommandError(
                _("The mission “%(slug)s” has no election yet: add it before exporting.")
                % {"slug": slug}
            )
        self.stdout.write(json.dumps(mission_export(mission=mission), ensure_ascii=False, indent=2))
