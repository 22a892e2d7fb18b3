"""Licences and sign-offs: in which states a clinician may treat (a licence per state, with
its number and expiry), and what she considered when she signed (each flag ticked, with her
reason where she went against a contraindication)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from core.encryption import EncryptedTextField
from core.us_states import US_STATES

NPI_PREFIX = "80840"  # the health-industry prefix the NPI check digit is computed over


def npi_check_digit_ok(npi):
    """True when the 10-digit ``npi`` ends with its Luhn check digit (computed over
    "80840" and its first nine digits, as CMS specifies)."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    total = 0
    for position, digit in enumerate(reversed(NPI_PREFIX + npi)):
        value = int(digit)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def validate_npi(value):
    if not npi_check_digit_ok(value or ""):
        raise ValidationError(
            "This is not a valid NPI: an NPI is 10 digits and its last digit is a check "
            "digit. Copy it again from the NPPES registry.",
            code="bad_npi",
        )


class ClinicianLicenceQuerySet(models.QuerySet):
    def current(self, on=None):
        """Licences that count on ``on`` (default today): not expired."""
        return self.filter(expires_on__gte=on or timezone.localdate())


class ClinicianLicence(models.Model):
    """A clinician's licence to practise in one state. It counts until ``expires_on``
    (included); an expired licence no longer lets her approve, renew or end a treatment
    there, and a state with no current licence is no longer served."""

    profile = models.ForeignKey(
        "orders.ClinicianProfile", on_delete=models.CASCADE, related_name="licences"
    )
    state = models.CharField(max_length=2, choices=US_STATES)
    number = models.CharField("licence number", max_length=50)
    expires_on = models.DateField()

    objects = ClinicianLicenceQuerySet.as_manager()

    class Meta:
        ordering = ["state"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "state"], name="one_licence_per_state"),
        ]

    def __str__(self):
        return f"{self.state} licence {self.number} (until {self.expires_on:%b %d, %Y})"

    @property
    def is_current(self):
        return self.expires_on >= timezone.localdate()


class FlagReview(models.Model):
    """One flag as the clinician considered it when she signed (approve, renew, change a
    prescription): the flag as she saw it, her tick, and her reason where she approved
    against a contraindication. Health data: the message and reason are encrypted."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="flag_reviews")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, help_text="approve, renew, change...")
    flag_key = models.CharField(max_length=100)
    grade = models.CharField(max_length=20)
    message = EncryptedTextField()
    considered = models.BooleanField(default=False)
    reason = EncryptedTextField(blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.flag_key} considered for {self.order.reference}"
