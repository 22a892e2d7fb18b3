"""Follow-ups after the first box: her check-ins and the adverse events she reports.

A ``CheckIn`` is asked on a due date (``clinic.services.checkins`` schedules them); her answers
are health data (encrypted, clinicians only) and wait for a clinician's review. An
``AdverseEvent`` is one side effect (or a pregnancy while on a medicine) as the clinic's
pharmacovigilance keeps it: severity, medicine, onset and outcome, and the follow-up done.
"""

from django.conf import settings
from django.db import models

from core.encryption import EncryptedJSONField, EncryptedTextField


class CheckInQuerySet(models.QuerySet):
    def unanswered(self):
        return self.filter(answered_at__isnull=True)

    def awaiting_review(self):
        """Answered, not yet reviewed: in the clinician's review queue."""
        return self.filter(answered_at__isnull=False, reviewed_at__isnull=True)

    def reviewed(self):
        return self.filter(reviewed_at__isnull=False)


class CheckIn(models.Model):
    """One check-in asked of her: how she is doing, side effects, weight, blood pressure,
    pregnancy. Asked once per due date (the unique constraint makes the schedule idempotent)."""

    class Kind(models.TextChoices):
        TITRATION = "titration", "Before the next dose step"
        ROUTINE = "routine", "Routine"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="checkins")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    prescription = models.ForeignKey(
        "orders.Prescription",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checkins",
        help_text="The titration whose next step waits for this check-in's review.",
    )
    due_on = models.DateField()
    asked_at = models.DateTimeField(auto_now_add=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answers = EncryptedJSONField(default=dict, blank=True)
    flags = EncryptedJSONField(default=list, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = EncryptedTextField(blank=True)
    hold = models.ForeignKey(
        "orders.Hold",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The hold it opened when she did not answer.",
    )

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["-due_on", "-id"]
        verbose_name = "check-in"
        constraints = [
            models.UniqueConstraint(fields=["order", "due_on"], name="checkin_once_per_due_date")
        ]

    def __str__(self):
        return f"Check-in of {self.due_on:%b %d, %Y} for order {self.order_id}"

    def awaits_answer(self):
        return self.answered_at is None

    def awaits_review(self):
        return self.answered_at is not None and self.reviewed_at is None


class AdverseEventQuerySet(models.QuerySet):
    def to_follow_up(self):
        """Flagged for pharmacovigilance follow-up and not yet done."""
        return self.filter(needs_follow_up=True, followed_up_at__isnull=True)

    def serious(self):
        return self.filter(severity=AdverseEvent.Severity.SERIOUS)


class AdverseEvent(models.Model):
    """A side effect (or a pregnancy on a medicine) she reported, per medicine. ``severity``
    SERIOUS is FDA's definition (21 CFR 314.80): death, life-threatening, hospitalization,
    disability, a birth defect, or needing treatment to prevent one of these; serious events
    and pregnancies are flagged for follow-up (``needs_follow_up``)."""

    class Source(models.TextChoices):
        REPORT = "report", "Report a problem"
        CHECKIN = "checkin", "Check-in"

    class Kind(models.TextChoices):
        SIDE_EFFECT = "side_effect", "Side effect"
        PREGNANCY = "pregnancy", "Pregnancy on the medicine"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild (no change to daily life)"
        MODERATE = "moderate", "Moderate (a symptom needing review)"
        SEVERE = "severe", "Severe (stops her usual activities)"
        SERIOUS = "serious", "Serious (FDA definition)"

    class Outcome(models.TextChoices):
        ONGOING = "ongoing", "Not yet recovered"
        RECOVERING = "recovering", "Recovering"
        RECOVERED = "recovered", "Recovered"
        RECOVERED_SEQUELAE = "sequelae", "Recovered with lasting effects"
        UNKNOWN = "unknown", "Unknown"

    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="adverse_events"
    )
    line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    checkin = models.ForeignKey(
        CheckIn, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.SIDE_EFFECT)
    medicine = models.CharField(max_length=200, help_text="The treatment it is about.")
    severity = models.CharField(max_length=10, choices=Severity.choices, db_index=True)
    description = EncryptedTextField(help_text="What she reported (health data).")
    onset = EncryptedTextField("onset", blank=True, help_text="When it started, in her words.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ONGOING)
    needs_follow_up = models.BooleanField(
        default=False, db_index=True, help_text="Serious, or a pregnancy: pharmacovigilance."
    )
    followed_up_at = models.DateTimeField(null=True, blank=True)
    followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    follow_up_note = EncryptedTextField(
        blank=True, help_text="What was done (MedWatch report number, her outcome...)."
    )
    reported_at = models.DateTimeField(auto_now_add=True)

    objects = AdverseEventQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = "adverse event"

    def __str__(self):
        return f"{self.get_kind_display()}: {self.medicine} ({self.severity})"
