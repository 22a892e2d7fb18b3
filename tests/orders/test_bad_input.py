"""Bad input on every patient-facing orders endpoint: a clear 4xx or a message, never a 500.

Each case runs against a patient who has a treatment in her cart and a pending order, in
local test mode, with the webhook secret set, so every view gets past its preconditions and
has to deal with the bad input itself.
"""

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from orders.models import Order, OrderEvent, Payment, WebhookEvent
from tests.support.factories import answers, make_plan
from tests.support.stripe_helpers import (
    WEBHOOK_SECRET,
    completed_session,
    deliver,
    event,
    signed_header,
)

pytestmark = pytest.mark.django_db

NUL = "\x00"
LONG = "x" * 100_000
UNKNOWN = "q" * 43  # the shape of a public id, but nobody's


@pytest.fixture
def patient(settings):
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    client = Client()
    plan = make_plan("Oral Metformin ER", 2200)
    client.post("/cart/add/", {"plan": plan.pk})
    response = client.post("/checkout/", answers(biguanide_alcohol="no"))
    assert response.status_code == 302
    client.order = Order.objects.get()
    client.plan = plan
    return client


@pytest.fixture
def stripe_patient(fake_stripe):
    """A patient whose order she has just paid at (the fake) Stripe: its events are Stripe's,
    and the webhook fetches the facts from it."""
    client = Client()
    client.post("/cart/add/", {"plan": make_plan("Oral Metformin ER", 2200).pk})
    assert client.post("/checkout/", answers(biguanide_alcohol="no")).status_code == 302
    client.order = Order.objects.get()
    client.paid_session = fake_stripe.pay(client.order.stripe_checkout_session_id)
    return client


