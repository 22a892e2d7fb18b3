"""The clinical record of an order: questionnaire answers, clinician profiles, prescriptions,
renewal answers, the review queue (a proxy of Order) and the log of who saw the answers."""

from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from core.encryption import EncryptedJSONField
from orders.models.order import Order
from orders.models.signoff import validate_npi
from treatments.dosing import Dosing


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
    bio = models.CharField(
        "one-line bio",
        max_length=160,
        blank=True,
        help_text="Shown to the public on the care-team page, e.g. Family physician, 12 years "
        "in women's health.",
    )
    # Her photo as stored by core.public_images (the name without its format's extension);
    # set through the admin's upload field, blank for the initials image.
    photo = models.CharField(max_length=200, blank=True, editable=False)

    objects = ClinicianProfileQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]

    def __str__(self):
        return f"{self.display_name}, {self.credentials}"

    @property
    def initials(self):
        """Up to two letters from her name, a title such as "Dr." left out: what the image
        shows when she has no photo."""
        words = [w for w in self.display_name.replace(",", " ").split() if not w.endswith(".")]
        return "".join(word[0] for word in (words[:1] + words[1:][-1:])).upper()

    def is_licensed_in(self, state):
        """She holds a current (unexpired) licence in ``state``."""
        return self.licences.current().filter(state=state).exists()


class Prescription(models.Model):
    """What a clinician prescribed when approving: one per medicine of each approved line.

    Structured (``treatments/dosing.py``): a stocked strength, a dose per administration
    (tablets, or mL/g of a topical) and a frequency, or a step of the medicine's titration
    schedule. The daily dose, the month's quantity and the directions she reads follow from
    them (``strength``, ``directions`` and ``quantity`` keep the generated text, as the pick
    list and her plan show it); the clinician's own words go in ``extra_directions``.
    Prescriptions written before this are ``legacy``: their text as it was.

    Each shipped refill uses one refill; when none is left, or a year after it was written,
    the order needs a renewal (``services.prescriptions``).
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
    # The structured dose (empty on a legacy prescription).
    strength_value = models.DecimalField(
        max_digits=8, decimal_places=3, null=True, blank=True, help_text="mg, or % of a topical."
    )
    dose_count = models.DecimalField(
        "dose per administration",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Tablets per dose, or mL/g per use of a topical.",
    )
    frequency = models.CharField(max_length=20, blank=True)
    daily_dose = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    daily_unit = models.CharField(max_length=10, blank=True, help_text="mg/day, mL/day, g/day.")
    extra_directions = models.TextField(
        "additional directions", blank=True, help_text="The clinician's words, kept apart."
    )
    legacy = models.BooleanField(
        default=False, help_text="Written before structured prescriptions: its text as it was."
    )
    # Titration: the step she is on (1-based) and the clinician's go-ahead for the next.
    titration_step = models.PositiveSmallIntegerField(null=True, blank=True)
    step_started_at = models.DateTimeField(null=True, blank=True)
    step_up_confirmed_at = models.DateTimeField(null=True, blank=True)
    step_up_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who signed, for what, for whom.
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="prescriptions_written"
    )
    prescriber_name = models.CharField(max_length=200, help_text="Name and credentials.")
    prescriber_credentials = models.CharField(max_length=10, blank=True)
    prescriber_npi = models.CharField("prescriber NPI", max_length=10, blank=True)
    indication = models.CharField(max_length=200, blank=True)
    patient_name = models.CharField(max_length=200, blank=True)
    patient_date_of_birth = models.DateField(null=True, blank=True)
    patient_address = models.TextField(blank=True, help_text="As on the order.")
    attestation = models.TextField(blank=True, help_text="What the clinician attested.")
    attested_at = models.DateTimeField(null=True, blank=True)
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
            models.CheckConstraint(
                condition=models.Q(legacy=True) | models.Q(daily_dose__isnull=False),
                name="prescription_structured_unless_legacy",
            ),
        ]

    def __str__(self):
        return f"{self.medicine_name} {self.strength}"

    @property
    def refills_left(self):
        return self.refills - self.refills_used

    @property
    def expires_at(self):
        return self.written_at + timedelta(days=365)

    def has_next_step(self):
        dosing = Dosing.of(self.medicine)
        return bool(self.titration_step) and self.titration_step < len(
            dosing.titration if dosing else ()
        )

    def may_step_up(self):
        """The next step may be confirmed: her schedule has one, and a clinician reviewed a
        check-in she answered since this step started (until then, and if none is reviewed
        before her refill, the refill carries the current dose)."""
        return (
            self.has_next_step()
            and self.order.checkins.reviewed()
            .filter(answered_at__gte=self.step_started_at)
            .exists()
        )

    def next_step_dose(self):
        """The ``Dose`` of the next step of her titration schedule when it is due: a
        clinician confirmed the step-up and she has had the current step its minimum days.
        Else ``None`` (she stays on the current step)."""
        if self.step_up_confirmed_at is None or not self.has_next_step():
            return None
        dosing = Dosing.of(self.medicine)
        steps = dosing.titration
        held = steps[self.titration_step - 1].min_days
        if self.step_started_at + timedelta(days=held) > timezone.now():
            return None
        step = steps[self.titration_step]
        return dosing.dose(step.strength, step.count, step.frequency)

    def pick_line(self, *, refill):
        """What to pack for a month of it: the next step's strength on the refill that
        steps her up."""
        dose = self.next_step_dose() if refill else None
        if dose is None:
            return f"{self.medicine_name} {self.strength}: {self.quantity} {self.quantity_unit}"
        strength = Dosing.of(self.medicine).strength_label(dose.strength)
        return (
            f"{self.medicine_name} {strength}: {dose.quantity} {self.quantity_unit} "
            "(next step of her schedule, confirmed by a clinician)"
        )

    @property
    def full_directions(self):
        """What she reads: the generated directions, then the clinician's own words."""
        return " ".join(part for part in (self.directions, self.extra_directions) if part)


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
