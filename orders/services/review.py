"""Clinician review: approve an order (it goes to fulfilment) or decline it (full refund).

A patient is never left paying for a prescription that was declined: ``decline_order``
refunds what is left of the latest paid invoice's payment and cancels the subscription
before the order is marked declined, all with idempotency keys, so clicking twice (or
after a ``charge.refunded`` webhook already recorded a refund) never refunds twice.

Nor is a patient left paying for a prescription nobody approved because she cancelled
first: ``cancel_order`` (subscription deleted while the order awaited review) enqueues
``refund_unreviewed_cancellation`` after the commit, which refunds everything she paid,
at once and without waiting for a clinician. We chose the automatic refund over leaving
the order for a clinician to decline because the patient has already said no: there is
nothing left to judge, and her money should not wait on a queue. If the refund cannot be
made (Stripe down, or Stripe has not told us the payment's id yet), the order stays in the
review queue flagged "Cancelled by the patient before review" and a clinician's
**Decline** refunds it in full, with the same idempotency keys.
"""

import logging
from functools import partial

from django.tasks import task
from django.utils import timezone

from treatments.money import format_money_exact

from ..emails import queue_order_email
from ..gateways import PaymentProviderError
from ..models import Order, Refund, Shipment
from . import OrderError, lock_order, record_event, transaction, transition
from .payments import record_refund
from .refunds import gateway_for, issue_refund

logger = logging.getLogger(__name__)
S = Order.Status
CANCELLED_BEFORE_REVIEW = "Cancelled by the patient before review"


def _not_twice(order, action):
    if order.reviewed_at is not None:
        verb = "approved" if order.status != S.DECLINED else "declined"
        raise OrderError(
            f"This order was already {verb} by {_who(order)} on "
            f"{timezone.localtime(order.reviewed_at):%b %d, %Y}; it cannot be {action} now.",
            code="already_reviewed",
        )


def _who(order):
    user = order.reviewed_by
    return (user.get_full_name() or user.get_username()) if user else "a clinician"


def approve_order(order, *, by, note=""):
    """A clinician approves ``order``: it goes to fulfilment and the patient is told.

    Creates the first shipment (to the address collected at checkout) and emails the
    patient, with ``note`` if given. Returns the approved order.
    """
    note = (note or "").strip()
    with transaction.atomic():
        order = lock_order(order)
        _not_twice(order, "approved")
        if not order.can_approve():
            raise OrderError(
                "Only a paid order awaiting review can be approved: this one is "
                f"{order.get_status_display().lower()}.",
                code="wrong_status",
            )
        order.reviewed_by = by
        order.reviewed_at = timezone.now()
        order.review_note = note
        message = "A clinician approved your order. It ships next, free."
        if note:
            message = f"{message} Note from your clinician: {note}"
        transition(order, "approve", "approved", message=message, actor=by, data={"note": note})
        shipment = Shipment.objects.create(
            order=order, kind=Shipment.Kind.INITIAL, **order.address_dict()
        )
        record_event(
            order,
            "shipment_created",
            message="Your first shipment is being prepared.",
            actor=by,
            data={"shipment": shipment.pk},
        )
        queue_order_email(order, "approved", note=note)
    return order


def decline_order(order, *, by, reason, gateway=None):
    """A clinician declines ``order``: full refund, subscription cancelled, patient told.

    ``reason`` is required (it is recorded and sent to the patient). Refunds whatever is
    left of the latest payment (nothing if a refund was already made, e.g. at the Stripe
    dashboard), cancels the subscription, marks the order declined. If the payment
    provider fails, nothing changes here and the clinician can try again: the idempotency
    keys make the retry safe. Returns the declined order.
    """
    reason = (reason or "").strip()
    if not reason:
        raise OrderError("Please give a reason for declining.", code="reason_required")
    with transaction.atomic():
        order = lock_order(order)
        if order.status == S.DECLINED:
            raise OrderError(
                "This order is already declined and refunded: nothing more was done.",
                code="already_declined",
            )
        _not_twice(order, "declined")
        if not order.can_decline():
            raise OrderError(
                "Only a paid order awaiting review can be declined: this one is "
                f"{order.get_status_display().lower()}.",
                code="wrong_status",
            )
        refund = None
        payment = order.payments.order_by("-paid_at", "-id").first()
        amount = 0
        if payment is not None:
            amount = min(payment.refundable_cents(), order.refundable_cents())
        try:
            if amount > 0:
                refund = _refund_in_full(
                    order, payment, amount, by=by, reason=reason, gateway=gateway
                )
            if order.stripe_subscription_id and order.subscription_status != "canceled":
                (gateway or gateway_for(order)).cancel_subscription(
                    order, idempotency_key=f"decline-cancel-{order.public_id}"
                )
                order.subscription_status = "canceled"
        except PaymentProviderError as error:
            raise OrderError(error.message, code="provider") from error
        order.reviewed_by = by
        order.reviewed_at = timezone.now()
        order.review_note = reason
        order.cancelled_at = order.cancelled_at or timezone.now()
        refunded = order.refunds.live().total_cents()
        transition(
            order,
            "decline",
            "declined",
            message="Your order was not approved, so nothing will ship. "
            "You have been refunded in full and will not be charged again.",
            actor=by,
            data={"reason": reason, "refund": refund.pk if refund else None, "amount": amount},
        )
        queue_order_email(order, "declined", reason=reason, amount_cents=refunded)
    return order


