"""What the payment provider tells us about an order, as verb functions.

The Stripe webhook handlers (``services.stripe_events``) fetch the facts from Stripe first
and then call these with neutral dataclasses (``payments.gateways.facts``: never a Stripe
dict); the local test-mode gateway makes the same dataclasses, so test mode exercises the
same code as production. Every function is safe to call twice
with the same input: Stripe delivers events at least once and in any order, and the
lifecycle table never lets a status move backwards.
"""

import logging

from django.db import transaction
from django.utils import timezone

from clinic.flags import Grade, make_flag
from clinic.services.review import refund_cancelled_before_review
from core.money import format_money_exact
from core.us_states import STATE_NAMES, US_STATES
from orders.emails import queue_order_email
from orders.models import Hold, Order, Payment, QuestionnaireResponse, Shipment
from orders.services import lock_order, record_event, transition
from orders.services.holds import open_hold
from payments.gateways.facts import SubscriptionStatus
from payments.services.refunds import cancel_subscription_later, request_refund

logger = logging.getLogger(__name__)

S = Order.Status


def is_stray(order, checkout):
    """A completed checkout that must not pay the order: not its one live session (she
    changed her cart, or paid in two tabs), or charging another amount than the order
    costs now."""
    return checkout.session_id != order.stripe_checkout_session_id or (
        checkout.amount_total_cents != order.total_cents
    )


def complete_checkout(
    order,
    *,
    checkout,
    invoice,
    period_end=None,
    billing_anchor=None,
    actor=None,
    actor_label="Stripe webhook",
):
    """The patient paid ``checkout`` (a ``CompletedCheckout`` as the provider has it now,
    paid: the caller checks).

    ``invoice`` is the ``PaidInvoice`` of its first invoice; ``period_end`` when the month she
    paid for ends and ``billing_anchor`` what her renewals are counted from (both from her
    subscription). The order's one live session,
    charging what the order costs: the order is paid and waits for a clinician (its Stripe
    customer, subscription and shipping address stored, the first payment recorded, the
    patient emailed). Any other session is a stray payment: refunded and its subscription
    cancelled (``record_stray_payment``). Returns "paid", "already paid" or "stray".
    """
    with transaction.atomic():
        order = lock_order(order)
        if is_stray(order, checkout):
            record_stray_payment(
                order,
                invoice=invoice,
                why=_stray_reason(order, checkout),
                actor=actor,
                actor_label=actor_label,
            )
            return "stray"
        if order.paid_at is not None:
            return "already paid"
        order.stripe_customer_id = checkout.customer_id or order.stripe_customer_id
        order.stripe_subscription_id = invoice.subscription_id or checkout.subscription_id
        order.subscription_status = SubscriptionStatus.ACTIVE
        order.current_period_end = period_end
        order.billing_anchor = billing_anchor
        _adopt_customer(order)
        for name, value in checkout.shipping.items():
            setattr(order, name, value)
        order.paid_at = timezone.now()
        transition(
            order,
            "pay",
            "paid",
            message="Payment received. A clinician will review your answers next.",
            actor=actor,
            actor_label=actor_label,
            data={"checkout_session": checkout.session_id, "amount_total": invoice.amount_cents},
        )
        _record_payment(order, invoice, Payment.Kind.INITIAL)
        _hold_if_shipping_elsewhere(order, actor_label)
        queue_order_email(order, "order_received")
    return "paid"


def _state_code(value):
    value = (value or "").strip()
    names = {name.lower(): code for code, name in US_STATES}
    return names.get(value.lower(), value.upper())


def _hold_if_shipping_elsewhere(order, actor_label):
    """The address Stripe collected must be in the state she lives in (the state her
    clinician is licensed for): otherwise the order is held, and the clinician sees it first
    among the red flags. Orders placed before the state was asked have none to compare."""
    shipped_to = _state_code(order.ship_state)
    if not order.residence_state or not shipped_to or shipped_to == order.residence_state:
        return
    lives, ships = (STATE_NAMES.get(c, c) for c in (order.residence_state, shipped_to))
    reason = (
        f"She lives in {lives} (her answers) but asked to ship to {ships}: the clinician "
        "must be licensed where she is treated. Confirm her state before anything ships."
    )
    open_hold(order, Hold.Kind.STATE_MISMATCH, reason, actor_label=actor_label)
    # Every order has its answers (placed with them): the flag goes first.
    questionnaire = QuestionnaireResponse.objects.get(order=order)
    flag = make_flag("shipping_state", f"Shipping state differs: {reason}", Grade.CONTRAINDICATION)
    questionnaire.flags = [flag, *questionnaire.flags]
    questionnaire.save(update_fields=["flags", "updated_at"])


