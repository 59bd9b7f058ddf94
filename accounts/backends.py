"""Login throttling (django-axes) for the two login pages."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuse a login from a locked-out user or address, as django-axes does.

    Both login pages (/accounts/login/ and /admin/login/) pass their request. Code that
    checks a password without one (a management command, the test client's `login()`) is
    not a guess over the network, so it is not counted and passes on to the model backend.
    """

    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """The address a login attempt came from, for lockouts by address.

    Behind the TLS proxy (BEHIND_TLS_PROXY) the proxy appends the client's address to
    X-Forwarded-For; only that last entry is the proxy's word, the rest came from the client.
    """
    if getattr(settings, "BEHIND_TLS_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR")
