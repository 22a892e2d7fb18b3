"""The Stripe webhook: signed events, each processed once, in any order, with the facts
fetched from (the fake) Stripe rather than read off the payload."""

import json
import time

import pytest
from django.core import mail

from orders.models import Order, OrderEvent, Payment, Refund, Shipment, WebhookEvent
from tests.support.factories import make_plan
from tests.support.lifecycle import perform
from tests.support.stripe_helpers import WEBHOOK_SECRET, deliver, event, signed_header
from tests.support.stripe_world import first_charge, paid_order, send, start_checkout

pytestmark = pytest.mark.django_db
S = Order.Status


def completed(fake, order=None):
    """She pays the order's live session at (fake) Stripe; returns the completed session."""
    order = order or Order.objects.get()
    return fake.pay(order.stripe_checkout_session_id)


def test_checkout_session_completed_marks_paid_with_facts_from_stripe(client, fake_stripe):
    start_checkout(client, make_plan("Oral Metformin ER", 2200))
    session = completed(fake_stripe)
    assert send(client, "checkout.session.completed", session) == "order paid"
    order = Order.objects.get()
    assert order.status == S.AWAITING_REVIEW
    assert order.get_status_display() == "Awaiting clinician review"
    assert order.stripe_customer_id == session["customer"]
    assert order.stripe_subscription_id == session["subscription"]
    assert order.subscription_status == "active"
    assert order.address_lines == [
        "Jane Patient",
        "45 Maple Avenue",
        "Apt 3B",
        "Brooklyn, NY 11201",
        "US",
    ]
    # Defect: no payment ever learned its payment intent (the code read keys that an
    # invoice in an event never has). Now both come from Stripe.
    payment = Payment.objects.get()
    charge = fake_stripe.charge_of(session["invoice"])
    assert (payment.kind, payment.amount_cents, payment.stripe_invoice_id) == (
        "initial",
        2200,
        session["invoice"],
    )
    assert payment.stripe_charge_id == charge["id"]
    assert payment.stripe_payment_intent_id == charge["payment_intent"]
    assert fake_stripe.calls("GET", r"^/v1/invoice_payments$")
    paid = order.events.get(kind="paid")
    assert (paid.from_status, paid.to_status, paid.actor_label) == (
        "pending_payment",
        "awaiting_review",
        "Stripe webhook",
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jane@example.com"]
    assert message.subject == f"We received your order {order.reference}"
    assert "Oral Metformin ER (Monthly): $22.00/month" in message.body
    assert "Shipping: Free" in message.body
    assert message.alternatives[0].mimetype == "text/html"
    assert WebhookEvent.objects.get().processed_at is not None


def test_the_payload_is_not_trusted_stripe_is_asked(client, fake_stripe):
    """An event whose payload says "paid" for a session Stripe has as unpaid pays nothing."""
    start_checkout(client)
    order = Order.objects.get()
    forged = {**fake_stripe.objects[order.stripe_checkout_session_id]}
    forged.update(status="complete", payment_status="paid", amount_total=1)
    assert send(client, "checkout.session.completed", forged) == "not paid yet"
    assert Order.objects.get().status == S.PENDING_PAYMENT


def test_same_event_delivered_twice_marks_paid_once(client, fake_stripe):
    start_checkout(client)
    payload = event("checkout.session.completed", completed(fake_stripe))
    first = deliver(client, payload)
    second = deliver(client, payload)
    assert first.json()["result"] == "order paid"
    assert second.status_code == 200 and second.json()["result"] == "duplicate"
    order = Order.objects.get()
    assert order.events.filter(kind="paid").count() == 1
    assert WebhookEvent.objects.count() == 1


def test_a_second_event_for_the_same_session_changes_nothing(client, fake_stripe):
    start_checkout(client)
    session = completed(fake_stripe)
    send(client, "checkout.session.completed", session)
    assert send(client, "checkout.session.completed", session) == "already paid"
    for _ in range(2):
        send(client, "invoice.paid", fake_stripe.objects[session["invoice"]])
    order = Order.objects.get()
    assert order.events.filter(kind="paid").count() == 1
    assert Payment.objects.count() == 1
    assert OrderEvent.objects.filter(order=order).count() == 2  # created, paid


@pytest.mark.parametrize(
    "header",
    [
        "",  # missing
        "t=123,v1=deadbeef",  # forged
        signed_header("{}", WEBHOOK_SECRET),  # signature of another body
        signed_header("x", "whsec_someone_else"),
    ],
)
def test_bad_signatures_are_refused_and_change_nothing(client, webhook_secret, header):
    payload = json.dumps(event("checkout.session.completed", {"id": "cs_1"}))
    response = client.post(
        "/stripe/webhook/",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": header} if header else {},
    )
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_wrong_secret_and_stale_signatures_are_refused(client, webhook_secret):
    payload = event("checkout.session.completed", {"id": "cs_1"})
    assert deliver(client, payload, secret="whsec_not_ours").status_code == 400
    assert deliver(client, payload, timestamp=int(time.time()) - 3600).status_code == 400
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '{"no": "id"}', "\xff"])
def test_bad_bodies_are_400(client, webhook_secret, body):
    assert deliver(client, body).status_code == 400


