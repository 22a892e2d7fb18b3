"""The pharmacy (issue 20): the Pharmacist role and profile, the dispensing pharmacy as data
staff edit, the states we serve (a clinician and the pharmacy both licensed), and the
compounded preparations."""

import html
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from clinic.clinicians import DEMO_PHARMACY, seed_demo_pharmacy, served_states
from clinic.questionnaire import QuestionnaireForm
from core.us_states import US_STATES
from orders.models import (
    Order,
    PharmacistLicence,
    PharmacistProfile,
    Pharmacy,
)
from tests.support.clinic import order_to_review
from tests.support.factories import answers, licensed_clinician, licensed_pharmacy, make_plan
from tests.support.lifecycle import perform
from tests.support.patients import sign_in_patient
from tests.support.pharmacy import pharmacist
from tests.support.staff import sign_in, staff
from treatments.models import Medicine
from treatments.seed import load_catalog

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - timedelta(days=1)


def test_states_served_need_a_clinician_and_the_pharmacy_licensed_there():
    licensed_clinician(["NY", "CA", "TX"])
    assert served_states() == ["CA", "NY", "TX"]  # the test pharmacy is licensed everywhere
    pharmacy = licensed_pharmacy(["NY", "CA", "WA"])
    assert served_states() == ["CA", "NY"]
    pharmacy.licences.filter(state="CA").update(expires_on=YESTERDAY)  # lapsed: no longer counts
    assert served_states() == ["NY"]
    Pharmacy.objects.update(is_active=False)
    assert served_states() == []


def test_checkout_refuses_a_state_where_the_pharmacy_is_not_licensed():
    plan = make_plan()
    licensed_pharmacy(["CA", "TX"])
    form = QuestionnaireForm(answers(state="NY"), treatments=[plan.treatment])
    assert not form.is_valid()
    assert form.errors["state"] == [
        "We cannot treat patients who live in New York yet: our clinicians and our pharmacy "
        "are not both licensed there. We are sorry; please see a local clinician for now."
    ]
    assert QuestionnaireForm(answers(state="CA"), treatments=[plan.treatment]).is_valid()


@pytest.mark.usefixtures("test_mode")
def test_refills_cannot_move_to_a_state_where_the_pharmacy_is_not_licensed(client):
    order = perform(order_to_review(), "approve")
    Order.objects.filter(pk=order.pk).update(residence_state="NY")
    licensed_pharmacy(["NY", "TX"])  # the clinician is licensed in CA too; the pharmacy not
    sign_in_patient(client, order)
    data = {
        "name": "Jane Patient",
        "line1": "1 Sunset Blvd",
        "city": "Los Angeles",
        "state": "CA",
        "postal_code": "90001",
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/orders/{order.public_id}/address/", data, follow=True)
    page = html.unescape(response.content.decode())
    assert "We cannot send refills to California: our clinicians and our pharmacy" in page
    assert Order.objects.get(pk=order.pk).ship_state == "NY"
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            f"/orders/{order.public_id}/address/",
            {**data, "city": "Austin", "state": "TX", "postal_code": "73301"},
        )
    assert Order.objects.get(pk=order.pk).ship_state == "TX"  # served: moved (and held)


def test_create_staff_user_makes_a_pharmacist():
    call_command("create_staff_user", "sam", role="pharmacist", interactive=False)
    user = get_user_model().objects.get(username="sam")
    assert list(user.groups.values_list("name", flat=True)) == ["Pharmacists"]
    assert user.has_perm("orders.verify_prescription")
    assert user.has_perm("orders.view_questionnaire")  # the summary she verifies against
    assert not user.has_perm("orders.ship_order") and not user.has_perm("orders.review_order")
    fulfillment = staff("fulfillment")
    assert not fulfillment.has_perm("orders.view_questionnaire")
    assert not fulfillment.has_perm("orders.verify_prescription")


def test_a_pharmacist_profile_checks_the_npi_and_counts_only_current_licences(client):
    user = pharmacist([], username="sam")
    profile = PharmacistProfile.objects.get(user=user)
    profile.npi = "1245319598"  # a typo: the check digit is wrong
    with pytest.raises(ValidationError, match="check digit"):
        profile.full_clean()
    profile.npi = "1245319599"
    profile.full_clean()
    licence = PharmacistLicence.objects.create(
        profile=profile, state="NY", number="RPH-1", expires_on=timezone.localdate()
    )
    assert profile.is_licensed_in("NY")  # up to its expiry day, included
    assert str(licence).startswith("NY licence RPH-1 (until")
    licence.expires_on = YESTERDAY
    licence.save()
    assert not profile.is_licensed_in("NY")
    assert str(profile) == profile.display_name


def test_superusers_edit_the_pharmacy_and_pharmacists_in_the_admin(client):
    sign_in(client, staff("superuser", "root"))
    licensed_clinician(["NY", "NJ"])
    Pharmacy.objects.update(is_active=False)  # the tests' own pharmacy closes
    add = reverse("admin:orders_pharmacy_add")
    response = client.post(
        add,
        {
            "name": "Oana Pharmacy",
            "line1": "1 Main St",
            "line2": "Suite 2",
            "city": "Newark",
            "state": "NJ",
            "postal_code": "07102",
            "phone": "555-0101",
            "is_active": "on",
            "licences-TOTAL_FORMS": "2",
            "licences-INITIAL_FORMS": "0",
            "licences-0-state": "NJ",
            "licences-0-number": "NJ-PH-1",
            "licences-0-expires_on": "2030-01-31",
            "licences-1-state": "OH",
            "licences-1-number": "OH-PH-1",
            "licences-1-expires_on": "2020-01-31",  # lapsed
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    pharmacy = Pharmacy.objects.get(is_active=True)
    assert str(pharmacy) == "Oana Pharmacy"
    assert pharmacy.address == "1 Main St, Suite 2, Newark, NJ 07102"
    assert served_states() == ["NJ"]
    listing = client.get(reverse("admin:orders_pharmacy_changelist")).content.decode()
    assert "NJ" in listing and "OH-PH-1" not in listing
    assert str(pharmacy.licences.get(state="NJ")).startswith("NJ licence NJ-PH-1")
    user = staff("pharmacist", "sam")
    profiles = client.get(reverse("admin:orders_pharmacistprofile_changelist")).content.decode()
    assert "Sam, PharmD" in profiles
    # A pharmacist reads the pharmacy but does not edit it, nor her own profile.
    client.logout()
    sign_in(client, user)
    assert client.get(reverse("admin:orders_pharmacy_changelist")).status_code == 200
    assert client.get(add).status_code == 403
    assert client.get(reverse("admin:orders_pharmacistprofile_changelist")).status_code == 403


def test_the_compounded_preparations_are_marked_by_the_seed():
    load_catalog()
    compounded = set(Medicine.objects.filter(compounded=True).values_list("slug", flat=True))
    assert compounded == {"metformin-lotion", "spironolactone-topical"}


def test_the_demo_pharmacy_is_licensed_everywhere_once():
    assert seed_demo_pharmacy()
    assert not seed_demo_pharmacy()
    pharmacy = Pharmacy.objects.get(name=DEMO_PHARMACY)
    assert pharmacy.licences.count() == len(US_STATES)
