"""Stopping a treatment she was approved for: her answers rule it out (pregnancy at renewal,
``clinic.renewal``), or she never answered her clinician about it.

``stop_lines`` declines the lines (``OrderLine.LIFECYCLE``'s "stop"), ends their current
prescriptions (nothing more of them is packed), refunds their share of every month she paid
whose box has not shipped, takes their items off her subscription after the commit (or, when
nothing is left, cancels the subscription) and cancels the boxes nothing is left to fill. A
stop never leaves her paying for a box that does not come.
"""

from django.utils import timezone

from clinic.services.review import remove_declined_items_later
from orders.models import OrderLine, Prescription, Shipment
from orders.services import record_event
from payments.services.refunds import cancel_subscription_later, request_refund


def stop_lines(order, lines, *, reason, message, by=None, actor_label=""):
    """Stop the approved ``lines`` of the locked ``order`` (inside ``transaction.atomic``) for
    ``reason`` (kept encrypted on each line); ``message`` goes in her timeline. Returns the
    Refunds."""
    lines = [line for line in lines if line.decision == OrderLine.Decision.APPROVED]
    if not lines:
        return []
    for line in lines:
        line.decide("stop")
        line.decline_reason = reason
    OrderLine.objects.bulk_update(lines, ["decision", "decline_reason"])
    Prescription.objects.filter(order=order, line__in=lines, replaced_at=None).update(
        replaced_at=timezone.now()
    )
    names = ", ".join(line.treatment_name for line in lines)
    share = sum(line.line_total_cents for line in lines)
    pending = list(order.shipments.filter(status=Shipment.Status.PENDING).select_related("payment"))
    refunds = [
        request_refund(
            order,
            shipment.payment,
            amount_cents=min(share, shipment.payment.refundable_cents()),
            reason=f"Stopped: {names}",
            by=by,
            actor_label=actor_label,
            email_patient=False,
        )
        for shipment in pending
        if shipment.payment and shipment.payment.refundable_cents() > 0
    ]
    left = order.lines.filter(decision=OrderLine.Decision.APPROVED).exists()
    if not left:  # nothing left to fill the boxes not sent, nor to charge for
        Shipment.objects.filter(pk__in=[s.pk for s in pending]).update(
            status=Shipment.Status.CANCELLED
        )
    order.subtotal_cents -= share
    order.total_cents -= share
    order.save(update_fields=["subtotal_cents", "total_cents"])
    if left:  # a paid order always has its subscription
        remove_declined_items_later(order, [line.plan_id for line in lines])
    else:
        cancel_subscription_later(order, order.stripe_subscription_id)
    record_event(
        order,
        "lines_stopped",
        message=message,
        actor=by,
        actor_label=actor_label,
        data={"lines": [line.pk for line in lines], "refunds": [r.pk for r in refunds]},
    )
    return refunds
