"""Reconciliation: what Stripe has that our database lacks, found and recorded.

Webhooks can be lost (an endpoint down for longer than Stripe retries, a secret rotated
wrongly) and Stripe's answers can time out. ``reconcile(since)`` lists what Stripe has
recently: invoices, refunds, disputes and subscriptions (and the checkout sessions of orders
still waiting for payment); compares each with the database; records what is missing through
the very handlers the webhook uses (so it is idempotent: a second run finds nothing); retries
refunds Stripe never confirmed (same keys); sends the billing changes (pauses, cancellations)
still waiting to reach Stripe, and the subscription items of packs a clinician changed; and
cancels subscriptions still running for orders that are closed. It returns one line per
difference found.
"""

from datetime import timedelta

from django.utils import timezone

from clinic.services.packs import change_subscription_item, items_waiting
from orders.models import Order, Payment, Refund
from payments.gateways import PaymentProviderError
from payments.gateways.facts import DisputeOutcome, from_timestamp
from payments.services import stripe_events
from payments.services.refunds import cancel_subscription, retry_unsent_refunds
from payments.services.stripe_events import apply
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
    differences += _items_waiting()
    return differences


def _sessions(gateway, since):
    """Orders still waiting for payment whose live session Stripe has as paid."""
    found = []
    waiting = Order.objects.filter(status__in=Order.statuses_allowing("pay")).exclude(
        stripe_checkout_session_id=""
    )
    for order in waiting.filter(created_at__gte=from_timestamp(since)):
        checkout = gateway.checkout_session(order.stripe_checkout_session_id)
        if checkout.paid:
            result = apply(stripe_events.checkout_completed(checkout, gateway))
            found.append(f"{order.reference}: checkout {checkout.session_id} was paid ({result})")
    return found


def _invoices(gateway, since):
    found = []
    for invoice in gateway.recent("invoice", since):
        if (
            not invoice.paid
            or Payment.objects.filter(stripe_invoice_id=invoice.invoice_id).exists()
        ):
            continue
        result = apply(stripe_events.invoice_was_paid(invoice, gateway))
        if result != "unknown order":
            found.append(f"invoice {invoice.invoice_id}: payment missing ({result})")
    return found


def _refunds(gateway, since):
    found = []
    for refund in gateway.recent("refund", since):
        known = Refund.objects.filter(stripe_refund_id=refund.refund_id).first()
        if known is not None and known.status == refund.status:
            continue
        result = apply(stripe_events.refund_now(refund))
        if result != "unknown order":
            found.append(
                f"refund {refund.refund_id}: {'new' if known is None else 'changed'} ({result})"
            )
    return found


def _disputes(gateway, since):
    found = []
    for dispute in gateway.recent("dispute", since):
        payment = stripe_events.payment_for_charge(dispute.charge)
        if payment is None:
            continue
        hold = payment.order.holds.filter(stripe_object_id=dispute.dispute_id).first()
        closed = dispute.outcome == DisputeOutcome.WON
        if hold is not None and hold.is_open != closed:
            continue
        result = apply(stripe_events.dispute_now(dispute))
        found.append(f"dispute {dispute.dispute_id} on {payment.order.reference}: {result}")
    return found


def _subscriptions(gateway, since):
    found = []
    for subscription in gateway.recent("subscription", since):
        subscription_id = subscription.subscription_id
        order = Order.objects.filter(stripe_subscription_id=subscription_id).first()
        if order is None:
            continue
        status = subscription.status
        if order.is_closed() and not subscription.ended:
            cancel_subscription.call(order.pk, subscription_id)
            found.append(f"{order.reference}: subscription {subscription_id} still {status}")
        elif status != order.subscription_status:
            apply(stripe_events.subscription_now(subscription))
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


def _items_waiting(older_than=timedelta(minutes=5)):
    """Packs a clinician changed whose subscription item has not followed at Stripe (Stripe
    down for longer than the task's retries): sent again now, read first, never twice."""
    found = []
    for line in items_waiting().filter(converted_at__lt=timezone.now() - older_than):
        try:
            outcome = change_subscription_item.call(line.pk)
        except PaymentProviderError as error:
            outcome = f"still waiting ({error.message})"
        found.append(
            f"{line.order.reference}: subscription item of {line.treatment_name} {outcome}"
        )
    return found