def _adopt_customer(order):
    """A signed-in patient's first paid checkout gives her account its Stripe customer."""
    account = getattr(order.patient, "patient_account", None) if order.patient_id else None
    if account is not None and not account.stripe_customer_id and not order.is_test_mode:
        account.stripe_customer_id = order.stripe_customer_id
        account.save(update_fields=["stripe_customer_id"])


def _stray_reason(order, checkout):
    if checkout.session_id != order.stripe_checkout_session_id:
        return (
            "A checkout that was no longer the order's current one was paid (the cart changed, "
            "or a second tab)."
        )
    return (
        f"Stripe charged {format_money_exact(checkout.amount_total_cents or 0)} but the order "
        f"costs {format_money_exact(order.total_cents)}."
    )


def record_stray_payment(order, *, invoice, why, actor=None, actor_label="Stripe webhook"):
    """Money that must not pay ``order``: recorded, refunded in full, its subscription
    cancelled, and noted in the timeline and the review queue. Once per invoice."""
    with transaction.atomic():
        order = lock_order(order)
        payment, created = _record_payment(order, invoice, Payment.Kind.STRAY)
        if not created:
            return payment
        record_event(
            order,
            "stray_payment",
            message=f"A second payment of {format_money_exact(payment.amount_cents)} was "
            "refunded to your card automatically: you are only charged once.",
            actor=actor,
            actor_label=actor_label,
            data={
                "invoice": invoice.invoice_id,
                "subscription": invoice.subscription_id,
                "why": why,
            },
        )
        request_refund(
            order,
            payment,
            amount_cents=payment.amount_cents,
            reason=f"Stray checkout refunded automatically: {why}",
            actor_label="Automatic refund",
        )
        # Never the order's own subscription: see is_stray and the callers.
        cancel_subscription_later(order, invoice.subscription_id)
    return payment


def _record_payment(order, invoice, kind):
    """The Payment for ``invoice``, created once (the unique invoice id sees to it)."""
    return Payment.objects.get_or_create(
        stripe_invoice_id=invoice.invoice_id,
        defaults={
            "order": order,
            "kind": kind,
            "amount_cents": invoice.amount_cents,
            "currency": invoice.currency,
            "paid_at": invoice.paid_at,
            "stripe_subscription_id": invoice.subscription_id,
            "stripe_payment_intent_id": invoice.payment_intent,
            "stripe_charge_id": invoice.charge,
        },
    )


def record_initial_payment(order, *, invoice):
    """The subscription's first invoice (``billing_reason=subscription_create``) was paid.

    Only records the payment (with its payment intent and charge): the order becomes paid
    through ``complete_checkout``, whichever of the two events arrives first. An invoice of
    another subscription than the order's belongs to a stray checkout, which its own
    completion refunds.
    """
    with transaction.atomic():
        order = lock_order(order)
        if order.stripe_subscription_id and invoice.subscription_id != order.stripe_subscription_id:
            return None
        payment, _ = _record_payment(order, invoice, Payment.Kind.INITIAL)
        return payment


