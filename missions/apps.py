from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MissionsConfig(AppConfig):
    name = "missions"
    verbose_name = _("Missions")

    def ready(self) -> None:
        # Every installation has the coordinators' group, with the permissions of every
        # model its apps have now. `migrate` sends post_migrate once per app, each app's
        # permissions being created by its own signal: refreshing only after this app's
        # would miss the apps that come later in INSTALLED_APPS on a fresh database. So the
        # group is refreshed after every app's permissions exist.
        post_migrate.connect(_coordinators_group_refresh)
        # A user's own language is put in their session as they log in.
        from missions.languages import user_logged_in_language

        user_logged_in.connect(user_logged_in_language, dispatch_uid="missions.user_language")


def _coordinators_group_refresh(sender, using="default", **kwargs) -> None:
    from missions.services import COORDINATED_APPS, coordinators_group_ensure

    if sender.label in COORDINATED_APPS:
        coordinators_group_ensure(using=using)
