"""What an attacker sends to the patients' sign-in (issue 19, items 1, 5 and 15): guessing a
patient's code, telling known emails from unknown ones, and sessions that outlive her."""

import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext

from oana.middleware import PATIENT_SEEN
from patients.accounts import send_sign_in_code
from tests.support.factories import make_paid_order
from tests.support.tasks import queued, run_worker

pytestmark = pytest.mark.django_db

REQUEST = "/accounts/login/code/"
CONFIRM = "/accounts/login/code/confirm/"
PAUSED = "Sign-in paused"


def ask_for_code(client, email):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(REQUEST, {"email": email})


def last_code():
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def wrong(code):
    return "000000" if code != "000000" else "111111"


def signed_in(client):
    return SESSION_KEY in client.session


def sign_in(client, email="jane@example.com"):
    ask_for_code(client, email)
    client.post(CONFIRM, {"code": last_code()})
    assert signed_in(client)
    return client


# --- item 1: guessing her code ---------------------------------------------------------------


def test_wrong_codes_for_one_email_count_across_codes_and_addresses_then_pause_it():
    """An attacker guesses Jane's code from rotating addresses, asking for a fresh code each
    time: five wrong codes a day are allowed, the sixth pauses the email's sign-in."""
    make_paid_order(email="jane@example.com")
    # Jane asked for a code on her phone just before all this.
    phone = Client(REMOTE_ADDR="192.0.2.200")
    ask_for_code(phone, "jane@example.com")
    phone_code = last_code()
    first = Client(REMOTE_ADDR="198.51.100.1")
    assert ask_for_code(first, "jane@example.com").status_code == 302
    code = last_code()
    for _ in range(3):
        response = first.post(CONFIRM, {"code": wrong(code)})
        assert response.status_code == 200 and "Incorrect code" in response.content.decode()
    second = Client(REMOTE_ADDR="203.0.113.2")
    assert ask_for_code(second, "Jane@Example.com").status_code == 302
    code = last_code()
    for _ in range(2):
        assert second.post(CONFIRM, {"code": wrong(code)}).status_code == 200
    response = second.post(CONFIRM, {"code": wrong(code)})
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    page = response.content.decode()
    assert PAUSED in page and "60 minutes" in page
    # The code she (or the attacker) had stops working, and no new one is sent.
    second.post(CONFIRM, {"code": code})
    assert not signed_in(second)
    # A code sent before the pause does not work during it either.
    response = phone.post(CONFIRM, {"code": phone_code})
    assert response.status_code == 429 and not signed_in(phone)
    sent = len(mail.outbox)
    third = Client(REMOTE_ADDR="192.0.2.3")
    response = ask_for_code(third, "jane@example.com")
    assert response.status_code == 429 and int(response["Retry-After"]) > 3500
    assert len(mail.outbox) == sent
    # Another patient's sign-in from those addresses is not affected.
    make_paid_order(email="ruth@example.com")
    sign_in(Client(REMOTE_ADDR="198.51.100.1"), "ruth@example.com")


def test_the_pause_ends_and_jane_signs_in_again(settings, monkeypatch):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sign_in_code_failure_email": "2/d"}
    make_paid_order(email="jane@example.com")
    client = Client()
    ask_for_code(client, "jane@example.com")
    for _ in range(2):
        assert client.post(CONFIRM, {"code": wrong(last_code())}).status_code == 200
    assert client.post(CONFIRM, {"code": wrong(last_code())}).status_code == 429
    assert ask_for_code(Client(), "jane@example.com").status_code == 429
    later = time.time() + 3601
    monkeypatch.setattr(time, "time", lambda: later)
    sign_in(Client(), "jane@example.com")


def test_wrong_codes_from_one_address_pause_that_address_for_every_email(settings):
    """Spraying guesses over many emails (known or not) from one address."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sign_in_code_failure": "3/h"}
    make_paid_order(email="jane@example.com")
    attacker = "198.51.100.66"
    statuses = []
    emails = ["jane@example.com", "nobody@example.com", "someone@example.com", "x@example.com"]
    for email in emails:
        client = Client(REMOTE_ADDR=attacker)
        ask_for_code(client, email)
        statuses.append(client.post(CONFIRM, {"code": "123456"}).status_code)
    assert statuses == [200, 200, 200, 429]
    # Jane herself, from that address, waits too; from her own she is fine.
    client = Client(REMOTE_ADDR=attacker)
    assert ask_for_code(client, "jane@example.com").status_code == 429
    sign_in(Client(REMOTE_ADDR="203.0.113.50"), "jane@example.com")


# --- item 5: known and unknown emails look the same ------------------------------------------


@pytest.fixture
def mail_down(settings):
    """Outgoing email through SMTP to a port where nothing listens."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 1},
        }
    }


def _shape(queries, *emails):
    """The SQL of ``queries`` with the emails and the values that differ on every request
    (session keys, ids, times, tokens, cursor names) taken out."""
    shapes = []
    for query in queries:
        sql = query["sql"]
        for email in emails:
            sql = sql.replace(email, "<email>")
        # PostgreSQL names each server-side cursor anew ("_django_curs_<id>_sync_<n>").
        shapes.append(re.sub(r"'[^']*'|\b\d+\b|\"s\d+_x\d+\"|_django_curs_\w+", "?", sql))
    return shapes


