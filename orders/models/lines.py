"""OrderLine: one treatment in an order, its price snapshot and the clinician's decision on it."""

from django.db import models

from core.encryption import EncryptedTextField
from orders.models.order import Order, lifecycle_targets


class OrderLine(models.Model):
    """One treatment in an order, with the price snapshot it was charged at.

    A clinician decides per line (a pack is one line: approved or declined whole, or approved
    as the single treatment she keeps when its clinician declines one of its medicines); the
    order's own status follows ``Order.LIFECYCLE``: its "approve" is the approval of at
    least one line, its "decline" the decline of every line.
    """

    class Decision(models.TextChoices):
        PENDING = "pending", "Awaiting review"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    # The line's part of the lifecycle: decided once, with its order's approval.
    LIFECYCLE = (
        ("approve", Decision.PENDING, Decision.APPROVED),
        ("decline", Decision.PENDING, Decision.DECLINED),
        # Stopped after approval: her answers rule it out (pregnancy at renewal), or she
        # never answered her clinician about it (``clinic.services.stopping``).
        ("stop", Decision.APPROVED, Decision.DECLINED),
    )

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    plan = models.ForeignKey(
        "treatments.Plan", on_delete=models.PROTECT, related_name="order_lines"
    )
    treatment_name = models.CharField(max_length=150)
    treatment_slug = models.SlugField(max_length=150, blank=True)
    plan_name = models.CharField(max_length=100)
    unit_amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    interval = models.CharField(max_length=10, default="month")
    quantity = models.PositiveSmallIntegerField(default=1)
    decision = models.CharField(
        max_length=10, choices=Decision.choices, default=Decision.PENDING, editable=False
    )
    decline_reason = EncryptedTextField(
        blank=True,
        default="",
        help_text="Why a clinician declined it, or declined a medicine of its pack (encrypted "
        "at rest).",
    )
    # A pack of which the clinician declined a medicine becomes the single treatment she keeps
    # (``clinic.services.packs``): what the line was before, and when Stripe's item followed.
    converted_from_plan = models.ForeignKey(
        "treatments.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    converted_from_name = models.CharField(
        max_length=255, blank=True, help_text="The pack it was, e.g. 'Metformin pack (Monthly)'."
    )
    converted_from_amount_cents = models.PositiveIntegerField(
        null=True, blank=True, help_text="The pack's price per unit, before the change."
    )
    declined_medicines = models.JSONField(
        default=list, blank=True, help_text="The names of the pack's medicines declined."
    )
    converted_at = models.DateTimeField(null=True, blank=True)
    item_changed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Her Stripe subscription item has the new price since (empty: on its way).",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "plan"], name="orderline_one_per_plan"),
        ]

    def __str__(self):
        return f"{self.treatment_name} ({self.plan_name}) x{self.quantity}"

    @property
    def line_total_cents(self):
        return self.unit_amount_cents * self.quantity

    @property
    def is_declined(self):
        return self.decision == self.Decision.DECLINED

    @property
    def was_converted(self):
        """A pack the clinician approved without some of its medicines, as the single
        treatment she keeps."""
        return self.converted_at is not None

    def decide(self, action):
        """Move the line along its ``LIFECYCLE`` by ``action`` (not saved)."""
        targets = lifecycle_targets(self.LIFECYCLE, action, self.decision)
        if not targets:
            raise ValueError(f"A line {self.get_decision_display().lower()} cannot be {action}d.")
        self.decision = targets[0]
