"""Issue 18, item 1: a renewal's ``invoice.paid`` arriving before the
``checkout.session.completed`` of the same subscription is hers, never a stray payment.

Defect: it was refunded and her own subscription cancelled; the hourly reconciliation then
refunded her first month too and closed the order.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from orders.models import Order, Refund
from tests.support.factories import NO_CONCERNS, answers, make_plan
from tests.support.stripe_world import send, start_checkout

pytestmark = pytest.mark.django_db(transaction=True)
S = Order.Status


def reconcile():
    out = StringIO()
    call_command("stripe_reconcile", "--since", "7d", stdout=out)
    return out.getvalue()


def refunds_at_stripe(fake):
    return [obj for obj in fake.objects.values() if obj["object"] == "refund"]


def test_a_renewal_before_its_checkout_completes_pays_her_order(client, fake_stripe):
    start_checkout(client)
    order = Order.objects.get()
    session = fake_stripe.pay(order.stripe_checkout_session_id)
    renewal = fake_stripe.renew(session["subscription"])  # her checkout's events are late

    assert send(client, "invoice.paid", renewal) == "renewal recorded"
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW
    assert order.stripe_subscription_id == session["subscription"]
    assert sorted(order.payments.values_list("kind", flat=True)) == ["initial", "renewal"]
    assert not refunds_at_stripe(fake_stripe) and not Refund.objects.exists()
    assert fake_stripe.objects[session["subscription"]]["status"] == "active"

    # Her checkout's own events, and the hourly reconciliation, change nothing.
    assert send(client, "checkout.session.completed", session) == "already paid"
    send(client, "invoice.paid", fake_stripe.objects[session["invoice"]])
    reconcile()
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW and order.payments.count() == 2
    assert not refunds_at_stripe(fake_stripe)
    assert fake_stripe.objects[session["subscription"]]["status"] == "active"
    assert not fake_stripe.calls("DELETE")


def test_reconciliation_in_that_window_keeps_her_paying_order(client, fake_stripe):
    """Both of her webhooks lost: reconciliation finds the checkout and the renewal."""
    start_checkout(client)
    order = Order.objects.get()
    session = fake_stripe.pay(order.stripe_checkout_session_id)
    fake_stripe.renew(session["subscription"])
    reconcile()
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW and order.payments.count() == 2
    assert not refunds_at_stripe(fake_stripe)
    assert "0 difference(s)" in reconcile()


def test_an_early_renewal_of_an_old_tab_is_still_a_stray(client, fake_stripe):
    """The old session's subscription names the same order in its metadata: only the
    order's live session makes a renewal hers."""
    start_checkout(client, make_plan("Oral Metformin ER", 2200))
    order = Order.objects.get()
    stale = order.stripe_checkout_session_id
    client.post("/cart/add/", {"plan": make_plan("Spironolactone", 1400).pk})
    client.post("/checkout/", answers(**NO_CONCERNS))
    fake_stripe.objects[stale]["status"] = "open"
    session = fake_stripe.pay(stale)
    renewal = fake_stripe.renew(session["subscription"])

    assert send(client, "invoice.paid", renewal) == "stray refunded"
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT and order.stripe_subscription_id == ""
    assert [r["amount"] for r in refunds_at_stripe(fake_stripe)] == [2200]
    assert fake_stripe.objects[session["subscription"]]["status"] == "canceled"
