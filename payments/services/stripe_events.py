"""Stripe events: facts fetched from Stripe first, then each event stored once and handled.

``receive_event`` works in two steps, so that no network call is ever made inside a
database transaction:

1. *Facts first*, outside any transaction: an event says *that* something happened; what
   happened is asked of Stripe through the gateway, which answers with neutral dataclasses
   (``payments.gateways.facts``: the session, the invoice and its payments, the charge and
   its refunds, the subscription, the dispute as Stripe has them now). A stale or
   out-of-order event therefore acts on the current state, and the lifecycle table keeps a
   status from moving backwards. If Stripe cannot be reached nothing is recorded and the
   endpoint answers 503: Stripe retries.
2. One transaction: the ``WebhookEvent`` row (unique Stripe event id) and whatever the facts
   change commit together, so a duplicate delivery, even a concurrent one, finds the row and
   does nothing, and a crash leaves no trace for Stripe's retry to trip over.

Each handler does step 1 and returns either a result text (nothing to change) or the step 2
to run (a callable returning the result text); ``apply`` runs one outside the webhook
(reconciliation, the test-mode checkout). Events that name no order of ours are logged and
acknowledged.
"""

import logging
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.models import Hold, Order, Payment, WebhookEvent
from orders.services.holds import open_hold, release_hold
from payments.gateways import PaymentProviderError, get_gateway
from payments.gateways.facts import BillingReason, DisputeOutcome, PaidInvoice
from payments.gateways.stripe import event_notice
from payments.services.payments import (
    complete_checkout,
    record_initial_payment,
    record_payment_failure,
    record_renewal_payment,
    update_subscription,
)
from payments.services.refunds import settle_refund

logger = logging.getLogger(__name__)
ACTOR = "Stripe webhook"


def receive_event(event, *, gateway=None):
    """Process one verified Stripe event (a dict): facts first, then store and apply them in
    one transaction. Returns a short result text.

    Raises ``PaymentProviderError`` (nothing stored) when Stripe cannot be asked for the
    facts; the caller answers 503 so that Stripe delivers the event again.
    """
    notice = event_notice(event)
    if WebhookEvent.objects.filter(stripe_event_id=notice.event_id).exists():
        return "duplicate"  # asked of nobody: it was handled
    outcome = _facts_first(notice, gateway or get_gateway())
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(
                    stripe_event_id=notice.event_id,
                    type=notice.type,
                    livemode=notice.livemode,
                    payload=notice.payload,
                )
        except IntegrityError:
            return "duplicate"  # a concurrent delivery stored it first
        result = apply(outcome)
        record.processed_at = timezone.now()
        record.result = result[:255]
        record.save(update_fields=["processed_at", "result"])
        return result


def _facts_first(notice, gateway):
    """Step 1 for ``notice``: what Stripe has now (no transaction is open)."""
    handler = HANDLERS.get(notice.type)
    if handler is None:
        return "ignored"
    if not notice.object_id:
        logger.warning("Stripe event %s names no object", notice.event_id)
        return "no object named"
    try:
        return handler(notice.object_id, gateway)
    except PaymentProviderError as error:
        if error.code != "resource_missing":
            raise
        # Stripe does not know the object (another account's, or deleted): nothing of ours
        # to change, and a retry would not change that.
        logger.warning("Stripe event %s names an unknown object", notice.event_id)
        return "unknown to Stripe"


def apply(outcome):
    """Run what a handler found to do (its result text when there is nothing to do)."""
    return outcome() if callable(outcome) else outcome


def _order_named(order_ids):
    """The first of ``order_ids`` that is an order of ours."""
    orders = Order.objects.in_bulk(order_ids)
    return next((orders[pk] for pk in order_ids if pk in orders), None)


def _unknown(kind, object_id):
    logger.warning("Stripe %s %s names no order of ours; acknowledged and ignored", kind, object_id)
    return "unknown order"


def paid_invoice(invoice, gateway):
    """The ``PaidInvoice`` of ``invoice`` (an ``InvoiceState``): its payment ids fetched."""
    intent, charge = gateway.payment_ids(invoice.invoice_id)
    return PaidInvoice.of(invoice, payment_intent=intent, charge=charge)


# --- Checkout ---------------------------------------------------------------------------------


def checkout_session_completed(session_id, gateway):
    """``checkout.session.completed`` and ``...async_payment_succeeded``."""
    return checkout_completed(gateway.checkout_session(session_id), gateway)


