"""The Stripe webhook: signed events, each processed once, in any order."""

import json
import time

import pytest
from django.core import mail

from orders.models import Order, OrderEvent, Payment, Refund, Shipment, WebhookEvent
from tests.orders.factories import make_order, make_paid_order, make_plan
from tests.orders.lifecycle import order_in
from tests.orders.stripe_helpers import (
    WEBHOOK_SECRET,
    completed_session,
    deliver,
    event,
    invoice_for,
    signed_header,
    stripe_object,
    subscription_for,
)

pytestmark = [pytest.mark.usefixtures("webhook_secret"), pytest.mark.django_db(transaction=False)]
S = Order.Status


def paid_event(order, **changes):
    return event("checkout.session.completed", completed_session(order, **changes))


def test_checkout_session_completed_marks_paid_and_stores_stripe_details(
    client, django_capture_on_commit_callbacks
):
    order = make_order(make_plan("Oral Metformin ER", 2200))
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, paid_event(order))
    assert response.status_code == 200
    assert response.json() == {"received": True, "result": "order paid"}
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW
    assert order.get_status_display() == "Awaiting clinician review"
    assert order.stripe_customer_id == "cus_QXg1o8vcGmoR32"
    assert order.stripe_subscription_id == "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw"
    assert order.address_lines == [
        "Jane Patient",
        "45 Maple Avenue",
        "Apt 3B",
        "Brooklyn, NY 11201",
        "US",
    ]
    assert order.paid_at is not None
    payment = Payment.objects.get()
    assert (payment.kind, payment.amount_cents, payment.stripe_invoice_id) == (
        "initial",
        2200,
        "in_1Pgc6tB7WZ01zgkWu9fdqL6I",
    )
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
    assert order.public_id in message.body
    assert message.alternatives[0].mimetype == "text/html"
    assert "Free" in message.alternatives[0].content
    assert WebhookEvent.objects.get().processed_at is not None


def test_same_event_delivered_twice_marks_paid_once(client, django_capture_on_commit_callbacks):
    order = make_order()
    payload = paid_event(order)
    with django_capture_on_commit_callbacks(execute=True):
        first = deliver(client, payload)
        second = deliver(client, payload)
    assert first.json()["result"] == "order paid"
    assert second.status_code == 200 and second.json()["result"] == "duplicate"
    assert order.events.filter(kind="paid").count() == 1
    assert WebhookEvent.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_second_event_for_the_same_session_changes_nothing(client):
    order = make_order()
    deliver(client, paid_event(order))
    response = deliver(client, paid_event(order))  # new event id, same session
    assert response.json()["result"] == "already paid"
    assert order.events.filter(kind="paid").count() == 1
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    "header",
    [
        "",  # missing
        "t=123,v1=deadbeef",  # forged
        signed_header("{}", WEBHOOK_SECRET),  # signature of another body
        signed_header("x", "whsec_someone_else"),
    ],
)
def test_bad_signatures_are_refused_and_change_nothing(client, header):
    order = make_order()
    payload = json.dumps(paid_event(order))
    response = client.post(
        "/stripe/webhook/",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": header} if header else {},
    )
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT
    assert WebhookEvent.objects.count() == 0


def test_wrong_secret_is_refused(client):
    order = make_order()
    response = deliver(client, paid_event(order), secret="whsec_not_ours")
    assert response.status_code == 400
    assert Order.objects.get().status == S.PENDING_PAYMENT


def test_stale_signature_is_refused(client):
    order = make_order()
    response = deliver(client, paid_event(order), timestamp=int(time.time()) - 3600)
    assert response.status_code == 400
    assert Order.objects.get().status == S.PENDING_PAYMENT
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '{"no": "id"}', "\xff"])
def test_bad_bodies_are_400(client, body):
    assert deliver(client, body).status_code == 400


def test_only_post(client):
    assert client.get("/stripe/webhook/").status_code == 405


