"""Money back to a patient: recorded first, then asked of Stripe, then settled.

1. ``request_refund`` writes a pending ``Refund`` row (amount, payment, an idempotency key
   derived from the row) inside the caller's transaction; nothing is asked of Stripe while
   the order's row is locked.
2. After the commit, the task ``submit_refund`` asks Stripe with that key. Moving tasks to a
   worker changes only the tasks backend.
3. ``settle_refund`` records what Stripe says: from the task's answer, from the
   ``charge.refunded``/``refund.*`` webhooks, or from ``stripe_reconcile``, whichever comes
   first. The unique Stripe refund id (and our row id in the refund's metadata) count each
   refund once.

A 5xx or a timeout is an unknown outcome, never "nothing happened" (Stripe can refund and
then answer 500): the row stays pending, the amount stays reserved, and before any new
attempt (``retry_unsent_refunds``) Stripe's refunds of the payment are listed and ours found
by the row id in their metadata; only if none is there is it asked again, under the next
attempt's key. A definite refusal (a 4xx) marks the row failed, releases the amount, and
puts the order on hold for Support.

An order is refunded when every month she paid for is refunded; its subscription is then
cancelled. A refund of one month refunds that month only (its box, if unsent, is
cancelled).
"""

import logging
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from core.money import format_money_exact
from orders.emails import queue_order_email
from orders.models import Hold, Order, Refund, Shipment, StripeCommand
from orders.services import OrderError, lock_order, record_event, refuse_unless, transition
from orders.services.holds import open_hold
from payments.gateways import PaymentOutcomeUnknown, PaymentProviderError, gateway_for
from payments.gateways.facts import SubscriptionStatus
from payments.services.commands import finish, outcome_unknown, prepare_attempt, record_command

logger = logging.getLogger(__name__)
S = Order.Status

NOT_BY_CARD = (
    "Stripe has no card payment for this invoice (it was settled another way), so it cannot "
    "be refunded to a card: refund it the way it was paid."
)


def request_refund(
    order,
    payment,
    *,
    amount_cents,
    reason,
    by=None,
    actor_label="",
    email_patient=True,
    request_token="",
):
    """Record a pending refund of ``amount_cents`` of ``payment``; Stripe is asked after the
    commit, under a key derived from the new row. Call inside ``transaction.atomic`` with
    ``order`` locked. Returns the Refund.

    ``request_token``: a form's one-time token, so the same form sent twice is refused
    instead of refunding twice.
    """
    if request_token and Refund.objects.filter(request_token=request_token).exists():
        raise OrderError(
            "This refund was already recorded (the form was sent twice); nothing more was "
            "refunded.",
            code="duplicate",
        )
    if amount_cents <= 0:
        raise OrderError("A refund must be more than $0.00.", code="bad_amount")
    left = payment.refundable_cents()
    if amount_cents > left:
        raise OrderError(
            f"Only {format_money_exact(left)} of that payment is left to refund.", code="too_much"
        )
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount_cents=amount_cents,
        currency=payment.currency,
        reason=reason,
        created_by=by if getattr(by, "pk", None) else None,
        email_patient=email_patient,
        request_token=request_token,
    )
    record_event(
        order,
        "refund_requested",
        actor=by,
        actor_label=actor_label,
        data={"refund": refund.pk, "amount": amount_cents, "reason": reason},
    )
    transaction.on_commit(partial(submit_refund.enqueue, refund.pk))
    return refund


def refund_every_payment(order, *, reason, by=None, actor_label="", email_patient=True):
    """Request a refund of whatever is left of each month she paid for. Returns the Refunds."""
    return [
        request_refund(
            order,
            payment,
            amount_cents=payment.refundable_cents(),
            reason=reason,
            by=by,
            actor_label=actor_label,
            email_patient=email_patient,
        )
        for payment in order.payments.for_months().order_by("paid_at", "id")
        if payment.refundable_cents() > 0
    ]


