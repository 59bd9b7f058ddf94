"""Sessions and two-factor authentication of user accounts."""

import secrets
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccountSession

# The session's state of two-factor authentication, decided at login so that no page pays
# a query for it: "pending" until the second factor is given, "verified" after, "none" for
# an account that need not give one.
MFA_SESSION_KEY = "accounts_mfa"
MFA_PENDING, MFA_VERIFIED, MFA_NONE = "pending", "verified", "none"
# When the session last saw a request, in epoch seconds (the idle timeout's clock).
ACTIVITY_SESSION_KEY = "accounts_last_seen"

RECOVERY_CODE_COUNT = 10


def mfa_required_for(user: AbstractBaseUser) -> bool:
    """Whether the account must give a second factor: staff, superusers, and every
    coordinator and head of a mission. Observers and press officers may choose to."""
    from missions.permissions import MANAGE, missions_where

    if user.is_staff or user.is_superuser:
        return True
    return missions_where(user, MANAGE).exists()


def mfa_device(user: AbstractBaseUser) -> TOTPDevice | None:
    """The account's confirmed authenticator app, if it has one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def session_started(*, request, user: AbstractBaseUser) -> None:
    """Record a new login's session and decide whether it owes a second factor."""
    needs_second_factor = mfa_required_for(user) or mfa_device(user) is not None
    request.session[MFA_SESSION_KEY] = MFA_PENDING if needs_second_factor else MFA_NONE
    request.session[ACTIVITY_SESSION_KEY] = int(time.time())
    request.session.save()
    AccountSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={"user": user, "ip_address": request.META.get("REMOTE_ADDR") or None},
    )


def sessions_end(*, user: AbstractBaseUser, keep: str | None = None) -> int:
    """Log the user out everywhere (but the session `keep`); return how many were ended."""
    keys = list(
        AccountSession.objects.filter(user=user)
        .exclude(session_key=keep or "")
        .values_list("session_key", flat=True)
    )
    Session.objects.filter(session_key__in=keys).delete()
    AccountSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


@transaction.atomic
def mfa_setup_begin(*, user: AbstractBaseUser) -> TOTPDevice:
    """Return the authenticator device the user is enrolling, making one if needed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice(user=user, name="Authenticator app", confirmed=False)
        device.full_clean()
        device.save()
    return device


@transaction.atomic
def mfa_setup_confirm(*, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the enrolment if the app's code is right; return the new recovery codes.

    Returns None (nothing changed) when the code is wrong. A confirmed device replaces the
    account's earlier authenticator.
    """
    if not device.verify_token(token.strip().replace(" ", "")):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_renew(user=device.user)


@transaction.atomic
def recovery_codes_renew(*, user: AbstractBaseUser) -> list[str]:
    """Replace the account's recovery codes with new single-use ones; return them."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [
        "-".join(secrets.token_hex(2) for _ in range(3)) for _code in range(RECOVERY_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=code.replace("-", "")) for code in codes]
    )
    return codes


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def mfa_code_check(*, user: AbstractBaseUser, code: str):
    """Return the device that accepts the code (an app's code, or a recovery code, which
    is then used up), or None. Devices throttle repeated wrong codes themselves."""
    code = code.strip().replace(" ", "").replace("-", "").lower()
    if not code:
        return None
    for model in (TOTPDevice, StaticDevice):
        for device in model.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_is_allowed()[0] and device.verify_token(code):
                return device
    return None


@transaction.atomic
def mfa_disable(*, user: AbstractBaseUser) -> None:
    """Remove the account's authenticator and recovery codes (only where MFA is optional)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def account_saved(*, user: AbstractBaseUser) -> None:
    """End the account's sessions if it was just deactivated or its password changed.

    Django already refuses a session whose password hash is stale or whose user is inactive
    at its next request; deleting the sessions makes that true at once and everywhere.
    """
    if user.pk is None:
        return
    before = (
        get_user_model().objects.filter(pk=user.pk).values_list("is_active", "password").first()
    )
    if before is None:
        return
    was_active, old_password = before
    if (was_active and not user.is_active) or old_password != user.password:
        sessions_end(user=user)
