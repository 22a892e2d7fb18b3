"""Stripe events: each stored once, then handled with facts fetched from Stripe.

``receive_event`` runs in one transaction: the ``WebhookEvent`` row (unique Stripe event
id) and whatever the event changes commit together, so a duplicate delivery, even a
concurrent one, finds the row and does nothing, and a crash leaves no trace for Stripe's
retry to trip over.

An event says *that* something happened; what happened is asked of Stripe: each handler
retrieves the object (session, invoice and its payments, charge and its refunds,
subscription, dispute) as Stripe has it now, so a stale or out-of-order event acts on the
current state, and the lifecycle table keeps a status from moving backwards. If Stripe
cannot be reached the event is not recorded and the endpoint answers 503: Stripe retries.
Events that name no order of ours are logged and acknowledged.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.models import Hold, Order, Payment, WebhookEvent
from orders.services.holds import open_hold, release_hold
from payments.gateways import PaymentProviderError, get_gateway
from payments.services.payments import (
    PaidInvoice,
    complete_checkout,
    invoice_subscription_id,
    record_initial_payment,
    record_payment_failure,
    record_renewal_payment,
    update_subscription,
)
from payments.services.refunds import settle_refund
from payments.services.subscriptions import current_period_end

logger = logging.getLogger(__name__)
ACTOR = "Stripe webhook"


def receive_event(event, *, gateway=None):
    """Store and process one verified Stripe event (a dict). Returns a short result text.

    Raises ``PaymentProviderError`` (nothing stored) when Stripe cannot be asked for the
    facts; the caller answers 503 so that Stripe delivers the event again.
    """
    gateway = gateway or get_gateway()
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(
                    stripe_event_id=event["id"],
                    type=event.get("type", ""),
                    livemode=bool(event.get("livemode")),
                    payload=event,
                )
        except IntegrityError:
            return "duplicate"
        handler = HANDLERS.get(record.type)
        obj = (event.get("data") or {}).get("object") or {}
        if handler is None:
            result = "ignored"
        else:
            try:
                result = handler(obj, gateway)
            except PaymentProviderError as error:
                if error.code != "resource_missing":
                    raise
                # Stripe does not know the object (another account's, or deleted): nothing
                # of ours to change, and a retry would not change that.
                logger.warning("Stripe event %s names an unknown object", record.stripe_event_id)
                result = "unknown to Stripe"
        record.processed_at = timezone.now()
        record.result = result[:255]
        record.save(update_fields=["processed_at", "result"])
        return result


def _order_from_metadata(metadata):
    order_id = (metadata or {}).get("order_id")
    if order_id and str(order_id).isdigit():
        return Order.objects.filter(pk=int(order_id)).first()
    return None


def _unknown(kind, object_id):
    logger.warning("Stripe %s %s names no order of ours; acknowledged and ignored", kind, object_id)
    return "unknown order"


def paid_invoice(invoice, gateway):
    """The ``PaidInvoice`` facts of ``invoice`` (its payment intent and charge fetched)."""
    intent, charge = gateway.payment_ids(invoice["id"])
    return PaidInvoice.from_invoice(invoice, payment_intent=intent, charge=charge)


# --- Checkout ---------------------------------------------------------------------------------


def checkout_session_completed(session, gateway, *, actor_label=ACTOR):
    """``checkout.session.completed`` and ``...async_payment_succeeded``."""
    session = gateway.refresh(session)
    order = _order_from_metadata(session.get("metadata"))
    if order is None and str(session.get("client_reference_id") or "").isdigit():
        order = Order.objects.filter(pk=int(session["client_reference_id"])).first()
    if order is None:
        return _unknown("checkout session", session.get("id"))
    if session.get("payment_status") != "paid":
        # A delayed payment method (never offered: cards only) would arrive here first.
        return "not paid yet"
    invoice = gateway.invoice_of_session(session)
    subscription = gateway.refresh({"object": "subscription", "id": session["subscription"]})
    result = complete_checkout(
        order,
        session=session,
        invoice=paid_invoice(invoice, gateway),
        period_end=current_period_end(subscription),
        actor_label=actor_label,
    )
    return {"paid": "order paid", "already paid": "already paid", "stray": "stray refunded"}[result]


def checkout_async_payment_failed(session, gateway):
    session = gateway.refresh(session)
    order = _order_from_metadata(session.get("metadata"))
    if order is None:
        return _unknown("checkout session", session.get("id"))
    record_payment_failure(order, reason="The delayed payment failed.", actor_label=ACTOR)
    return "noted"


# --- invoices ---------------------------------------------------------------------------------


def _order_for_invoice(invoice):
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    order = _order_from_metadata(details.get("metadata"))
    subscription_id = invoice_subscription_id(invoice)
    if order is None and subscription_id:
        order = Order.objects.filter(stripe_subscription_id=subscription_id).first()
    return order


def invoice_paid(invoice, gateway):
    invoice = gateway.refresh(invoice)
    order = _order_for_invoice(invoice)
    if order is None:
        return _unknown("invoice", invoice.get("id"))
    reason = invoice.get("billing_reason")
    if reason == "subscription_create":
        payment = record_initial_payment(order, invoice=paid_invoice(invoice, gateway))
        return "first payment recorded" if payment else "another subscription's first payment"
    if reason == "subscription_cycle":
        payment = record_renewal_payment(
            order, invoice=paid_invoice(invoice, gateway), actor_label=ACTOR
        )
        return "renewal recorded" if payment.kind == Payment.Kind.RENEWAL else "stray refunded"
    return f"ignored billing reason {reason}"


def invoice_payment_failed(invoice, gateway):
    invoice = gateway.refresh(invoice)
    order = _order_for_invoice(invoice)
    if order is None:
        return _unknown("invoice", invoice.get("id"))
    if invoice.get("status") == "paid":
        return "paid since"  # a retry went through before this event was handled
    if invoice_subscription_id(invoice) != order.stripe_subscription_id:
        return "another subscription"
    changed = record_payment_failure(
        order,
        reason=(invoice.get("last_finalization_error") or {}).get("message") or "",
        actor_label=ACTOR,
        data={"invoice": invoice.get("id"), "attempt_count": invoice.get("attempt_count")},
    )
    return "past due" if changed else "noted"


# --- subscriptions ----------------------------------------------------------------------------


def subscription_changed(subscription, gateway):
    """``customer.subscription.created/updated/deleted``: Stripe's current state counts."""
    subscription = gateway.refresh(subscription)
    order = _order_from_metadata(subscription.get("metadata"))
    if order is None and subscription.get("id"):
        order = Order.objects.filter(stripe_subscription_id=subscription["id"]).first()
    if order is None:
        return _unknown("subscription", subscription.get("id"))
    if not update_subscription(order, subscription=subscription, actor_label=ACTOR):
        return "not the order's subscription"
    return f"subscription {subscription.get('status')}"


