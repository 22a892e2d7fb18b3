"""Every change to an order happens here, one verb function per change.

The shape follows pretix's order services: each verb is atomic, locks the order row
(``select_for_update``), asks the order's lifecycle predicates (``Order.LIFECYCLE``,
``can_approve()``, ``can_ship()``...) whether the change is allowed, raises ``OrderError``
with a message a patient or staff member can read when it is not, and moves the status
only through ``transition``, which writes an ``OrderEvent`` to the order's timeline (who,
what, data).

Verbs, by concern (each app keeps its own ``services``):

- ``orders.services.checkout``: a cart and questionnaire answers become a pending order;
- ``orders.services.fulfilment``: shipments go out;
- ``orders.services.holds``: reasons an order may not ship, opened and released;
- ``payments.services``: what Stripe (or the test-mode gateway) tells us and what we ask of
  it: payments, Stripe events, refunds, subscriptions, reconciliation;
- ``clinic.services``: a clinician reviews (approves, declines, asks), prescribes, renews;
- ``patients.services``: messages between her and the care team.
"""

from django.db import transaction

from orders.models import Order, OrderEvent


class OrderError(Exception):
    """A change that is not allowed; ``message`` is fit to show to a patient or staff member."""

    def __init__(self, message, *, code="invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


def lock_order(order):
    """Re-read ``order`` with a row lock (call inside ``transaction.atomic``).

    Returns the fresh instance: callers must use it instead of the possibly stale one they
    were given, since another request may have changed the order meanwhile.
    """
    return Order.objects.select_for_update().get(pk=order.pk)


def record_event(
    order,
    kind,
    *,
    message="",
    from_status="",
    to_status="",
    actor=None,
    actor_label="",
    data=None,
    note="",
):
    """Add one entry to the order's timeline.

    A ``reason`` given in ``data`` (typed by Support, a clinician or the patient, or sent by
    Stripe) is kept in the encrypted ``note``, never in the plain-text ``data``."""
    data = dict(data or {})
    note = note or str(data.pop("reason", "") or "")
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        message=message,
        from_status=from_status,
        to_status=to_status,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label,
        data=data,
        note=note,
    )


# How each lifecycle action reads in "This order cannot be ... now".
ACTION_WORDS = {
    "pay": "paid",
    "approve": "approved",
    "decline": "declined",
    "ship": "shipped",
    "fail_payment": "marked past due",
    "recover_payment": "resumed",
    "cancel": "cancelled",
    "refund": "refunded in full",
    "ask": "held for a question to the patient",
    "answer": "answered",
    "renewal_due": "paused for a renewal",
    "answer_renewal": "sent for renewal",
    "renew": "renewed",
    "end_treatment": "ended",
    "change_prescription": "given a changed prescription",
}


def refuse_unless(allowed, order, action, *, doing=None):
    """Raise the lifecycle's ``OrderError`` for ``action`` unless ``allowed``, the answer of
    the order's named predicate (``order.can_refund()``, ``order.can_ask()``...).

    Verbs ask the predicate, not the status: a predicate also says what the table cannot
    (money left to refund, a decision already made). ``doing`` words the action where
    ``ACTION_WORDS`` does not fit (a partial refund is not "refunded in full")."""
    if not allowed:
        raise OrderError(
            f"This order cannot be {doing or ACTION_WORDS[action]} now: it is "
            f"{order.get_status_display().lower()}.",
            code="wrong_status",
        )


def transition(order, action, kind, *, to=None, message="", actor=None, actor_label="", data=None):
    """Move a locked ``order`` along ``Order.LIFECYCLE`` by ``action``; save and record it.

    ``to`` picks the target where the table allows more than one (resuming after a failed
    payment). A move the table does not list raises ``OrderError``; an action that keeps
    the status (a refill shipping) only adds the timeline entry ``kind``.
    """
    targets = order.targets(action, order.status)
    if to is not None:
        targets = [target for target in targets if target == to]
    if len(targets) != 1:
        raise OrderError(
            f"This order cannot be {ACTION_WORDS[action]} now: it is "
            f"{order.get_status_display().lower()}.",
            code="wrong_status",
        )
    old_status, order.status = order.status, targets[0]
    order.save()
    return record_event(
        order,
        kind,
        message=message,
        from_status=old_status if old_status != order.status else "",
        to_status=order.status if old_status != order.status else "",
        actor=actor,
        actor_label=actor_label,
        data=data,
    )


__all__ = [
    "OrderError",
    "lock_order",
    "record_event",
    "refuse_unless",
    "transition",
    "transaction",
]