def refund_key(order, payment):
    """Idempotency key of the full refund of ``payment``.

    An order cancelled before review uses the automatic refund's key, so a clinician's
    decline after a failed (or lost) automatic attempt can never refund twice.
    """
    prefix = "cancel-refund" if order.cancelled_before_review else "decline-refund"
    return f"{prefix}-{order.public_id}-{payment.pk}"


def _refund_in_full(order, payment, amount, *, by, reason, gateway):
    refund_id, status = issue_refund(
        order,
        payment,
        amount_cents=amount,
        idempotency_key=refund_key(order, payment),
        gateway=gateway,
    )
    refund = Refund.objects.filter(stripe_refund_id=refund_id).first() if refund_id else None
    if refund is not None:
        # Stripe's webhook recorded this very refund already: count it once.
        return refund
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount_cents=amount,
        currency=payment.currency,
        reason=f"Declined by clinician: {reason}",
        stripe_refund_id=refund_id or "",
        status=status,
        created_by=by if getattr(by, "pk", None) else None,
    )
    record_event(
        order,
        "refund",
        message=f"Refunded {format_money_exact(amount)} to your card.",
        actor=by,
        data={"refund": refund.pk, "amount": amount, "stripe_refund": refund_id},
    )
    return refund


def refund_cancelled_before_review(order, *, gateway=None):
    """Refund in full an order the patient cancelled before a clinician reviewed it.

    Refunds what is left of every payment (one Stripe refund per payment, idempotency key
    per payment, so a retry or a late ``charge.refunded`` webhook never counts twice); the
    last refund marks the order refunded and emails the patient. Does nothing for any
    other order. Raises ``OrderError`` if the payment provider fails; nothing is recorded
    then and the order stays in the review queue. Returns the new Refunds.
    """
    with transaction.atomic():
        order = lock_order(order)
        if not order.cancelled_before_review:
            return []
        refunds = []
        for payment in order.payments.order_by("-paid_at", "-id"):
            amount = payment.refundable_cents()
            if amount <= 0:
                continue
            try:
                refund_id, status = issue_refund(
                    order,
                    payment,
                    amount_cents=amount,
                    idempotency_key=refund_key(order, payment),
                    gateway=gateway,
                )
            except PaymentProviderError as error:
                raise OrderError(error.message, code="provider") from error
            refund = record_refund(
                order,
                amount_cents=amount,
                reason=f"{CANCELLED_BEFORE_REVIEW}: refunded in full.",
                stripe_refund_id=refund_id or "",
                payment=payment,
                status=status,
                actor_label="Automatic refund",
            )
            if refund is not None:
                refunds.append(refund)
        return refunds


@task
def refund_unreviewed_cancellation(order_id):
    """Background task for ``refund_cancelled_before_review`` (see the module docstring)."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return 0
    try:
        return len(refund_cancelled_before_review(order))
    except OrderError as error:
        logger.error(
            "Order %s was cancelled before review but could not be refunded; it stays in "
            "the review queue for a clinician to decline. %s",
            order_id,
            error.message,
        )
        return 0


def queue_refund_if_cancelled_before_review(order):
    """After the commit, refund ``order`` if the patient cancelled it before review."""
    if order.cancelled_before_review:
        transaction.on_commit(partial(refund_unreviewed_cancellation.enqueue, order.pk))
