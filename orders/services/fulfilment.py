"""Fulfilment: shipments go out with a carrier and tracking number, and the patient is told.

Shipments are created elsewhere (the first one when a clinician approves, a refill for each
renewal payment); this module sends them. An order moves to ``shipped`` with its first
parcel; refills keep it shipped and only add to the timeline.
"""

from django.utils import timezone

from clinic.services.prescriptions import use_refill
from orders.emails import queue_order_email
from orders.models import Order, Shipment
from orders.services import OrderError, lock_order, transaction, transition

S = Order.Status
CARRIERS = tuple(Shipment.TRACKING_URLS)


def mark_shipped(shipment, *, by, carrier, tracking_number):
    """``shipment`` left the pharmacy with ``carrier`` under ``tracking_number``.

    Refused (``OrderError``) unless the order was approved, for a shipment already sent
    or cancelled, before a pharmacist verified every prescription in it
    (``Shipment.can_ship``), and without a carrier and tracking number. Emails the patient the
    tracking link. Returns the updated shipment.
    """
    carrier = (carrier or "").strip()
    tracking_number = (tracking_number or "").strip()
    if not carrier or not tracking_number:
        raise OrderError("A carrier and a tracking number are required.", code="tracking_required")
    with transaction.atomic():
        order = lock_order(shipment.order)
        shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if not shipment.can_become(Shipment.Status.SHIPPED):
            if shipment.status == Shipment.Status.SHIPPED:  # the message names the parcel
                raise OrderError(
                    f"This shipment was already marked shipped ({shipment.carrier} "
                    f"{shipment.tracking_number}).",
                    code="already_shipped",
                )
            raise OrderError(
                f"This shipment was {shipment.get_status_display().lower()} and cannot be shipped."
            )
        if not order.can_ship():
            raise OrderError(
                "Only approved orders can ship: this order is "
                f"{order.get_status_display().lower()}.",
                code="wrong_status",
            )
        if not order.prescriptions_verified():
            raise OrderError(
                "A pharmacist has not verified every prescription in this box yet: it "
                "cannot ship until each one is verified (the verification queue).",
                code="not_verified",
            )
        shipment.status = Shipment.Status.SHIPPED
        shipment.carrier = carrier
        shipment.tracking_number = tracking_number
        shipment.shipped_at = timezone.now()
        shipment.shipped_by = by
        shipment.save()
        message = (
            f"{shipment.get_kind_display()} shipped with {carrier}, tracking {tracking_number}."
        )
        data = {"shipment": shipment.pk, "carrier": carrier, "tracking_number": tracking_number}
        transition(order, "ship", "shipped", message=message, actor=by, data=data)
        use_refill(order, shipment)
        queue_order_email(
            order,
            "shipped",
            carrier=carrier,
            tracking_number=tracking_number,
            tracking_url=shipment.tracking_url,
            shipment_kind=shipment.get_kind_display(),
        )
    return shipment


def mark_many_shipped(shipments, *, by, carrier, tracking_numbers):
    """Bulk version: ``tracking_numbers`` maps shipment pk -> tracking number.

    Each shipment is its own transaction, so one refusal does not undo the others.
    Returns (shipped shipments, [(shipment, error message)]).
    """
    done, refused = [], []
    for shipment in shipments:
        try:
            done.append(
                mark_shipped(
                    shipment,
                    by=by,
                    carrier=carrier,
                    tracking_number=tracking_numbers.get(shipment.pk, ""),
                )
            )
        except OrderError as error:
            refused.append((shipment, error.message))
    return done, refused
