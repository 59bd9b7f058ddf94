"""Who may open the account pages and a mission's audit trail: every URL of accounts.urls and
audit.urls × the personas, with what each one sees."""

import pytest
from django.urls import URLPattern, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import urls as account_urls
from audit import urls as audit_urls
from missions.models import MissionMembership
from tests.factories import MembershipFactory, UserFactory

LOGIN = "login"
PERSONAS = ("anonymous", "observer", "press_officer", "coordinator", "head", "coordinator_b")

# URL name → what each persona gets on GET: 200 (page shown), LOGIN, 403, 404, or a redirect
# to another page of the account ("setup": enrol first).
ACCOUNT_PAGE = {p: (LOGIN if p == "anonymous" else 200) for p in PERSONAS}
MATRIX: dict[str, dict[str, int | str]] = {
    "password_change": ACCOUNT_PAGE,
    "password_change_done": ACCOUNT_PAGE,
    "account_security": ACCOUNT_PAGE,
    "mfa_setup": ACCOUNT_PAGE,
    "mfa_setup_qr": ACCOUNT_PAGE,
    # Nobody here owes a code: the page sends them on.
    "mfa_verify": {p: (LOGIN if p == "anonymous" else 302) for p in PERSONAS},
    # Recovery codes need an enrolled app: without one, the setup page.
    "mfa_recovery_codes": {p: (LOGIN if p == "anonymous" else "setup") for p in PERSONAS},
    # POST only.
    "mfa_disable": {p: (LOGIN if p == "anonymous" else 405) for p in PERSONAS},
    # Public: asking for a reset link.
    "password_reset": dict.fromkeys(PERSONAS, 200),
    "password_reset_done": dict.fromkeys(PERSONAS, 200),
    "password_reset_complete": dict.fromkeys(PERSONAS, 200),
    "audit:mission": {
        "anonymous": LOGIN,
        "observer": 403,
        "press_officer": 403,
        "coordinator": 200,
        "head": 200,
        "coordinator_b": 404,
    },
}


def _names(module, namespace=""):
    names = set()
    for pattern in module.urlpatterns:
        if isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_account_and_audit_page_has_a_row():
    # password_reset_confirm takes a one-time token; tests/test_accounts.py follows it.
    expected = (_names(account_urls) | _names(audit_urls, "audit:")) - {"password_reset_confirm"}
    assert expected == set(MATRIX)


@pytest.fixture
def people(personas):
    head = UserFactory(username="head-a", is_staff=True)
    MembershipFactory(mission=personas.mission_a, user=head, role=MissionMembership.Role.HEAD)
    return {
        "anonymous": None,
        "observer": personas.observer,
        "press_officer": personas.press_officer,
        "coordinator": personas.coordinator,
        "head": head,
        "coordinator_b": personas.outsider,
    }


def _url(name: str) -> str:
    return reverse(name, args=["mission-a"]) if name.startswith("audit:") else reverse(name)


@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_the_matrix_says(client, people, name, persona):
    user = people[persona]
    if user is not None:
        client.force_login(user)
    expected = MATRIX[name][persona]

    response = client.get(_url(name))

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif expected == "setup":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("mfa_setup"))
    else:
        assert response.status_code == expected
    if expected == 200 and response["Content-Type"].startswith("text/html"):
        assert "Observa" in response.text
    if name == "audit:mission" and expected == 200:
        assert "Audit trail" in response.text and "Mission A" in response.text
    if expected in (403, 404):
        assert "Audit trail" not in response.text
    # Opening the setup page makes an unconfirmed app, never a confirmed one.
    if user is not None:
        assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