# --- charges: refunds, disputes, fraud warnings ------------------------------------------------


def payment_for_charge(charge_id, payment_intent=""):
    payment = Payment.objects.filter(stripe_charge_id=charge_id).first() if charge_id else None
    if payment is None and payment_intent:
        payment = Payment.objects.filter(stripe_payment_intent_id=payment_intent).first()
    return payment


def charge_refunded(charge, gateway):
    """Every refund of the charge, listed from Stripe, settled once each."""
    charge = gateway.refresh(charge)
    payment = payment_for_charge(charge.get("id"), charge.get("payment_intent") or "")
    if payment is None:
        return _unknown("charge", charge.get("id"))
    refunds = gateway.refunds_of_charge(charge["id"])
    for refund in refunds:
        settle_refund(refund, payment=payment, actor_label=ACTOR)
    return f"{len(refunds)} refund(s) settled"


def refund_changed(refund, gateway):
    """``refund.created/updated/failed``: the refund as Stripe has it now."""
    refund = gateway.refresh(refund)
    payment = payment_for_charge(refund.get("charge"), refund.get("payment_intent") or "")
    if payment is None:
        return _unknown("refund", refund.get("id"))
    row = settle_refund(refund, payment=payment, actor_label=ACTOR)
    return f"refund {row.status}"


DISPUTE_WON = ("won", "warning_closed")


def dispute_changed(dispute, gateway):
    """``charge.dispute.created/updated/closed``: hold the order until Support has looked;
    a dispute won releases it, one lost stays open for Support (she has her money back)."""
    dispute = gateway.refresh(dispute)
    payment = payment_for_charge(dispute.get("charge"), dispute.get("payment_intent") or "")
    if payment is None:
        return _unknown("dispute", dispute.get("id"))
    status = dispute.get("status")
    hold = open_hold(
        payment.order,
        Hold.Kind.DISPUTE,
        f"The patient's bank disputes a payment ({dispute.get('reason') or 'no reason given'}).",
        stripe_object_id=dispute["id"],
    )
    if status in DISPUTE_WON:
        release_hold(hold, outcome=f"Dispute {status}.", actor_label=ACTOR)
    elif status == "lost":
        Hold.objects.filter(pk=hold.pk).update(
            outcome="Dispute lost: the bank took the money back."
        )
    return f"dispute {status}"


def early_fraud_warning(warning, gateway):
    warning = gateway.refresh(warning)
    payment = payment_for_charge(warning.get("charge"))
    if payment is None:
        return _unknown("early fraud warning", warning.get("id"))
    open_hold(
        payment.order,
        Hold.Kind.FRAUD_WARNING,
        f"The card network reported possible fraud ({warning.get('fraud_type')}). Refunding "
        "now avoids a dispute.",
        stripe_object_id=warning["id"],
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

__all__ = ["HANDLERS", "receive_event"]