def record_renewal_payment(order, *, invoice, actor=None, actor_label="Stripe webhook"):
    """A monthly renewal (``billing_reason=subscription_cycle``) was paid.

    Records the payment once per invoice; an order that was past due is running again; an
    approved order gets a refill shipment. A renewal of another subscription than the
    order's is a stray payment (refunded, that subscription cancelled); one that charged
    another amount than the order costs now puts the order on hold for Support. Returns
    the Payment.
    """
    with transaction.atomic():
        order = lock_order(order)
        if invoice.subscription_id != order.stripe_subscription_id:
            return record_stray_payment(
                order,
                invoice=invoice,
                why="A renewal of a subscription that is not the order's.",
                actor=actor,
                actor_label=actor_label,
            )
        payment, created = _record_payment(order, invoice, Payment.Kind.RENEWAL)
        if not created:
            return payment
        record_event(
            order,
            "renewal_paid",
            message=f"Monthly payment received ({format_money_exact(payment.amount_cents)}).",
            actor=actor,
            actor_label=actor_label,
            data={"invoice": invoice.invoice_id, "amount": payment.amount_cents},
        )
        if payment.amount_cents != order.total_cents:
            open_hold(
                order,
                Hold.Kind.AMOUNT_MISMATCH,
                f"Renewal {invoice.invoice_id} charged {format_money_exact(payment.amount_cents)}; "
                f"the order costs {format_money_exact(order.total_cents)}.",
                stripe_object_id=invoice.invoice_id,
            )
        if order.allows("recover_payment"):
            _resume_after_past_due(order, actor=actor, actor_label=actor_label)
        if order.was_approved and order.allows("ship"):
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
        if order.is_past_due():
            return False
        order.status_before_past_due = order.status
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
        if order.awaits_payment():
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
    """The provider reports ``subscription`` (a ``SubscriptionState``, fetched) as it is now.

    Only the order's own subscription counts: news about another one (a stray checkout's)
    never overwrites the order's id or status. Behind on payment (past due, unpaid) makes a
    running order past due, active resumes one, ended (cancelled) cancels it. Before
    checkout has completed nothing is stored: the order becomes paid through
    ``complete_checkout``.
    """
    status = subscription.status
    with transaction.atomic():
        order = lock_order(order)
        if order.awaits_payment() or subscription.subscription_id != order.stripe_subscription_id:
            return False
        order.subscription_status = status
        order.current_period_end = subscription.current_period_end or order.current_period_end
        order.billing_anchor = subscription.billing_anchor or order.billing_anchor
        order.cancel_at_period_end = subscription.cancel_at_period_end
        order.save(
            update_fields=[
                "subscription_status",
                "current_period_end",
                "billing_anchor",
                "cancel_at_period_end",
                "updated_at",
            ]
        )
        if subscription.behind and order.allows("fail_payment"):
            mark_past_due(
                order, actor=actor, actor_label=actor_label, data={"subscription_status": status}
            )
        elif status == SubscriptionStatus.ACTIVE and order.allows("recover_payment"):
            _resume_after_past_due(order, actor=actor, actor_label=actor_label)
    if subscription.ended:
        cancel_order(order, actor=actor, actor_label=actor_label, reason="Subscription ended.")
    return True


def cancel_order(order, *, actor=None, actor_label="", reason=""):
    """The subscription was cancelled (by the patient, or by staff at Stripe).

    Records that no further months will be charged. A month already paid for and approved
    still ships (``Order.can_ship``). Declined, refunded or already cancelled orders stay as
    they are. Returns True if the order changed.
    """
    with transaction.atomic():
        order = lock_order(order)
        if not order.allows("cancel"):
            return False
        order.cancelled_at = timezone.now()
        order.subscription_status = SubscriptionStatus.CANCELED
        transition(
            order,
            "cancel",
            "cancelled",
            message="Your subscription is cancelled: you will not be charged again.",
            actor=actor,
            actor_label=actor_label,
            data={"reason": reason} if reason else None,
        )
        queue_order_email(order, "cancelled")
        if order.cancelled_before_review:
            # Nothing for a clinician to judge: she is refunded everything at once.
            refund_cancelled_before_review(order)
        return True


def _resume_after_past_due(order, *, actor=None, actor_label=""):
    """Back to the status the order had before its payment failed (kept on the order)."""
    resumable = order.targets("recover_payment", order.status)
    previous = order.status_before_past_due
    order.status_before_past_due = ""
    transition(
        order,
        "recover_payment",
        "payment_recovered",
        to=previous if previous in resumable else S.AWAITING_REVIEW,
        message="Your payment went through: your subscription is running again.",
        actor=actor,
        actor_label=actor_label,
    )
