"""Dispensing: the pharmacist records what goes into a box, medicine by medicine (product,
strength, quantity, days' supply, lot and its expiry), and prints the patient label.

Only once every prescription of the order is verified (``clinic.services.verification``),
and only for a box still to ship. Dispensing again replaces the box's records (a lot
changed before packing); the label page reads them (``orders.admin.dispensing``).
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from clinic.services.prescriptions import current
from clinic.services.verification import check_pharmacist, pharmacist_state
from orders.models import DispensingRecord, Pharmacy, PharmacyLicence, Shipment
from orders.services import OrderError, lock_order, record_event, transaction

MAX_DAYS_SUPPLY = 90


@dataclass
class Dispensed:
    """What the pharmacist enters for one prescription of the box."""

    prescription_id: int
    days_supply: int
    lot: str
    expires_on: date


def check_entry(entry, name, *, today):
    """Raise ``OrderError`` unless ``entry`` has every field a dispensing record needs."""
    if not (entry.lot or "").strip():
        raise OrderError(f"{name}: enter the lot number.", code="lot_required")
    if entry.expires_on is None or entry.expires_on <= today:
        raise OrderError(
            f"{name}: enter the lot's expiry, a date after today (an expired lot is never "
            "dispensed).",
            code="lot_expired",
        )
    if not entry.days_supply or not 1 <= entry.days_supply <= MAX_DAYS_SUPPLY:
        raise OrderError(f"{name}: the days' supply is 1 to {MAX_DAYS_SUPPLY}.", code="days_supply")


def dispensing_pharmacy(order):
    """The active pharmacy with a current licence in the state the box goes to (the first
    by name when more than one is), or ``None``."""
    state = pharmacist_state(order)
    licensed = PharmacyLicence.objects.current().filter(state=state)
    return Pharmacy.objects.active().filter(pk__in=licensed.values("pharmacy_id")).first()


def dispense(shipment, *, by, entries):
    """Record what ``by`` (a pharmacist licensed where it goes) dispensed into ``shipment``:
    ``entries`` (``Dispensed``), one per current prescription of its order. The patient
    label is printed with it (``label_printed_at``). Returns the records."""
    with transaction.atomic():
        order = lock_order(shipment.order)
        shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if not shipment.can_become(Shipment.Status.SHIPPED):
            raise OrderError(
                f"This shipment was {shipment.get_status_display().lower()}: nothing to dispense.",
                code="wrong_status",
            )
        if not order.prescriptions_verified():
            raise OrderError(
                "A prescription of this order is not verified yet: verify it before you dispense.",
                code="not_verified",
            )
        profile = check_pharmacist(order, by)
        pharmacy = dispensing_pharmacy(order)
        if pharmacy is None:
            raise OrderError(
                "No active pharmacy on file holds a current licence where this box goes: "
                "staff add it (or its licence) under Pharmacies.",
                code="no_pharmacy",
            )
        by_id = {entry.prescription_id: entry for entry in entries}
        prescriptions = list(current(order).select_related("medicine"))
        if not prescriptions:
            raise OrderError("This order has no prescription to dispense.", code="no_prescription")
        now, today = timezone.now(), timezone.localdate()
        records = []
        for rx in prescriptions:
            entry = by_id.get(rx.pk)
            if entry is None:
                raise OrderError(
                    f"{rx.medicine_name}: enter what you dispensed.", code="entry_missing"
                )
            check_entry(entry, rx.medicine_name, today=today)
            strength, quantity, _, _ = rx.packed(refill=shipment.is_refill)
            records.append(
                DispensingRecord(
                    shipment=shipment,
                    prescription=rx,
                    product=rx.medicine_name,
                    strength=strength,
                    quantity=quantity,
                    quantity_unit=rx.quantity_unit,
                    days_supply=entry.days_supply,
                    lot=entry.lot.strip(),
                    expires_on=entry.expires_on,
                    compounded=rx.medicine.compounded,
                    pharmacist=by,
                    pharmacist_name=profile.display_name,
                    pharmacy=pharmacy,
                    dispensed_at=now,
                    label_printed_at=now,
                )
            )
        shipment.dispensing_records.all().delete()
        records = DispensingRecord.objects.bulk_create(records)
        record_event(
            order,
            "dispensed",
            actor=by,
            data={"shipment": shipment.pk, "records": [record.pk for record in records]},
        )
    return records
