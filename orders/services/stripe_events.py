"""Stripe events: each stored once, then handed to the payment verbs.

``receive_event`` runs in one transaction: the ``WebhookEvent`` row (unique Stripe event
id) and whatever the event changes commit together, so a duplicate delivery, even a
concurrent one, finds the row and does nothing, and a crash leaves no trace for Stripe's
retry to trip over. Events that name no order of ours are logged and acknowledged.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import Order, Payment, WebhookEvent
from . import OrderError
from .payments import (
    cancel_order,
    invoice_payment_intent_id,
    invoice_subscription_id,
    mark_order_paid,
    record_initial_payment,
    record_payment_failure,
    record_refund,
    record_renewal_payment,
    update_subscription,
)

logger = logging.getLogger(__name__)
ACTOR = "Stripe webhook"


def receive_event(event):
    """Store and process one verified Stripe event (a dict). Returns a short result text."""
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
                result = handler(obj)
            except OrderError as error:
                logger.warning(
                    "Stripe event %s (%s): %s", record.stripe_event_id, record.type, error
                )
                result = f"refused: {error.message}"
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


def checkout_session_completed(session, *, actor_label=ACTOR):
    order = _order_from_metadata(session.get("metadata"))
    if order is None and str(session.get("client_reference_id") or "").isdigit():
        order = Order.objects.filter(pk=int(session["client_reference_id"])).first()
    if order is None:
        return _unknown("checkout session", session.get("id"))
    changed = mark_order_paid(order, session=session, actor_label=actor_label)
    return "order paid" if changed else "already paid"


def _order_for_invoice(invoice):
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    order = _order_from_metadata(details.get("metadata"))
    subscription_id = invoice_subscription_id(invoice)
    if order is None and subscription_id:
        order = Order.objects.filter(stripe_subscription_id=subscription_id).first()
    return order


def invoice_paid(invoice):
    order = _order_for_invoice(invoice)
    if order is None:
        return _unknown("invoice", invoice.get("id"))
    reason = invoice.get("billing_reason")
    if reason == "subscription_create":
        record_initial_payment(order, invoice=invoice, actor_label=ACTOR)
        return "first payment recorded"
    if reason == "subscription_cycle":
        record_renewal_payment(order, invoice=invoice, actor_label=ACTOR)
        return "renewal recorded"
    return f"ignored billing reason {reason}"


def invoice_payment_failed(invoice):
    order = _order_for_invoice(invoice)
    if order is None:
        return _unknown("invoice", invoice.get("id"))
    changed = record_payment_failure(
        order,
        reason=(invoice.get("last_finalization_error") or {}).get("message") or "",
        actor_label=ACTOR,
        data={"invoice": invoice.get("id"), "attempt_count": invoice.get("attempt_count")},
    )
    return "past due" if changed else "noted"


def _order_for_subscription(subscription):
    order = _order_from_metadata(subscription.get("metadata"))
    if order is None and subscription.get("id"):
        order = Order.objects.filter(stripe_subscription_id=subscription["id"]).first()
    return order


def subscription_updated(subscription):
    order = _order_for_subscription(subscription)
    if order is None:
        return _unknown("subscription", subscription.get("id"))
    update_subscription(order, subscription=subscription, actor_label=ACTOR)
    return f"subscription {subscription.get('status')}"


def subscription_deleted(subscription):
    order = _order_for_subscription(subscription)
    if order is None:
        return _unknown("subscription", subscription.get("id"))
    update_subscription(
        order, subscription={**subscription, "status": "canceled"}, actor_label=ACTOR
    )
    return "cancelled"


def charge_refunded(charge):
    payment = None
    if charge.get("payment_intent"):
        payment = Payment.objects.filter(stripe_payment_intent_id=charge["payment_intent"]).first()
    if payment is None and charge.get("id"):
        payment = Payment.objects.filter(stripe_charge_id=charge["id"]).first()
    order = payment.order if payment else None
    if order is None:
        order = _order_from_metadata(charge.get("metadata"))
    if order is None:
        return _unknown("charge", charge.get("id"))
    refunds = ((charge.get("refunds") or {}).get("data")) or []
    recorded = 0
    for refund in refunds:
        if refund.get("status") in ("failed", "canceled"):
            continue
        if record_refund(
            order,
            amount_cents=refund["amount"],
            reason=refund.get("reason") or "Refunded through Stripe",
            stripe_refund_id=refund["id"],
            payment=payment,
            full=bool(charge.get("refunded")),
            actor_label=ACTOR,
        ):
            recorded += 1
    if not refunds:
        # Recent API versions leave ``refunds`` out of the charge: record the difference
        # between what Stripe says was refunded and what we know of.
        known = sum(
            r.amount_cents
            for r in order.refunds.all()
            if payment is None or r.payment_id in (None, payment.pk)
        )
        missing = (charge.get("amount_refunded") or 0) - known
        if missing > 0:
            record_refund(
                order,
                amount_cents=missing,
                reason="Refunded through Stripe",
                payment=payment,
                full=bool(charge.get("refunded")),
                actor_label=ACTOR,
            )
            recorded += 1
    return f"{recorded} refund(s) recorded"


HANDLERS = {
    "checkout.session.completed": checkout_session_completed,
    "invoice.paid": invoice_paid,
    "invoice.payment_failed": invoice_payment_failed,
    "customer.subscription.created": subscription_updated,
    "customer.subscription.updated": subscription_updated,
    "customer.subscription.deleted": subscription_deleted,
    "charge.refunded": charge_refunded,
}

__all__ = ["HANDLERS", "cancel_order", "invoice_payment_intent_id", "receive_event"]
