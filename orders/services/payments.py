"""What the payment provider tells us about an order, as verb functions.

Both the Stripe webhook handler (``services.stripe_events``) and the local test-mode gateway
call these, so test mode exercises the same code as production. Every function is safe to
call twice with the same input: Stripe delivers events at least once and in any order.
"""

import logging
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from treatments.money import format_money_exact

from ..emails import queue_order_email
from ..models import Order, Payment, Refund, Shipment
from . import OrderError, lock_order, record_event, transition

logger = logging.getLogger(__name__)

S = Order.Status


def _from_timestamp(value):
    return datetime.fromtimestamp(value, tz=UTC) if value else timezone.now()


def _shipping_from_session(session):
    """The shipping address Stripe Checkout collected (current API shape first)."""
    details = (session.get("collected_information") or {}).get("shipping_details") or session.get(
        "shipping_details"
    )
    if not details:
        return {}
    address = details.get("address") or {}
    return {
        "ship_name": details.get("name") or "",
        "ship_line1": address.get("line1") or "",
        "ship_line2": address.get("line2") or "",
        "ship_city": address.get("city") or "",
        "ship_state": address.get("state") or "",
        "ship_postal_code": address.get("postal_code") or "",
        "ship_country": address.get("country") or "",
    }


def mark_order_paid(order, *, session, actor=None, actor_label="Stripe webhook"):
    """The patient completed checkout: the order is paid and waits for a clinician.

    ``session`` is a Stripe Checkout Session (a dict, as in the webhook payload; the
    test-mode gateway builds one of the same shape). Stores the Stripe customer,
    subscription and shipping address, records the first payment, emails the patient.
    Returns True if the order changed, False if it had already been marked paid.
    """
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        raise OrderError("The checkout is complete but not paid yet.", code="unpaid")
    with transaction.atomic():
        order = lock_order(order)
        if order.paid_at is not None:
            return False
        if not order.allows("pay"):
            raise OrderError(
                f"This order cannot be paid: it is {order.get_status_display().lower()}.",
                code="wrong_status",
            )
        order.stripe_checkout_session_id = session.get("id") or order.stripe_checkout_session_id
        order.stripe_customer_id = session.get("customer") or order.stripe_customer_id
        order.stripe_subscription_id = session.get("subscription") or order.stripe_subscription_id
        for name, value in _shipping_from_session(session).items():
            setattr(order, name, value)
        order.paid_at = timezone.now()
        data = {"checkout_session": session.get("id"), "amount_total": session.get("amount_total")}
        if session.get("amount_total") not in (None, order.total_cents):
            logger.error(
                "Order %s: Stripe charged %s, we expected %s",
                order.pk,
                session.get("amount_total"),
                order.total_cents,
            )
            data["amount_mismatch"] = True
        transition(
            order,
            "pay",
            "paid",
            message="Payment received. A clinician will review your answers next.",
            actor=actor,
            actor_label=actor_label,
            data=data,
        )
        invoice_id = session.get("invoice")
        if invoice_id:
            Payment.objects.get_or_create(
                stripe_invoice_id=invoice_id,
                defaults={
                    "order": order,
                    "kind": Payment.Kind.INITIAL,
                    "amount_cents": session.get("amount_total") or order.total_cents,
                    "currency": session.get("currency") or order.currency,
                    "paid_at": order.paid_at,
                },
            )
        queue_order_email(order, "order_received")
    return True


def record_initial_payment(order, *, invoice, actor_label="Stripe webhook"):
    """The subscription's first invoice (``billing_reason=subscription_create``) was paid.

    Only records the payment: the order becomes paid through ``mark_order_paid`` when
    checkout completes, whichever of the two events arrives first. Never a refill.
    """
    with transaction.atomic():
        order = lock_order(order)
        payment, created = Payment.objects.get_or_create(
            stripe_invoice_id=invoice["id"],
            defaults=_payment_fields(order, invoice, Payment.Kind.INITIAL),
        )
        if not created:
            _fill_payment_ids(payment, invoice)
        if not order.stripe_subscription_id and invoice_subscription_id(invoice):
            order.stripe_subscription_id = invoice_subscription_id(invoice)
            order.stripe_customer_id = order.stripe_customer_id or invoice.get("customer") or ""
            order.save()
        return payment


