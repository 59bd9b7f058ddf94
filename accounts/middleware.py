"""Per-request account security: the idle timeout, the second factor, Permissions-Policy."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.services import (
    ACTIVITY_SESSION_KEY,
    MFA_NONE,
    MFA_PENDING,
    MFA_SESSION_KEY,
    MFA_VERIFIED,
    mfa_device,
    mfa_required_for,
)

# Pages a session owing its second factor may still open.
_MFA_OPEN_URL_NAMES = ("mfa_verify", "mfa_setup", "mfa_setup_qr", "logout")


class AccountSecurityMiddleware:
    """Log out an idle session, and keep a session that owes its second factor on the pages
    that take it. Both read only the session: no page pays a query for them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response = self._idle_check(request) or self._mfa_check(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _idle_check(self, request):
        now = int(time.time())
        last_seen = request.session.get(ACTIVITY_SESSION_KEY)
        idle_limit = settings.SESSION_IDLE_TIMEOUT
        if last_seen is not None and now - last_seen > idle_limit:
            logout(request)
            messages.info(
                request,
                _("You were logged out after %(minutes)d minutes without activity.")
                % {"minutes": idle_limit // 60},
            )
            return redirect_to_login(request.get_full_path())
        # Written at most once a minute, so that pages do not each pay a session save.
        if last_seen is None or now - last_seen >= 60:
            request.session[ACTIVITY_SESSION_KEY] = now
        return None

    def _mfa_check(self, request):
        state = request.session.get(MFA_SESSION_KEY)
        if state is None:
            # A session from before two-factor authentication existed: decide once.
            needs = mfa_required_for(request.user) or mfa_device(request.user) is not None
            state = MFA_PENDING if needs else MFA_NONE
            request.session[MFA_SESSION_KEY] = state
        if state in (MFA_VERIFIED, MFA_NONE):
            return None
        path = request.path_info
        if path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return None
        if path in {reverse(name) for name in _MFA_OPEN_URL_NAMES}:
            return None
        if request.headers.get("accept", "").startswith("application/json"):
            return JsonResponse({"error": _("Two-factor authentication is required.")}, status=403)
        return redirect(f"{reverse('mfa_verify')}?{urlencode({'next': request.get_full_path()})}")


class PermissionsPolicyMiddleware:
    """Deny the browser features no page of the product uses (camera, microphone, …)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.PERMISSIONS_POLICY
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = ", ".join(
                f"{feature}=({' '.join(allowed)})" for feature, allowed in policy.items()
            )
        return response