@pytest.mark.usefixtures("task_queue", "mail_down")
def test_known_and_unknown_emails_cost_the_request_the_same_queries_and_one_task_each():
    known, unknown = "jane@example.com", "nobody@example.com"
    make_paid_order(email=known)
    sign_in_once = Client()
    ask_for_code(sign_in_once, known)  # her account exists from her first sign-in on
    queued_before = len(queued(send_sign_in_code))
    shapes = {}
    for email in (known, unknown):
        with CaptureQueriesContext(connection) as queries:
            response = ask_for_code(Client(), email)
        # The mail server is down and neither request noticed: nothing was sent in it.
        assert response.status_code == 302 and response["Location"] == CONFIRM
        shapes[email] = _shape(queries.captured_queries, known, unknown)
    assert shapes[known] == shapes[unknown]
    rows = queued(send_sign_in_code)[queued_before:]
    assert [row.task_path for row in rows] == [send_sign_in_code.module_path] * 2
    for row in rows:
        # The email and the code travel encrypted: the queue's table shows neither.
        assert "@" not in str(row.args_kwargs) and not re.search(r"\b\d{6}\b", str(row.args_kwargs))


@pytest.mark.usefixtures("task_queue")
def test_the_worker_sends_the_code_to_a_known_email_and_nothing_to_an_unknown_one():
    make_paid_order(email="jane@example.com")
    client = Client()
    ask_for_code(client, "jane@example.com")
    ask_for_code(Client(), "nobody@example.com")
    assert mail.outbox == []  # nothing inside the requests
    assert run_worker() == 2
    [message] = mail.outbox
    assert message.to == ["jane@example.com"] and "sign-in code" in message.subject
    assert [row.return_value for row in queued(send_sign_in_code)] == ["sent", "none"]
    client.post(CONFIRM, {"code": last_code()})
    assert signed_in(client)


@pytest.mark.usefixtures("task_queue")
def test_a_code_email_still_queued_when_the_code_expires_is_never_sent(settings, monkeypatch):
    make_paid_order(email="jane@example.com")
    ask_for_code(Client(), "jane@example.com")
    later = time.time() + settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert run_worker() == 1
    assert mail.outbox == []
    assert [row.return_value for row in queued(send_sign_in_code)] == ["expired"]


# --- item 15: her sessions -------------------------------------------------------------------


def test_her_session_ends_after_a_day_without_activity(client, monkeypatch):
    make_paid_order(email="jane@example.com")
    sign_in(client)
    assert client.get("/account/").status_code == 200
    assert client.session.get_expiry_age() == 24 * 3600
    seen = client.session[PATIENT_SEEN]
    # Activity moves the clock (at most once a minute)...
    monkeypatch.setattr(time, "time", lambda: seen + 23 * 3600)
    assert client.get("/account/").status_code == 200
    assert client.session[PATIENT_SEEN] == seen + 23 * 3600
    # ...and a day without any ends the session, saying why.
    monkeypatch.setattr(time, "time", lambda: seen + 47 * 3600 + 1)
    response = client.get("/account/", follow=True)
    assert not signed_in(client)
    assert "signed out after 24 hours without activity" in response.content.decode()


def test_she_signs_out_every_other_session_from_her_account_page():
    make_paid_order(email="jane@example.com")
    phone, laptop = sign_in(Client()), sign_in(Client())
    page = laptop.get("/account/").content.decode()
    assert 'action="/accounts/sign-out-other-sessions/"' in page
    response = laptop.post("/accounts/sign-out-other-sessions/", follow=True)
    assert "signed out everywhere else" in response.content.decode()
    assert laptop.get("/account/").status_code == 200
    assert phone.get("/account/")["Location"].startswith(REQUEST)
    # Staff have no such button here: their password is left alone.
    from tests.support.staff import PASSWORD, staff
    from tests.support.staff import sign_in as staff_sign_in

    member = staff("support", "sam")
    staff_client = staff_sign_in(Client(), member)
    staff_client.post("/accounts/sign-out-other-sessions/")
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
    # A GET changes nothing, and nobody signed out is sent to sign in.
    assert laptop.get("/accounts/sign-out-other-sessions/").status_code == 405
    assert Client().post("/accounts/sign-out-other-sessions/")["Location"].startswith("/accounts/")


def test_a_cache_that_does_not_answer_skips_the_limits(settings, caplog):
    """The limits live in the cache: when it is down they are skipped and logged, never a 500
    of theirs."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    make_paid_order(email="jane@example.com")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/5",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    client = Client()
    ask_for_code(client, "jane@example.com")
    response = client.post(CONFIRM, {"code": wrong(last_code())})
    assert response.status_code == 200 and "Incorrect code" in response.content.decode()
    assert "Lockout sign_in_code_failure not checked: the cache did not answer" in caplog.text


def test_only_the_sign_in_code_email_is_ever_sent_by_the_adapter():
    from patients.accounts import PatientAccountAdapter

    with pytest.raises(ValueError, match="no 'account/email/unknown_account' email"):
        PatientAccountAdapter().send_mail("account/email/unknown_account", "x@example.com", {})
