"""The clinical record of an order: questionnaire answers, clinician profiles, prescriptions,
renewal answers, the review queue (a proxy of Order) and the log of who saw the answers."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from core.encryption import EncryptedJSONField
from orders.models.order import Order
from orders.models.signoff import validate_npi


class QuestionnaireResponseQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """``has_red_flags`` follows ``flags`` in bulk updates too."""
        if "flags" in kwargs:
            kwargs["has_red_flags"] = bool(kwargs["flags"])
        return super().update(**kwargs)


class QuestionnaireResponse(models.Model):
    """The patient's medical answers for one order. Health data: clinicians only, and
    encrypted at rest (``orders/encryption.py``); ``has_red_flags`` is the plain column the
    review queue filters and sorts on."""

    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="questionnaire"
    )
    answers = EncryptedJSONField(default=dict, help_text="Question key -> answer, as submitted.")
    flags = EncryptedJSONField(
        default=list, help_text="Answers of concern for the clinician: [{'key', 'message'}]."
    )
    has_red_flags = models.BooleanField(
        default=False, db_index=True, editable=False, help_text="Derived from flags on save."
    )
    rules_version = models.CharField(
        "clinical rules version",
        max_length=80,
        blank=True,
        help_text="The vocabulary and interaction rules her answers were checked against.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionnaireResponseQuerySet.as_manager()

    class Meta:
        verbose_name = "questionnaire response"
        permissions = [
            ("view_questionnaire", "Can read questionnaire answers (health data)"),
        ]

    def __str__(self):
        return f"Questionnaire for {self.order.reference}"

    def save(self, *args, **kwargs):
        self.has_red_flags = bool(self.flags)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "flags" in update_fields:
            kwargs["update_fields"] = {*update_fields, "has_red_flags"}
        super().save(*args, **kwargs)


class ClinicianProfileQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, user__is_active=True)


class ClinicianProfile(models.Model):
    """A licensed clinician: who signs prescriptions, and in which states she may treat.

    Her licences (``ClinicianLicence``: a state, its number, its expiry) say where; the
    states Oana serves are those of the active clinicians' current licences
    (``clinic.clinicians.served_states``)."""

    class Credentials(models.TextChoices):
        MD = "MD", "MD"
        DO = "DO", "DO"
        NP = "NP", "NP"
        PA = "PA", "PA"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinician_profile"
    )
    display_name = models.CharField(
        max_length=150, help_text="As patients see it, e.g. Dr. Ana Lee."
    )
    credentials = models.CharField(max_length=2, choices=Credentials.choices)
    npi = models.CharField(
        "NPI",
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[0-9]{10}$", "An NPI is 10 digits."), validate_npi],
    )
    is_active = models.BooleanField("active", default=True)

    objects = ClinicianProfileQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]

    def __str__(self):
        return f"{self.display_name}, {self.credentials}"

    def is_licensed_in(self, state):
        """She holds a current (unexpired) licence in ``state``."""
        return self.licences.current().filter(state=state).exists()


class Prescription(models.Model):
    """What a clinician prescribed when approving: one per medicine of each approved line.

    The defaults come from the medicine (``treatments.Medicine``); the clinician confirms or
    edits them. Each shipped refill uses one refill; when none is left, or a year after it was
    written, the order needs a renewal (``services.prescriptions``).
    """

    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="prescriptions"
    )
    line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.CASCADE, related_name="prescriptions"
    )
    medicine = models.ForeignKey(
        "treatments.Medicine", on_delete=models.PROTECT, related_name="prescriptions"
    )
    medicine_name = models.CharField(max_length=150)
    strength = models.CharField(max_length=100)
    directions = models.TextField("directions (sig)")
    quantity = models.PositiveSmallIntegerField("quantity per month")
    quantity_unit = models.CharField(max_length=30)
    refills = models.PositiveSmallIntegerField(help_text="Refills after the first fill.")
    refills_used = models.PositiveSmallIntegerField(default=0)
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="prescriptions_written"
    )
    prescriber_name = models.CharField(max_length=200, help_text="Name and credentials.")
    written_at = models.DateTimeField()
    replaced_at = models.DateTimeField(null=True, blank=True, help_text="Set by a renewal.")

    class Meta:
        ordering = ["written_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refills__lte=11), name="prescription_refills_at_most_a_year"
            ),
            models.CheckConstraint(
                condition=models.Q(refills_used__lte=models.F("refills")),
                name="prescription_refills_used_within_refills",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="prescription_quantity_positive"
            ),
        ]

    def __str__(self):
        return f"{self.medicine_name} {self.strength}"

    @property
    def refills_left(self):
        return self.refills - self.refills_used

    @property
    def expires_at(self):
        from datetime import timedelta

        return self.written_at + timedelta(days=365)


class RenewalResponse(models.Model):
    """Her answers to the renewal questions (health data: encrypted, clinicians only)."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="renewals")
    answers = EncryptedJSONField(default=dict)
    flags = EncryptedJSONField(
        default=list, blank=True, help_text="Graded flags raised by her answers (clinic.flags)."
    )
    stops = EncryptedJSONField(
        default=list, blank=True, help_text="Treatments her answers rule out: not renewable."
    )
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self):
        return f"Renewal answers for {self.order.reference}"


class ReviewQueueOrder(Order):
    """Paid orders waiting for a clinician: the admin's review queue (a proxy of Order)."""

    class Meta:
        proxy = True
        verbose_name = "order to review"
        verbose_name_plural = "review queue"


class QuestionnaireAccess(models.Model):
    """One look at a patient's questionnaire answers by a staff member (health data audit).

    Written by the admin every time answers are shown; only superusers can read the log.
    """

    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="questionnaire_views"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    username = models.CharField(max_length=150, help_text="Kept if the account is deleted.")
    where = models.CharField(max_length=50, help_text="Which admin page showed the answers.")
    viewed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-viewed_at", "-id"]
        verbose_name = "questionnaire access"
        verbose_name_plural = "health data access log"

    def __str__(self):
        return f"{self.username} viewed {self.order.reference} ({self.where})"
