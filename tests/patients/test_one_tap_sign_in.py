"""Paid -> her order in one tap (issue 21, item 8): "Email me a sign-in code" on the thank-you
and order status pages sends a code to the order's email (shown masked) through the sign-in
page's own limits and task, and the code page says how many tries are left."""

import pytest
from django.core import mail
from django.test import Client, TestCase

from orders.models import Order
from patients.accounts import masked_email
from tests.core.test_rate_limits import limit
from tests.patients.test_account_sign_in import CONFIRM, code_from_mail
from tests.support.factories import make_paid_order
from tests.support.patients import sign_in_patient

pytestmark = pytest.mark.django_db


def one_tap(client, order):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/orders/{order.public_id}/sign-in-code/")


@pytest.mark.parametrize(
    "email, masked",
    [("mary@example.com", "m***@example.com"), ("@example.com", "***@example.com")],
)
def test_an_email_is_masked_to_its_first_letter_and_domain(email, masked):
    assert masked_email(email) == masked


def test_the_status_page_offers_the_code_to_the_masked_email(client):
    order = make_paid_order(email="mary@example.com")
    html = client.get(order.get_absolute_url()).content.decode()
    assert "m***@example.com" in html and "mary@example.com" not in html
    assert f'action="/orders/{order.public_id}/sign-in-code/"' in html


def test_the_thank_you_page_offers_it_too_and_signed_in_she_just_opens_her_order(client):
    order = make_paid_order(email="mary@example.com")
    page = f"/checkout/success/?order={order.public_id}"
    assert "Email me a sign-in code" in client.get(page).content.decode()
    sign_in_patient(client, order)
    html = client.get(page).content.decode()
    assert "Email me a sign-in code" not in html
    assert f'href="/orders/{order.public_id}/">See your order</a>' in html


def test_one_tap_sends_the_code_and_her_code_leads_to_her_order(client):
    order = make_paid_order(email="mary@example.com")
    response = one_tap(client, order)
    assert response.status_code == 302
    assert response["Location"] == f"{CONFIRM}?next=%2Forders%2F{order.public_id}%2F"
    assert mail.outbox[0].to == ["mary@example.com"]
    page = client.get(response["Location"]).content.decode()
    # Whoever holds the link sees the email masked on the code page too.
    assert "m***@example.com" in page and "mary@example.com" not in page
    assert 'inputmode="numeric"' in page and 'autocomplete="one-time-code"' in page
    assert "autofocus" in page
    done = client.post(response["Location"], {"code": code_from_mail()})
    assert done["Location"] == order.get_absolute_url()
    assert Order.objects.get(pk=order.pk).patient is not None
    assert "mary@example.com" in client.get(order.get_absolute_url()).content.decode()


def test_typing_her_email_after_a_one_tap_shows_it_in_full(client):
    order = make_paid_order(email="mary@example.com")
    one_tap(client, order)
    for _ in range(5):  # the code's tries used up: it stops working
        client.post(CONFIRM, {"code": "000000"})
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/accounts/login/code/", {"email": "mary@example.com"})
    assert "mary@example.com" in client.get(CONFIRM).content.decode()


def test_a_wrong_code_says_how_many_tries_are_left(client, settings):
    order = make_paid_order(email="mary@example.com")
    one_tap(client, order)
    assert "tries left" not in client.get(CONFIRM).content.decode()
    for left in (4, 3, 2):
        html = client.post(CONFIRM, {"code": "000000"}).content.decode()
        assert f"{left} tries left" in html
    assert "1 try left" in client.post(CONFIRM, {"code": "000000"}).content.decode()


def test_one_tap_counts_against_the_sign_in_limits(client, settings):
    limit(settings, sign_in_code_email="1/m")
    order = make_paid_order(email="mary@example.com")
    one_tap(client, order)
    response = one_tap(Client(), order)  # another browser, the same email
    assert response.status_code == 429 and "Retry-After" in response
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("public_id", ["nope", "bad id!"])
def test_an_unknown_or_malformed_order_is_a_404(client, public_id):
    assert client.post(f"/orders/{public_id}/sign-in-code/").status_code == 404


def test_only_a_post_sends_a_code(client):
    order = make_paid_order(email="mary@example.com")
    assert client.get(f"/orders/{order.public_id}/sign-in-code/").status_code == 405
    assert mail.outbox == []


def test_on_the_code_page_the_code_box_keeps_the_focus_over_messages(client):
    order = make_paid_order(email="mary@example.com")
    response = one_tap(client, order)
    html = client.get(response["Location"]).content.decode()
    assert 'role="status" tabindex="-1" >' in html  # the "code is on its way" message
    assert html.count("autofocus") == 1  # the code box


def test_a_posted_resend_is_checked_as_a_code(client):
    """allauth's "resend" action is not offered here: posting it is a wrong code, no 500."""
    order = make_paid_order(email="mary@example.com")
    one_tap(client, order)
    html = client.post(CONFIRM, {"action": "resend"}).content.decode()
    assert "4 tries left" in html and len(mail.outbox) == 1
