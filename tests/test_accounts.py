"""Logging in as an attacker would try it, and as the people who need in: lockouts after
guessing, the second factor for everyone who can change a mission, sessions that end."""

import re
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import ACTIVITY_SESSION_KEY
from missions.models import MissionMembership
from tests.factories import MembershipFactory, UserFactory

PASSWORD = "a-long-enough-pass-phrase-42"
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def user_with_password(username: str, **fields):
    user = UserFactory(username=username, email=f"{username}@example.org", **fields)
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(client: Client, username: str, password: str = PASSWORD, *, page=LOGIN, ip="10.0.0.1"):
    return client.post(
        page, {"username": username, "password": password}, REMOTE_ADDR=ip, follow=False
    )


def logged_in_as(client: Client) -> str | None:
    response = client.get(reverse("account_security"))
    if response.status_code != 200:
        return None
    return response.context["user"].username


def app_code(user) -> str:
    """The code the user's app shows in the next 30 seconds: the one used to enrol may not
    be used again (a code seen over a shoulder cannot be replayed)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=1)
    return f"{code:06d}"


# ---- Lockout (django-axes) -------------------------------------------------------------


@pytest.mark.parametrize("page", [LOGIN, ADMIN_LOGIN])
def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(db, client, page):
    user_with_password("observer-1")

    for _attempt in range(5):
        response = log_in(client, "observer-1", "guess", page=page)
        assert "_auth_user_id" not in client.session
    response = log_in(client, "observer-1", PASSWORD, page=page)

    assert response.status_code == 429
    assert "Logging in is paused" in response.text
    assert "5 wrong passwords in a row" in response.text
    assert "paused for 30 minutes" in response.text
    assert "_auth_user_id" not in client.session


def test_four_wrong_passwords_still_let_the_right_one_in(db, client):
    user_with_password("observer-1")
    for _attempt in range(4):
        log_in(client, "observer-1", "guess")

    response = log_in(client, "observer-1")

    assert response.status_code == 302
    assert logged_in_as(client) == "observer-1"
    # A success forgets the failures.
    assert not AccessAttempt.objects.filter(username="observer-1").exists()


def test_guessing_one_account_from_many_addresses_locks_the_account(db, client):
    user_with_password("head-1")
    for n in range(5):
        log_in(client, "head-1", "guess", ip=f"10.0.1.{n}")

    response = log_in(client, "head-1", ip="10.0.2.1")

    assert response.status_code == 429


def test_guessing_many_accounts_from_one_address_locks_the_address(db, client):
    user_with_password("victim")
    for n in range(5):
        log_in(client, f"someone-{n}", "guess", ip="10.9.9.9")

    from_attacker = log_in(client, "victim", ip="10.9.9.9")
    from_elsewhere = log_in(Client(), "victim", ip="10.0.0.2")

    assert from_attacker.status_code == 429
    assert from_elsewhere.status_code == 302


def test_a_superuser_unlocks_an_account_in_the_admin(db, client):
    user_with_password("observer-1")
    for _attempt in range(5):
        log_in(client, "observer-1", "guess")
    attempt = AccessAttempt.objects.get(username="observer-1")
    admin_client = Client()
    admin_client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    listing = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    admin_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert "observer-1" in listing.text
    assert log_in(Client(), "observer-1", ip="10.0.0.3").status_code == 302


def test_a_coordinator_cannot_see_or_clear_lockouts(db, client, personas):
    client.force_login(personas.coordinator)

    response = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 403


# ---- Two-factor authentication ----------------------------------------------------------


def enrol(client: Client, user) -> list[str]:
    """Go through the setup page as the user would; return the recovery codes shown."""
    page = client.get(reverse("mfa_setup"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    shown = client.post(reverse("mfa_setup"), {"code": code, "next": "/admin/"})
    assert shown.status_code == 200, shown.text
    return re.findall(r"<li>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</li>", shown.text)


@pytest.mark.parametrize("role", ["staff", "superuser", "coordinator", "head"])
def test_a_real_login_of_someone_who_can_change_a_mission_owes_the_second_factor(
    db, client, personas, role
):
    fields = {"staff": {"is_staff": True}, "superuser": {"is_superuser": True}}.get(role, {})
    user = user_with_password("someone", **fields)
    if role in ("coordinator", "head"):
        MembershipFactory(mission=personas.mission_a, user=user, role=role)

    response = log_in(client, "someone")
    home = client.get(reverse("reports:mission_home", args=["mission-a"]))
    admin_index = client.get("/admin/")

    assert response.status_code == 302
    assert home.status_code == 302 and home["Location"].startswith(reverse("mfa_verify"))
    assert admin_index.status_code == 302
    setup = client.get(home["Location"], follow=True)
    assert setup.redirect_chain[-1][0].startswith(reverse("mfa_setup"))
    assert "Your role in a mission requires a second step at login" in setup.text


def test_staff_enrol_then_log_in_with_the_apps_code(db, client):
    user = user_with_password("coord", is_staff=True)
    log_in(client, "coord")
    codes = enrol(client, user)

    assert len(codes) == 10
    assert client.get("/admin/").status_code == 200
    client.post(reverse("logout"))

    log_in(client, "coord")
    refused = client.get("/admin/")
    wrong = client.post(reverse("mfa_verify"), {"code": "000000", "next": "/admin/"})
    still_refused = client.get("/admin/")
    # After a wrong code the device makes the next try wait a second; let it pass.
    TOTPDevice.objects.filter(user=user).update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )
    right = client.post(reverse("mfa_verify"), {"code": app_code(user), "next": "/admin/"})

    assert refused.status_code == 302 and refused["Location"].startswith(reverse("mfa_verify"))
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.text
    assert still_refused.status_code == 302
    assert right.status_code == 302 and right["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_recovery_code_lets_in_once(db, client):
    user = user_with_password("coord", is_staff=True)
    log_in(client, "coord")
    codes = enrol(client, user)
    client.post(reverse("logout"))

    log_in(client, "coord")
    first = client.post(reverse("mfa_verify"), {"code": codes[0]}, follow=True)
    client.post(reverse("logout"))
    log_in(client, "coord")
    again = client.post(reverse("mfa_verify"), {"code": codes[0]})

    assert "You used a recovery code; 9 are left" in first.text
    assert again.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_knowing_the_password_does_not_let_one_enrol_another_app(db, client):
    user = user_with_password("coord", is_staff=True)
    log_in(client, "coord")
    enrol(client, user)
    attacker = Client()
    log_in(attacker, "coord", ip="10.6.6.6")

    response = attacker.get(reverse("mfa_setup"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_verify"))
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_an_observer_is_not_asked_for_a_second_factor_but_may_turn_it_on(db, client, personas):
    observer = personas.observer
    observer.set_password(PASSWORD)
    observer.save()

    log_in(client, observer.username)
    home = client.get(reverse("reports:mission_home", args=["mission-a"]))
    codes = enrol(client, observer)
    client.post(reverse("logout"))
    log_in(client, observer.username)
    asked = client.get(reverse("reports:mission_home", args=["mission-a"]))
    client.post(reverse("mfa_verify"), {"code": app_code(observer)})
    client.post(reverse("mfa_disable"))

    assert home.status_code == 200
    assert len(codes) == 10
    assert asked.status_code == 302
    assert not TOTPDevice.objects.filter(user=observer).exists()


def test_staff_cannot_turn_the_second_factor_off(db, client):
    user = user_with_password("coord", is_staff=True)
    log_in(client, "coord")
    enrol(client, user)

    response = client.post(reverse("mfa_disable"))

    assert response.status_code == 403
    assert "Your role requires two-factor authentication" in response.text
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


# ---- Sessions --------------------------------------------------------------------------


def test_an_idle_session_is_logged_out_with_a_message(db, client, personas, settings):
    client.force_login(personas.observer)
    session = client.session
    session[ACTIVITY_SESSION_KEY] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()

    response = client.get(reverse("reports:mission_home", args=["mission-a"]), follow=True)

    assert response.redirect_chain[0][0].startswith(LOGIN)
    assert "You were logged out after 60 minutes without activity" in response.text
    assert logged_in_as(client) is None


def test_an_active_session_stays(db, client, personas, settings):
    client.force_login(personas.observer)
    session = client.session
    session[ACTIVITY_SESSION_KEY] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT + 60
    session.save()

    response = client.get(reverse("reports:mission_home", args=["mission-a"]))

    assert response.status_code == 200


def test_an_observer_changes_their_password_and_their_other_sessions_end(db, personas):
    observer = personas.observer
    observer.set_password(PASSWORD)
    observer.save()
    phone, laptop = Client(), Client()
    log_in(phone, observer.username, ip="10.0.0.5")
    log_in(laptop, observer.username, ip="10.0.0.6")

    response = laptop.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-pass-phrase-7",
            "new_password2": "another-long-pass-phrase-7",
        },
        follow=True,
    )

    assert "Your password has been changed" in response.text
    assert logged_in_as(laptop) == observer.username
    assert logged_in_as(phone) is None


def test_a_password_reset_by_email_ends_every_session(db, client, personas):
    observer = personas.observer
    observer.email = "observer@example.org"
    observer.set_password(PASSWORD)
    observer.save()
    phone = Client()
    log_in(phone, observer.username)

    client.post(reverse("password_reset"), {"email": "observer@example.org"})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", mail.outbox[0].body)
    form = client.get(link.group(1), follow=True)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "brand-new-pass-phrase-9", "new_password2": "brand-new-pass-phrase-9"},
        follow=True,
    )

    assert "Your new password is set" in done.text
    assert logged_in_as(phone) is None
    assert log_in(Client(), observer.username, "brand-new-pass-phrase-9").status_code == 302


def test_deactivating_an_account_ends_its_sessions_at_once(db, personas):
    observer = personas.observer
    observer.set_password(PASSWORD)
    observer.save()
    phone = Client()
    log_in(phone, observer.username)
    key = phone.session.session_key
    assert Session.objects.filter(session_key=key).exists()

    observer.is_active = False
    observer.save()

    assert not Session.objects.filter(session_key=key).exists()
    assert logged_in_as(phone) is None


def test_a_head_of_mission_without_staff_status_owes_the_second_factor(db, client, personas):
    head = user_with_password("head-only")
    MembershipFactory(mission=personas.mission_a, user=head, role=MissionMembership.Role.HEAD)

    log_in(client, "head-only")
    response = client.get(reverse("statements:list", args=["mission-a"]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_verify"))


def test_a_staff_login_on_the_admin_login_page_owes_the_second_factor(db, client):
    user_with_password("coord", is_staff=True)

    response = log_in(client, "coord", page=ADMIN_LOGIN)
    admin_index = client.get("/admin/")

    assert response.status_code == 302
    assert admin_index.status_code == 302
    assert admin_index["Location"].startswith(reverse("mfa_verify"))