def record_renewal_payment(order, *, invoice, actor=None, actor_label="Stripe webhook"):
    """A monthly renewal (``billing_reason=subscription_cycle``) was paid.

    Records the payment once per invoice; an order that was past due is running again;
    an approved or shipped order gets a refill shipment. Returns the Payment.
    """
    with transaction.atomic():
        order = lock_order(order)
        payment, created = Payment.objects.get_or_create(
            stripe_invoice_id=invoice["id"],
            defaults=_payment_fields(order, invoice, Payment.Kind.RENEWAL),
        )
        if not created:
            return payment
        record_event(
            order,
            "renewal_paid",
            message=f"Monthly payment received ({format_money_exact(payment.amount_cents)}).",
            actor=actor,
            actor_label=actor_label,
            data={"invoice": invoice["id"], "amount": payment.amount_cents},
        )
        if order.allows("recover_payment"):
            _resume_after_past_due(order, actor=actor, actor_label=actor_label)
        if order.can_ship():
            shipment = Shipment.objects.create(
                order=order, kind=Shipment.Kind.REFILL, payment=payment, **order.address_dict()
            )
            record_event(
                order,
                "refill_created",
                message="Your monthly refill is being prepared (free shipping).",
                actor=actor,
                actor_label=actor_label,
                data={"shipment": shipment.pk},
            )
        return payment


def mark_past_due(order, *, reason="", actor=None, actor_label="Stripe webhook", data=None):
    """A running subscription's payment failed: the order is past due, the patient emailed.

    Returns True if the order changed, False if it was already past due. Raises
    ``OrderError`` for orders that are not running (not paid yet, or closed).
    """
    with transaction.atomic():
        order = lock_order(order)
        if order.status == S.PAST_DUE:
            return False
        transition(
            order,
            "fail_payment",
            "payment_failed",
            message="Your monthly payment did not go through. Please update your card.",
            actor=actor,
            actor_label=actor_label,
            data={"reason": reason, **(data or {})},
        )
        queue_order_email(order, "payment_failed", reason=reason)
        return True


def record_payment_failure(
    order, *, reason="", actor=None, actor_label="Stripe webhook", data=None
):
    """A payment did not go through (``invoice.payment_failed``, or "Decline card (test)").

    At checkout (order still waiting for payment) this is only noted: nothing was charged
    and the patient can try again. A running order becomes past due (``mark_past_due``).
    Closed orders are left alone. Returns True if the status changed.
    """
    with transaction.atomic():
        order = lock_order(order)
        if order.allows("fail_payment"):
            return mark_past_due(
                order, reason=reason, actor=actor, actor_label=actor_label, data=data
            )
        if order.status == S.PENDING_PAYMENT:
            record_event(
                order,
                "payment_declined",
                message="A payment attempt was declined. Nothing was charged.",
                actor=actor,
                actor_label=actor_label,
                data={"reason": reason, **(data or {})},
            )
        return False


def update_subscription(order, *, subscription, actor=None, actor_label="Stripe webhook"):
    """Stripe reports the subscription's current state (created, updated or deleted).

    Keeps the order's Stripe ids and ``subscription_status`` in step; ``past_due`` or
    ``unpaid`` make a running order past due, ``active`` resumes one, ``canceled`` cancels
    it. Before checkout has completed only the ids and status are stored: the order
    becomes paid through ``mark_order_paid`` (events may arrive in any order).
    """
    status = subscription.get("status") or ""
    with transaction.atomic():
        order = lock_order(order)
        order.stripe_subscription_id = subscription.get("id") or order.stripe_subscription_id
        order.stripe_customer_id = subscription.get("customer") or order.stripe_customer_id
        order.subscription_status = status
        order.save()
        if order.status == S.PENDING_PAYMENT:
            return
        if status in ("past_due", "unpaid") and order.allows("fail_payment"):
            mark_past_due(
                order, actor=actor, actor_label=actor_label, data={"subscription_status": status}
            )
        elif status == "active" and order.allows("recover_payment"):
            _resume_after_past_due(order, actor=actor, actor_label=actor_label)
    if status in ("canceled", "incomplete_expired"):
        cancel_order(order, actor=actor, actor_label=actor_label, reason="Subscription ended.")