def questionnaire(**changes):
    data = answers(biguanide_alcohol="no")
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# (method, path, data, expected status); "{id}" is the patient's pending order.
CASES = {
    # The cart
    "cart POST": ("post", "/cart/", {}, 405),
    "add GET": ("get", "/cart/add/", {}, 405),
    "add no plan": ("post", "/cart/add/", {}, 400),
    "add empty plan": ("post", "/cart/add/", {"plan": ""}, 400),
    "add word": ("post", "/cart/add/", {"plan": "abc"}, 400),
    "add negative": ("post", "/cart/add/", {"plan": "-1"}, 400),
    "add zero": ("post", "/cart/add/", {"plan": "0"}, 400),
    "add float": ("post", "/cart/add/", {"plan": "1.5"}, 400),
    "add huge": ("post", "/cart/add/", {"plan": "9" * 30}, 400),
    "add bigint overflow": ("post", "/cart/add/", {"plan": "9223372036854775808"}, 400),
    "add superscript digit": ("post", "/cart/add/", {"plan": "²"}, 400),
    "add arabic digits": ("post", "/cart/add/", {"plan": "١٢"}, 400),
    "add NUL": ("post", "/cart/add/", {"plan": f"1{NUL}"}, 400),
    "add overlong": ("post", "/cart/add/", {"plan": LONG}, 400),
    "remove GET": ("get", "/cart/remove/", {}, 405),
    "remove no plan": ("post", "/cart/remove/", {}, 400),
    "remove negative": ("post", "/cart/remove/", {"plan": "-5"}, 400),
    "remove superscript": ("post", "/cart/remove/", {"plan": "³"}, 400),
    "remove NUL": ("post", "/cart/remove/", {"plan": NUL}, 400),
    "remove unknown": ("post", "/cart/remove/", {"plan": "987654"}, 400),
    # The questionnaire
    "checkout PUT": ("put", "/checkout/", {}, 405),
    "checkout nothing": ("post", "/checkout/", {}, 400),
    "checkout missing email": ("post", "/checkout/", questionnaire(email=None), 400),
    "checkout bad email": ("post", "/checkout/", questionnaire(email="not-an-email"), 400),
    "checkout Feb 30": ("post", "/checkout/", questionnaire(date_of_birth="1990-02-30"), 400),
    "checkout year 1": ("post", "/checkout/", questionnaire(date_of_birth="0001-01-01"), 400),
    "checkout future DOB": ("post", "/checkout/", questionnaire(date_of_birth="2999-01-01"), 400),
    "checkout year 99999": ("post", "/checkout/", questionnaire(date_of_birth="99999-01-01"), 400),
    "checkout DOB word": ("post", "/checkout/", questionnaire(date_of_birth="yesterday"), 400),
    "checkout NUL name": ("post", "/checkout/", questionnaire(full_name=f"Jane{NUL}"), 400),
    "checkout NUL medicines": (
        "post",
        "/checkout/",
        questionnaire(medicine_1_name=NUL, no_medicines=""),
        400,
    ),
    "checkout NUL email": ("post", "/checkout/", questionnaire(email=f"j{NUL}@example.com"), 400),
    "checkout overlong name": ("post", "/checkout/", questionnaire(full_name=LONG), 400),
    "checkout overlong medicines": (
        "post",
        "/checkout/",
        questionnaire(medicine_1_name=LONG, no_medicines=""),
        400,
    ),
    "checkout bad choice": ("post", "/checkout/", questionnaire(pregnant="maybe"), 400),
    "checkout bad yes/no": ("post", "/checkout/", questionnaire(kidney="perhaps"), 400),
    # The test-mode payment page
    "test pay PUT": ("put", "/checkout/test-mode/{id}/", {}, 405),
    "test pay unknown order": ("get", f"/checkout/test-mode/{UNKNOWN}/", {}, 404),
    "test pay NUL id": ("get", "/checkout/test-mode/%00/", {}, 404),
    "test pay overlong id": ("get", f"/checkout/test-mode/{'a' * 500}/", {}, 404),
    "test pay no action": ("post", "/checkout/test-mode/{id}/", {}, 400),
    "test pay odd action": ("post", "/checkout/test-mode/{id}/", {"action": "refund"}, 400),
    "test pay no address": ("post", "/checkout/test-mode/{id}/", {"action": "pay"}, 400),
    "test pay bad ZIP": (
        "post",
        "/checkout/test-mode/{id}/",
        {
            "action": "pay",
            "name": "J",
            "line1": "1 A St",
            "city": "X",
            "state": "NY",
            "postal_code": "ABCDE",
        },
        400,
    ),
    "test pay NUL address": (
        "post",
        "/checkout/test-mode/{id}/",
        {
            "action": "pay",
            "name": "J",
            "line1": f"1{NUL}",
            "city": "X",
            "state": "NY",
            "postal_code": "11201",
        },
        400,
    ),
    "test pay overlong address": (
        "post",
        "/checkout/test-mode/{id}/",
        {
            "action": "pay",
            "name": "J",
            "line1": LONG,
            "city": "X",
            "state": "NY",
            "postal_code": "11201",
        },
        400,
    ),
    # Success and order pages
    "success POST": ("post", "/checkout/success/?order={id}", {}, 405),
    "success no order": ("get", "/checkout/success/", {}, 404),
    "success unknown": ("get", f"/checkout/success/?order={UNKNOWN}", {}, 404),
    "success NUL": ("get", "/checkout/success/?order=%00", {}, 400),  # core/middleware.py
    "success overlong": ("get", f"/checkout/success/?order={'a' * 5000}", {}, 404),
    "order POST": ("post", "/orders/{id}/", {}, 405),
    "order unknown": ("get", f"/orders/{UNKNOWN}/", {}, 404),
    "order NUL": ("get", "/orders/ab%00cd/", {}, 404),
    "order overlong": ("get", f"/orders/{'a' * 5000}/", {}, 404),
}


