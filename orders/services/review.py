"""Clinician review: approve an order (it goes to fulfilment) or decline it (full refund).

A patient is never left paying for a prescription that was declined: ``decline_order``
records the decision, a refund of everything left of every month she paid for (pending
rows, asked of Stripe after the commit, see ``services.refunds``) and the cancellation of
her subscription. A failure at Stripe never undoes the decision or a refund Stripe already
made; each refund settles (or fails, and Support is told) on its own, and the email says
how much she gets back.

Nor is a patient left paying for a prescription nobody approved because she cancelled
first: ``cancel_order`` (subscription deleted while the order awaited review) calls
``refund_cancelled_before_review``, which refunds everything she paid at once, without
waiting for a clinician. We chose the automatic refund over leaving the order for a
clinician to decline because the patient has already said no: there is nothing left to
judge, and her money should not wait on a queue. Until the refunds go through the order
stays in the review queue flagged "Cancelled by the patient before review"; if Stripe
refuses one, a clinician's **Decline** refunds what is left.
"""

import logging

from django.utils import timezone

from ..emails import queue_order_email
from ..models import ClinicianProfile, Order, Payment, Shipment
from ..us_states import STATE_NAMES
from . import OrderError, lock_order, record_event, transaction, transition
from .refunds import cancel_subscription_later, refund_every_payment

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


def check_licensed(order, user):
    """A clinician approves only orders from a state she is licensed in.

    Orders placed before the questionnaire asked for the state have none on file: they are
    judged as before. Raises ``OrderError`` naming the state."""
    state = order.residence_state
    if not state:
        return
    profile = ClinicianProfile.objects.active().filter(user_id=getattr(user, "pk", None)).first()
    if profile is None or not profile.is_licensed_in(state):
        name = STATE_NAMES.get(state, state)
        raise OrderError(
            f"She lives in {name}: only a clinician licensed in {name} can approve this order. "
            "Leave it for a colleague licensed there.",
            code="not_licensed",
        )


def approve_order(order, *, by, note=""):
    """A clinician approves ``order``: it goes to fulfilment and the patient is told.

    Only a clinician licensed in the state she lives in may (``check_licensed``).

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
        check_licensed(order, by)
        order.reviewed_by = by
        order.reviewed_at = timezone.now()
        order.review_note = note
        message = "A clinician approved your order. It ships next, free."
        if note:
            message = f"{message} Note from your clinician: {note}"
        transition(order, "approve", "approved", message=message, actor=by, data={"note": note})
        shipment = Shipment.objects.create(
            order=order,
            kind=Shipment.Kind.INITIAL,
            payment=order.payments.filter(kind=Payment.Kind.INITIAL).first(),
            **order.address_dict(),
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


def decline_order(order, *, by, reason):
    """A clinician declines ``order``: everything she paid is refunded, the subscription
    cancelled, and she is told why and how much comes back. Returns the declined order.

    ``reason`` is required (it is recorded and sent to the patient). Money already
    refunded (at the Stripe dashboard, say) is not refunded again.
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
        refunds = refund_every_payment(
            order, reason=f"Declined by clinician: {reason}", by=by, email_patient=False
        )
        order.reviewed_by = by
        order.reviewed_at = timezone.now()
        order.review_note = reason
        order.cancelled_at = order.cancelled_at or timezone.now()
        back = order.refunds.live().total_cents()
        transition(
            order,
            "decline",
            "declined",
            message="Your order was not approved, so nothing will ship. "
            "Everything you paid is being refunded and you will not be charged again.",
            actor=by,
            data={"reason": reason, "refunds": [r.pk for r in refunds], "amount": back},
        )
        if order.stripe_subscription_id and order.subscription_status != "canceled":
            cancel_subscription_later(order, order.stripe_subscription_id)
        queue_order_email(order, "declined", reason=reason, amount_cents=back)
    return order


def refund_cancelled_before_review(order):
    """Refund in full an order the patient cancelled before a clinician reviewed it.

    Requests a refund of what is left of every payment (call inside the cancellation's
    transaction, order locked, once ``order.cancelled_before_review``); the last one to go
    through marks the order refunded. Returns the new Refunds.
    """
    return refund_every_payment(
        order,
        reason=f"{CANCELLED_BEFORE_REVIEW}: refunded in full.",
        actor_label="Automatic refund",
    )
