from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from missions.demo import DEMO_OBSERVER, demo_accounts_ensure, demo_load

ADMIN_URL = "http://127.0.0.1:8000/admin/"


class Command(BaseCommand):
    help = (
        "Load the demo mission (the SCO Observer Mission to Kazakhstan, 2022) unless it is "
        "loaded already; with --accounts, also create or reset four demo accounts and print "
        "their passwords."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--accounts",
            action="store_true",
            help=(
                "Create or reset the accounts coordinator, head, observer and press with new "
                "random passwords and print them (only with DEBUG on)."
            ),
        )

    def handle(self, *args, accounts: bool, **options):
        # The passwords are printed to the terminal: never make these accounts on a server.
        if accounts and not settings.DEBUG:
            raise CommandError(
                _("The demo accounts are for a local demo only: run with DEBUG on to create them.")
            )
        with transaction.atomic():
            mission, loaded = demo_load()
            demo_accounts = demo_accounts_ensure(mission=mission) if accounts else []

        if loaded:
            message = _("Loaded the demo mission “%(name)s” (%(slug)s).")
        else:
            message = _(
                "The demo mission “%(name)s” (%(slug)s) is already there; left it as it is."
            )
        self.stdout.write(
            self.style.SUCCESS(message % {"name": mission.name, "slug": mission.slug})
        )

        if demo_accounts:
            descriptions = {
                "coordinator": _("coordinator of the demo mission, staff: use the admin"),
                "head": _("Zhang Ming, head of mission: approves statements"),
                "observer": _("%(name)s, accredited observer") % {"name": DEMO_OBSERVER},
                "press": _("press officer of the demo mission"),
            }
            self.stdout.write(
                _("Demo accounts (new passwords on every run, shown only here and now):")
            )
            for account in demo_accounts:
                self.stdout.write(
                    _("  username: %(username)s  password: %(password)s  (%(who)s)")
                    % {
                        "username": account.username.ljust(11),
                        "password": account.password,
                        "who": descriptions[account.username],
                    }
                )
        self.stdout.write(
            _("Start the server with “python manage.py runserver” and go to %(url)s")
            % {"url": ADMIN_URL}
        )
