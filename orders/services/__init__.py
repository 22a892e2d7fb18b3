"""Every change to an order happens here, one verb function per change.

The shape follows pretix's order services: each verb is atomic, locks the order row
(``select_for_update``), checks the current status first, raises ``OrderError`` with a
message a patient or staff member can read when the change is not allowed, and writes an
``OrderEvent`` to the order's timeline (who, what, data).

Modules, by concern:

- ``checkout``: turning a cart and questionnaire answers into a pending order;
- ``payments``: what Stripe (or the test-mode gateway) tells us: paid, renewal paid,
  payment failed, subscription changed or cancelled, refunded;
- ``webhooks``: Stripe events, stored once and dispatched to ``payments``.

Review and fulfilment verbs (approve, decline, ship, refill shipments) build on the same
helpers below.
"""

from django.db import transaction

from ..models import Order, OrderEvent


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
):
    """Add one entry to the order's timeline."""
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        message=message,
        from_status=from_status,
        to_status=to_status,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label,
        data=data or {},
    )


def set_status(order, new_status, kind, *, message="", actor=None, actor_label="", data=None):
    """Move a locked ``order`` to ``new_status``, save it and record the transition."""
    old_status = order.status
    order.status = new_status
    order.save()
    return record_event(
        order,
        kind,
        message=message,
        from_status=old_status,
        to_status=new_status,
        actor=actor,
        actor_label=actor_label,
        data=data,
    )


def require_status(order, allowed, action):
    """Raise ``OrderError`` unless ``order.status`` is one of ``allowed``."""
    if order.status not in allowed:
        raise OrderError(
            f"This order cannot be {action}: it is {order.get_status_display().lower()}.",
            code="wrong_status",
        )


__all__ = [
    "OrderError",
    "lock_order",
    "record_event",
    "require_status",
    "set_status",
    "transaction",
]
