"""Checkout through the real ``stripe`` library, against the fake Stripe (tests/support/fake_stripe.py):
the parameters sent, one live session per order, and idempotency keys that survive Stripe's
failure modes (a saved 5xx needs a new key; a timeout must reuse the old one)."""

import pytest

from orders.models import Order, OrderLine
from tests.support.factories import answers, make_plan
from tests.support.stripe_world import NO_CONCERNS, pay_checkout, send, start_checkout
from treatments.models import Plan

pytestmark = pytest.mark.django_db

SESSIONS = r"^/v1/checkout/sessions$"


def sent(fake, index=0):
    """(params, idempotency key) of the index-th Checkout Session request."""
    _, _, params, key = fake.calls("POST", SESSIONS)[index]
    return params, key


def test_checkout_session_parameters_sent_by_the_stripe_library(client, fake_stripe):
    metformin = make_plan("Oral Metformin ER", 2200)
    lotion = make_plan("Metformin HCL Lotion 20%", 4300, form="topical")
    response = start_checkout(client, metformin, lotion)

    order = Order.objects.get()
    session = fake_stripe.objects[order.stripe_checkout_session_id]
    assert response.status_code == 302
    assert response["Location"] == session["url"]
    params, key = sent(fake_stripe)
    lines = {item["price_data"]["product_data"]["name"]: item for item in params["line_items"]}
    assert set(lines) == {"Oral Metformin ER (Monthly)", "Metformin HCL Lotion 20% (Monthly)"}
    item = lines["Oral Metformin ER (Monthly)"]
    assert item["price_data"] == {
        "currency": "usd",
        "unit_amount": "2200",
        "recurring": {"interval": "month"},
        "product_data": {
            "name": "Oral Metformin ER (Monthly)",
            # The plan, so that a clinician's decline of the line finds its subscription item.
            "metadata": {"plan": str(metformin.pk)},
        },
    }
    assert item["quantity"] == "1"
    assert lines["Metformin HCL Lotion 20% (Monthly)"]["price_data"]["unit_amount"] == "4300"
    assert params["mode"] == "subscription"
    assert params["payment_method_types"] == ["card"]  # no delayed methods (ACH...)
    assert params["client_reference_id"] == str(order.pk)
    assert params["metadata"]["order_id"] == str(order.pk)
    assert params["subscription_data"]["metadata"]["order_id"] == str(order.pk)
    assert params["customer_email"] == "jane@example.com"
    assert params["shipping_address_collection"]["allowed_countries"] == ["US"]
    assert "Free shipping" in params["custom_text"]["submit"]["message"]
    assert "Free shipping" in params["custom_text"]["shipping_address"]["message"]
    assert (
        params["success_url"] == f"https://oana.example/checkout/success/?order={order.public_id}"
    )
    assert params["cancel_url"] == "https://oana.example/checkout/"
    assert key == f"checkout-{order.public_id}-1"

    assert order.status == Order.Status.PENDING_PAYMENT
    assert session["amount_total"] == order.total_cents == 6500
    assert (order.subtotal_cents, order.shipping_cents) == (6500, 0)
    assert sorted(order.lines.values_list("unit_amount_cents", flat=True)) == [2200, 4300]
    assert order.questionnaire.answers["pregnant"]["answer"] == "No"
    assert order.residence_state == "NY"
    assert order.events.get().kind == "created"


def test_tampered_amounts_and_plan_ids_in_the_post_change_nothing(client, fake_stripe):
    plan = make_plan("Oral Metformin ER", 2200)
    expensive = make_plan("Oral GLP-1 & Metformin pack", 19900)
    client.post("/cart/add/", {"plan": plan.pk})
    response = client.post(
        "/checkout/",
        answers(
            biguanide_alcohol="no",
            amount_cents="1",
            unit_amount="1",
            total_cents="1",
            plan=str(expensive.pk),
            price="0.01",
        ),
    )
    assert response.status_code == 302
    params, _ = sent(fake_stripe)
    assert [item["price_data"]["unit_amount"] for item in params["line_items"]] == ["2200"]
    order = Order.objects.get()
    assert order.total_cents == 2200
    assert list(order.lines.values_list("plan_id", flat=True)) == [plan.pk]


def test_price_is_taken_when_the_order_is_placed_and_snapshotted(client, fake_stripe):
    plan = make_plan("Oral Metformin ER", 2200)
    client.post("/cart/add/", {"plan": plan.pk})
    Plan.objects.filter(pk=plan.pk).update(amount_cents=2500)  # staff edit after "add"
    client.post("/checkout/", answers(biguanide_alcohol="no"))
    assert sent(fake_stripe)[0]["line_items"][0]["price_data"]["unit_amount"] == "2500"
    Plan.objects.filter(pk=plan.pk).update(amount_cents=9900)  # later edit
    assert OrderLine.objects.get().unit_amount_cents == 2500


def test_a_double_submit_gets_the_same_session_back(client, fake_stripe):
    """Two tabs, or a double click: the same request, the same key, the same session."""
    first = start_checkout(client)
    second = client.post("/checkout/", answers(biguanide_alcohol="no"))
    assert first["Location"] == second["Location"]
    assert sent(fake_stripe, 0)[1] == sent(fake_stripe, 1)[1]
    assert not fake_stripe.calls("POST", "/expire$")
    assert len([o for o in fake_stripe.objects.values() if o["object"] == "checkout.session"]) == 1


