import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from missions.languages import public_code
from missions.management.base import mission_named, user_named
from reports.models import Statement, StatementDocument
from reports.statements.jobs import statement_request, statement_request_all_languages


class Command(BaseCommand):
    help = (
        "Ask for the next version of a mission's statement; the workers compile it. With "
        "--wait, wait until it is ready (or failed) and print the path of each document."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mission", required=True, help="The slug of the mission.")
        parser.add_argument("--kind", required=True, choices=Statement.Kind.values)
        parser.add_argument(
            "--language",
            default="en",
            help="en, ru or zh (zh-hans is the same), or all: one version in every language.",
        )
        parser.add_argument("--user", help="The username recorded as having asked for it.")
        parser.add_argument(
            "--wait",
            action="store_true",
            help="Wait until the version is ready or failed, then print its documents' paths.",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=900.0,
            help="With --wait: give up after this many seconds (default 900).",
        )

    def handle(
        self,
        *args,
        mission: str,
        kind: str,
        language: str,
        user: str | None,
        wait: bool,
        timeout: float,
        **options,
    ):
        target = mission_named(mission)
        requester = user_named(user)
        try:
            if language.strip().lower() == "all":
                statements = statement_request_all_languages(
                    mission=target, kind=kind, requested_by=requester
                )
            else:
                statements = [
                    statement_request(
                        mission=target, kind=kind, language=language, requested_by=requester
                    )
                ]
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except PermissionDenied:
            raise CommandError(
                _("%(user)s does not coordinate %(mission)s.")
                % {"user": user, "mission": target.slug}
            ) from None
        for statement in statements:
            self._report(statement, target, wait, timeout)

    def _report(self, statement: Statement, target, wait: bool, timeout: float) -> None:
        self.stdout.write(
            _("Queued version %(version)d of the %(kind)s (%(language)s) of %(mission)s.")
            % {
                "version": statement.version,
                "kind": statement.get_kind_display().lower(),
                "language": public_code(statement.language),
                "mission": target.name,
            }
        )
        if statement.sending.sent is False:
            self.stdout.write(
                _(
                    "The workers cannot be reached right now; it will be compiled as soon as "
                    "they can."
                )
            )
        if not wait:
            return
        statement = self._wait(statement, timeout)
        if statement.status == Statement.Status.FAILED:
            raise CommandError(
                _("Version %(version)d failed: %(error)s")
                % {"version": statement.version, "error": statement.error}
            )
        storage = StatementDocument._meta.get_field("file").storage
        for document in statement.documents.order_by("format"):
            try:
                self.stdout.write(storage.path(document.file.name))
            except NotImplementedError:
                # A storage without local files (e.g. S3): its name is the best we have.
                self.stdout.write(document.file.name)

    def _wait(self, statement: Statement, timeout: float) -> Statement:
        pending = {Statement.Status.QUEUED, Statement.Status.COMPILING}
        deadline = time.monotonic() + timeout
        delay = 0.2
        while True:
            statement.refresh_from_db(fields=["status", "error", "progress"])
            if statement.status not in pending:
                return statement
            if time.monotonic() >= deadline:
                raise CommandError(
                    _(
                        "Version %(version)d is still %(status)s after %(seconds)g seconds; "
                        "the workers will still compile it."
                    )
                    % {
                        "version": statement.version,
                        "status": statement.get_status_display().lower(),
                        "seconds": timeout,
                    }
                )
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 1.5, 2.0)