@task
def submit_refund(refund_id):
    """Ask Stripe for the refund recorded as ``refund_id`` (under its attempt's key); settle it.

    After an unknown outcome (a 5xx or no answer: Stripe may have refunded) Stripe is asked
    first: its refunds of the payment are listed and ours found by the row id in their
    metadata. Only if none is there is the refund asked again, as the next attempt (a new
    key: Stripe replays a saved 500 to the old one).
    """
    refund = Refund.objects.select_related("order", "payment").filter(pk=refund_id).first()
    if refund is None or refund.status != Refund.Status.PENDING or refund.stripe_refund_id:
        return "nothing to do"
    payment = refund.payment
    gateway = gateway_for(refund.order)
    if refund.outcome_unknown_at is not None:
        try:
            found = _ours_at_stripe(gateway, refund, payment)
        except PaymentProviderError:
            logger.warning("Refund %s: Stripe could not be asked; still being checked", refund.pk)
            return "unknown"
        if found is not None:
            settle_refund(found, payment=payment, actor_label="Stripe")
            return "settled"
        refund = _next_attempt(refund)
    try:
        if not payment.stripe_payment_intent_id:
            # A payment recorded before its ids were known: ask Stripe for them now.
            intent, charge = gateway.payment_ids(payment.stripe_invoice_id)
            payment.stripe_payment_intent_id, payment.stripe_charge_id = intent, charge
            payment.save(update_fields=["stripe_payment_intent_id", "stripe_charge_id"])
        if not payment.stripe_payment_intent_id:
            fail_refund(refund, NOT_BY_CARD)
            return "failed"
        answer = gateway.create_refund(
            payment_intent=payment.stripe_payment_intent_id,
            amount_cents=refund.amount_cents,
            idempotency_key=refund.idempotency_key,
            metadata={"order_id": str(refund.order_id), "refund_id": str(refund.pk)},
        )
    except PaymentOutcomeUnknown:
        _outcome_unknown(refund)
        return "unknown"
    except PaymentProviderError as error:
        fail_refund(refund, error.message)
        return "failed"
    settle_refund(answer, payment=payment, actor_label="Stripe")
    return "settled"


def _ours_at_stripe(gateway, refund, payment):
    """Our refund as Stripe has it (found by our row id in its metadata), or None."""
    refunds = gateway.refunds_of_payment(payment.stripe_payment_intent_id)
    return next((state for state in refunds if state.our_refund_id == refund.pk), None)


def _next_attempt(refund):
    """Stripe has no refund of ours: the next attempt, under a new key."""
    refund.attempt += 1
    refund.outcome_unknown_at = None
    refund.save(update_fields=["attempt", "outcome_unknown_at"])
    return refund


def _outcome_unknown(refund):
    """Stripe failed or did not answer: the refund stays pending (the amount reserved) and
    is checked with Stripe before anything new is tried."""
    logger.warning("Refund %s: Stripe's outcome unknown; it stays pending", refund.pk)
    with transaction.atomic():
        order = lock_order(refund.order)
        Refund.objects.filter(pk=refund.pk).update(outcome_unknown_at=timezone.now())
        record_event(
            order,
            "refund_outcome_unknown",
            actor_label="Stripe",
            data={"refund": refund.pk, "amount": refund.amount_cents, "attempt": refund.attempt},
        )


