from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and sign-in")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_logged_out
        from django.db.models.signals import pre_save

        # Every way in (both login pages, a password reset's login, the test client) goes
        # through django.contrib.auth.login, and every change to an account through save:
        # these are the only hooks that no page can forget to call.
        user_logged_in.connect(_logged_in, dispatch_uid="accounts_logged_in")
        user_logged_out.connect(_logged_out, dispatch_uid="accounts_logged_out")
        pre_save.connect(_user_saving, sender=get_user_model(), dispatch_uid="accounts_user")


def _logged_in(sender, request, user, **kwargs) -> None:
    from accounts.services import session_started

    if request is not None and hasattr(request, "session"):
        session_started(request=request, user=user)


def _logged_out(sender, request, user, **kwargs) -> None:
    from accounts.models import AccountSession

    if request is not None and request.session.session_key:
        AccountSession.objects.filter(session_key=request.session.session_key).delete()


def _user_saving(sender, instance, update_fields=None, raw=False, **kwargs) -> None:
    from accounts.services import account_saved

    if raw or (update_fields is not None and not {"is_active", "password"} & set(update_fields)):
        return
    account_saved(user=instance)
