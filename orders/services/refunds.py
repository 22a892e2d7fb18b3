"""Money back to a patient, started by staff: support refunds and the refund on decline.

The refund goes through the payment gateway first (Stripe, or the local test-mode gateway)
with an idempotency key, then is recorded with its Stripe refund id. When Stripe's
``charge.refunded`` webhook arrives later, ``record_refund`` finds that id already recorded
and counts nothing twice.
"""

from treatments.money import format_money_exact

from ..gateways import TestModeGateway, get_gateway
from ..models import Order, Refund
from . import OrderError, lock_order, transaction
from .payments import record_refund

S = Order.Status


def gateway_for(order):
    """Orders paid in local test mode are refunded by the test gateway, others by Stripe."""
    if order.is_test_mode:
        return TestModeGateway()
    gateway = get_gateway()
    if gateway is None:
        raise OrderError("Payments are not configured on this site, so nothing was refunded.")
    return gateway


def issue_refund(order, payment, *, amount_cents, idempotency_key, gateway=None):
    """Ask the gateway for a refund of ``payment``; returns (stripe refund id, our status)."""
    gateway = gateway or gateway_for(order)
    if gateway.name == "stripe" and not (
        payment.stripe_payment_intent_id or payment.stripe_charge_id
    ):
        raise OrderError(
            "Stripe has not told us this payment's id yet, so nothing was refunded. "
            "Please try again in a minute."
        )
    refund_id, status = gateway.refund(
        payment, amount_cents=amount_cents, idempotency_key=idempotency_key
    )
    if status not in Refund.Status.values:
        status = Refund.Status.PENDING
    return refund_id, status


def refund_order(order, *, by, amount_cents, reason, idempotency_key=None, gateway=None):
    """Refund ``amount_cents`` of ``order`` to the patient's card (support, from the admin).

    The amount comes from the most recent payment that still has that much left. The
    same ``idempotency_key`` (the admin form sends one per form) never refunds twice: a
    resubmitted form gets Stripe's first refund back and is refused here. Returns the Refund.
    """
    from ..gateways import PaymentProviderError

    reason = (reason or "").strip()
    if not reason:
        raise OrderError("Please give a reason for the refund.", code="reason_required")
    if amount_cents is None or amount_cents <= 0:
        raise OrderError("A refund must be more than $0.00.", code="bad_amount")
    with transaction.atomic():
        order = lock_order(order)
        if order.status == S.PENDING_PAYMENT:
            raise OrderError("This order has not been paid, so there is nothing to refund.")
        if not order.allows("refund"):
            raise OrderError(
                f"This order is {order.get_status_display().lower()}: nothing more can be "
                "refunded.",
                code="wrong_status",
            )
        left = order.refundable_cents()
        if amount_cents > left:
            raise OrderError(
                f"Only {format_money_exact(left)} of this order is left to refund.", code="too_much"
            )
        payments = list(order.payments.order_by("-paid_at", "-id"))
        payment = next((p for p in payments if p.refundable_cents() >= amount_cents), None)
        if payment is None:
            largest = max((p.refundable_cents() for p in payments), default=0)
            raise OrderError(
                "A refund comes out of one monthly payment: at most "
                f"{format_money_exact(largest)} at a time.",
                code="too_much",
            )
        key = idempotency_key or f"refund-{order.public_id}-{payment.pk}-{order.refunds.count()}"
        try:
            refund_id, status = issue_refund(
                order, payment, amount_cents=amount_cents, idempotency_key=key, gateway=gateway
            )
        except PaymentProviderError as error:
            raise OrderError(error.message, code="provider") from error
        refund = record_refund(
            order,
            amount_cents=amount_cents,
            reason=reason,
            stripe_refund_id=refund_id or "",
            payment=payment,
            status=status,
            actor=by,
            actor_label="",
        )
        if refund is None:
            raise OrderError(
                "This refund was already recorded (the form was sent twice); nothing more "
                "was refunded.",
                code="duplicate",
            )
        if order.status != S.REFUNDED:
            order.refresh_from_db(fields=["status"])
        if order.status == S.REFUNDED:
            from .fulfilment import cancel_pending_shipments

            cancel_pending_shipments(order, by=by, why="The order was refunded in full.")
        return refund


__all__ = ["gateway_for", "issue_refund", "refund_order"]
