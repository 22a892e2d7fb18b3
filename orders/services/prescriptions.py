"""Prescriptions: written by the clinician who approves an order, one per medicine.

A routine approval stays fast: each medicine of each approved line starts from the defaults of
the catalog's medicine (``treatments.Medicine``: strength, directions, quantity per month,
refills), and the clinician confirms or edits them on the Approve page. ``drafts_for`` makes
those starting points; ``write_prescriptions`` checks and records them inside the approval.
"""

from dataclasses import dataclass

from django.utils import timezone

from treatments.models import MAX_REFILLS

from ..models import Prescription
from . import OrderError


@dataclass
class Draft:
    """A prescription as the clinician confirms it on the Approve page."""

    line: object
    medicine: object
    strength: str
    directions: str
    quantity: int
    refills: int

    @property
    def key(self):
        return f"{self.line.pk}-{self.medicine.pk}"


def drafts_for(order):
    """One draft per medicine of each line of ``order``, from the medicine's defaults."""
    lines = order.lines.select_related("plan__treatment").prefetch_related(
        "plan__treatment__medicines"
    )
    return [
        Draft(
            line=line,
            medicine=medicine,
            strength=medicine.default_strength,
            directions=medicine.default_directions,
            quantity=medicine.default_quantity,
            refills=medicine.default_refills,
        )
        for line in lines
        for medicine in line.plan.treatment.medicines.all()
    ]


def prescriber_name(user):
    return user.get_full_name() or user.get_username()


def write_prescriptions(order, drafts, *, by):
    """Record ``drafts`` (of the approved lines of the locked ``order``). Returns them.

    Each must have a strength, directions, at least one unit a month and at most
    ``MAX_REFILLS`` refills (a year).
    """
    now = timezone.now()
    written = []
    for draft in drafts:
        if draft.line.order_id != order.pk:
            raise OrderError("That treatment is not part of this order.", code="bad_line")
        _check(draft)
        written.append(
            Prescription(
                order=order,
                line=draft.line,
                medicine=draft.medicine,
                medicine_name=draft.medicine.name,
                strength=draft.strength.strip(),
                directions=draft.directions.strip(),
                quantity=draft.quantity,
                quantity_unit=draft.medicine.quantity_unit,
                refills=draft.refills,
                prescriber=by,
                prescriber_name=prescriber_name(by),
                written_at=now,
            )
        )
    return Prescription.objects.bulk_create(written)


def _check(draft):
    name = draft.medicine.name
    if not draft.strength.strip() or not draft.directions.strip():
        raise OrderError(
            f"Give the strength and directions for {name}.", code="prescription_incomplete"
        )
    if draft.quantity < 1:
        raise OrderError(f"The quantity of {name} must be at least 1.", code="bad_quantity")
    if not 0 <= draft.refills <= MAX_REFILLS:
        raise OrderError(
            f"{name}: at most {MAX_REFILLS} refills (a prescription lasts a year).",
            code="too_many_refills",
        )
