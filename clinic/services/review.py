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
from functools import partial

from django.tasks import task
from django.utils import timezone

from clinic.clinicians import check_licensed
from clinic.services.packs import convert_line, pack_declines
from clinic.services.prescriptions import drafts_for, require_attestation, write_prescriptions
from clinic.services.signoff import sign_off
from core.money import format_money_exact
from orders.emails import queue_order_email
from orders.models import Order, OrderLine, Payment, Shipment
from orders.services import OrderError, lock_order, record_event, transaction, transition
from payments.gateways import PaymentProviderError, gateway_for
from payments.gateways.facts import SubscriptionStatus
from payments.services.refunds import (
    cancel_subscription_later,
    refund_every_payment,
    request_refund,
)

logger = logging.getLogger(__name__)
S = Order.Status
CANCELLED_BEFORE_REVIEW = "Cancelled by the patient before review"


def _not_twice(order, action):
    if order.reviewed_at is not None:
        verb = "approved" if order.was_approved else "declined"
        raise OrderError(
            f"This order was already {verb} by {_who(order)} on "
            f"{timezone.localtime(order.reviewed_at):%b %d, %Y}; it cannot be {action} now.",
            code="already_reviewed",
        )


def _who(order):
    user = order.reviewed_by
    return (user.get_full_name() or user.get_username()) if user else "a clinician"


def approve_order(
    order,
    *,
    by,
    note="",
    declined_lines=(),
    declined_medicines=None,
    decline_reason="",
    prescriptions=None,
    considered=None,
    attested=False,
):
    """A clinician approves ``order``: it goes to fulfilment and the patient is told.

    Only a clinician licensed in the state she lives in may (``check_licensed``), and only
    once she has considered every flag (``considered``: flag id -> her reason, required for
    a contraindication; ``clinic.services.signoff``): both are stored with the decision.

    Creates the first shipment (to the address collected at checkout) and emails the
    patient, with ``note`` if given. Returns the approved order.

    The decision is per line: ``declined_lines`` (lines of this order; a pack is one line)
    are declined for ``decline_reason`` while the rest are approved. A declined line's share
    of every month she paid is refunded, its item leaves her subscription without proration
    (after the commit) and her monthly total drops by it. Declining every line is
    ``decline_order``.

    ``declined_medicines`` (pack line id -> ids of its medicines declined, for
    ``decline_reason`` too): each pack becomes the single treatment she keeps, or is declined
    whole where none is sold (``clinic.services.packs``).

    Approving writes a prescription per medicine of each approved line (``prescriptions``,
    drafts as the clinician confirmed them; the medicines' starting doses when not given),
    each checked against its medicine's prescribing data (``check_draft``); ``attested``:
    she ticked the attestation, stored on each prescription with the time. Without it nothing
    is decided (``require_attestation``).
    """
    require_attestation(attested)
    note = (note or "").strip()
    decline_reason = (decline_reason or "").strip()
    declined_ids = {line.pk for line in declined_lines}
    declined_medicines = declined_medicines or {}
    if (declined_ids or any(declined_medicines.values())) and not decline_reason:
        raise OrderError(
            "Please give a reason for the treatments you decline: it is sent to the patient.",
            code="reason_required",
        )
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
        sign_off(order, by=by, action="approve", considered=considered)
        # A whole-line decline outranks declining some of the same pack's medicines.
        packs = [
            pack
            for pack in pack_declines(order, declined_medicines)
            if pack.line.pk not in declined_ids
        ]
        declined_ids |= {pack.line.pk for pack in packs if not pack.converts}
        declined = _decide_lines(order, declined_ids, reason=decline_reason)
        converted = [pack for pack in packs if pack.converts]
        changed = [
            refund
            for pack in converted
            for refund in convert_line(order, pack, reason=decline_reason, by=by)
        ]
        dropped = {(pack.line.pk, medicine.pk) for pack in converted for medicine in pack.declined}
        drafts = drafts_for(order) if prescriptions is None else prescriptions
        write_prescriptions(
            order,
            [
                draft
                for draft in drafts
                if draft.line.pk not in declined_ids
                and (draft.line.pk, draft.medicine.pk) not in dropped
            ],
            by=by,
            attested=attested,
        )
        order.reviewed_by = by
        order.reviewed_at = timezone.now()
        order.review_note = note
        refunds = _take_off(order, declined, reason=decline_reason, by=by) if declined else []
        message = "A clinician approved your order. It ships next, free."
        if declined:
            message = (
                f"A clinician approved your order without {_names(declined)}: "
                f"{format_money_exact(sum(r.amount_cents for r in refunds))} is being refunded "
                f"and your monthly total is now {format_money_exact(order.total_cents)}; "
                "your clinician's reason is with your treatments."
            )
        elif converted:
            message = (
                "A clinician approved your order with a change to your pack: your monthly "
                f"total is now {format_money_exact(order.total_cents)}; your clinician's "
                "reason is with your treatments."
            )
        if note:
            message = f"{message} Your clinician left you a note in your treatment plan."
        # The note and the reasons stay in their encrypted fields: the timeline is plain text.
        data = {"note": bool(note)}
        if declined:
            data |= {
                "declined_lines": [line.pk for line in declined],
                "refunds": [refund.pk for refund in refunds],
            }
        if converted:
            data |= {"converted_lines": [pack.line.pk for pack in converted]}
        transition(order, "approve", "approved", message=message, actor=by, data=data)
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
        queue_order_email(
            order,
            "approved",
            refunded_cents=sum(refund.amount_cents for refund in refunds),
            changed_refund_cents=sum(refund.amount_cents for refund in changed),
        )
    return order


