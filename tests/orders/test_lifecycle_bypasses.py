"""Each verb asks the lifecycle's predicate before acting, so a request that no button offers
(a hand-made POST, a second tab) is refused with a message, and nothing changes.

Found by review (issue 16): ``refund_order`` never asked ``can_refund()`` (a declined order
whose refund had failed could take a second refund by POST), ``ask_patient`` never asked
``can_ask()`` (an order a clinician had already decided could be held for a question)."""

import pytest
from django.test import TestCase
from django.utils import timezone

from orders.models import Order, Refund
from orders.services import OrderError
from patients.services.messages import ask_patient
from payments.services.refunds import refund_order
from tests.support.clinic import order_to_review
from tests.support.lifecycle import perform
from tests.support.staff import sign_in, staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_mode")]

S = Order.Status


def declined_with_a_failed_refund():
    """Declined (every payment refunded), but Stripe failed the refund: money is left."""
    order = perform(order_to_review(), "decline")
    assert order.status == S.DECLINED
    Refund.objects.filter(order=order).update(status=Refund.Status.FAILED)
    order = Order.objects.get(pk=order.pk)
    assert order.refundable_cents() == 2200 and not order.can_refund()
    return order


def test_refund_order_refuses_what_can_refund_refuses():
    order = declined_with_a_failed_refund()
    with pytest.raises(OrderError, match="cannot be refunded now: it is not approved"):
        refund_order(order, by=None, amount_cents=2200, reason="Again")
    assert Refund.objects.filter(order=order).count() == 1


def test_a_refund_post_on_an_order_that_cannot_be_refunded_is_refused(client):
    order = declined_with_a_failed_refund()
    sign_in(client, staff("support"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            f"/admin/orders/order/{order.pk}/refund/",
            {"amount": "22", "reason": "Again", "token": "a" * 32},
            follow=True,
        )
    assert response.status_code == 200
    assert "cannot be refunded now" in response.content.decode()
    assert Refund.objects.filter(order=order).count() == 1  # no second refund


def test_a_refund_of_an_order_still_open_goes_through():
    """The predicate lets through what it should: an approved order with money left."""
    order = perform(order_to_review(), "approve")
    with TestCase.captureOnCommitCallbacks(execute=True):
        refund = refund_order(order, by=None, amount_cents=1000, reason="Goodwill")
    refund.refresh_from_db()
    assert refund.amount_cents == 1000 and refund.status == Refund.Status.SUCCEEDED


def test_ask_patient_refuses_what_can_ask_refuses():
    """Awaiting review again (a payment recovered), but a clinician already decided."""
    order = order_to_review()
    Order.objects.filter(pk=order.pk).update(reviewed_at=timezone.now())
    order = Order.objects.get(pk=order.pk)
    assert order.allows("ask") and not order.can_ask()
    with pytest.raises(OrderError, match="cannot be held for a question"):
        ask_patient(order, by=staff("clinician"), question="Anything else?")
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW and order.asked_at is None
    assert not order.threads.exists()


def test_a_refund_of_an_order_with_nothing_left_says_how_much_is_left():
    order = perform(order_to_review(), "approve")
    with TestCase.captureOnCommitCallbacks(execute=True):
        refund_order(order, by=None, amount_cents=2200, reason="All of it")
    with pytest.raises(OrderError, match=r"Only \$0.00 of this order is left to refund"):
        refund_order(order, by=None, amount_cents=100, reason="More")