def test_no_secret_configured_is_400(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert deliver(client, paid_event(make_order())).status_code == 400


def test_unknown_order_is_logged_and_acknowledged(client, caplog):
    session = stripe_object("checkout_session_completed", metadata={}, client_reference_id=None)
    response = deliver(client, event("checkout.session.completed", session))
    assert response.status_code == 200
    assert response.json()["result"] == "unknown order"
    assert "names no order of ours" in caplog.text
    invoice = stripe_object("invoice", billing_reason="subscription_cycle")
    assert deliver(client, event("invoice.paid", invoice)).json()["result"] == "unknown order"


def test_unhandled_event_types_are_acknowledged(client):
    response = deliver(client, event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200 and response.json()["result"] == "ignored"


def test_subscription_updated_before_checkout_completed_ends_consistent(client):
    order = make_order()
    deliver(
        client, event("customer.subscription.updated", subscription_for(order, status="active"))
    )
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT
    assert order.subscription_status == "active"
    assert order.stripe_subscription_id == "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw"

    deliver(client, paid_event(order))
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW
    assert order.subscription_status == "active"
    assert order.stripe_subscription_id == "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw"
    assert list(order.events.values_list("kind", flat=True)) == ["created", "paid"]


def test_first_invoice_paid_before_checkout_completed_is_one_payment_not_a_refill(client):
    order = make_order(make_plan(amount_cents=2200))
    invoice = invoice_for(
        order, billing_reason="subscription_create", invoice_id="in_1Pgc6tB7WZ01zgkWu9fdqL6I"
    )
    assert (
        deliver(client, event("invoice.paid", invoice)).json()["result"] == "first payment recorded"
    )
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT  # paid through checkout.session.completed
    deliver(client, paid_event(order))
    payment = Payment.objects.get()
    assert payment.kind == Payment.Kind.INITIAL
    assert payment.stripe_payment_intent_id == "pi_in_1Pgc6tB7WZ01zgkWu9fdqL6I"
    assert Shipment.objects.count() == 0
    assert Order.objects.get().status == S.AWAITING_REVIEW


def test_first_invoice_paid_after_checkout_completed_is_not_a_refill(client):
    order = make_paid_order()
    order_in(S.APPROVED, order=order)
    invoice = invoice_for(
        order, billing_reason="subscription_create", invoice_id="in_1Pgc6tB7WZ01zgkWu9fdqL6I"
    )
    deliver(client, event("invoice.paid", invoice))
    assert Payment.objects.count() == 1
    assert not Shipment.objects.filter(kind="refill").exists()


def test_renewal_for_an_approved_order_creates_one_refill(client):
    order = make_paid_order(make_plan(amount_cents=2200))
    order_in(S.APPROVED, order=order)
    renewal = event(
        "invoice.paid",
        invoice_for(order, billing_reason="subscription_cycle", invoice_id="in_renewal_1"),
    )
    assert deliver(client, renewal).json()["result"] == "renewal recorded"
    deliver(client, renewal)  # duplicate delivery
    deliver(client, {**renewal, "id": renewal["id"] + "_resent"})  # same invoice, new event
    shipment = Shipment.objects.get(kind="refill")
    assert shipment.status == "pending"
    assert shipment.payment.stripe_invoice_id == "in_renewal_1"
    assert shipment.payment.kind == Payment.Kind.RENEWAL
    assert shipment.ship_line1 == "45 Maple Avenue"
    assert order.payments.count() == 2


def test_renewal_before_approval_records_payment_without_refill(client):
    order = make_paid_order()
    invoice = invoice_for(order, billing_reason="subscription_cycle", invoice_id="in_renewal_2")
    deliver(client, event("invoice.paid", invoice))
    assert order.payments.filter(kind="renewal").count() == 1
    assert Shipment.objects.count() == 0


def test_payment_failed_makes_order_past_due_and_emails_once(
    client, django_capture_on_commit_callbacks
):
    order = make_paid_order()
    order_in(S.SHIPPED, order=order)
    mail.outbox.clear()
    invoice = invoice_for(order, billing_reason="subscription_cycle", invoice_id="in_failed_1")
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, event("invoice.payment_failed", invoice))
        deliver(
            client,
            event("customer.subscription.updated", subscription_for(order, status="past_due")),
        )
    assert response.json()["result"] == "past due"
    order.refresh_from_db()
    assert order.status == S.PAST_DUE
    assert order.subscription_status == "past_due"
    assert len(mail.outbox) == 1
    assert "did not go through" in mail.outbox[0].subject

    # The card is updated and the retry succeeds: back to shipped, and a refill.
    deliver(
        client,
        event(
            "invoice.paid",
            invoice_for(order, billing_reason="subscription_cycle", invoice_id="in_failed_1"),
        ),
    )
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert Shipment.objects.filter(kind="refill").count() == 1


def test_subscription_deleted_cancels_and_emails(client, django_capture_on_commit_callbacks):
    order = make_paid_order()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(
            client,
            event("customer.subscription.deleted", subscription_for(order, status="canceled")),
        )
    order.refresh_from_db()
    # Cancelled before a clinician reviewed it: refunded in full at once (orders/services/review.py).
    assert order.status == S.REFUNDED
    assert order.subscription_status == "canceled"
    assert order.cancelled_at is not None
    assert [m.subject for m in mail.outbox] == [
        f"Your subscription for order {order.reference} is cancelled",
        f"We refunded your payment for order {order.reference}",
    ]


def test_subscription_deleted_leaves_a_declined_order_declined(client):
    order = order_in(S.DECLINED, order=make_paid_order())
    deliver(
        client, event("customer.subscription.deleted", subscription_for(order, status="canceled"))
    )
    order.refresh_from_db()
    assert order.status == S.DECLINED and order.subscription_status == "canceled"


def test_charge_refunded_refunds_once_and_emails(client, django_capture_on_commit_callbacks):
    order = make_paid_order(make_plan(amount_cents=2200))
    invoice = invoice_for(
        order, billing_reason="subscription_create", invoice_id="in_1Pgc6tB7WZ01zgkWu9fdqL6I"
    )
    deliver(client, event("invoice.paid", invoice))
    mail.outbox.clear()
    charge = stripe_object("charge_refunded", payment_intent="pi_in_1Pgc6tB7WZ01zgkWu9fdqL6I")
    charge["refunds"]["data"][0]["payment_intent"] = charge["payment_intent"]
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, event("charge.refunded", charge))
        deliver(client, event("charge.refunded", charge))  # a second event for the same refund
    assert response.json()["result"] == "1 refund(s) recorded"
    refund = Refund.objects.get()
    assert (refund.amount_cents, refund.stripe_refund_id, refund.status) == (
        2200,
        "re_1Pgc72B7WZ01zgkWqPvrRrPE",
        "succeeded",
    )
    order.refresh_from_db()
    assert order.status == S.REFUNDED
    assert len(mail.outbox) == 1 and "$22.00" in mail.outbox[0].body


