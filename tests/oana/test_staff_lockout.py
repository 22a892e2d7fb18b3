"""What an attacker sends to the staff sign-in (issue 19, items 2, 3, 7 and 16): other spellings
of a locked username, an enrolment secret read before she enrolled, overlong usernames, and
lockouts used against staff."""

import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client, TestCase
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from oana.lockout import cool_off, lockouts_key
from tests.support.staff import PASSWORD, staff

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
ENROL = "/admin/sign-in/set-up/"
LOCKED = "Sign-in paused"


def password_step(client, username, password=PASSWORD):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(LOGIN, {"username": username, "password": password})


def lock(username, settings, address="198.51.100.1"):
    """Wrong passwords for ``username`` until it is locked; the last answer."""
    client = Client(REMOTE_ADDR=address)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = password_step(client, username, "wrong-password")
    assert response.status_code == 429
    return response


# --- item 2: one identity per account ------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["Editor", "EDITOR", "editor@oana.example", "Editor@OANA.example"]
)
def test_a_locked_username_is_locked_whatever_spelling_or_email_is_typed(settings, spelling):
    settings.AXES_FAILURE_LIMIT = 3
    staff("content-editor", "editor")
    lock("editor", settings)
    response = password_step(Client(REMOTE_ADDR="192.0.2.40"), spelling)
    assert response.status_code == 429 and LOCKED in response.content.decode()


def test_each_spelling_adds_to_one_count(settings):
    settings.AXES_FAILURE_LIMIT = 3
    staff("content-editor", "editor")
    statuses = [
        password_step(Client(REMOTE_ADDR=f"192.0.2.{n}"), typed, "wrong").status_code
        for n, typed in enumerate(["editor", "Editor@OANA.example", "EDITOR"])
    ]
    assert statuses == [200, 200, 429]
    # Names of nobody count together too, whatever the letter case.
    statuses = [
        password_step(Client(REMOTE_ADDR=f"192.0.2.{n + 10}"), typed, "wrong").status_code
        for n, typed in enumerate(["Mallory", "mallory", "MALLORY"])
    ]
    assert statuses == [200, 200, 429]


# --- item 3: the enrolment secret ----------------------------------------------------------


def _code(device):
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{generator.token():06d}"


