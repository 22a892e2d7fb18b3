"""Staff sign in with a password *and* a second factor; failed sign-ins lock the username and
the address; staff sessions expire; the staff site lives at ADMIN_URL."""

import re
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from oana.middleware import STAFF_SEEN, STAFF_STARTED
from oana.two_factor import FRESH_CODES, PENDING, PENDING_SECONDS, new_recovery_codes
from tests.oana.test_site import PRODUCTION_ENV, run_manage
from tests.support.staff import PASSWORD, app_code, authenticator, sign_in, staff

pytestmark = pytest.mark.django_db

ROLES = ["content-editor", "catalog-manager", "clinician", "fulfillment", "support", "superuser"]
LOGIN = "/admin/login/"
VERIFY = "/admin/sign-in/code/"
ENROL = "/admin/sign-in/set-up/"
LOCKED = "Sign-in paused"


def password_step(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def signed_in(client):
    return SESSION_KEY in client.session


# --- the second factor -------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_password_alone_reaches_no_admin_page_in_any_role(client, role):
    user = staff(role)
    authenticator(user)
    response = password_step(client, user.username)
    assert response.status_code == 302 and response.url == VERIFY
    assert not signed_in(client)
    for path in ("/admin/", "/admin/orders/order/", "/admin/auth/user/", "/admin/password_change/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith(f"{LOGIN}?next="), path


@pytest.mark.parametrize("role", ROLES)
def test_a_session_without_a_verified_second_factor_is_signed_out(client, role):
    """A staff session from before the second factor (here: forced) opens nothing."""
    client.force_login(staff(role))
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[0][0].startswith(LOGIN)
    assert "Staff sign in with a second factor now" in response.content.decode()
    assert not signed_in(client)


@pytest.mark.parametrize("role", ROLES)
def test_password_and_app_code_sign_in_each_role(client, role):
    sign_in(client, staff(role))
    assert signed_in(client)
    assert client.get("/admin/").status_code == 200


def test_the_code_step_keeps_where_she_was_going(client):
    user = staff("clinician")
    device = authenticator(user)
    response = client.post(
        f"{LOGIN}?next=/admin/orders/order/",
        {"username": user.username, "password": PASSWORD, "next": "/admin/orders/order/"},
    )
    assert response.url == VERIFY
    assert client.get(VERIFY).status_code == 200
    response = client.post(VERIFY, {"otp_token": app_code(device)})
    assert response.url == "/admin/orders/order/"


def test_a_wrong_code_is_refused_and_counts_as_a_failed_sign_in(client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = staff("support")
    device = authenticator(user)
    password_step(client, user.username)
    wrong = f"{(int(app_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"otp_token": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not signed_in(client)
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == 1
    response = client.post(VERIFY, {"otp_token": app_code(device)})
    assert response.status_code == 302 and signed_in(client)
    # A successful sign-in clears her failures.
    assert not AccessAttempt.objects.filter(username=user.username).exists()


def test_a_code_is_accepted_once(settings):
    user = staff("support")
    device = authenticator(user)
    code = app_code(device)
    first, second = Client(), Client()
    password_step(first, user.username)
    password_step(second, user.username)
    assert first.post(VERIFY, {"otp_token": code}).status_code == 302
    assert second.post(VERIFY, {"otp_token": code}).status_code == 200
    assert not signed_in(second)


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(client, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    user = staff("fulfillment")
    authenticator(user)
    codes = new_recovery_codes(user)
    assert len(codes) == 10 and len(set(codes)) == 10
    password_step(client, user.username)
    # Typed as shown, in capitals, with spaces: all the same code.
    response = client.post(VERIFY, {"otp_token": f" {codes[0].upper()} "}, follow=True)
    assert signed_in(client)
    assert "You signed in with a recovery code; 9 left." in response.content.decode()
    client.post(reverse("admin:logout"))
    password_step(client, user.username)
    response = client.post(VERIFY, {"otp_token": codes[0]})
    assert response.status_code == 200 and not signed_in(client)


def test_new_recovery_codes_replace_the_old_ones(client):
    user = staff("clinician")
    old = new_recovery_codes(user)
    sign_in(client, user)
    page = client.get(reverse("admin:staff_recovery_codes")).content.decode()
    assert "You have 10 unused recovery codes." in page
    response = client.post(reverse("admin:staff_recovery_codes"))
    fresh = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.content.decode())
    assert len(fresh) == 10 and not set(fresh) & set(old)
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert stored == {code.replace("-", "") for code in fresh}


def test_first_sign_in_enrols_an_authenticator_then_shows_recovery_codes_once(client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = staff("clinician", "dr_first")
    response = password_step(client, user.username)
    assert response.url == ENROL
    page = client.get(ENROL).content.decode()
    assert "<svg" in page and "otpauth://totp/Oana%20Health%20staff%3Adr_first?secret=" in page
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    # Reloading the page keeps the same secret (she may have scanned it already).
    client.get(ENROL)
    assert TOTPDevice.objects.get(user=user).key == device.key
    # A code that is not the app's is refused, and counts as a failure.
    response = client.post(ENROL, {"otp_token": "000000" if app_code(device) != "000000" else "1"})
    assert "That code is not right" in response.content.decode() and not signed_in(client)
    response = client.post(ENROL, {"otp_token": app_code(device)})
    assert response.url == reverse("admin:staff_recovery_codes")
    assert signed_in(client) and TOTPDevice.objects.get(user=user).confirmed
    page = client.get(response.url).content.decode()
    assert page.count("<li><code>") == 10
    assert FRESH_CODES not in client.session
    page = client.get(response.url).content.decode()
    assert "<li><code>" not in page and "You have 10 unused recovery codes." in page


def test_the_second_steps_need_a_pending_password_step(client):
    assert client.get(VERIFY).url == LOGIN
    assert client.get(ENROL).url == LOGIN
    user = staff("support")
    password_step(client, user.username)  # no authenticator yet
    assert client.get(VERIFY).url == ENROL
    authenticator(user)
    assert client.get(ENROL).url == VERIFY  # enrolling again takes a superuser


def test_the_pending_password_step_expires(client):
    user = staff("support")
    authenticator(user)
    password_step(client, user.username)
    session = client.session
    session[PENDING] = {**session[PENDING], "at": int(time.time()) - PENDING_SECONDS - 1}
    session.save()
    assert client.get(VERIFY).url == LOGIN


def test_the_sign_in_page_sends_signed_in_staff_on(client):
    sign_in(client, staff("support"))
    response = client.get(f"{LOGIN}?next=/admin/orders/order/")
    assert response.status_code == 302 and response.url == "/admin/orders/order/"
    assert client.get(LOGIN).url == "/admin/"


def test_a_patient_signed_in_elsewhere_is_sent_to_her_account_not_the_staff_sign_in(client):
    from patients.accounts import patient_user_for

    client.force_login(patient_user_for("jane@example.com"))
    assert client.get(LOGIN).url == "/account/"
    assert client.get("/admin/").url == "/account/"


# --- lockout -------------------------------------------------------------------------------


def test_wrong_passwords_lock_the_username_with_the_same_page_whether_it_exists_or_not(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.STAFF_LOCKOUT_MINUTES = 5
    staff("support", "sam")
    pages = {}
    for username in ("sam", "nobody-by-this-name"):
        client = Client(REMOTE_ADDR=f"198.51.100.{len(pages) + 1}")
        for _ in range(2):
            response = password_step(client, username, "wrong-password")
            assert response.status_code == 200
            assert "Please enter the correct username and password" in response.content.decode()
        response = password_step(client, username, "wrong-password")
        assert response.status_code == 429
        pages[username] = re.sub(r'nonce="[^"]*"', "", response.content.decode())
        # Locked: even the right password is refused now.
        response = password_step(client, username, PASSWORD)
        assert response.status_code == 429 and not signed_in(client)
    assert pages["sam"] == pages["nobody-by-this-name"]
    assert LOCKED in pages["sam"] and "5 minutes" in pages["sam"]
    # The username is locked from anywhere...
    response = password_step(Client(REMOTE_ADDR="192.0.2.77"), "sam")
    assert response.status_code == 429


def test_wrong_passwords_for_many_usernames_lock_the_address(settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="203.0.113.5")
    statuses = [password_step(client, f"guess{n}", "wrong-password").status_code for n in range(3)]
    assert statuses == [200, 200, 429]
    staff("support", "sam")
    assert password_step(client, "sam").status_code == 429
    # ...and another address can still sign in.
    assert password_step(Client(REMOTE_ADDR="203.0.113.6"), "sam").status_code == 302


def test_the_lockout_follows_the_client_address_behind_the_trusted_proxy(settings):
    """Behind the load balancer every request comes from its address: X-Forwarded-For
    (believed from the proxy only) decides who is locked, not the proxy's address."""
    settings.AXES_FAILURE_LIMIT = 2
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(2):
        password_step(proxy, "x", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert AccessAttempt.objects.get(username="x").ip_address == "198.51.100.20"
    staff("support", "sam")
    assert password_step(proxy, "sam", HTTP_X_FORWARDED_FOR="198.51.100.20").status_code == 429
    assert password_step(proxy, "sam", HTTP_X_FORWARDED_FOR="198.51.100.21").status_code == 302


def test_wrong_codes_lock_out_too_and_a_superuser_unlocks_with_axes_reset_username(settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = staff("clinician")
    device = authenticator(user)
    client = Client()
    password_step(client, user.username)
    wrong = f"{(int(app_code(device)) + 5) % 1_000_000:06d}"
    assert client.post(VERIFY, {"otp_token": wrong}).status_code == 200
    assert client.post(VERIFY, {"otp_token": wrong}).status_code == 429
    # Locked: the right code does not help now, nor the password from elsewhere.
    response = client.post(VERIFY, {"otp_token": app_code(device)})
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert password_step(Client(REMOTE_ADDR="192.0.2.9"), user.username).status_code == 429
    # Unlocking (docs/security.md, Lockout) lets her in again.
    call_command("axes_reset_username", user.username)
    call_command("axes_reset_ip", "127.0.0.1")
    sign_in(Client(), user)


def test_the_same_lockout_during_enrolment(settings):
    settings.AXES_FAILURE_LIMIT = 1
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = staff("clinician")
    client = Client()
    password_step(client, user.username)
    client.get(ENROL)
    assert client.post(ENROL, {"otp_token": "12"}).status_code == 429
    assert client.post(ENROL, {"otp_token": "12"}).status_code == 429


def test_superusers_see_lockouts_in_the_staff_site(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        password_step(Client(REMOTE_ADDR="198.51.100.9"), "mallory", "wrong")
    sign_in(client, staff("superuser"))
    page = client.get("/admin/axes/accessattempt/").content.decode()
    assert "mallory" in page and "198.51.100.9" in page
    other = Client()
    sign_in(other, staff("support"))
    assert other.get("/admin/axes/accessattempt/").status_code == 403


# --- staff sessions ------------------------------------------------------------------------


def _age_session(client, **seconds_ago):
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[{"started": STAFF_STARTED, "seen": STAFF_SEEN}[key]] = now - ago
    session.save()


def test_staff_sessions_end_after_30_idle_minutes(client):
    sign_in(client, staff("clinician"))
    assert client.session.get_expiry_age() == 30 * 60
    _age_session(client, seen=29 * 60)
    assert client.get("/admin/").status_code == 200
    _age_session(client, seen=31 * 60)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[0][0].startswith(LOGIN)
    assert "signed out after 30 minutes without activity" in response.content.decode()
    assert not signed_in(client)


def test_staff_sessions_end_12_hours_after_sign_in_however_busy(client):
    sign_in(client, staff("support"))
    _age_session(client, started=11 * 3600, seen=10)
    assert client.get("/admin/").status_code == 200
    _age_session(client, started=12 * 3600 + 1, seen=10)
    response = client.get("/admin/", follow=True)
    assert "signed out 12 hours after signing in" in response.content.decode()
    assert not signed_in(client)


def test_activity_moves_the_idle_clock_at_most_once_a_minute(client):
    sign_in(client, staff("support"))
    _age_session(client, seen=30)
    client.get("/admin/")
    assert int(time.time()) - client.session[STAFF_SEEN] >= 30
    _age_session(client, seen=120)
    client.get("/admin/")
    assert int(time.time()) - client.session[STAFF_SEEN] < 5


def test_a_verified_session_without_clocks_gets_them(client):
    sign_in(client, staff("support"))
    session = client.session
    del session[STAFF_STARTED]
    session.save()
    assert client.get("/admin/").status_code == 200
    assert isinstance(client.session[STAFF_STARTED], int)


def test_patient_sessions_have_no_staff_clocks_and_a_day_idle(client, django_user_model):
    """Issue 19 item 15 changed this: a patient's session ends after a day without activity
    (tests/patients/test_sign_in_attacks.py), no longer after Django's 14 days."""
    client.force_login(django_user_model.objects.create_user("patient", password="x"))
    client.get("/")
    assert STAFF_STARTED not in client.session
    assert client.session.get_expiry_age() == 24 * 3600


# --- ADMIN_URL -----------------------------------------------------------------------------


def test_the_staff_site_is_at_admin_url_taken_from_the_environment():
    code = "from django.urls import reverse; print(reverse('admin:index'))"
    result = run_manage("shell", "-c", code, env={**PRODUCTION_ENV, "ADMIN_URL": "/back-office/"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "/back-office/"


def test_admin_url_defaults_to_admin_only_with_debug_on(settings):
    assert reverse("admin:index") == f"/{settings.ADMIN_URL}" == "/admin/"
