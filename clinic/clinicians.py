"""Our clinicians and the states they are licensed in: the states we can serve."""

from django.contrib.auth import get_user_model
from django.db import transaction

from core.us_states import US_STATES
from orders.models import ClinicianProfile

DEMO_USERNAME = "demo-clinician"


def served_states():
    """Two-letter codes of the states where an active clinician is licensed, sorted."""
    states = set()
    for licensed in ClinicianProfile.objects.active().values_list("licensed_states", flat=True):
        states.update(licensed)
    return sorted(states)


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
    _, profile_created = ClinicianProfile.objects.get_or_create(
        user=user,
        defaults={
            "display_name": "Dr. Demo Clinician (fictional, development only)",
            "credentials": ClinicianProfile.Credentials.MD,
            "npi": "0000000000",
            "licensed_states": [code for code, _ in US_STATES],
        },
    )
    return profile_created
