"""``manage.py stripe_reconcile``: what Stripe has and the database lacks is found, recorded
once, and printed; a second run finds nothing."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from orders.models import Hold, Order, Payment, Refund, Shipment
from tests.support.lifecycle import perform
from tests.support.stripe_world import first_charge, paid_order, send, start_checkout

# Transactional: what a difference enqueues runs when it commits, as in production.
pytestmark = pytest.mark.django_db(transaction=True)
S = Order.Status


def reconcile(since="7d"):
    out = StringIO()
    call_command("stripe_reconcile", "--since", since, stdout=out)
    return out.getvalue()


def test_a_payment_whose_webhooks_were_lost_is_found(client, fake_stripe):
    start_checkout(client)
    order = Order.objects.get()
    fake_stripe.pay(order.stripe_checkout_session_id)  # no event ever reaches us
    output = reconcile()
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW
    assert f"difference: {order.reference}: checkout" in output
    assert Payment.objects.get().stripe_charge_id
    assert "0 difference(s)" in reconcile()  # safe to run again


def test_missed_renewals_refunds_and_disputes_are_recorded_once(client, fake_stripe):
    order = perform(paid_order(client, fake_stripe), "approve")
    renewal = fake_stripe.renew(order.stripe_subscription_id)
    refund = fake_stripe.refund_in_dashboard(first_charge(fake_stripe, order)["id"], 500)
    dispute = fake_stripe.open_dispute(fake_stripe.charge_of(renewal["id"])["id"])
    output = reconcile()
    assert f"difference: invoice {renewal['id']}: payment missing (renewal recorded)" in output
    assert f"difference: refund {refund['id']}: new (refund succeeded)" in output
    assert f"difference: dispute {dispute['id']} on {order.reference}" in output
    assert Shipment.objects.filter(kind="refill").count() == 1
    assert Refund.objects.get().amount_cents == 500
    assert Hold.objects.get().kind == Hold.Kind.DISPUTE
    assert "0 difference(s)" in reconcile()


def test_a_closed_order_whose_subscription_still_runs_is_cancelled(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    fake_stripe.fail_next("DELETE", r"^/v1/subscriptions/", "lost")
    sign_in_and_decline(client, order)
    assert fake_stripe.objects[order.stripe_subscription_id]["status"] == "active"
    output = reconcile()
    assert f"{order.reference}: subscription {order.stripe_subscription_id} still active" in output
    assert fake_stripe.objects[order.stripe_subscription_id]["status"] == "canceled"


def test_a_changed_subscription_is_brought_in_line(client, fake_stripe):
    order = perform(paid_order(client, fake_stripe), "approve")
    fake_stripe.set_subscription_status(order.stripe_subscription_id, "past_due")
    output = reconcile()
    assert f"{order.reference}: subscription past_due, we had active" in output
    assert Order.objects.get().status == S.PAST_DUE


def test_refunds_stripe_never_confirmed_are_checked_then_sent_under_a_new_key(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    fake_stripe.fail_next("POST", r"^/v1/refunds$", "lost")  # never reached Stripe
    from payments.services.refunds import refund_order

    refund = refund_order(order, by=None, amount_cents=2200, reason="Goodwill")
    assert refund.status == Refund.Status.PENDING
    Refund.objects.update(created_at=refund.created_at.replace(year=2020))
    output = reconcile()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert "difference: refund settled" in output
    # Stripe has no refund of ours (its refunds listed first): the next attempt, a new key.
    keys = [key for *_, key in fake_stripe.calls("POST", r"^/v1/refunds$")]
    assert keys == [f"oana-refund-{refund.pk}-1", f"oana-refund-{refund.pk}-2"]
    assert fake_stripe.calls("GET", r"^/v1/refunds$")


def test_objects_of_no_order_of_ours_are_not_differences(client, fake_stripe):
    _, session = fake_stripe.create_session({"mode": "subscription"})
    fake_stripe.pay(session["id"])
    assert "0 difference(s)" in reconcile()


def test_bad_since_and_test_mode(settings, fake_stripe):
    with pytest.raises(CommandError, match="e.g. 7d"):
        reconcile("a week")
    with pytest.raises(CommandError):
        reconcile("0d")
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_TEST_MODE = True
    assert "nothing at Stripe to reconcile" in reconcile()


def test_stripe_unreachable_is_a_clear_error(fake_stripe):
    fake_stripe.fail_next("GET", r"^/v1/invoices$", 500)
    with pytest.raises(CommandError, match="Stripe could not be asked"):
        reconcile()


def sign_in_and_decline(client, order):
    from tests.support.staff import sign_in, staff

    sign_in(client, staff("clinician"))
    client.post(f"/admin/orders/order/{order.pk}/decline/", {"reason": "Not suitable."})
    assert Order.objects.get(pk=order.pk).status == S.DECLINED


def test_send_is_still_idempotent_after_a_reconcile(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    charge = first_charge(fake_stripe, order)
    fake_stripe.refund_in_dashboard(charge["id"])
    reconcile()
    send(client, "charge.refunded", fake_stripe.objects[charge["id"]])
    assert Refund.objects.count() == 1


def test_what_is_in_order_or_not_ours_is_no_difference(client, fake_stripe):
    start_checkout(client)  # waiting for payment, not paid at Stripe
    _, session = fake_stripe.create_session({"mode": "subscription"})
    session = fake_stripe.pay(session["id"])  # someone else's
    charge = fake_stripe.charge_of(session["invoice"])
    fake_stripe.refund_in_dashboard(charge["id"], 100)
    fake_stripe.open_dispute(charge["id"])
    assert "0 difference(s)" in reconcile()
