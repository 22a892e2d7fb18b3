"""The money path's less common days: each case is something Stripe or a patient really does."""

import pytest
from django.test import TestCase

from orders.cart import Cart
from orders.models import Hold, Order, Payment, Refund, Shipment, WebhookEvent
from orders.services import OrderError
from orders.services.checkout import place_order
from orders.services.fulfilment import mark_shipped
from payments.services.refunds import refund_order, request_refund
from tests.support.factories import FakeSession, answers, make_order, make_paid_order, make_plan
from tests.support.fake_stripe import A_MONTHLY_PRICE
from tests.support.lifecycle import perform
from tests.support.staff import sign_in, staff
from tests.support.stripe_helpers import deliver, event
from tests.support.stripe_world import NO_CONCERNS, first_charge, paid_order, send, start_checkout

pytestmark = pytest.mark.django_db
S = Order.Status


# --- placing and paying -----------------------------------------------------------------------


def test_an_empty_cart_or_mixed_currencies_cannot_be_ordered(client, test_mode):
    with pytest.raises(OrderError, match="Your cart is empty"):
        place_order(
            Cart(FakeSession()),
            email="a@b.c",
            full_name="A",
            date_of_birth=None,
            answers={},
            flags=[],
        )
    euro = make_plan("Oral Metformin ER", 2200)
    euro.currency = "eur"
    euro.save()
    client.post("/cart/add/", {"plan": euro.pk})
    client.post("/cart/add/", {"plan": make_plan("Spironolactone", 1400).pk})
    response = client.post(
        "/checkout/",
        answers(**NO_CONCERNS),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/cart/"
    assert "cannot be paid together" in response.content.decode()
    assert not Order.objects.exists()


def test_an_order_paid_meanwhile_is_never_reopened_by_a_retry():
    """The webhook paid it between the page load and the retry: a new order is made."""
    order = make_paid_order()
    cart = Cart(FakeSession())
    cart.add(make_plan())
    again = place_order(
        cart,
        email="jane@example.com",
        full_name="Jane",
        date_of_birth=None,
        answers={},
        flags=[],
        pending=order,
    )
    assert again.pk != order.pk and again.status == S.PENDING_PAYMENT


def test_an_old_session_that_cannot_be_expired_does_not_stop_a_new_one(client, fake_stripe):
    start_checkout(client, make_plan("Oral Metformin ER", 2200))
    old = Order.objects.get().stripe_checkout_session_id
    fake_stripe.objects[old]["status"] = "expired"  # Stripe expired it after 24 hours
    client.post("/cart/add/", {"plan": make_plan("Spironolactone", 1400).pk})
    # a third plan, and the questionnaire again
    response = start_checkout(client, make_plan("Oral Minoxidil", 2500))
    assert response.status_code == 302
    assert Order.objects.get().stripe_checkout_session_id != old


def test_in_test_mode_a_changed_cart_opens_a_new_local_checkout(client, test_mode):
    start_checkout(client, make_plan("Oral Metformin ER", 2200))
    first = Order.objects.get().stripe_checkout_session_id
    client.post("/cart/add/", {"plan": make_plan("Spironolactone", 1400).pk})
    response = start_checkout(client, make_plan("Oral Minoxidil", 2500))
    order = Order.objects.get()
    assert order.stripe_checkout_session_id != first
    assert response["Location"] == f"/checkout/test-mode/{order.public_id}/"
    response = client.post(
        response["Location"],
        {
            "action": "pay",
            "name": "Jane",
            "line1": "1 A St",
            "city": "Albany",
            "state": "NY",
            "postal_code": "12207",
        },
    )
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW and order.total_cents == 6100  # three plans


def test_a_session_that_charged_another_amount_is_refunded(client, fake_stripe):
    start_checkout(client, make_plan("Oral Metformin ER", 2200))
    order = Order.objects.get()
    fake_stripe.objects[order.stripe_checkout_session_id]["amount_total"] = 1000
    fake_stripe.line_items[order.stripe_checkout_session_id]["items"][0]["price_data"][
        "unit_amount"
    ] = "1000"
    session = fake_stripe.pay(order.stripe_checkout_session_id)
    assert send(client, "checkout.session.completed", session) == "stray refunded"
    stray = order.events.get(kind="stray_payment")
    assert "Stripe charged $10.00 but the order costs $22.00." in stray.data["why"]
    assert Order.objects.get().status == S.PENDING_PAYMENT


def test_a_stray_renewal_delivered_twice_is_refunded_once(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    _, other = fake_stripe.create_session(
        {
            "mode": "subscription",
            "subscription_data": {"metadata": {"order_id": str(order.pk)}},
            "line_items": [{"price_data": A_MONTHLY_PRICE, "quantity": "1"}],
        }
    )
    other = fake_stripe.pay(other["id"])
    renewal = fake_stripe.renew(other["subscription"])
    assert send(client, "invoice.paid", renewal) == "stray refunded"
    assert send(client, "invoice.paid", renewal) == "stray refunded"
    assert Payment.objects.filter(kind="stray").count() == 1
    assert Refund.objects.count() == 1


# --- what Stripe sends, and how the handlers find the order ---------------------------------------


def test_orders_are_found_without_metadata_too(client, fake_stripe):
    start_checkout(client)
    order = Order.objects.get()
    session = fake_stripe.objects[order.stripe_checkout_session_id]
    session["metadata"] = {}  # only client_reference_id names the order
    session = fake_stripe.pay(session["id"])
    assert send(client, "checkout.session.completed", session) == "order paid"
    renewal = fake_stripe.renew(session["subscription"])
    fake_stripe.objects[renewal["id"]]["parent"]["subscription_details"]["metadata"] = {}
    assert send(client, "invoice.paid", renewal) == "renewal recorded"  # by subscription id


def test_invoices_of_no_interest_are_acknowledged(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    manual = fake_stripe.renew(order.stripe_subscription_id)
    fake_stripe.objects[manual["id"]]["billing_reason"] = "manual"
    assert send(client, "invoice.paid", manual) == "ignored billing reason manual"
    _, other = fake_stripe.create_session(
        {"mode": "subscription", "subscription_data": {"metadata": {"order_id": str(order.pk)}}}
    )
    other = fake_stripe.pay(other["id"])
    failed = fake_stripe.renew(other["subscription"], paid=False)
    assert send(client, "invoice.payment_failed", failed) == "another subscription"
    assert Order.objects.get().status == S.AWAITING_REVIEW


def test_news_of_no_order_of_ours_is_acknowledged(client, fake_stripe):
    _, session = fake_stripe.create_session({"mode": "subscription"})
    session = fake_stripe.pay(session["id"])
    assert send(client, "checkout.session.async_payment_failed", session) == "unknown order"
    failed = fake_stripe.renew(session["subscription"], paid=False)
    assert send(client, "invoice.payment_failed", failed) == "unknown order"
    charge = fake_stripe.charge_of(session["invoice"])
    refund = fake_stripe.refund_in_dashboard(charge["id"])
    assert send(client, "refund.created", refund) == "unknown order"
    assert send(client, "charge.dispute.created", fake_stripe.open_dispute(charge["id"])) == (
        "unknown order"
    )
    assert str(WebhookEvent.objects.first()).startswith("charge.dispute.created evt_")


def test_a_refund_stripe_has_not_finished_stays_pending_until_it_has(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    charge = first_charge(fake_stripe, order)
    refund = fake_stripe.refund_in_dashboard(charge["id"])
    fake_stripe.objects[refund["id"]]["status"] = "pending"
    assert send(client, "refund.created", fake_stripe.objects[refund["id"]]) == "refund pending"
    assert Order.objects.get().status == S.AWAITING_REVIEW
    fake_stripe.objects[refund["id"]]["status"] = "succeeded"
    assert send(client, "refund.updated", fake_stripe.objects[refund["id"]]) == "refund succeeded"
    assert Order.objects.get().status == S.REFUNDED


def test_a_body_with_a_bogus_length_is_refused(client, webhook_secret):
    response = client.post(
        "/stripe/webhook/", data="{}", content_type="application/json", CONTENT_LENGTH="abc"
    )
    assert response.status_code == 400


# --- refunds that cannot go to a card, and payments from before Stripe's ids were known --------


@pytest.mark.django_db(transaction=True)
def test_a_payment_recorded_without_stripe_ids_learns_them_before_its_refund(client, fake_stripe):
    """A database from before this release has payments without a payment intent."""
    order = paid_order(client, fake_stripe)
    payment = order.payments.get()
    charge = payment.stripe_charge_id
    Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id="", stripe_charge_id="")
    refund = refund_order(order, by=None, amount_cents=2200, reason="Goodwill")
    assert refund.status == Refund.Status.SUCCEEDED
    payment.refresh_from_db()
    assert payment.stripe_charge_id == charge and payment.stripe_payment_intent_id


@pytest.mark.django_db(transaction=True)
def test_an_invoice_paid_without_a_card_cannot_be_refunded_to_one(client, fake_stripe):
    start_checkout(client)
    order = Order.objects.get()
    session = fake_stripe.pay(order.stripe_checkout_session_id)
    for obj in fake_stripe.objects.values():
        if obj["object"] == "invoice_payment":
            obj["payment"] = {"type": "out_of_band_payment"}
    send(client, "checkout.session.completed", session)
    payment = Payment.objects.get()
    assert (payment.stripe_payment_intent_id, payment.stripe_charge_id) == ("", "")
    refund = refund_order(Order.objects.get(), by=None, amount_cents=2200, reason="Goodwill")
    assert refund.status == Refund.Status.FAILED
    assert "refund it the way it was paid" in refund.failure_message
    assert Hold.objects.get().kind == Hold.Kind.REFUND_FAILED


def test_refund_order_refuses_what_it_cannot_do(test_mode):
    with pytest.raises(OrderError, match="give a reason"):
        refund_order(make_paid_order(), by=None, amount_cents=100, reason=" ")
    with pytest.raises(OrderError, match="more than"):
        refund_order(make_paid_order(), by=None, amount_cents=0, reason="x")
    with pytest.raises(OrderError, match="has not been paid"):
        refund_order(make_order(), by=None, amount_cents=100, reason="x")
    order = perform(perform(make_paid_order(make_plan(amount_cents=2200)), "approve"), "ship")
    perform(order, "ship")  # a second month paid (and shipped)
    with pytest.raises(OrderError, match=r"one monthly payment: at most \$22.00 at a time"):
        refund_order(order, by=None, amount_cents=3000, reason="Two months at once")


def test_a_cancelled_box_cannot_be_shipped(test_mode):
    order = perform(make_paid_order(), "approve")
    payment = order.payments.get()
    with TestCase.captureOnCommitCallbacks(execute=True):
        with pytest.raises(OrderError):  # nothing is refundable beyond what was paid
            request_refund(order, payment, amount_cents=9999, reason="x")
    refund_order(order, by=None, amount_cents=2200, reason="Goodwill")
    shipment = Shipment.objects.get()
    shipment.status = Shipment.Status.CANCELLED
    shipment.save()
    with pytest.raises(OrderError, match="cancelled and cannot be shipped"):
        mark_shipped(shipment, by=staff("fulfillment"), carrier="USPS", tracking_number="1")


def test_releasing_a_hold_twice_releases_it_once(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    send(
        client,
        "radar.early_fraud_warning.created",
        fake_stripe.fraud_warning(first_charge(fake_stripe, order)["id"]),
    )
    hold = Hold.objects.get()
    sign_in(client, staff("support"))
    data = {
        "action": "release_selected",
        "_selected_action": [hold.pk],
        "apply": "1",
        "outcome": "Refunded.",
    }
    client.post("/admin/orders/hold/", data)
    response = client.post("/admin/orders/hold/", data, follow=True)
    assert "0 hold(s) released" in response.content.decode()
    assert order.events.filter(kind="hold_released").count() == 1


def test_a_webhook_payload_naming_the_unknown_is_not_retried(client, fake_stripe):
    payload = event("charge.refunded", {"id": "ch_gone", "object": "charge"})
    response = deliver(client, payload)
    assert response.json()["result"] == "unknown to Stripe"


@pytest.mark.django_db(transaction=True)
def test_a_refund_stripe_answers_as_pending_is_settled_by_its_webhook(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    fake_stripe.new_refund_status = "pending"
    refund = refund_order(order, by=None, amount_cents=2200, reason="Goodwill")
    assert refund.status == Refund.Status.PENDING and refund.stripe_refund_id
    assert refund.settled_at is None
    fake_stripe.objects[refund.stripe_refund_id]["status"] = "succeeded"
    send(client, "refund.updated", fake_stripe.objects[refund.stripe_refund_id])
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.settled_at
    assert Order.objects.get().status == S.REFUNDED


def test_a_failed_payment_of_a_closed_order_changes_nothing(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    with TestCase.captureOnCommitCallbacks(execute=True):
        order = perform(order, "refund")
    failed = fake_stripe.renew(order.stripe_subscription_id, paid=False)
    assert send(client, "invoice.payment_failed", failed) == "noted"
    assert Order.objects.get().status == S.REFUNDED


def test_the_service_refuses_more_than_is_left(test_mode):
    order = make_paid_order(make_plan(amount_cents=2200))
    with pytest.raises(OrderError, match=r"Only \$22.00 of this order is left to refund"):
        refund_order(order, by=None, amount_cents=2201, reason="Too much")
