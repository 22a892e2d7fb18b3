"""What a patient does with her subscription from her account: pause, resume, cancel at the
end of the month, change the address of future refills, open Stripe's Customer Portal.

Each is a verb that asks Stripe first (through the gateway, so test mode does the same
locally), then records the change in the order's timeline and emails her.

Collection can be paused by her (for one or two months) or by the clinic (a clinician asked
her a question, see ``services.messages``). Stripe has one ``pause_collection`` per
subscription, so ``collection_pause`` works out what it must be from both; her "resume"
clears only her own pause and never lifts the clinic's.
"""

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from orders.emails import queue_order_email
from orders.models import Order
from orders.services import OrderError, lock_order, record_event
from payments.gateways import gateway_for

S = Order.Status
# While running, a patient may pause, cancel or move her refills.
RUNNING = (S.AWAITING_REVIEW, S.APPROVED, S.SHIPPED)
MAX_PAUSE_MONTHS = 2


def current_period_end(subscription):
    """When the month she paid for ends: this API version keeps it on the items."""
    ends = [
        item.get("current_period_end") for item in (subscription.get("items") or {}).get("data", [])
    ]
    ends = [end for end in ends if end]
    return datetime.fromtimestamp(min(ends), tz=UTC) if ends else None


def clinic_pause(order):
    """The clinic holds collection while a question to her is unanswered, and while her
    prescription waits to be renewed (she is never charged for a month that cannot ship)."""
    return order.status in (S.NEEDS_INFORMATION, S.RENEWAL_DUE, S.RENEWAL_REVIEW)


def collection_pause(order):
    """What Stripe's ``pause_collection`` must be for ``order`` ("" to collect again)."""
    if clinic_pause(order):
        return {"behavior": "void"}
    if order.patient_pause_until:
        return {"behavior": "void", "resumes_at": int(order.patient_pause_until.timestamp())}
    return ""


def push_collection_pause(order, *, reason):
    """Tell Stripe the pause ``order`` needs now (a paid order always has a subscription)."""
    pause = collection_pause(order)
    gateway_for(order).update_subscription(
        order.stripe_subscription_id,
        {"pause_collection": pause},
        idempotency_key=f"pause-{order.stripe_subscription_id}-{reason}-{_stamp(pause)}",
    )


def _stamp(pause):
    return pause.get("resumes_at", "on") if pause else "off"


def _running(order, action):
    if order.status not in RUNNING and not clinic_pause(order):
        raise OrderError(
            f"Your subscription cannot be {action}: the order is "
            f"{order.get_status_display().lower()}.",
            code="wrong_status",
        )
    if order.cancel_at_period_end:
        raise OrderError(
            "Your subscription is already set to end after this month.", code="cancelling"
        )


def pause_refills(order, *, months, by):
    """She skips the next ``months`` refills (1 or 2): no charge, nothing ships meanwhile."""
    if months not in range(1, MAX_PAUSE_MONTHS + 1):
        raise OrderError("You can pause for one or two months.", code="bad_months")
    with transaction.atomic():
        order = lock_order(order)
        _running(order, "paused")
        start = order.current_period_end or timezone.now()
        order.patient_pause_until = start + timedelta(days=30 * months)
        push_collection_pause(order, reason=f"patient-{months}")
        order.save(update_fields=["patient_pause_until", "updated_at"])
        until = timezone.localtime(order.patient_pause_until)
        record_event(
            order,
            "paused",
            message=f"You paused your refills until {until:%B %-d, %Y}: no charge until then.",
            actor=by,
            data={"months": months, "until": order.patient_pause_until.isoformat()},
        )
        queue_order_email(order, "paused", until=f"{until:%B %-d, %Y}")
    return order


def resume_refills(order, *, by):
    """She ends her own pause early. A pause the clinic placed stays until she answers."""
    with transaction.atomic():
        order = lock_order(order)
        if not order.patient_pause_until:
            raise OrderError("Your refills are not paused.", code="not_paused")
        order.patient_pause_until = None
        push_collection_pause(order, reason="patient-resume")
        order.save(update_fields=["patient_pause_until", "updated_at"])
        message = "You resumed your refills: the next one is charged and ships as usual."
        if clinic_pause(order):
            message = (
                "You resumed your refills. Your clinician is waiting for your answer to a "
                "question: nothing is charged or ships until you reply."
            )
        record_event(order, "resumed", message=message, actor=by)
        queue_order_email(order, "resumed", clinic_pause=clinic_pause(order))
    return order


def cancel_at_period_end(order, *, by):
    """She cancels: no charge after the month she paid for (which still ships)."""
    with transaction.atomic():
        order = lock_order(order)
        _running(order, "cancelled")
        gateway_for(order).update_subscription(
            order.stripe_subscription_id,
            {"cancel_at_period_end": True},
            idempotency_key=f"cancel-at-end-{order.stripe_subscription_id}",
        )
        order.cancel_at_period_end = True
        order.save(update_fields=["cancel_at_period_end", "updated_at"])
        record_event(
            order,
            "cancel_requested",
            message="You cancelled your subscription: you will not be charged again after "
            "this month.",
            actor=by,
        )
        queue_order_email(order, "cancel_requested")
    return order


def change_address(order, *, address, by):
    """Her refills go to ``address`` from now on (boxes already sent are not recalled)."""
    with transaction.atomic():
        order = lock_order(order)
        if order.status in (S.DECLINED, S.REFUNDED, S.CANCELLED):
            raise OrderError("This order has no more refills to send.", code="closed")
        for name, value in address.items():
            setattr(order, name, value)
        order.save()
        order.shipments.filter(status="pending").update(**address)
        record_event(
            order,
            "address_changed",
            message="Your shipping address for refills was updated.",
            actor=by,
        )
        queue_order_email(order, "address_changed")
    return order


def portal_url(order, *, return_url):
    """Stripe's Customer Portal for her cards and invoices (her signed-in pages only)."""
    account = order.patient.patient_account
    customer = account.stripe_customer_id or order.stripe_customer_id
    if not customer:
        raise OrderError("Your card details appear once your first payment is confirmed.")
    return gateway_for(order).customer_portal_url(customer, return_url=return_url)
