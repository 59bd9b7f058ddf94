"""Two-factor enrolment, verification and recovery codes, and the account's security page."""

import base64
import io

import django_otp
import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.services import (
    MFA_NONE,
    MFA_PENDING,
    MFA_SESSION_KEY,
    MFA_VERIFIED,
    mfa_code_check,
    mfa_device,
    mfa_disable,
    mfa_required_for,
    mfa_setup_begin,
    mfa_setup_confirm,
    recovery_codes_left,
    recovery_codes_renew,
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def _session_verified(request: HttpRequest, device) -> None:
    django_otp.login(request, device)
    request.session[MFA_SESSION_KEY] = MFA_VERIFIED
    # A new key for the now fully trusted session, as at login.
    request.session.cycle_key()


@login_required
@never_cache
def security_overview(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/security.html",
        {
            "device": mfa_device(request.user),
            "required": mfa_required_for(request.user),
            "codes_left": recovery_codes_left(request.user),
        },
    )


@login_required
@never_cache
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan, type its code, keep the recovery codes."""
    pending = request.session.get(MFA_SESSION_KEY) == MFA_PENDING
    if pending and mfa_device(request.user) is not None:
        # Someone who knows only the password must not enrol a second app of their own.
        return redirect(f"{_verify_url()}?next={_next_url(request)}")
    device = mfa_setup_begin(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa_setup_confirm(device=device, token=form.cleaned_data["code"])
        if codes is not None:
            _session_verified(request, device)
            messages.success(request, _("Two-factor authentication is on for your account."))
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next_url(request), "fresh": True},
            )
        form.add_error(
            "code",
            _("That code is not the one your app shows now. Check the phone's clock and retry."),
        )
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "form": form,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": _next_url(request),
            "required": mfa_required_for(request.user),
        },
        status=400 if form.errors else 200,
    )


def _verify_url() -> str:
    return reverse("mfa_verify")


@login_required
@never_cache
def mfa_setup_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the device being enrolled, as an SVG image (never of a confirmed one)."""
    device = mfa_setup_begin(user=request.user)
    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(buffer, kind="svg", scale=5, border=2)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


@login_required
@never_cache
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the authenticator's code (or a recovery code) after the password."""
    state = request.session.get(MFA_SESSION_KEY)
    if state in (MFA_VERIFIED, MFA_NONE):
        return redirect(_next_url(request))
    if mfa_device(request.user) is None:
        if mfa_required_for(request.user):
            return redirect(f"{reverse('mfa_setup')}?next={_next_url(request)}")
        request.session[MFA_SESSION_KEY] = MFA_NONE
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = mfa_code_check(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            _session_verified(request, device)
            if isinstance(device, StaticDevice):
                messages.warning(
                    request,
                    _("You used a recovery code; %(left)d are left. Make new ones soon.")
                    % {"left": recovery_codes_left(request.user)},
                )
            return redirect(_next_url(request))
        form.add_error(
            "code",
            _(
                "That code is not right. Type the six digits your app shows now, or one of "
                "your recovery codes; after several wrong codes you must wait a little."
            ),
        )
    return render(
        request,
        "accounts/mfa_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )


@login_required
@never_cache
def mfa_recovery_codes(request: HttpRequest) -> HttpResponse:
    """Show how many recovery codes are left; on POST, replace them with new ones."""
    if mfa_device(request.user) is None:
        return redirect(reverse("mfa_setup"))
    if request.method == "POST":
        codes = recovery_codes_renew(user=request.user)
        return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": "/"})
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes_left": recovery_codes_left(request.user)},
    )


@login_required
@require_POST
def mfa_disable_view(request: HttpRequest) -> HttpResponse:
    if mfa_required_for(request.user):
        raise PermissionDenied(
            _("Your role requires two-factor authentication; it cannot be turned off.")
        )
    mfa_disable(user=request.user)
    request.session[MFA_SESSION_KEY] = MFA_NONE
    messages.success(request, _("Two-factor authentication is off for your account."))
    return redirect("account_security")
