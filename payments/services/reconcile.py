"""Reconciliation: what Stripe has that our database lacks, found and recorded.

Webhooks can be lost (an endpoint down for longer than Stripe retries, a secret rotated
wrongly) and Stripe's answers can time out. ``reconcile(since)`` lists what Stripe has
recently: invoices, refunds, disputes and subscriptions (and the checkout sessions of orders
still waiting for payment); compares each with the database; records what is missing through
the very handlers the webhook uses (so it is idempotent: a second run finds nothing); retries
refunds Stripe never confirmed (same keys); sends the billing changes (pauses, cancellations)
still waiting to reach Stripe; and cancels subscriptions still running for orders that are
closed. It returns one line per difference found.
"""

from datetime import timedelta

from django.utils import timezone

from orders.models import Order, Payment, Refund
from payments.gateways import PaymentProviderError
from payments.services import stripe_events
from payments.services.payments import from_timestamp
from payments.services.refunds import cancel_subscription, retry_unsent_refunds
from payments.services.subscriptions import sync_billing


def reconcile(gateway, *, since):
    """Compare Stripe's objects created since ``since`` (Unix time) with ours; fix and report."""
    differences = []
    differences += _sessions(gateway, since)
    differences += _invoices(gateway, since)
    differences += _refunds(gateway, since)
    differences += _disputes(gateway, since)
    differences += _subscriptions(gateway, since)
    differences += _unsent_refunds()
    differences += _billing_waiting()
    return differences


def _sessions(gateway, since):
    """Orders still waiting for payment whose live session Stripe has as paid."""
    found = []
    waiting = Order.objects.filter(status__in=Order.statuses_allowing("pay")).exclude(
        stripe_checkout_session_id=""
    )
    for order in waiting.filter(created_at__gte=from_timestamp(since)):
        session = gateway.refresh(
            {"object": "checkout.session", "id": order.stripe_checkout_session_id}
        )
        if session.get("payment_status") == "paid":
            result = stripe_events.checkout_session_completed(session, gateway)
            found.append(f"{order.reference}: checkout {session['id']} was paid ({result})")
    return found


def _invoices(gateway, since):
    found = []
    for invoice in gateway.recent("invoice", since):
        if (
            invoice.get("status") != "paid"
            or Payment.objects.filter(stripe_invoice_id=invoice["id"]).exists()
        ):
            continue
        result = stripe_events.invoice_paid(invoice, gateway)
        if result != "unknown order":
            found.append(f"invoice {invoice['id']}: payment missing ({result})")
    return found


def _refunds(gateway, since):
    found = []
    for refund in gateway.recent("refund", since):
        known = Refund.objects.filter(stripe_refund_id=refund["id"]).first()
        if known is not None and known.status == refund.get("status"):
            continue
        result = stripe_events.refund_changed(refund, gateway)
        if result != "unknown order":
            found.append(
                f"refund {refund['id']}: {'new' if known is None else 'changed'} ({result})"
            )
    return found


def _disputes(gateway, since):
    found = []
    for dispute in gateway.recent("dispute", since):
        payment = stripe_events.payment_for_charge(dispute.get("charge"))
        if payment is None:
            continue
        hold = payment.order.holds.filter(stripe_object_id=dispute["id"]).first()
        closed = dispute.get("status") in stripe_events.DISPUTE_WON
        if hold is not None and hold.is_open != closed:
            continue
        result = stripe_events.dispute_changed(dispute, gateway)
        found.append(f"dispute {dispute['id']} on {payment.order.reference}: {result}")
    return found


def _subscriptions(gateway, since):
    found = []
    for subscription in gateway.recent("subscription", since):
        order = Order.objects.filter(stripe_subscription_id=subscription["id"]).first()
        if order is None:
            continue
        status = subscription.get("status")
        if order.is_closed() and status not in ("canceled", "incomplete_expired"):
            cancel_subscription.call(order.pk, subscription["id"])
            found.append(f"{order.reference}: subscription {subscription['id']} still {status}")
        elif status != order.subscription_status:
            stripe_events.subscription_changed(subscription, gateway)
            found.append(
                f"{order.reference}: subscription {status}, we had "
                f"{order.subscription_status or 'nothing'}"
            )
    return found


def _billing_waiting(older_than=timedelta(minutes=5)):
    """Billing changes whose task has not got them to Stripe yet (Stripe down for longer than
    the task's retries): sent again now, each read first so nothing is sent twice."""
    found = []
    waiting = Order.objects.filter(
        billing_sync_requested_at__lt=timezone.now() - older_than
    ).values_list("pk", flat=True)
    for order_id in waiting:
        try:
            outcome = sync_billing.call(order_id)
        except PaymentProviderError as error:
            outcome = f"still waiting ({error.message})"
        found.append(f"{Order(pk=order_id).reference}: billing change {outcome}")
    return found


def _unsent_refunds():
    return [f"refund {result}" for result in retry_unsent_refunds() if result != "nothing to do"]
