"""Clinician profiles: licences per state (number, expiry), NPIs with their check digit, the
states we serve, the development demo clinician, the admin."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinic.clinicians import DEMO_USERNAME, seed_demo_clinician, served_states
from core.us_states import US_STATES
from orders.models import ClinicianLicence, ClinicianProfile, npi_check_digit_ok
from tests.support.factories import license_in, licensed_clinician, licensed_pharmacy
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db


def run_command(name):
    out = StringIO()
    call_command(name, stdout=out)
    return out.getvalue()


def test_no_clinician_means_no_state_is_served():
    assert served_states() == []


def test_served_states_are_the_union_of_active_clinicians_current_licences():
    licensed_clinician(["NY", "CA"])
    licensed_clinician(["CA", "WA"], username="dr_two", npi="1000000002")
    inactive = licensed_clinician(["AK"], username="dr_three", npi="1000000003")
    inactive.is_active = False
    inactive.save()
    lapsed = licensed_clinician(["OH"], username="dr_four", npi="1000000004")
    license_in(lapsed, ["OH", "NV"], expires_on=date.today() - timedelta(days=1))
    assert served_states() == ["CA", "NY", "WA"]


def test_a_licence_counts_up_to_its_expiry_day_included():
    profile = licensed_clinician(["NY"])
    licence = profile.licences.get()
    assert str(licence).startswith("NY licence NY-")
    licence.expires_on = date.today()
    licence.save()
    assert licence.is_current and profile.is_licensed_in("NY")
    licence.expires_on = date.today() - timedelta(days=1)
    licence.save()
    assert not licence.is_current and not profile.is_licensed_in("NY")
    assert served_states() == []


def test_one_licence_per_state_and_clinician():
    profile = licensed_clinician(["NY"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ClinicianLicence.objects.create(
            profile=profile, state="NY", number="2", expires_on=date(2030, 1, 1)
        )


@pytest.mark.parametrize(
    ("npi", "valid"),
    [
        ("1234567893", True),  # CMS's worked example: check digit 3
        ("1003000126", True),
        ("1234567890", False),  # the same digits with a wrong check digit
        ("1000000001", False),
        ("12345", False),
        ("123456789a", False),
    ],
)
def test_an_npi_is_checked_with_its_luhn_check_digit(npi, valid):
    assert npi_check_digit_ok(npi) is valid
    profile = licensed_clinician(["NY"])
    assert str(profile) == "Dr. Ana Lee, MD"
    profile.npi = npi
    if valid:
        profile.full_clean()
    else:
        with pytest.raises(ValidationError) as error:
            profile.full_clean()
        assert "check digit" in " ".join(error.value.message_dict["npi"])


def test_demo_clinician_is_fictional_licensed_everywhere_and_cannot_sign_in():
    assert seed_demo_clinician() is True
    assert seed_demo_clinician() is False  # once
    profile = ClinicianProfile.objects.get(user__username=DEMO_USERNAME)
    assert "fictional" in profile.display_name
    assert sorted(profile.licences.values_list("state", flat=True)) == sorted(
        code for code, _ in US_STATES
    )
    assert profile.licences.filter(expires_on__lt=date.today() + timedelta(days=3600)).count() == 0
    assert npi_check_digit_ok(profile.npi)
    assert not profile.user.has_usable_password() and not profile.user.is_staff


def test_the_seed_adds_the_demo_clinician_only_with_debug(settings):
    settings.DEBUG = False
    run_command("seed")
    assert not ClinicianProfile.objects.exists()
    settings.DEBUG = True
    assert "fictional demo clinician" in run_command("seed")
    assert "fictional demo clinician" not in run_command("seed")
    assert served_states() == sorted(code for code, _ in US_STATES)


def test_superusers_manage_clinician_profiles_in_the_admin(client):
    root = staff("superuser", "root")
    sign_in(client, root)
    licensed_pharmacy()  # everywhere: the states served are the clinicians'
    user = staff("clinician", "dr_lee")
    ClinicianProfile.objects.filter(user=user).delete()  # a new colleague, no profile yet
    add = reverse("admin:orders_clinicianprofile_add")
    form = {
        "user": str(user.pk),
        "display_name": "Dr. Lee",
        "credentials": "NP",
        "npi": "1234567890",  # a typo: the check digit is wrong
        "is_active": "on",
        "licences-TOTAL_FORMS": "3",
        "licences-INITIAL_FORMS": "0",
        "licences-0-state": "NY",
        "licences-0-number": "NY-309112",
        "licences-0-expires_on": "2028-06-30",
        "licences-1-state": "NJ",
        "licences-1-number": "25MA09876",
        "licences-1-expires_on": "2027-12-31",
        "licences-2-state": "OH",
        "licences-2-number": "OH-1",
        "licences-2-expires_on": "2020-01-31",  # lapsed
    }
    refused = client.post(add, form)
    assert refused.status_code == 200
    assert "check digit" in refused.content.decode()
    response = client.post(add, {**form, "npi": "1234567893"})
    assert response.status_code == 302, response.content.decode()[:2000]
    profile = ClinicianProfile.objects.get(user=user)
    assert list(profile.licences.values_list("state", "number")) == [
        ("NJ", "25MA09876"),
        ("NY", "NY-309112"),
        ("OH", "OH-1"),
    ]
    assert served_states() == ["NJ", "NY"]
    listing = client.get(reverse("admin:orders_clinicianprofile_changelist")).content.decode()
    assert "NJ, NY" in listing and "OH" not in listing
    # Clinicians themselves cannot open the profiles.
    sign_in(client, user)
    assert client.get(add).status_code == 403
