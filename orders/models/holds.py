"""Holds: reasons an order may not ship until someone deals with them."""

from django.conf import settings
from django.db import models


class HoldQuerySet(models.QuerySet):
    def open(self):
        return self.filter(released_at__isnull=True)

    def urgent(self):
        """Open holds she raised (``Hold.URGENT``): the review queue puts them first."""
        return self.open().filter(kind__in=Hold.URGENT)

    def pausing(self):
        """Open holds that pause her collection (``Hold.PAUSES_COLLECTION``)."""
        return self.open().filter(kind__in=Hold.PAUSES_COLLECTION)


class Hold(models.Model):
    """Something someone must look at before anything more ships: a flag beside the order's
    status (never a status that overwrites "approved" or "shipped"). ``Order.can_ship`` and
    the shipping queue skip orders with an open hold.

    Each kind names who may release it (``RELEASED_BY``): Support for money holds, a
    clinician for clinical and state-of-treatment holds (where she is treated decides which
    licence applies, so Support may not wave it through)."""

    class Releaser(models.TextChoices):
        SUPPORT = "support", "Support"
        CLINICIAN = "clinician", "a clinician"

    class Kind(models.TextChoices):
        DISPUTE = "dispute", "Payment disputed"
        FRAUD_WARNING = "fraud_warning", "Early fraud warning"
        REFUND_FAILED = "refund_failed", "Refund failed"
        AMOUNT_MISMATCH = "amount_mismatch", "Charged amount differs from the order"
        STATE_MISMATCH = "state_mismatch", "Ships to another state than she lives in"
        # She told us (``clinic.reports``, ``clinic.renewal``): nothing ships, nothing is
        # collected, and the order tops the review queue marked urgent until a clinician acts.
        PATIENT_REPORT = "patient_report", "She reported a side effect"
        PREGNANCY = "pregnancy", "She is pregnant or planning to be"
        # A check-in she left unanswered after its reminder (``clinic.services.checkins``):
        # a wait on her, not a report, so not urgent; answering it releases the hold.
        CHECKIN = "checkin", "Her check-in is unanswered"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="holds")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.TextField(help_text="What happened, for Support.")
    stripe_object_id = models.CharField(max_length=255, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField(blank=True, help_text="How it ended (dispute won, refunded...).")
    lines = models.ManyToManyField(
        "orders.OrderLine",
        blank=True,
        related_name="holds",
        help_text="The treatments it is about (a clinical hold): declined if she never answers.",
    )
    awaits_patient_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A clinician wrote to her about it and waits for her answer since then.",
    )

    RELEASED_BY = {
        Kind.DISPUTE: Releaser.SUPPORT,
        Kind.FRAUD_WARNING: Releaser.SUPPORT,
        Kind.REFUND_FAILED: Releaser.SUPPORT,
        Kind.AMOUNT_MISMATCH: Releaser.SUPPORT,
        Kind.STATE_MISMATCH: Releaser.CLINICIAN,
        Kind.PATIENT_REPORT: Releaser.CLINICIAN,
        Kind.PREGNANCY: Releaser.CLINICIAN,
        Kind.CHECKIN: Releaser.CLINICIAN,
    }
    # Clinical holds she raised: urgent in the review queue, and collection pauses while one
    # is open (a hold that stops a box never leaves her paying for it).
    URGENT = (Kind.PATIENT_REPORT, Kind.PREGNANCY)
    # Holds that wait on her pause collection too; after ``QUESTION_DECLINE_DAYS`` of waiting
    # (``awaits_patient_since``) the treatments they hold are declined and refunded.
    PAUSES_COLLECTION = (*URGENT, Kind.CHECKIN)
    RELEASE_PERMISSION = {
        Releaser.SUPPORT: "orders.release_hold",
        Releaser.CLINICIAN: "orders.release_clinical_hold",
    }

    objects = HoldQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        permissions = [
            ("release_hold", "Can release a money hold (dispute, refund...) after dealing with it"),
            ("release_clinical_hold", "Can release a clinical or state-of-treatment hold"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "stripe_object_id"],
                condition=~models.Q(stripe_object_id=""),
                name="hold_once_per_stripe_object",
            ),
        ]

    def __str__(self):
        # Shown to every role (admin titles, inline rows): a clinical kind is not named.
        kind = "Clinical hold" if self.is_clinical else self.get_kind_display()
        return f"{kind} on {self.order.reference}"

    @property
    def is_open(self):
        return self.released_at is None

    @property
    def is_clinical(self):
        """About her health (her report, a pregnancy): its kind, reason and outcome are
        shown to clinicians only (``orders.admin.common.can_read_answers``)."""
        return self.kind in self.URGENT

    @property
    def releaser(self):
        """Who may release this hold: ``Releaser.SUPPORT`` or ``Releaser.CLINICIAN``."""
        return self.RELEASED_BY[self.kind]

    def may_be_released_by(self, user):
        return user.has_perm(self.RELEASE_PERMISSION[self.releaser])