@pytest.mark.parametrize("method, path, data, status", CASES.values(), ids=CASES.keys())
def test_bad_input_gets_a_clear_4xx_never_a_500(patient, method, path, data, status):
    order = patient.order
    path = path.replace("{id}", order.public_id)
    before = (Order.objects.count(), OrderEvent.objects.count(), dict(patient.session["cart"]))

    response = getattr(patient, method)(path, data)

    assert response.status_code == status
    if status == 400 and response.get("Content-Type", "").startswith("text/html"):
        html = response.content.decode()
        assert 'role="alert"' in html or "errorlist" in html  # the patient is told why
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert Order.objects.count() == before[0]
    if not path.startswith("/checkout/test-mode/"):
        assert OrderEvent.objects.count() == before[1]
    if not path.startswith("/cart/remove/"):
        assert dict(patient.session["cart"]) == before[2]  # the cart is untouched


def test_overlong_answers_are_not_stored_in_the_session(patient):
    """Answers are kept for the re-render, but not a 100 kB blob in every session row."""
    response = patient.post(
        "/checkout/", questionnaire(medicine_1_name=LONG, no_medicines="", junk=LONG)
    )
    assert response.status_code == 400
    saved = patient.session["checkout_answers"]
    assert "junk" not in saved
    assert len(json.dumps(saved)) < 10_000