def test_a_changed_cart_expires_the_old_session_so_it_cannot_be_paid(client, fake_stripe):
    """Defect: the old session stayed payable after she switched to another treatment."""
    start_checkout(client, make_plan("Oral Metformin ER", 2200))
    order = Order.objects.get()
    old_session = order.stripe_checkout_session_id
    client.post("/cart/add/", {"plan": make_plan("Spironolactone", 1400).pk})
    client.post(
        "/checkout/",
        answers(**NO_CONCERNS),
    )
    order.refresh_from_db()
    assert order.stripe_checkout_session_id != old_session
    assert fake_stripe.objects[old_session]["status"] == "expired"
    assert fake_stripe.objects[order.stripe_checkout_session_id]["amount_total"] == 3600
    assert sent(fake_stripe, 0)[1] != sent(fake_stripe, 1)[1]  # another request, another key


def test_a_saved_stripe_500_is_not_replayed_to_the_retry(client, fake_stripe):
    """Defect: Stripe replays a saved 5xx for the same key, so the patient could not pay for
    24 hours. After an error answer the retry takes a new key."""
    fake_stripe.fail_next("POST", SESSIONS, 500)
    plan = make_plan("Oral Metformin ER", 2200)
    response = start_checkout(client, plan, medicine_1_name="Vitamin D", no_medicines="")
    assert response.status_code == 503
    html = response.content.decode()
    assert "We could not reach our payment provider, so nothing was charged." in html
    assert "Vitamin D" in html  # her answers, shown again from this request
    assert client.session["cart"] == {str(plan.pk): 1}
    # The order holds the answers now; the browser session does not.
    assert "checkout_answers" not in client.session
    assert "Vitamin D" not in client.get("/checkout/").content.decode()

    response = client.post(
        "/checkout/", answers(biguanide_alcohol="no", medicine_1_name="Vitamin D", no_medicines="")
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert OrderLine.objects.count() == 1
    first_key, second_key = sent(fake_stripe, 0)[1], sent(fake_stripe, 1)[1]
    assert first_key != second_key
    assert order.stripe_checkout_session_id in fake_stripe.objects


def test_a_timeout_is_retried_with_the_same_key_and_makes_one_session(client, fake_stripe):
    """No answer: Stripe may have made the session, so the retry asks with the same key and
    gets that very session back."""
    fake_stripe.fail_next("POST", SESSIONS, "timeout")
    plan = make_plan("Oral Metformin ER", 2200)
    response = start_checkout(client, plan)
    assert response.status_code == 503
    assert "nothing was charged" in response.content.decode()
    assert client.session["cart"] == {str(plan.pk): 1}

    response = client.post("/checkout/", answers(biguanide_alcohol="no"))
    assert response.status_code == 302
    assert sent(fake_stripe, 0)[1] == sent(fake_stripe, 1)[1]
    sessions = [o for o in fake_stripe.objects.values() if o["object"] == "checkout.session"]
    assert len(sessions) == 1 and response["Location"] == sessions[0]["url"]
    assert Order.objects.count() == 1


def test_changing_the_cart_after_a_failure_updates_the_same_order(client, fake_stripe):
    fake_stripe.fail_next("POST", SESSIONS, 500)
    first, second = make_plan("Oral Metformin ER", 2200), make_plan("Spironolactone", 1400)
    start_checkout(client, first)
    client.post("/cart/add/", {"plan": second.pk})
    client.post(
        "/checkout/",
        answers(**NO_CONCERNS),
    )
    order = Order.objects.get()
    assert order.total_cents == 3600 and order.lines.count() == 2
    assert sent(fake_stripe, 0)[1] != sent(fake_stripe, 1)[1]


def test_a_paid_order_is_never_reused_for_a_new_checkout(client, fake_stripe):
    start_checkout(client, make_plan("Oral Metformin ER", 2200))
    pay_checkout(client, fake_stripe)
    client.post("/cart/add/", {"plan": make_plan("Spironolactone", 1400).pk})
    client.post(
        "/checkout/",
        answers(**NO_CONCERNS),
    )
    assert Order.objects.count() == 2


def test_no_gateway_configured_is_a_clear_503(client, settings):
    settings.STRIPE_TEST_MODE = False
    settings.STRIPE_SECRET_KEY = ""
    client.post("/cart/add/", {"plan": make_plan().pk})
    response = client.post("/checkout/", answers(biguanide_alcohol="no"))
    assert response.status_code == 503
    assert "Online payment is not available" in response.content.decode()
    assert Order.objects.count() == 0


def test_checkout_is_csrf_protected_and_get_or_post_only(client):
    client.post("/cart/add/", {"plan": make_plan().pk})
    assert client.put("/checkout/").status_code == 405
    csrf_client = client.__class__(enforce_csrf_checks=True)
    assert csrf_client.post("/checkout/", answers()).status_code == 403


def test_an_unpaid_completed_session_leaves_the_order_waiting(client, fake_stripe):
    """A delayed payment method would complete the session before the money arrives: the
    order is paid only when Stripe says "paid" (cards only are offered anyway)."""
    start_checkout(client)
    order = Order.objects.get()
    session = fake_stripe.objects[order.stripe_checkout_session_id]
    session.update(status="complete", payment_status="unpaid")
    assert send(client, "checkout.session.completed", session) == "not paid yet"
    assert send(client, "checkout.session.async_payment_failed", session) == "noted"
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.events.filter(kind="payment_declined").exists()
