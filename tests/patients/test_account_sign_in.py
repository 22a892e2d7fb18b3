"""Signing in with an emailed code: the real allauth flow, from the header link to her orders."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, TestCase

from orders.models import Order, PatientAccount
from tests.support.factories import make_order, make_paid_order
from tests.support.staff import staff

pytestmark = pytest.mark.django_db

REQUEST = "/accounts/login/code/"
CONFIRM = "/accounts/login/code/confirm/"


def ask_for_code(client, email):
    """The code email is a task enqueued after the commit (run at once by the immediate
    backend): the test's transaction never commits, so its callbacks are run here."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(REQUEST, {"email": email})


def code_from_mail():
    [message] = [m for m in mail.outbox if "sign-in code" in m.subject]
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def test_a_patient_signs_in_with_the_code_and_her_orders_join_her_account(client):
    first = make_paid_order(email="Jane@Example.com")
    second = make_order(email="jane@example.com")
    other = make_order(email="someone@example.com")
    response = ask_for_code(client, "jane@example.com")
    assert response.status_code == 302 and response["Location"] == CONFIRM
    page = client.get(CONFIRM).content.decode()
    assert "Check your email" in page and "jane@example.com" in page
    code = code_from_mail()
    assert mail.outbox[0].to == ["jane@example.com"]
    assert code in mail.outbox[0].subject and code in mail.outbox[0].body
    # Nothing joins her account before she proves the email.
    assert not Order.objects.filter(patient__isnull=False).exists()

    response = client.post(CONFIRM, {"code": code})
    assert response.status_code == 302 and response["Location"] == "/account/"
    user = get_user_model().objects.get(email="jane@example.com")
    assert not user.has_usable_password() and not user.is_staff
    assert set(user.patient_orders.all()) == {first, second}
    assert Order.objects.get(pk=other.pk).patient is None
    account = client.get("/account/").content.decode()
    assert first.reference in account and second.reference in account
    assert other.reference not in account
    header = client.get("/").content.decode()
    assert ">Account<" in header or ">Account <" in header


def test_the_header_says_sign_in_and_the_link_works(client):
    html = client.get("/").content.decode()
    assert 'href="/accounts/login/code/">' in html
    assert '<span class="nav-label">Sign in</span>' in html
    page = client.get("/accounts/login/")  # the password page leads to the code page
    assert page.status_code == 302 and page["Location"].startswith(REQUEST)
    assert "Email me a sign-in code" in client.get(REQUEST).content.decode()


@pytest.mark.parametrize("email", ["nobody@example.com", "dr_lee@oana.example"])
def test_unknown_and_staff_emails_get_the_same_answer_and_no_email(client, email):
    staff("clinician", "dr_lee")
    response = ask_for_code(client, email)
    assert response.status_code == 302 and response["Location"] == CONFIRM
    assert "Check your email" in client.get(CONFIRM).content.decode()
    assert mail.outbox == []
    assert not PatientAccount.objects.exists()


def test_a_staff_member_who_ordered_still_gets_no_code(client):
    staff("clinician", "dr_lee")
    make_order(email="dr_lee@oana.example")
    ask_for_code(client, "dr_lee@oana.example")
    assert mail.outbox == []


def test_a_wrong_code_is_a_form_error_and_five_wrong_codes_need_a_new_one(client):
    make_paid_order()
    ask_for_code(client, "jane@example.com")
    code = code_from_mail()
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(CONFIRM, {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    for _ in range(4):
        response = client.post(CONFIRM, {"code": wrong})
    # Out of tries: back to asking for a new code, and the right one no longer works.
    assert response.status_code == 302
    client.post(CONFIRM, {"code": code})
    assert "_auth_user_id" not in client.session


def test_an_expired_code_does_not_sign_her_in(client, settings, monkeypatch):
    make_paid_order()
    ask_for_code(client, "jane@example.com")
    code = code_from_mail()
    import time

    later = time.time() + settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT + 1
    monkeypatch.setattr(time, "time", lambda: later)
    client.post(CONFIRM, {"code": code})
    assert "_auth_user_id" not in client.session


def test_the_code_settings_are_ours():
    from django.conf import settings

    assert settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT == 10 * 60
    assert settings.ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS == 5
    assert settings.ACCOUNT_LOGIN_BY_CODE_FORMAT == {"numeric": True, "length": 6, "dashed": False}


def test_many_code_requests_are_rate_limited_with_a_clear_message():
    """A script asking for codes for one email, each time without cookies and from another
    address: the fourth in a minute is a 429 saying when to try again."""
    make_paid_order()
    for n in range(3):
        assert (
            ask_for_code(Client(REMOTE_ADDR=f"198.51.100.{n}"), "jane@example.com").status_code
            == 302
        )
    response = ask_for_code(Client(REMOTE_ADDR="198.51.100.9"), "Jane@Example.com")
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 60
    assert "Sign-in paused" in response.content.decode()
    assert len([m for m in mail.outbox if "sign-in code" in m.subject]) == 3


def test_signing_out_is_a_post(client):
    make_paid_order()
    ask_for_code(client, "jane@example.com")
    client.post(CONFIRM, {"code": code_from_mail()})
    assert client.get("/account/").status_code == 200
    page = client.get("/accounts/logout/")
    assert page.status_code == 200 and "_auth_user_id" in client.session  # GET only asks
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session
    assert client.get("/account/")["Location"].startswith(REQUEST)


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/password/set/",
        "/accounts/email/",
        "/accounts/phone/change/",
        "/accounts/reauthenticate/",
    ],
)
def test_what_patients_do_not_have_is_not_offered(client, path):
    assert client.get(path).status_code == 404
    assert client.post(path, {"email": "jane@example.com"}).status_code == 404


def test_a_signed_in_patient_opening_the_admin_goes_to_her_account(client):
    make_paid_order()
    ask_for_code(client, "jane@example.com")
    client.post(CONFIRM, {"code": code_from_mail()})
    for path in ("/admin/", "/admin/orders/order/", "/admin/login/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/account/", path


def test_her_stripe_customer_is_adopted_when_she_signs_in(client):
    order = make_paid_order()
    assert order.stripe_customer_id
    ask_for_code(client, "jane@example.com")
    client.post(CONFIRM, {"code": code_from_mail()})
    account = PatientAccount.objects.get()
    assert account.stripe_customer_id == order.stripe_customer_id