def test_only_post(client):
    assert client.get("/stripe/webhook/").status_code == 405


def test_no_secret_configured_is_400(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert deliver(client, event("invoice.paid", {"id": "in_1"})).status_code == 400


def test_objects_of_no_order_of_ours_are_logged_and_acknowledged(client, fake_stripe, caplog):
    """Like ``stripe trigger``: real Stripe objects that name no order of ours."""
    _, session = fake_stripe.create_session({"mode": "subscription"})
    session = fake_stripe.pay(session["id"])
    assert send(client, "checkout.session.completed", session) == "unknown order"
    assert "names no order of ours" in caplog.text
    invoice = fake_stripe.objects[session["invoice"]]
    assert send(client, "invoice.paid", invoice) == "unknown order"
    charge = fake_stripe.charge_of(invoice["id"])
    assert send(client, "charge.refunded", charge) == "unknown order"
    subscription = fake_stripe.objects[session["subscription"]]
    assert send(client, "customer.subscription.updated", subscription) == "unknown order"
    # An object Stripe itself does not know (another account's): acknowledged, not retried.
    assert send(client, "invoice.paid", {"id": "in_unknown", "object": "invoice"}) == (
        "unknown to Stripe"
    )


def test_unhandled_event_types_are_acknowledged(client, webhook_secret):
    response = deliver(client, event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200 and response.json()["result"] == "ignored"


def test_stripe_unreachable_stores_nothing_so_its_retry_is_processed(client, fake_stripe):
    start_checkout(client)
    payload = event("checkout.session.completed", completed(fake_stripe))
    fake_stripe.fail_next("GET", r"^/v1/checkout/sessions/", "lost")
    assert deliver(client, payload).status_code == 503
    assert WebhookEvent.objects.count() == 0
    assert Order.objects.get().status == S.PENDING_PAYMENT
    assert deliver(client, payload).json()["result"] == "order paid"  # Stripe's retry


def test_events_in_any_order_end_consistent(client, fake_stripe):
    """Subscription and first invoice before the session: one payment, paid once, no refill."""
    start_checkout(client)
    session = completed(fake_stripe)
    subscription = fake_stripe.objects[session["subscription"]]
    assert send(client, "customer.subscription.created", subscription) == (
        "not the order's subscription"
    )
    invoice = fake_stripe.objects[session["invoice"]]
    assert send(client, "invoice.paid", invoice) == "first payment recorded"
    order = Order.objects.get()
    assert order.status == S.PENDING_PAYMENT  # paid through checkout.session.completed
    assert send(client, "checkout.session.completed", session) == "order paid"
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW
    assert order.stripe_subscription_id == subscription["id"]
    assert Payment.objects.get().kind == Payment.Kind.INITIAL
    assert not Shipment.objects.exists()
    assert list(order.events.values_list("kind", flat=True)) == ["created", "paid"]


def test_renewal_for_an_approved_order_creates_one_refill(client, fake_stripe):
    order = perform(paid_order(client, fake_stripe), "approve")
    renewal = fake_stripe.renew(order.stripe_subscription_id)
    assert send(client, "invoice.paid", renewal) == "renewal recorded"
    send(client, "invoice.paid", renewal)  # the same invoice, another event
    shipment = Shipment.objects.get(kind="refill")
    assert shipment.status == "pending"
    assert shipment.payment.stripe_invoice_id == renewal["id"]
    assert shipment.payment.stripe_charge_id == fake_stripe.charge_of(renewal["id"])["id"]
    assert shipment.ship_line1 == "45 Maple Avenue"
    assert order.payments.count() == 2


def test_renewal_before_approval_records_payment_without_refill(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    send(client, "invoice.paid", fake_stripe.renew(order.stripe_subscription_id))
    assert order.payments.filter(kind="renewal").count() == 1
    assert not Shipment.objects.exists()


def test_payment_failed_makes_the_order_past_due_and_the_retry_brings_it_back(client, fake_stripe):
    order = perform(perform(paid_order(client, fake_stripe), "approve"), "ship")
    mail.outbox.clear()
    failed = fake_stripe.renew(order.stripe_subscription_id, paid=False)
    assert send(client, "invoice.payment_failed", failed) == "past due"
    fake_stripe.set_subscription_status(order.stripe_subscription_id, "past_due")
    send(client, "customer.subscription.updated", fake_stripe.objects[order.stripe_subscription_id])
    order.refresh_from_db()
    assert order.status == S.PAST_DUE
    assert order.subscription_status == "past_due"
    assert [m.subject for m in mail.outbox] == [
        f"Your payment for order {order.reference} did not go through"
    ]

    # She updates her card and Stripe's retry succeeds: back to shipped, and a refill.
    fake_stripe.pay_invoice(failed["id"])
    fake_stripe.set_subscription_status(order.stripe_subscription_id, "active")
    send(client, "invoice.paid", fake_stripe.objects[failed["id"]])
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert Shipment.objects.filter(kind="refill").count() == 1


def test_stale_events_never_move_a_status_backwards_or_send_false_emails(client, fake_stripe):
    """Defect: a payment_failed handled after the retry had paid made the order past due
    (and emailed her) although she had paid."""
    order = perform(paid_order(client, fake_stripe), "approve")
    failed = fake_stripe.renew(order.stripe_subscription_id, paid=False)
    stale = event("invoice.payment_failed", failed)  # sent when it failed...
    fake_stripe.pay_invoice(failed["id"])
    send(client, "invoice.paid", fake_stripe.objects[failed["id"]])
    mail.outbox.clear()
    assert deliver(client, stale).json()["result"] == "paid since"  # ...handled after
    stale_subscription = {**fake_stripe.objects[order.stripe_subscription_id], "status": "past_due"}
    send(client, "customer.subscription.updated", stale_subscription)  # Stripe says active
    order.refresh_from_db()
    assert order.status == S.APPROVED
    assert order.subscription_status == "active"
    assert mail.outbox == []


def test_subscription_deleted_cancels_and_refunds_an_unreviewed_order(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    mail.outbox.clear()
    fake_stripe.cancel_subscription({}, order.stripe_subscription_id)
    send(client, "customer.subscription.deleted", fake_stripe.objects[order.stripe_subscription_id])
    order.refresh_from_db()
    # Cancelled before a clinician reviewed it: refunded in full at once.
    assert order.status == S.REFUNDED
    assert order.subscription_status == "canceled"
    assert order.cancelled_at is not None
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.SUCCEEDED
    assert fake_stripe.objects[refund.stripe_refund_id]["amount"] == 2200
    assert [m.subject for m in mail.outbox] == [
        f"Your subscription for order {order.reference} is cancelled",
        f"We refunded your payment for order {order.reference}",
    ]


def test_news_of_another_subscription_never_touches_the_order(client, fake_stripe):
    """Defect: cancelling a stray subscription overwrote the order's subscription id and
    cancelled the order while its real subscription kept charging."""
    order = paid_order(client, fake_stripe)
    _, other = fake_stripe.create_session(
        {"mode": "subscription", "subscription_data": {"metadata": {"order_id": str(order.pk)}}}
    )
    other = fake_stripe.pay(other["id"])
    fake_stripe.cancel_subscription({}, other["subscription"])
    result = send(
        client, "customer.subscription.deleted", fake_stripe.objects[other["subscription"]]
    )
    assert result == "not the order's subscription"
    fresh = Order.objects.get(pk=order.pk)
    assert fresh.stripe_subscription_id == order.stripe_subscription_id
    assert fresh.status == S.AWAITING_REVIEW


def test_a_refund_in_the_dashboard_is_recorded_once_and_emailed(client, fake_stripe):
    """Defect: a refund made in Stripe's dashboard arrived as "unknown order" and was lost."""
    order = paid_order(client, fake_stripe)
    mail.outbox.clear()
    charge = first_charge(fake_stripe, order)
    refund = fake_stripe.refund_in_dashboard(charge["id"])
    assert (
        send(client, "charge.refunded", fake_stripe.objects[charge["id"]]) == "1 refund(s) settled"
    )
    send(client, "charge.refunded", fake_stripe.objects[charge["id"]])  # another delivery
    assert send(client, "refund.updated", refund) == "refund succeeded"
    row = Refund.objects.get()
    assert (row.amount_cents, row.status, row.stripe_refund_id) == (2200, "succeeded", refund["id"])
    order.refresh_from_db()
    assert order.status == S.REFUNDED
    assert [m.subject for m in mail.outbox] == [
        f"We refunded your payment for order {order.reference}"
    ]


def test_a_dashboard_refund_of_one_month_refunds_that_month_only(client, fake_stripe):
    order = perform(perform(paid_order(client, fake_stripe), "approve"), "ship")
    renewal = fake_stripe.renew(order.stripe_subscription_id)
    send(client, "invoice.paid", renewal)
    refill = Shipment.objects.get(kind="refill")
    charge = fake_stripe.charge_of(renewal["id"])
    fake_stripe.refund_in_dashboard(charge["id"])
    send(client, "charge.refunded", fake_stripe.objects[charge["id"]])
    order.refresh_from_db()
    assert order.status == S.SHIPPED  # the first month stands
    refill.refresh_from_db()
    assert refill.status == Shipment.Status.CANCELLED  # the refunded month does not ship
    assert fake_stripe.objects[order.stripe_subscription_id]["status"] == "active"


def test_charge_news_about_no_payment_of_ours_is_acknowledged(client, fake_stripe):
    warning = fake_stripe.fraud_warning("ch_not_ours")
    assert send(client, "radar.early_fraud_warning.created", warning) == "unknown order"
