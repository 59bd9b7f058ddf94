from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reports.checklist_files import checklist_dump
from reports.models import Checklist


class Command(BaseCommand):
    help = (
        "Write one version of a mission's checklist to standard output as YAML "
        "(see docs/checklists.md)."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # `--version` names the checklist version here: let it replace the option that
        # prints Django's version, which every command inherits.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--mission", required=True, help="The mission's slug.")
        parser.add_argument("code", help="The checklist's code, e.g. voting.")
        parser.add_argument(
            "--version",
            type=int,
            dest="checklist_version",
            help="The version; the latest if left out.",
        )

    def handle(self, *args, mission: str, code: str, checklist_version: int | None, **options):
        checklists = Checklist.objects.filter(mission__slug=mission, code=code)
        if checklist_version is not None:
            checklists = checklists.filter(version=checklist_version)
        checklist = checklists.order_by("-version").first()
        if checklist is None:
            if checklist_version is None:
                message = _("No checklist “%(code)s” in the mission “%(slug)s”.")
            else:
                message = _(
                    "No version %(version)d of the checklist “%(code)s” in the mission “%(slug)s”."
                )
            raise CommandError(
                message % {"code": code, "slug": mission, "version": checklist_version}
            )
        self.stdout.write(checklist_dump(checklist=checklist), ending="")