def cancel_order(order, *, actor=None, actor_label="", reason=""):
    """The subscription was cancelled (by the patient in the portal, or by staff at Stripe).

    Records that no further months will be charged. A month already paid for and approved
    still ships (``Order.can_ship``). Declined, refunded or already cancelled orders stay as
    they are. Returns True if the order changed.
    """
    with transaction.atomic():
        order = lock_order(order)
        if not order.allows("cancel"):
            return False
        order.cancelled_at = timezone.now()
        transition(
            order,
            "cancel",
            "cancelled",
            message="Your subscription is cancelled: you will not be charged again.",
            actor=actor,
            actor_label=actor_label,
            data={"reason": reason} if reason else None,
        )
        if order.paid_at:
            queue_order_email(order, "cancelled")
        # Cancelled before a clinician approved anything: refunded in full after the commit.
        from .review import queue_refund_if_cancelled_before_review

        queue_refund_if_cancelled_before_review(order)
        return True


def record_refund(
    order,
    *,
    amount_cents,
    reason,
    stripe_refund_id="",
    payment=None,
    status=Refund.Status.SUCCEEDED,
    full=None,
    actor=None,
    actor_label="Stripe webhook",
):
    """Money went back to the patient (refund issued by staff, or seen on a Stripe charge).

    Recorded once per Stripe refund id. When everything paid has been refunded (or
    ``full`` says so), a running order becomes refunded; a declined order stays declined
    (declining always refunds). Emails the patient. Returns the Refund, or None if this
    refund was already recorded.
    """
    if amount_cents <= 0:
        raise OrderError("A refund must be more than $0.00.", code="bad_amount")
    with transaction.atomic():
        order = lock_order(order)
        if stripe_refund_id and Refund.objects.filter(stripe_refund_id=stripe_refund_id).exists():
            return None
        paid = order.paid_cents()
        already = order.refunds.live().total_cents()
        if paid and already + amount_cents > paid:
            raise OrderError(
                f"Only {format_money_exact(paid - already)} of this order is left to refund.",
                code="too_much",
            )
        refund = Refund.objects.create(
            order=order,
            payment=payment,
            amount_cents=amount_cents,
            currency=order.currency,
            reason=reason,
            stripe_refund_id=stripe_refund_id,
            status=status,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        dollars = format_money_exact(amount_cents)
        fully = full if full is not None else bool(paid) and already + amount_cents >= paid
        if fully and order.allows("refund"):
            transition(
                order,
                "refund",
                "refunded",
                message=f"Refunded {dollars} to your card.",
                actor=actor,
                actor_label=actor_label,
                data={"refund": refund.pk, "amount": amount_cents, "reason": reason},
            )
        else:
            record_event(
                order,
                "refund",
                message=f"Refunded {dollars} to your card.",
                actor=actor,
                actor_label=actor_label,
                data={"refund": refund.pk, "amount": amount_cents, "reason": reason},
            )
        queue_order_email(order, "refunded", amount_cents=amount_cents)
        return refund


def invoice_subscription_id(invoice):
    """The subscription an invoice belongs to (current API shape first)."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return details.get("subscription") or invoice.get("subscription") or ""


def invoice_payment_intent_id(invoice):
    for item in ((invoice.get("payments") or {}).get("data")) or []:
        payment = item.get("payment") or {}
        if payment.get("payment_intent"):
            return payment["payment_intent"]
    return invoice.get("payment_intent") or ""


def _payment_fields(order, invoice, kind):
    return {
        "order": order,
        "kind": kind,
        "amount_cents": invoice.get("amount_paid") or 0,
        "currency": invoice.get("currency") or order.currency,
        "stripe_payment_intent_id": invoice_payment_intent_id(invoice),
        "stripe_charge_id": invoice.get("charge") or "",
        "paid_at": _from_timestamp((invoice.get("status_transitions") or {}).get("paid_at")),
    }


def _fill_payment_ids(payment, invoice):
    """A payment first recorded from the checkout session learns its payment intent."""
    intent = invoice_payment_intent_id(invoice)
    if intent and not payment.stripe_payment_intent_id:
        payment.stripe_payment_intent_id = intent
        payment.amount_cents = invoice.get("amount_paid") or payment.amount_cents
        payment.save(update_fields=["stripe_payment_intent_id", "amount_cents"])


def _resume_after_past_due(order, *, actor=None, actor_label=""):
    """Back to the status the order had before its payment failed."""
    last = order.events.filter(to_status=S.PAST_DUE).order_by("-created_at", "-id").first()
    resumable = order.targets("recover_payment", order.status)
    previous = last.from_status if last and last.from_status in resumable else S.AWAITING_REVIEW
    transition(
        order,
        "recover_payment",
        "payment_recovered",
        to=previous,
        message="Your payment went through: your subscription is running again.",
        actor=actor,
        actor_label=actor_label,
    )