def sign_bytes(body, timestamp=None):
    """Stripe's signature over raw bytes (which need not be UTF-8, unlike signed_header's)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(WEBHOOK_SECRET.encode(), b"%d." % timestamp + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


WEBHOOK_CASES = {
    "GET": ("get", None, None, 405),
    "no body": ("post", b"", "signed", 400),
    "not JSON": ("post", b"{not json", "signed", 400),
    "invalid UTF-8": ("post", b"\xff\xfe", "signed", 400),
    "a JSON list": ("post", b"[1, 2]", "signed", 400),
    "a JSON string": ("post", b'"evt_1"', "signed", 400),
    "no id": ("post", b'{"type": "checkout.session.completed"}', "signed", 400),
    "numeric id": ("post", b'{"id": 1, "type": "invoice.paid"}', "signed", 400),
    "data is a list": (
        "post",
        b'{"id": "evt_x1", "type": "invoice.paid", "data": []}',
        "signed",
        400,
    ),
    "object is a string": (
        "post",
        b'{"id": "evt_x2", "type": "invoice.paid", "data": {"object": "in_1"}}',
        "signed",
        400,
    ),
    "type is a list": (
        "post",
        b'{"id": "evt_x3", "type": ["invoice.paid"], "data": {"object": {}}}',
        "signed",
        400,
    ),
    "overlong id": ("post", json.dumps({"id": "evt_" + "x" * 300}).encode(), "signed", 400),
    "missing signature": ("post", "EVENT", "", 400),
    "garbage signature": ("post", "EVENT", "nonsense", 400),
    "forged signature": ("post", "EVENT", "t=1700000000,v1=" + "0" * 64, 400),
    "someone else's secret": ("post", "EVENT", "other-secret", 400),
    "stale signature": ("post", "EVENT", "stale", 400),
    "NUL in signature": ("post", "EVENT", "t=1\x00,v1=00", 400),
}


@pytest.mark.parametrize(
    "method, body, header, status", WEBHOOK_CASES.values(), ids=WEBHOOK_CASES.keys()
)
def test_bad_webhook_deliveries_get_a_400_and_change_nothing(patient, method, body, header, status):
    order = patient.order
    if body == "EVENT":
        body = json.dumps(event("checkout.session.completed", completed_session(order))).encode()
    if method == "get":
        response = patient.get("/stripe/webhook/")
    else:
        text = body.decode("utf-8", "replace")
        signature = {
            "signed": lambda: sign_bytes(body),
            "other-secret": lambda: signed_header(text, "whsec_someone_else"),
            "stale": lambda: signed_header(text, timestamp=int(time.time()) - 3600),
        }.get(header, lambda: header)()
        response = patient.post(
            "/stripe/webhook/",
            data=body,
            content_type="application/json",
            headers={"Stripe-Signature": signature} if signature else {},
        )
    assert response.status_code == status
    assert WebhookEvent.objects.count() == 0
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_webhook_reads_the_raw_body_whatever_the_content_type(stripe_patient, content_type):
    """Stripe always sends JSON; a proxy rewriting the header must not break verification."""
    payload = json.dumps(event("checkout.session.completed", stripe_patient.paid_session))
    response = stripe_patient.post(
        "/stripe/webhook/",
        data=payload,
        content_type=content_type,
        headers={"Stripe-Signature": signed_header(payload)},
    )
    assert response.status_code == 200
    assert Order.objects.get().status == Order.Status.AWAITING_REVIEW


def test_replays_count_nothing_twice(stripe_patient):
    """The same signed delivery replayed."""
    payload = event("checkout.session.completed", stripe_patient.paid_session)
    for _ in range(3):
        assert deliver(stripe_patient, payload).status_code == 200
    assert WebhookEvent.objects.count() == 1
    assert OrderEvent.objects.filter(kind="paid").count() == 1
    assert Payment.objects.count() == 1
    assert Order.objects.get().status == Order.Status.AWAITING_REVIEW


def test_a_stripe_event_reaching_a_test_mode_site_changes_nothing(patient):
    """Test mode has no Stripe objects to fetch facts from, and an event's payload is never
    trusted: acknowledged, the order still waiting for her payment."""
    payload = event("checkout.session.completed", completed_session(patient.order))
    response = deliver(patient, payload)
    assert (response.status_code, response.json()["result"]) == (200, "unknown to Stripe")
    assert Order.objects.get().status == Order.Status.PENDING_PAYMENT


def test_the_test_mode_pay_button_pressed_again_counts_nothing_twice(patient):
    order = patient.order
    address = {
        "action": "pay",
        "name": "J",
        "line1": "1 A St",
        "city": "X",
        "state": "NY",
        "postal_code": "11201",
    }
    for _ in range(2):
        response = patient.post(f"/checkout/test-mode/{order.public_id}/", address)
        assert response.status_code == 302  # the second time: already paid
    assert OrderEvent.objects.filter(order=order, kind="paid").count() == 1
    assert Payment.objects.count() == 1
    assert Order.objects.get().status == Order.Status.AWAITING_REVIEW


def test_a_signed_event_with_nul_characters_is_stored_without_them(stripe_patient):
    """PostgreSQL keeps no NUL in text or jsonb: they are dropped, not a 500 Stripe retries."""
    session = stripe_patient.paid_session
    session["collected_information"]["shipping_details"]["name"] = "Jane\x00 Patient"
    response = deliver(stripe_patient, event("checkout.session.completed", session))
    assert response.status_code == 200
    order = Order.objects.get()
    assert order.status == Order.Status.AWAITING_REVIEW
    assert order.ship_name == "Jane Patient"  # as Stripe has it: the facts are fetched
    stored = WebhookEvent.objects.get().payload["data"]["object"]
    assert stored["collected_information"]["shipping_details"]["name"] == "Jane Patient"


@pytest.mark.parametrize("signed", [False, True])
def test_deeply_nested_json_to_the_webhook_is_a_400(client, webhook_secret, signed):
    """Defect: the body was parsed before the signature was checked (RecursionError: 500)."""
    body = "[" * 100_000 + "]" * 100_000
    response = deliver(client, body, header=None if signed else "t=1,v1=forged")
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_a_body_larger_than_any_stripe_event_is_413_before_anything_is_read(
    client, webhook_secret, settings
):
    settings.STRIPE_WEBHOOK_MAX_BYTES = 1024
    body = json.dumps({"id": "evt_big", "type": "invoice.paid", "pad": "x" * 2000})
    assert deliver(client, body).status_code == 413
    assert WebhookEvent.objects.count() == 0