def _decide_lines(order, declined_ids, *, reason):
    """Approve or decline (for ``reason``) each line of the locked ``order``; saved. Returns
    the declined lines."""
    lines = list(order.lines.all())
    if declined_ids - {line.pk for line in lines}:
        raise OrderError("That treatment is not part of this order.", code="bad_line")
    if declined_ids and declined_ids == {line.pk for line in lines}:
        raise OrderError(
            "Every treatment is declined: decline the order instead, which refunds everything "
            "and cancels the subscription.",
            code="all_declined",
        )
    for line in lines:
        line.decide("decline" if line.pk in declined_ids else "approve")
        line.decline_reason = reason if line.is_declined else ""
    OrderLine.objects.bulk_update(lines, ["decision", "decline_reason"])
    return [line for line in lines if line.is_declined]


def _names(lines):
    return ", ".join(line.treatment_name for line in lines)


def _take_off(order, declined, *, reason, by):
    """Refund the declined lines' share of every month paid; lower the monthly total; take
    their items off the subscription after the commit. Returns the Refunds."""
    share = sum(line.line_total_cents for line in declined)
    refunds = [
        request_refund(
            order,
            payment,
            amount_cents=min(share, payment.refundable_cents()),
            reason=f"Declined by clinician: {_names(declined)}",
            by=by,
            email_patient=False,
        )
        for payment in order.payments.for_months().order_by("paid_at", "id")
        if payment.refundable_cents() > 0
    ]
    order.subtotal_cents -= share
    order.total_cents -= share
    order.save(update_fields=["subtotal_cents", "total_cents"])
    transaction.on_commit(  # a paid order always has its subscription
        partial(
            remove_declined_items.enqueue,
            order.pk,
            order.stripe_subscription_id,
            [line.plan_id for line in declined],
        )
    )
    return refunds


@task
def remove_declined_items(order_id, subscription_id, plan_ids):
    """Take declined lines off the subscription at Stripe, so later months charge only what
    was approved. Running it again is safe: items already removed are not found again."""
    order = Order.objects.get(pk=order_id)
    try:
        gateway_for(order).remove_subscription_items(
            subscription_id,
            plan_ids,
            idempotency_key=f"remove-{subscription_id}-{'-'.join(map(str, plan_ids))}",
        )
    except PaymentProviderError as error:
        # Logged as an error (error reports reach Support) and kept in the timeline: the
        # approved treatments still ship, but the items must be removed at Stripe by hand.
        logger.error("Order %s: declined items not removed at Stripe: %s", order_id, error)
        record_event(
            order,
            "subscription_items_not_removed",
            actor_label="Stripe",
            data={"subscription": subscription_id, "plans": plan_ids, "error": error.message},
        )
        return "failed"
    record_event(
        order,
        "subscription_items_removed",
        actor_label="Stripe",
        data={"subscription": subscription_id, "plans": plan_ids},
    )
    return "removed"


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
        if order.status == S.DECLINED:  # said apart from "already reviewed": nothing was done
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
            order, reason="Declined by clinician", by=by, email_patient=False
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
            data={"refunds": [r.pk for r in refunds], "amount": back},
        )
        if (
            order.stripe_subscription_id
            and order.subscription_status != SubscriptionStatus.CANCELED
        ):
            cancel_subscription_later(order, order.stripe_subscription_id)
        queue_order_email(order, "declined", amount_cents=back)
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