def test_a_secret_read_before_she_enrolled_never_signs_anyone_in(settings):
    """Someone who knew her password opened the set-up page first and kept the secret."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = staff("clinician", "dr_new")
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    password_step(attacker, "dr_new")
    attacker.get(ENROL)
    stolen = TOTPDevice.objects.get(user=user, confirmed=False)
    # She signs in herself: her page shows a new secret, and the old one is gone.
    her = Client()
    password_step(her, "dr_new")
    her.get(ENROL)
    fresh = TOTPDevice.objects.get(user=user, confirmed=False)
    assert fresh.key != stolen.key
    # The old secret's code fails in the attacker's session...
    response = attacker.post(ENROL, {"otp_token": _code(stolen)})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert SESSION_KEY not in attacker.session
    # ...and in hers.
    response = her.post(ENROL, {"otp_token": _code(stolen)})
    assert response.status_code == 200 and SESSION_KEY not in her.session
    # Her own secret works, and she is the one enrolled.
    response = her.post(ENROL, {"otp_token": _code(fresh)})
    assert response.status_code == 302 and SESSION_KEY in her.session
    assert list(TOTPDevice.objects.filter(user=user).values_list("key", flat=True)) == [fresh.key]


def test_the_set_up_page_keeps_its_secret_when_reloaded_and_a_code_needs_the_page():
    user = staff("clinician", "dr_new")
    client = Client()
    password_step(client, "dr_new")
    # A code posted before any set-up page was shown in this sign-in is refused.
    response = client.post(ENROL, {"otp_token": "123456"})
    assert response.status_code == 302 and response["Location"] == LOGIN
    password_step(client, "dr_new")
    first = client.get(ENROL).content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.get(ENROL).content.decode().count(device.config_url.split("secret=")[1][:8]) >= 1
    assert TOTPDevice.objects.get(user=user, confirmed=False).pk == device.pk
    assert "Set up your second factor" in first


# --- item 7: overlong usernames ------------------------------------------------------------


class CountingHasher(MD5PasswordHasher):
    """The fast test hasher, counting how often a password is hashed."""

    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


def test_a_300_character_username_is_refused_before_hashing_and_counts(settings):
    settings.PASSWORD_HASHERS = ["tests.oana.test_staff_lockout.CountingHasher"]
    settings.AXES_FAILURE_LIMIT = 3
    CountingHasher.calls = 0
    client = Client(REMOTE_ADDR="198.51.100.77")
    started = time.monotonic()
    statuses = [password_step(client, "x" * 300, "any").status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    assert CountingHasher.calls == 0
    assert time.monotonic() - started < 5
    # The address is locked for every username now (the attempts counted).
    staff("support", "sam")
    assert password_step(client, "sam").status_code == 429
    # Longer than any username and no email: refused before hashing too (from elsewhere).
    other = Client(REMOTE_ADDR="198.51.100.78")
    assert password_step(other, "y" * 151, "any").status_code == 400
    assert CountingHasher.calls == 0
    # A wrong password for a real name is hashed as ever.
    password_step(Client(), "sam", "wrong")
    assert CountingHasher.calls >= 1


# --- item 16: lockouts used against staff --------------------------------------------------


def test_a_lockout_is_short_then_longer_each_time_that_day(settings, monkeypatch):
    settings.AXES_FAILURE_LIMIT = 2
    settings.STAFF_LOCKOUT_MINUTES = 5
    staff("support", "sam")
    response = lock("sam", settings, "198.51.100.1")
    assert "5 minutes" in response.content.decode() and response["Retry-After"] == "300"
    # The pause ends (django-axes forgets the attempts; the cache's clock moves on) and she
    # signs in again; the next lockout that day is twice as long, the one after four times.
    now = time.time()
    for minutes, later in ((10, 301), (20, 301 + 601)):
        AccessAttempt.objects.all().delete()
        monkeypatch.setattr(time, "time", lambda later=later: now + later)
        assert password_step(Client(REMOTE_ADDR="192.0.2.1"), "sam").status_code == 302
        response = lock("sam", settings, f"198.51.100.{minutes}")
        assert f"{minutes} minutes" in response.content.decode()
        assert response["Retry-After"] == str(minutes * 60)


def test_the_longest_lockout_is_capped(settings):
    settings.STAFF_LOCKOUT_MINUTES = 5
    settings.STAFF_LOCKOUT_MAX_MINUTES = 60
    from django.core.cache import cache

    cache.set(lockouts_key("sam"), 9, 3600)
    request = type("Request", (), {"method": "POST", "POST": {"username": "sam"}})()
    assert cool_off(request).total_seconds() == 3600
    assert cool_off().total_seconds() == 300


def test_superusers_are_emailed_once_per_lockout(settings):
    settings.AXES_FAILURE_LIMIT = 2
    staff("superuser", "root")
    staff("support", "sam")
    lock("sam", settings, "198.51.100.5")
    # More tries while locked send nothing more.
    password_step(Client(REMOTE_ADDR="198.51.100.5"), "sam", "wrong")
    [alert] = [m for m in mail.outbox if "locked" in m.subject]
    assert alert.to == ["root@oana.example"]
    assert "sam" in alert.body and "198.51.100.5" in alert.body
    assert PASSWORD not in alert.body and "wrong" not in alert.body.split("Username")[1][:40]


def test_with_no_superuser_email_the_lockout_is_logged(settings, caplog):
    settings.AXES_FAILURE_LIMIT = 2
    staff("support", "sam")
    lock("sam", settings)
    assert not [m for m in mail.outbox if "locked" in m.subject]
    assert "no superuser has an email" in caplog.text


def test_one_address_is_throttled_strictly_whatever_it_types(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "staff_sign_in": "3/h"}
    staff("support", "sam")
    client = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [password_step(client, f"user{n}", "wrong").status_code for n in range(2)]
    statuses.append(password_step(client, "sam").status_code)  # right, and counted
    response = password_step(client, "sam")
    assert statuses == [200, 200, 302]
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert 1 <= int(response["Retry-After"]) <= 3600
