"""The pharmacy between the clinician's click and the box: pharmacists and their licences,
the dispensing pharmacy and its licences, and what was dispensed into each box.

A pharmacist verifies every new or changed prescription (``Prescription.verified_at``,
``clinic.services.verification``) before a box carrying it may ship (``Shipment.can_ship``),
and records what she dispensed (``DispensingRecord``) when she prints the patient label.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from core.us_states import US_STATES
from orders.models.order import Order
from orders.models.signoff import ClinicianLicenceQuerySet, validate_npi

# A licence that counts until its expiry, whoever holds it (clinician, pharmacist, pharmacy).
LicenceQuerySet = ClinicianLicenceQuerySet


class PharmacistProfileQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, user__is_active=True)


class PharmacistProfile(models.Model):
    """A licensed pharmacist: who verifies prescriptions and dispenses, and in which states."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pharmacist_profile"
    )
    display_name = models.CharField(max_length=150, help_text="e.g. Sam Ortiz, PharmD.")
    npi = models.CharField(
        "NPI",
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[0-9]{10}$", "An NPI is 10 digits."), validate_npi],
    )
    is_active = models.BooleanField("active", default=True)

    objects = PharmacistProfileQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]

    def __str__(self):
        return self.display_name

    def is_licensed_in(self, state):
        """She holds a current (unexpired) licence in ``state``."""
        return self.licences.current().filter(state=state).exists()


class PharmacistLicence(models.Model):
    """A pharmacist's licence in one state; it counts until ``expires_on`` (included)."""

    profile = models.ForeignKey(
        PharmacistProfile, on_delete=models.CASCADE, related_name="licences"
    )
    state = models.CharField(max_length=2, choices=US_STATES)
    number = models.CharField("licence number", max_length=50)
    expires_on = models.DateField()

    objects = LicenceQuerySet.as_manager()

    class Meta:
        ordering = ["state"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "state"], name="one_pharmacist_licence_per_state"
            ),
        ]

    def __str__(self):
        return f"{self.state} licence {self.number} (until {self.expires_on:%b %d, %Y})"


class PharmacyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Pharmacy(models.Model):
    """The dispensing pharmacy (staff edit it): its name and address go on every label, and
    its licences decide, with the clinicians', which states we serve."""

    name = models.CharField(max_length=150)
    line1 = models.CharField("address line 1", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2, choices=US_STATES)
    postal_code = models.CharField("ZIP code", max_length=10)
    phone = models.CharField(max_length=30, blank=True)
    is_active = models.BooleanField(
        "active", default=True, help_text="Dispenses now: its licences count."
    )

    objects = PharmacyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "pharmacies"

    def __str__(self):
        return self.name

    @property
    def address(self):
        street = ", ".join(part for part in (self.line1, self.line2) if part)
        return f"{street}, {self.city}, {self.state} {self.postal_code}"


class PharmacyLicence(models.Model):
    """The pharmacy's licence (or non-resident permit) to dispense into one state."""

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.CASCADE, related_name="licences")
    state = models.CharField(max_length=2, choices=US_STATES)
    number = models.CharField("licence number", max_length=50)
    expires_on = models.DateField()

    objects = LicenceQuerySet.as_manager()

    class Meta:
        ordering = ["state"]
        constraints = [
            models.UniqueConstraint(
                fields=["pharmacy", "state"], name="one_pharmacy_licence_per_state"
            ),
        ]

    def __str__(self):
        return f"{self.state} licence {self.number} (until {self.expires_on:%b %d, %Y})"


class DispensingRecord(models.Model):
    """What a pharmacist dispensed into one box for one prescription: the product, strength
    and quantity, the days it lasts, the lot and its expiry, who and when. Printing the
    patient label reads it (``label_printed_at``); Fulfillment's pick list shows whether
    the label is attached, never the directions."""

    shipment = models.ForeignKey(
        "orders.Shipment", on_delete=models.CASCADE, related_name="dispensing_records"
    )
    prescription = models.ForeignKey(
        "orders.Prescription", on_delete=models.PROTECT, related_name="dispensing_records"
    )
    product = models.CharField(max_length=150)
    strength = models.CharField(max_length=100)
    quantity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    quantity_unit = models.CharField(max_length=30)
    days_supply = models.PositiveSmallIntegerField(
        "days' supply", validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    lot = models.CharField("lot number", max_length=50)
    expires_on = models.DateField("lot expiry")
    compounded = models.BooleanField(
        default=False, help_text="A patient-specific compounded preparation."
    )
    pharmacist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    pharmacist_name = models.CharField(max_length=150)
    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="+")
    dispensed_at = models.DateTimeField(default=timezone.now)
    label_printed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["shipment_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "prescription"], name="one_dispensing_record_per_medicine"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1, days_supply__gte=1, days_supply__lte=90),
                name="dispensing_quantity_and_days_supply_sane",
            ),
        ]

    def __str__(self):
        return f"{self.product} {self.strength} x{self.quantity} (lot {self.lot})"


class VerificationQueueOrder(Order):
    """Orders with a prescription waiting for a pharmacist (a proxy of Order)."""

    class Meta:
        proxy = True
        verbose_name = "prescription to verify"
        verbose_name_plural = "verification queue"