def checkout_completed(checkout, gateway, *, actor_label=ACTOR):
    """``checkout`` (a ``CompletedCheckout``): its first invoice and the end of the month she
    paid for are fetched; then the order completes (or the payment is refunded as stray)."""
    order = _order_named(checkout.order_ids)
    if order is None:
        return _unknown("checkout session", checkout.session_id)
    if not checkout.paid:
        # A delayed payment method (never offered: cards only) would arrive here first.
        return "not paid yet"
    invoice = paid_invoice(gateway.first_invoice(checkout), gateway)
    subscription = gateway.subscription_state(checkout.subscription_id)
    return partial(_complete, order, checkout, invoice, subscription, actor_label)


def _complete(order, checkout, invoice, subscription, actor_label):
    result = complete_checkout(
        order,
        checkout=checkout,
        invoice=invoice,
        period_end=subscription.current_period_end,
        billing_anchor=subscription.billing_anchor,
        actor_label=actor_label,
    )
    return {"paid": "order paid", "already paid": "already paid", "stray": "stray refunded"}[result]


def checkout_async_payment_failed(session_id, gateway):
    checkout = gateway.checkout_session(session_id)
    order = _order_named(checkout.order_ids)
    if order is None:
        return _unknown("checkout session", checkout.session_id)
    return partial(_checkout_payment_failed, order)


def _checkout_payment_failed(order):
    record_payment_failure(order, reason="The delayed payment failed.", actor_label=ACTOR)
    return "noted"


def _payment_failed(order, *, reason, data):
    changed = record_payment_failure(order, reason=reason, actor_label=ACTOR, data=data)
    return "past due" if changed else "noted"


# --- invoices ---------------------------------------------------------------------------------


def _order_for_invoice(invoice):
    order = _order_named(invoice.order_ids)
    if order is None and invoice.subscription_id:
        order = Order.objects.filter(stripe_subscription_id=invoice.subscription_id).first()
    return order


def invoice_paid(invoice_id, gateway):
    return invoice_was_paid(gateway.invoice(invoice_id), gateway)


def invoice_was_paid(invoice, gateway):
    """``invoice`` (an ``InvoiceState``) was paid: its first month's or a renewal's payment."""
    order = _order_for_invoice(invoice)
    if order is None:
        return _unknown("invoice", invoice.invoice_id)
    if invoice.billing_reason == BillingReason.FIRST:
        return partial(_first_payment, order, paid_invoice(invoice, gateway))
    if invoice.billing_reason == BillingReason.RENEWAL:
        checkout_first = _checkout_not_yet_known(order, invoice, gateway)
        return partial(_renewal, order, paid_invoice(invoice, gateway), checkout_first)
    return f"ignored billing reason {invoice.other_reason}"


def _checkout_not_yet_known(order, invoice, gateway):
    """A renewal can arrive before ``checkout.session.completed`` of the same subscription
    (Stripe does not promise order; the checkout's events may have been lost for a month).
    When the subscription is the one the order's live session made, that completion is
    fetched and applied first, so the renewal is hers, never a stray to refund. The
    subscription's metadata alone cannot tell: a stray session (an old tab) names the same
    order. Returns the completion's step 2, or None."""
    if (
        invoice.subscription_id == order.stripe_subscription_id
        or not order.awaits_payment()
        or not order.stripe_checkout_session_id
    ):
        return None
    checkout = gateway.checkout_session(order.stripe_checkout_session_id)
    if not checkout.paid or checkout.subscription_id != invoice.subscription_id:
        return None  # another session's subscription: a stray payment
    return checkout_completed(checkout, gateway)


def _first_payment(order, invoice):
    payment = record_initial_payment(order, invoice=invoice)
    return "first payment recorded" if payment else "another subscription's first payment"


def _renewal(order, invoice, checkout_first=None):
    if checkout_first is not None:
        apply(checkout_first)
    payment = record_renewal_payment(order, invoice=invoice, actor_label=ACTOR)
    return "renewal recorded" if payment.kind == Payment.Kind.RENEWAL else "stray refunded"


def invoice_payment_failed(invoice_id, gateway):
    invoice = gateway.invoice(invoice_id)
    order = _order_for_invoice(invoice)
    if order is None:
        return _unknown("invoice", invoice.invoice_id)
    if invoice.paid:
        return "paid since"  # a retry went through before this event was handled
    if invoice.subscription_id != order.stripe_subscription_id:
        return "another subscription"
    return partial(
        _payment_failed,
        order,
        reason=invoice.failure_message,
        data={"invoice": invoice.invoice_id, "attempt_count": invoice.attempt_count},
    )


# --- subscriptions ----------------------------------------------------------------------------


def subscription_changed(subscription_id, gateway):
    """``customer.subscription.created/updated/deleted``: Stripe's current state counts."""
    return subscription_now(gateway.subscription_state(subscription_id))


