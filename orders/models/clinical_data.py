"""Clinical data in the database: the interaction rules the questionnaire checks against, and
the proposed changes to them, which take effect only when a second clinician approves.

Seeded once from ``clinic/data/interactions.toml`` (``clinic.clinical_data``); the
vocabulary of medicine names those rules refer to is ``clinic/data/medicines.toml``.
"""

from django.conf import settings
from django.db import models

from treatments.models import DrugClass


class RuleGrade(models.TextChoices):
    """How a rule's flag ranks (``clinic.flags.Grade``, less "unrecognised")."""

    CONTRAINDICATION = "contraindication", "Contraindication"
    INTERACTION = "interaction", "Interaction"
    CAUTION = "caution", "Caution"


class RuleFields(models.Model):
    """What a rule says: the class ordered, what she takes, the grade, the reason, the label."""

    ordered_class = models.CharField("drug class ordered", max_length=50, choices=DrugClass.choices)
    taken = models.CharField(
        "medicine she takes",
        max_length=100,
        help_text="A class of the vocabulary (e.g. ace_inhibitor) or one ingredient "
        "(e.g. eplerenone): clinic/data/medicines.toml.",
    )
    grade = models.CharField(max_length=20, choices=RuleGrade.choices)
    reason = models.TextField(help_text="What the clinician reads, e.g. the risk.")
    source = models.CharField(
        max_length=300, help_text="The label and section it comes from, e.g. Aldactone 7.1."
    )

    class Meta:
        abstract = True


class InteractionRule(RuleFields):
    """One row of the interaction table. Changed only by an approved ClinicalDataChange."""

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ordered_class", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ordered_class", "taken"], name="interaction_rule_once_per_pair"
            )
        ]

    def __str__(self):
        return f"{self.get_ordered_class_display()} with {self.taken}"


class ClinicalDataChange(RuleFields):
    """A change to the interaction rules proposed by one clinician; it takes effect when a
    second person with ``approve_clinicaldatachange`` (another clinician, or the medical
    director of a clinic with one clinician) approves it."""

    class Action(models.TextChoices):
        ADD = "add", "Add a rule"
        CHANGE = "change", "Change a rule"
        REMOVE = "remove", "Remove a rule"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved (in effect)"
        REJECTED = "rejected", "Rejected"

    action = models.CharField(max_length=10, choices=Action.choices)
    rule = models.ForeignKey(
        InteractionRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
        help_text="The rule changed or removed (not for a new rule).",
    )
    why = models.TextField("why this change", help_text="Her reasons, and the label section.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = "clinical data change"
        permissions = [
            ("approve_clinicaldatachange", "Can approve a change to clinical data (second review)")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("proposed_by")),
                name="clinical_data_change_second_reviewer",
            )
        ]

    def __str__(self):
        return f"{self.get_action_display()}: {self.get_ordered_class_display()} with {self.taken}"


class MedicineDataChange(models.Model):
    """A change to a medicine's clinical data (its drug classes, which choose the
    questionnaire's questions and interaction rules, and its prescribing data: strengths,
    maximum daily dose, titration) proposed by one clinician; it takes effect when a second
    person with ``approve_clinicaldatachange`` approves it, as for ``ClinicalDataChange``.

    A proposal carries both fields whole, as they will be: the medicine's other fields
    (name, defaults) stay with the Medicine admin."""

    Status = ClinicalDataChange.Status

    medicine = models.ForeignKey(
        "treatments.Medicine", on_delete=models.PROTECT, related_name="data_changes"
    )
    drug_classes = models.JSONField(default=list, blank=True)
    dosing = models.JSONField("prescribing data", default=dict, blank=True)
    # What the medicine had when she proposed it: what the reviewer compares against, and
    # an approval is refused if the medicine has changed since.
    was_drug_classes = models.JSONField(default=list, blank=True)
    was_dosing = models.JSONField(default=dict, blank=True)
    why = models.TextField("why this change", help_text="Her reasons, and the label section.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = "medicine data change"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("proposed_by")),
                name="medicine_data_change_second_reviewer",
            )
        ]

    def __str__(self):
        return f"Change {self.medicine.name}"

    def differences(self):
        """What it changes, one line each: the classes, then each field of the prescribing
        data that differs, e.g. "max_daily: 200 → 100"."""
        lines = []
        if self.drug_classes != self.was_drug_classes:
            lines.append(f"drug classes: {self.was_drug_classes} → {self.drug_classes}")
        for key in sorted(set(self.was_dosing) | set(self.dosing)):
            old, new = self.was_dosing.get(key, "(none)"), self.dosing.get(key, "(none)")
            if old != new:
                lines.append(f"{key}: {old} → {new}")
        return lines
