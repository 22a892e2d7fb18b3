"""The order verbs refuse what is not allowed, with a message a person can read."""

import pytest

from orders.models import Order
from orders.services import OrderError
from payments.services.payments import (
    cancel_order,
    complete_checkout,
    mark_past_due,
    record_renewal_payment,
)
from payments.services.refunds import request_refund
from tests.support.factories import (
    completed_checkout,
    make_order,
    make_paid_order,
    make_plan,
    paid_invoice_for,
    pay,
)
from tests.support.lifecycle import order_in

pytestmark = pytest.mark.django_db
S = Order.Status


def test_an_unpaid_order_is_not_cancelled_and_stays_payable():
    """A subscription that ends before checkout completed leaves the order waiting."""
    order = make_order()
    assert cancel_order(order, actor_label="patient") is False
    assert Order.objects.get().status == S.PENDING_PAYMENT
    assert pay(order).status == S.AWAITING_REVIEW


def test_a_late_checkout_completion_leaves_a_declined_order_declined():
    order = order_in(S.DECLINED)
    checkout = completed_checkout(order)
    assert complete_checkout(order, checkout=checkout, invoice=paid_invoice_for(order)) == (
        "already paid"
    )
    assert Order.objects.get().status == S.DECLINED


def test_only_running_orders_become_past_due():
    with pytest.raises(OrderError, match="cannot be marked past due now"):
        mark_past_due(make_order())
    order = make_paid_order()
    assert mark_past_due(order) is True
    assert mark_past_due(order) is False  # already past due
    assert order.events.filter(kind="payment_failed").count() == 1


def test_refunds_cannot_exceed_what_a_payment_has_left():
    order = make_paid_order(make_plan(amount_cents=2200))
    payment = order.payments.get()
    request_refund(order, payment, amount_cents=1200, reason="Goodwill")
    with pytest.raises(OrderError, match=r"Only \$10.00 of that payment is left to refund"):
        request_refund(order, payment, amount_cents=1100, reason="Too much")
    with pytest.raises(OrderError, match="more than"):
        request_refund(order, payment, amount_cents=0, reason="Nothing")
    assert order.refundable_cents() == 1000  # the pending refund is reserved


def test_cancel_leaves_closed_orders_alone():
    order = order_in(S.DECLINED, order=make_paid_order())
    assert cancel_order(order) is False
    assert Order.objects.get().status == S.DECLINED


def test_renewal_for_a_shipped_order_makes_a_refill_with_the_order_address():
    order = order_in(S.SHIPPED, order=make_paid_order())
    invoice = paid_invoice_for(order, invoice_id="in_cycle_9")
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
