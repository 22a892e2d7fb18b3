"""The order verbs refuse what is not allowed, with a message a person can read."""

import pytest

from orders.models import Order
from orders.services import OrderError
from orders.services.payments import (
    cancel_order,
    mark_order_paid,
    mark_past_due,
    record_refund,
    record_renewal_payment,
)
from tests.orders.factories import make_order, make_paid_order, make_plan
from tests.orders.lifecycle import order_in
from tests.orders.stripe_helpers import completed_session, invoice_for

pytestmark = pytest.mark.django_db
S = Order.Status


def test_an_unpaid_order_is_not_cancelled_and_stays_payable():
    """A subscription that ends before checkout completed leaves the order waiting."""
    order = make_order()
    assert cancel_order(order, actor_label="patient") is False
    assert Order.objects.get().status == S.PENDING_PAYMENT
    assert mark_order_paid(order, session=completed_session(order)) is True


def test_a_late_checkout_completion_leaves_a_declined_order_declined():
    order = order_in(S.DECLINED)
    assert mark_order_paid(order, session=completed_session(order)) is False
    assert Order.objects.get().status == S.DECLINED


def test_an_unpaid_checkout_session_does_not_mark_paid():
    order = make_order()
    with pytest.raises(OrderError, match="not paid yet"):
        mark_order_paid(order, session=completed_session(order, payment_status="unpaid"))
    assert Order.objects.get().status == S.PENDING_PAYMENT


def test_only_running_orders_become_past_due():
    with pytest.raises(OrderError, match="cannot be marked past due now"):
        mark_past_due(make_order())
    order = make_paid_order()
    assert mark_past_due(order) is True
    assert mark_past_due(order) is False  # already past due
    assert order.events.filter(kind="payment_failed").count() == 1


def test_refunds_cannot_exceed_what_was_paid():
    order = make_paid_order(make_plan(amount_cents=2200))
    record_refund(order, amount_cents=1200, reason="Goodwill", actor_label="Support")
    with pytest.raises(OrderError, match=r"Only \$10.00 of this order is left to refund"):
        record_refund(order, amount_cents=1100, reason="Too much", actor_label="Support")
    with pytest.raises(OrderError):
        record_refund(order, amount_cents=0, reason="Nothing", actor_label="Support")
    record_refund(order, amount_cents=1000, reason="The rest", actor_label="Support")
    assert Order.objects.get().status == S.REFUNDED


def test_cancel_leaves_closed_orders_alone():
    order = order_in(S.DECLINED, order=make_paid_order())
    assert cancel_order(order) is False
    assert Order.objects.get().status == S.DECLINED


def test_renewal_for_a_shipped_order_makes_a_refill_with_the_order_address():
    order = order_in(S.SHIPPED, order=make_paid_order())
    invoice = invoice_for(order, billing_reason="subscription_cycle", invoice_id="in_cycle_9")
    payment = record_renewal_payment(order, invoice=invoice)
    assert payment.kind == "renewal"
    refill = order.shipments.get(kind="refill")
    assert (refill.kind, refill.payment_id, refill.ship_postal_code) == (
        "refill",
        payment.pk,
        "11201",
    )
    assert record_renewal_payment(order, invoice=invoice).pk == payment.pk
    assert order.shipments.filter(kind="refill").count() == 1
