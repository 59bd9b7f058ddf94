from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MissionsConfig(AppConfig):
    name = "missions"
    verbose_name = _("Missions")

    def ready(self) -> None:
        # Every installation has the coordinators' group, with the permissions of every
        # model its apps have now: it is brought up to date after each migrate.
        post_migrate.connect(_coordinators_group_refresh, sender=self)
        # A user's own language is put in their session as they log in.
        from missions.languages import user_logged_in_language

        user_logged_in.connect(user_logged_in_language, dispatch_uid="missions.user_language")


def _coordinators_group_refresh(sender, **kwargs) -> None:
    from missions.services import coordinators_group_ensure

    coordinators_group_ensure()
