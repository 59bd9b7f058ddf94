from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Field observations")

    def ready(self) -> None:
        # The public's press list is forgotten whenever a statement, its files or its mission
        # change, in whichever process changes them.
        from reports.statements import press_cache  # noqa: F401
