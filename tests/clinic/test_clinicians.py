"""Clinician profiles: the states we serve, the development demo clinician, the admin."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from clinic.clinicians import DEMO_USERNAME, seed_demo_clinician, served_states
from core.us_states import US_STATES
from orders.models import ClinicianProfile
from tests.support.factories import licensed_clinician
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db


def run_command(name):
    out = StringIO()
    call_command(name, stdout=out)
    return out.getvalue()


def test_no_clinician_means_no_state_is_served():
    assert served_states() == []


def test_served_states_are_the_union_of_active_clinicians():
    licensed_clinician(["NY", "CA"])
    licensed_clinician(["CA", "WA"], username="dr_two", npi="1000000002")
    inactive = licensed_clinician(["AK"], username="dr_three", npi="1000000003")
    inactive.is_active = False
    inactive.save()
    assert served_states() == ["CA", "NY", "WA"]


def test_profile_validation_refuses_unknown_states_and_bad_npis():
    profile = licensed_clinician(["NY"])
    assert str(profile) == "Dr. Ana Lee, MD"
    assert profile.is_licensed_in("NY") and not profile.is_licensed_in("CA")
    profile.licensed_states = ["NY", "ZZ"]
    profile.npi = "12345"
    with pytest.raises(ValidationError) as error:
        profile.full_clean()
    assert set(error.value.message_dict) == {"licensed_states", "npi"}


def test_demo_clinician_is_fictional_licensed_everywhere_and_cannot_sign_in():
    assert seed_demo_clinician() is True
    assert seed_demo_clinician() is False  # once
    profile = ClinicianProfile.objects.get(user__username=DEMO_USERNAME)
    assert "fictional" in profile.display_name
    assert profile.licensed_states == [code for code, _ in US_STATES]
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
    user = staff("clinician", "dr_lee")
    ClinicianProfile.objects.filter(user=user).delete()  # a new colleague, no profile yet
    add = reverse("admin:orders_clinicianprofile_add")
    response = client.post(
        add,
        {
            "user": str(user.pk),
            "display_name": "Dr. Lee",
            "credentials": "NP",
            "npi": "1234567893",
            "licensed_states": ["NY", "NJ"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    profile = ClinicianProfile.objects.get(user=user)
    assert profile.licensed_states == ["NY", "NJ"]
    listing = client.get(reverse("admin:orders_clinicianprofile_changelist")).content.decode()
    assert "NY, NJ" in listing
    # Clinicians themselves cannot open the profiles.
    sign_in(client, user)
    assert client.get(add).status_code == 403
