"""What a patient does with her subscription from her account: pause, resume, cancel at the
end of the month, change the address of future refills, open Stripe's Customer Portal.

Each is a verb that records the change (and the intent to tell Stripe) in one transaction,
then tells Stripe after the commit from a task, ``sync_billing``: no network call is made while
the order row is locked, and nothing she did is lost when Stripe fails or times out. The task
reads what Stripe has now and sends only what is still missing, each attempt with its own
idempotency key (a saved 500 would be replayed to the same key, and reading first makes a new
key safe). It is retried with backoff by the worker; ``billing_sync_requested_at`` stays set
until Stripe has it, and the hourly reconciliation sends what is still waiting.

Collection can be paused by her (for one or two months) or by the clinic (a clinician asked
her a question, see ``services.messages``). Stripe has one ``pause_collection`` per
subscription, so ``wanted_collection`` works out what it must be from both; her "resume"
clears only her own pause and never lifts the clinic's.
"""

import uuid
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from orders.emails import queue_order_email
from orders.models import Order
from orders.services import OrderError, lock_order, record_event
from payments.gateways import gateway_for
from payments.gateways.facts import SubscriptionStatus

MAX_PAUSE_MONTHS = 2


def clinic_pause(order):
    """The clinic holds collection while a question to her is unanswered, while her
    prescription waits to be renewed, while a problem she reported or a check-in she has not
    answered holds her boxes (``Hold.PAUSES_COLLECTION``): she is never charged for a month
    that cannot ship."""
    return order.clinic_holds_billing() or order.holds.pausing().exists()


def sync_billing_later(order):
    """Record (in the caller's transaction, on the locked ``order``) that Stripe must be told
    the collection ``order`` needs now, and tell it after the commit."""
    order.billing_sync_requested_at = timezone.now()
    Order.objects.filter(pk=order.pk).update(
        billing_sync_requested_at=order.billing_sync_requested_at
    )
    transaction.on_commit(partial(sync_billing.enqueue, order.pk))


def wanted_collection(order):
    """(paused, resumes_at, cancel_at_period_end) as the order needs them now. The clinic's
    pause has no end date (it lasts until she answers, or until her prescription is
    renewed) and outranks hers, which ends on the day she chose."""
    if clinic_pause(order):
        return True, None, order.cancel_at_period_end
    if order.patient_pause_until:
        return True, int(order.patient_pause_until.timestamp()), order.cancel_at_period_end
    return False, None, order.cancel_at_period_end


@task
def sync_billing(order_id):
    """Bring Stripe's subscription in line with the order: read, then send what is missing.

    Raises when Stripe fails or does not answer (the task is retried, and the request stays
    recorded on the order until Stripe has it)."""
    order = Order.objects.filter(pk=order_id, billing_sync_requested_at__isnull=False).first()
    if order is None:
        return "nothing waiting"
    requested = order.billing_sync_requested_at
    gateway = gateway_for(order)
    now = gateway.subscription_state(order.stripe_subscription_id)
    paused, resumes_at, cancelling = wanted_collection(order)
    changes = {}
    if now.status != SubscriptionStatus.CANCELED:
        if (now.paused, now.resumes_at) != (paused, resumes_at):
            changes.update(paused=paused, resumes_at=resumes_at)
        if cancelling and not now.cancel_at_period_end:
            changes["cancel_at_period_end"] = True
    if changes:
        gateway.set_collection(
            order.stripe_subscription_id,
            changes,
            idempotency_key=f"billing-{order.stripe_subscription_id}-{uuid.uuid4().hex}",
        )
    # A change made meanwhile keeps its own request (and its own task).
    Order.objects.filter(pk=order.pk, billing_sync_requested_at=requested).update(
        billing_sync_requested_at=None
    )
    return "sent" if changes else "in step"


def _running(order, action):
    """Refuse what ``Order.can_change_billing()`` refuses, saying why."""
    if order.can_change_billing():
        return
    if order.cancel_at_period_end and not order.is_closed():
        raise OrderError(
            "Your subscription is already set to end after this month.", code="cancelling"
        )
    raise OrderError(
        f"Your subscription cannot be {action}: the order is {order.get_status_display().lower()}.",
        code="wrong_status",
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
        order.save(update_fields=["patient_pause_until", "updated_at"])
        sync_billing_later(order)
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
        order.save(update_fields=["patient_pause_until", "updated_at"])
        sync_billing_later(order)
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
        order.cancel_at_period_end = True
        order.save(update_fields=["cancel_at_period_end", "updated_at"])
        sync_billing_later(order)
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
        if not order.can_change_address():
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