def test_partial_refund_without_refund_list_records_the_difference(client):
    make_paid_order(make_plan(amount_cents=4300))
    Payment.objects.update(stripe_payment_intent_id="pi_partial")
    charge = stripe_object(
        "charge_refunded",
        payment_intent="pi_partial",
        amount=4300,
        amount_refunded=1000,
        refunded=False,
    )
    del charge["refunds"]
    deliver(client, event("charge.refunded", charge))
    deliver(client, event("charge.refunded", charge))
    assert list(Refund.objects.values_list("amount_cents", flat=True)) == [1000]
    assert Order.objects.get().status == S.AWAITING_REVIEW


def test_a_failing_handler_stores_nothing_so_stripe_retries(client, monkeypatch):
    """A crash rolls back the event row too: Stripe's retry gets processed."""
    from orders.services import stripe_events

    order = make_order()

    def broken(session):
        raise RuntimeError("database went away")

    monkeypatch.setitem(stripe_events.HANDLERS, "checkout.session.completed", broken)
    payload = paid_event(order)
    client.raise_request_exception = False
    assert deliver(client, payload).status_code == 500
    assert WebhookEvent.objects.count() == 0
    monkeypatch.undo()
    assert deliver(client, payload).json()["result"] == "order paid"


def test_timeline_rows_are_only_written_by_real_changes(client):
    order = make_order()
    for _ in range(3):
        deliver(client, paid_event(order))
    assert OrderEvent.objects.filter(order=order).count() == 2  # created, paid