def retry_unsent_refunds(older_than_seconds=60):
    """Settle the refunds Stripe never confirmed: asked of Stripe first when the outcome of
    the last attempt is unknown, and sent again (under a new key) only if Stripe has none."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(Refund.objects.unsent().filter(created_at__lte=cutoff).values_list("pk", flat=True))
    return [submit_refund.call(refund_id) for refund_id in ids]


def fail_refund(refund, message):
    """Stripe refused ``refund``: nothing went back, the amount is free again, Support is told."""
    with transaction.atomic():
        order = lock_order(refund.order)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        refund.status = Refund.Status.FAILED
        refund.failure_message = message
        refund.settled_at = timezone.now()
        refund.outcome_unknown_at = None
        refund.save(update_fields=["status", "failure_message", "settled_at", "outcome_unknown_at"])
        record_event(
            order,
            "refund_failed",
            actor_label="Stripe",
            data={"refund": refund.pk, "amount": refund.amount_cents, "error": message},
        )
        open_hold(
            order,
            Hold.Kind.REFUND_FAILED,
            f"A refund of {format_money_exact(refund.amount_cents)} failed: {message}",
            stripe_object_id=refund.stripe_refund_id or refund.idempotency_key,
            actor_label="Stripe",
        )
    return refund


def settle_refund(state, *, payment, actor_label="Stripe webhook"):
    """Record ``state`` (a ``RefundState``: a refund of ``payment`` as the provider has it now).

    Finds our row by the provider's id, or by the row id we put in its metadata; a refund
    made elsewhere (Stripe's dashboard) becomes a new row. Counted once whatever arrives first
    (the order's row lock orders them); a status moves on only as the provider says.
    Returns the row.
    """
    status = Refund.Status(state.status)
    with transaction.atomic():
        order = lock_order(payment.order)
        row = _row_for(state, order) or Refund.objects.create(
            order=order,
            payment=payment,
            amount_cents=state.amount_cents,
            currency=state.currency or order.currency,
            reason=state.reason or "Refunded through Stripe",
            stripe_refund_id=state.refund_id,
        )
        if row.stripe_refund_id == state.refund_id and row.status == status:
            return row
        row.stripe_refund_id = state.refund_id
        row.outcome_unknown_at = None  # Stripe has it: nothing left to check
        if status != Refund.Status.FAILED:  # fail_refund records a failure, below
            row.status = status
            if status != Refund.Status.PENDING:
                row.settled_at = timezone.now()
        row.save(update_fields=["stripe_refund_id", "status", "settled_at", "outcome_unknown_at"])
        if status == Refund.Status.SUCCEEDED:
            _refunded(order, row, actor_label=actor_label)
    if status == Refund.Status.FAILED:
        return fail_refund(row, "Stripe reports the refund failed: the bank sent it back.")
    return row


def _row_for(state, order):
    found = Refund.objects.select_for_update().filter(stripe_refund_id=state.refund_id).first()
    if found is None and state.our_refund_id is not None:
        found = (
            Refund.objects.select_for_update().filter(pk=state.our_refund_id, order=order).first()
        )
    return found


def _refunded(order, refund, *, actor_label):
    """Money went back: tell her, and close what it closes (that month's box; the order
    when every month is refunded, and then its subscription)."""
    dollars = format_money_exact(refund.amount_cents)
    record_event(
        order,
        "refund",
        message=f"Refunded {dollars} to your card.",
        actor=refund.created_by,
        actor_label="" if refund.created_by_id else actor_label,
        data={"refund": refund.pk, "amount": refund.amount_cents, "reason": refund.reason},
    )
    if refund.email_patient:
        queue_order_email(order, "refunded", amount_cents=refund.amount_cents)
    payment = refund.payment
    if payment is not None and payment.is_refunded():
        _cancel_shipments(
            order, order.shipments.filter(payment=payment), "That month was refunded."
        )
    if order.is_fully_refunded() and order.allows("refund"):
        transition(
            order,
            "refund",
            "refunded",
            message="Everything you paid has been refunded.",
            actor_label=actor_label,
            data={"refund": refund.pk},
        )
        _cancel_shipments(order, order.shipments.all(), "The order was refunded in full.")
        if (
            order.stripe_subscription_id
            and order.subscription_status != SubscriptionStatus.CANCELED
        ):
            cancel_subscription_later(order, order.stripe_subscription_id)


def _cancel_shipments(order, shipments, why):
    count = shipments.able_to_become(Shipment.Status.CANCELLED).update(
        status=Shipment.Status.CANCELLED
    )
    if count:
        record_event(
            order,
            "shipments_cancelled",
            message="Pending shipments were cancelled.",
            data={"count": count, "why": why},
        )
    return count


def cancel_subscription_later(order, subscription_id):
    """Record that ``subscription_id`` must be cancelled at Stripe (no further charges), and
    cancel it after the commit."""
    command = record_command(order, StripeCommand.Kind.CANCEL, subscription_id)
    transaction.on_commit(partial(cancel_subscription.enqueue, command.pk))
    return command


@task
def cancel_subscription(command_id):
    """Cancel a subscription at once, under its command's key.

    After an unknown outcome (5xx, no answer) the subscription is read first: already ended
    is done; otherwise it is cancelled as the next attempt (a new key). A refusal ends the
    command (``stripe_reconcile``, which cancels any subscription still running for a closed
    order, records a new one).
    """
    command = StripeCommand.objects.select_related("order").get(pk=command_id)
    if command.status != StripeCommand.Status.PENDING:
        return "nothing to do"
    order, subscription_id = command.order, command.subscription_id
    gateway = gateway_for(order)
    try:
        if command.outcome_unknown_at is not None:
            if gateway.subscription_state(subscription_id).ended:
                return _cancelled(command)
            prepare_attempt(command)
        gateway.cancel_subscription(subscription_id, idempotency_key=command.idempotency_key)
    except PaymentOutcomeUnknown:
        outcome_unknown(command)
        return "unknown"
    except PaymentProviderError as error:
        logger.error(
            "Order %s: subscription %s not cancelled: %s", order.pk, subscription_id, error
        )
        finish(command, StripeCommand.Status.FAILED, error.message)
        record_event(
            order,
            "subscription_not_cancelled",
            actor_label="Stripe",
            data={"subscription": subscription_id, "error": error.message},
        )
        return "failed"
    return _cancelled(command)


def _cancelled(command):
    order, subscription_id = command.order, command.subscription_id
    finish(command)
    if subscription_id == order.stripe_subscription_id:
        Order.objects.filter(pk=order.pk).update(subscription_status=SubscriptionStatus.CANCELED)
    record_event(
        order,
        "subscription_cancelled",
        actor_label="Stripe",
        data={"subscription": subscription_id},
    )
    return "cancelled"


def cancel_subscription_now(order, subscription_id):
    """Cancel ``subscription_id`` from here (reconciliation): its pending command if there
    is one (checked with Stripe first if its outcome is unknown), else a new one."""
    command = order.stripe_commands.pending().filter(
        kind=StripeCommand.Kind.CANCEL, subscription_id=subscription_id
    ).last() or record_command(order, StripeCommand.Kind.CANCEL, subscription_id)
    return cancel_subscription.call(command.pk)


def refund_order(order, *, by, amount_cents, reason, request_token=""):
    """Support refunds ``amount_cents`` of ``order`` (one monthly payment at a time).

    The amount comes from the most recent payment that still has that much left; the
    pending refund is recorded (and the amount reserved) before Stripe is asked, so a form
    sent twice, or a retry after a timeout, can never refund more than was paid. Returns
    the Refund; its status says what Stripe answered by the time this returns.
    """
    reason = (reason or "").strip()
    if not reason:
        raise OrderError("Please give a reason for the refund.", code="reason_required")
    if amount_cents is None or amount_cents <= 0:
        raise OrderError("A refund must be more than $0.00.", code="bad_amount")
    with transaction.atomic():
        order = lock_order(order)
        if order.awaits_payment():
            raise OrderError("This order has not been paid, so there is nothing to refund.")
        left = order.refundable_cents()
        if left > 0:  # nothing left: the amount check below says so with the figure
            refuse_unless(order.can_refund(), order, "refund", doing="refunded")
        if amount_cents > left:
            raise OrderError(
                f"Only {format_money_exact(left)} of this order is left to refund.", code="too_much"
            )
        payments = list(order.payments.order_by("-paid_at", "-id"))
        payment = next((p for p in payments if p.refundable_cents() >= amount_cents), None)
        if payment is None:
            largest = max(p.refundable_cents() for p in payments)
            raise OrderError(
                "A refund comes out of one monthly payment: at most "
                f"{format_money_exact(largest)} at a time.",
                code="too_much",
            )
        refund = request_refund(
            order,
            payment,
            amount_cents=amount_cents,
            reason=reason,
            by=by,
            request_token=request_token,
        )
    refund.refresh_from_db()
    return refund


__all__ = [
    "cancel_subscription_later",
    "cancel_subscription_now",
    "refund_every_payment",
    "refund_order",
    "request_refund",
    "retry_unsent_refunds",
    "settle_refund",
    "submit_refund",
]
