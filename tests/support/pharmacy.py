"""The pharmacist between the clinician's click and the box: a licensed pharmacist, and an
order whose prescriptions she verified (what every box needs before it ships)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from clinic.services.verification import verify_prescriptions
from core.us_states import US_STATES
from orders.models import PharmacistLicence, PharmacistProfile


def license_pharmacist(user, states=None, *, expires_on=None):
    """Give ``user`` a pharmacist profile licensed in ``states`` (default: every state),
    valid a year unless ``expires_on`` says otherwise. Returns the profile."""
    profile, _ = PharmacistProfile.objects.get_or_create(
        user=user,
        defaults={
            "display_name": f"{user.username.title()}, PharmD",
            "npi": f"{9100000000 + user.pk}",
        },
    )
    PharmacistLicence.objects.filter(profile=profile).delete()
    PharmacistLicence.objects.bulk_create(
        PharmacistLicence(
            profile=profile,
            state=state,
            number=f"RPH-{state}",
            expires_on=expires_on or timezone.localdate() + timedelta(days=365),
        )
        for state in (states if states is not None else [code for code, _ in US_STATES])
    )
    return profile


def pharmacist(states=None, *, username="pharmacist", expires_on=None):
    """The staff user ``username`` in the Pharmacists group (created, signed-in-able, the
    first time), licensed in ``states`` (default: every state)."""
    from tests.support.staff import staff

    user = get_user_model().objects.filter(username=username).first() or staff(
        "pharmacist", username
    )
    if states is not None or expires_on is not None:
        license_pharmacist(user, states, expires_on=expires_on)
    return user


def verified(order):
    """``order`` once a pharmacist verified every prescription waiting (if any). Returns it."""
    order.refresh_from_db()
    if order.awaits_verification():
        verify_prescriptions(order, by=pharmacist(username="verifying-pharmacist"))
    order.refresh_from_db()
    return order
