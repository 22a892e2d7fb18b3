"""A medicine's clinical data changes only by a second person's approval, as the interaction
rules do (``clinic.clinical_data``): its drug classes (which choose the questionnaire's
questions and the interaction rules checked) and its prescribing data (``Medicine.dosing``:
stocked strengths, maximum daily dose, titration; ``treatments.dosing``).

- ``propose_medicine_change``: one clinician records the classes and prescribing data as
  they should be, checked as the medicine checks them (``Medicine.clean``); nothing changes;
- ``approve_medicine_change``: a second, different clinician (or the medical director)
  approves: the medicine takes them at once, and later orders carry a new rules version;
- ``reject_change`` (``clinic.clinical_data``) closes a proposal without change.

Nobody edits these two fields directly, superusers included (``treatments.admin``).
"""

from copy import copy

from django.core.exceptions import ValidationError
from django.db import transaction

from clinic.clinical_data import decide
from orders.models import MedicineDataChange
from treatments.models import Medicine

MEDICINE_FIELDS = ("drug_classes", "dosing")


def check_medicine_data(medicine, *, drug_classes, dosing):
    """Raise a ``ValidationError`` if ``medicine`` with these classes and prescribing data
    would not be valid (the medicine's own check, naming the field) or would not change."""
    candidate = copy(medicine)
    candidate.drug_classes, candidate.dosing = drug_classes, dosing
    candidate.clean()
    if (drug_classes, dosing) == (medicine.drug_classes, medicine.dosing):
        raise ValidationError("Nothing changes: edit the drug classes or the prescribing data.")


def propose_medicine_change(user, *, medicine, why, drug_classes, dosing):
    """Record a proposed change to ``medicine`` (nothing changes yet). Raises
    ``ValidationError``."""
    check_medicine_data(medicine, drug_classes=drug_classes, dosing=dosing)
    if not str(why or "").strip():
        raise ValidationError({"why": "Say why, with the label section."})
    return MedicineDataChange.objects.create(
        medicine=medicine,
        drug_classes=drug_classes,
        dosing=dosing,
        why=why,
        proposed_by=user,
        **was(medicine),
    )


def was(medicine):
    """The medicine's clinical data as it is, for a proposal to remember."""
    return {"was_drug_classes": medicine.drug_classes, "was_dosing": medicine.dosing}


def approve_medicine_change(change, user):
    """The second review: the medicine takes the proposed classes and prescribing data now.
    Raises ``PermissionDenied`` for the proposer or someone without the approval permission,
    ``ValidationError`` if it was decided already or the medicine has changed since it was
    proposed (another approved proposal): its reviewer judged it against the data it had."""
    with transaction.atomic():
        change = decide(change, user)
        medicine = Medicine.objects.select_for_update().get(pk=change.medicine_id)
        if (medicine.drug_classes, medicine.dosing) != (change.was_drug_classes, change.was_dosing):
            raise ValidationError(
                f"{medicine.name} has changed since this proposal: reject it and propose again."
            )
        medicine.drug_classes, medicine.dosing = change.drug_classes, change.dosing
        medicine.save(update_fields=[*MEDICINE_FIELDS, "updated_at"])
        change.status = MedicineDataChange.Status.APPROVED
        change.save()
    return change
