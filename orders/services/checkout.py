"""From a cart and questionnaire answers to an order waiting for payment.

The price of every line comes from the plans in the database at this moment, never from
the request. A patient who comes back to checkout (cancelled at Stripe, or Stripe was
unreachable) reuses her pending order instead of creating another.
"""

from django.db import transaction

from ..models import Order, OrderLine, QuestionnaireResponse
from . import OrderError, lock_order, record_event


def place_order(cart, *, email, full_name, date_of_birth, answers, flags, pending=None):
    """Create (or refresh) the pending order for ``cart``; returns the Order.

    ``pending`` is the order this browser started earlier, if any: while it still waits for
    payment it is updated in place (lines re-priced, answers replaced), so retries never
    make a second order.
    """
    lines = cart.lines
    if not lines:
        raise OrderError("Your cart is empty.", code="empty_cart")
    currencies = {line.plan.currency for line in lines}
    if len(currencies) != 1:
        raise OrderError("These treatments cannot be paid together.", code="mixed_currency")
    subtotal = sum(line.total_cents for line in lines)
    fields = {
        "email": email,
        "full_name": full_name,
        "date_of_birth": date_of_birth,
        "currency": currencies.pop(),
        "subtotal_cents": subtotal,
        "shipping_cents": 0,
        "total_cents": subtotal,
    }
    with transaction.atomic():
        order = None
        if pending is not None:
            order = lock_order(pending)
            if order.status != Order.Status.PENDING_PAYMENT:
                order = None
        if order is None:
            order = Order.objects.create(**fields)
            record_event(
                order,
                "created",
                to_status=order.status,
                message="Order placed and medical questionnaire answered.",
                actor_label="patient",
            )
        else:
            for name, value in fields.items():
                setattr(order, name, value)
            order.save()
            order.lines.all().delete()
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                plan=line.plan,
                treatment_name=line.plan.treatment.name,
                treatment_slug=line.plan.treatment.slug,
                plan_name=line.plan.name,
                unit_amount_cents=line.plan.amount_cents,
                currency=line.plan.currency,
                interval=line.plan.interval,
                quantity=line.quantity,
            )
            for line in lines
        )
        QuestionnaireResponse.objects.update_or_create(
            order=order, defaults={"answers": answers, "flags": flags}
        )
    return order