def subscription_now(subscription):
    """``subscription`` (a ``SubscriptionState``) is what the order's subscription is now."""
    order = _order_named(subscription.order_ids)
    if order is None and subscription.subscription_id:
        order = Order.objects.filter(stripe_subscription_id=subscription.subscription_id).first()
    if order is None:
        return _unknown("subscription", subscription.subscription_id)
    return partial(_subscription_update, order, subscription)


def _subscription_update(order, subscription):
    if not update_subscription(order, subscription=subscription, actor_label=ACTOR):
        return "not the order's subscription"
    return f"subscription {subscription.status}"


# --- charges: refunds, disputes, fraud warnings ------------------------------------------------


def payment_for_charge(charge_id, payment_intent=""):
    payment = Payment.objects.filter(stripe_charge_id=charge_id).first() if charge_id else None
    if payment is None and payment_intent:
        payment = Payment.objects.filter(stripe_payment_intent_id=payment_intent).first()
    return payment


def charge_refunded(charge_id, gateway):
    """Every refund of the charge, listed from Stripe, settled once each."""
    charge = gateway.charge(charge_id)
    payment = payment_for_charge(charge.charge_id, charge.payment_intent)
    if payment is None:
        return _unknown("charge", charge.charge_id)
    return partial(_settle_refunds, gateway.refunds_of_charge(charge.charge_id), payment)


def _settle_refunds(refunds, payment):
    for refund in refunds:
        settle_refund(refund, payment=payment, actor_label=ACTOR)
    return f"{len(refunds)} refund(s) settled"


def refund_changed(refund_id, gateway):
    """``refund.created/updated/failed``: the refund as Stripe has it now."""
    return refund_now(gateway.refund(refund_id))


def refund_now(refund):
    payment = payment_for_charge(refund.charge, refund.payment_intent)
    if payment is None:
        return _unknown("refund", refund.refund_id)
    return partial(_settle_refund, refund, payment)


def _settle_refund(refund, payment):
    row = settle_refund(refund, payment=payment, actor_label=ACTOR)
    return f"refund {row.status}"


def dispute_changed(dispute_id, gateway):
    """``charge.dispute.created/updated/closed``: hold the order until Support has looked;
    a dispute won releases it, one lost stays open for Support (she has her money back)."""
    return dispute_now(gateway.dispute(dispute_id))


def dispute_now(dispute):
    payment = payment_for_charge(dispute.charge, dispute.payment_intent)
    if payment is None:
        return _unknown("dispute", dispute.dispute_id)
    return partial(_hold_for_dispute, payment.order, dispute)


def _hold_for_dispute(order, dispute):
    hold = open_hold(
        order,
        Hold.Kind.DISPUTE,
        f"The patient's bank disputes a payment ({dispute.reason or 'no reason given'}).",
        stripe_object_id=dispute.dispute_id,
    )
    if dispute.outcome == DisputeOutcome.WON:
        release_hold(hold, outcome=f"Dispute {dispute.label}.", actor_label=ACTOR)
    elif dispute.outcome == DisputeOutcome.LOST:
        Hold.objects.filter(pk=hold.pk).update(
            outcome="Dispute lost: the bank took the money back."
        )
    return f"dispute {dispute.label}"


def early_fraud_warning(warning_id, gateway):
    warning = gateway.fraud_warning(warning_id)
    payment = payment_for_charge(warning.charge)
    if payment is None:
        return _unknown("early fraud warning", warning.warning_id)
    return partial(_hold_for_fraud_warning, payment.order, warning)


def _hold_for_fraud_warning(order, warning):
    open_hold(
        order,
        Hold.Kind.FRAUD_WARNING,
        f"The card network reported possible fraud ({warning.fraud_type}). Refunding "
        "now avoids a dispute.",
        stripe_object_id=warning.warning_id,
    )
    return "on hold"


HANDLERS = {
    "checkout.session.completed": checkout_session_completed,
    "checkout.session.async_payment_succeeded": checkout_session_completed,
    "checkout.session.async_payment_failed": checkout_async_payment_failed,
    "invoice.paid": invoice_paid,
    "invoice.payment_failed": invoice_payment_failed,
    "customer.subscription.created": subscription_changed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_changed,
    "charge.refunded": charge_refunded,
    "refund.created": refund_changed,
    "refund.updated": refund_changed,
    "refund.failed": refund_changed,
    "charge.dispute.created": dispute_changed,
    "charge.dispute.updated": dispute_changed,
    "charge.dispute.closed": dispute_changed,
    "radar.early_fraud_warning.created": early_fraud_warning,
}

__all__ = ["HANDLERS", "apply", "receive_event"]
