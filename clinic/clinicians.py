"""Our clinicians and their licences: the states we can serve, and who may sign for whom."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.us_states import STATE_NAMES, US_STATES
from orders.models import ClinicianLicence, ClinicianProfile, Pharmacy, PharmacyLicence
from orders.services import OrderError

DEMO_USERNAME = "demo-clinician"
# The demo clinician's NPI: fictional, but with a valid check digit (the form checks it).
DEMO_NPI = "1234567893"


def served_states():
    """Two-letter codes of the states we serve, sorted: where an active clinician holds a
    current licence and an active dispensing pharmacy does too (one query). The one rule
    behind the questionnaire's state question (checkout) and her refill address."""
    pharmacy = PharmacyLicence.objects.current().filter(pharmacy__in=Pharmacy.objects.active())
    return sorted(
        set(
            ClinicianLicence.objects.current()
            .filter(
                profile__in=ClinicianProfile.objects.active(),
                state__in=pharmacy.values("state"),
            )
            .values_list("state", flat=True)
        )
    )


def check_licensed(order, user, *, to="approve this order"):
    """Only a clinician with a current licence in the state she lives in may sign for her:
    approve, renew, change a prescription, end a treatment (``to`` says which, for the
    message).

    Orders placed before the questionnaire asked for the state have none on file: they are
    judged as before. Raises ``OrderError`` naming the state."""
    state = order.residence_state
    if not state:
        return
    profile = ClinicianProfile.objects.active().filter(user_id=getattr(user, "pk", None)).first()
    if profile is None or not profile.is_licensed_in(state):
        name = STATE_NAMES.get(state, state)
        raise OrderError(
            f"She lives in {name}: only a clinician licensed in {name} can {to}. Leave it "
            "for a colleague licensed there.",
            code="not_licensed",
        )


@transaction.atomic
def seed_demo_clinician():
    """Development only (the seed calls it when DEBUG is on): a clearly fictional clinician
    licensed in every state, so checkout works on a fresh machine. She cannot sign in (no
    password, not staff). Returns True when she was created."""
    user, created = get_user_model().objects.get_or_create(
        username=DEMO_USERNAME,
        defaults={"email": "demo-clinician@example.invalid", "is_active": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    profile, profile_created = ClinicianProfile.objects.get_or_create(
        user=user,
        defaults={
            "display_name": "Dr. Demo Clinician (fictional, development only)",
            "credentials": ClinicianProfile.Credentials.MD,
            "npi": DEMO_NPI,
        },
    )
    if profile_created:
        expires = timezone.localdate() + timedelta(days=365 * 10)
        ClinicianLicence.objects.bulk_create(
            ClinicianLicence(profile=profile, state=code, number=f"DEMO-{code}", expires_on=expires)
            for code, _ in US_STATES
        )
    seed_demo_pharmacy()
    return profile_created


DEMO_PHARMACY = "Demo Pharmacy (fictional, development only)"


def seed_demo_pharmacy():
    """Development only, beside the demo clinician: a fictional dispensing pharmacy licensed
    in every state (a state is served only where the pharmacy is licensed too). Returns True
    when it was created."""
    pharmacy, created = Pharmacy.objects.get_or_create(
        name=DEMO_PHARMACY,
        defaults={
            "line1": "1 Example Street",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "62701",
        },
    )
    if created:
        expires = timezone.localdate() + timedelta(days=365 * 10)
        PharmacyLicence.objects.bulk_create(
            PharmacyLicence(
                pharmacy=pharmacy, state=code, number=f"DEMO-{code}", expires_on=expires
            )
            for code, _ in US_STATES
        )
    return created
