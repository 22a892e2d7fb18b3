"""A titration moves to its next step at the next refill only after a clinician confirms it;
a clinician changes a prescription between renewals with the same checks as approving."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from clinic.services.changes import change_prescription, confirm_step_up
from clinic.services.prescriptions import current, draft_from, drafts_for
from clinic.services.review import approve_order
from orders.models import ClinicianProfile, Order, Prescription, Shipment
from orders.services import OrderError
from orders.services.fulfilment import mark_shipped
from tests.support.checkins import reviewed_checkin
from tests.support.factories import license_in, make_paid_order, make_plan
from tests.support.patients import prove_email
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db
SEMAGLUTIDE_7 = (
    "Take 1 tablet (7 mg) once daily, by mouth on waking with no more than 4 oz of plain water, "
    "30 minutes before food, drink or other medicines; swallow whole."
)


@pytest.fixture
def clinician():
    return staff("clinician", "dr_lee")


def ship(order, kind=Shipment.Kind.REFILL):
    """Ship the pending box of ``order`` (a new refill box unless one is pending)."""
    shipment = order.shipments.filter(status="pending").first() or Shipment.objects.create(
        order=order, kind=kind, **order.address_dict()
    )
    packing = Shipment.objects.for_packing().get(pk=shipment.pk)
    picked = packing.pick_list
    mark_shipped(
        shipment,
        by=staff("fulfillment", f"packer-{shipment.pk}"),
        carrier="USPS",
        tracking_number=f"94{shipment.pk}",
    )
    return picked


def semaglutide():
    return Prescription.objects.get(medicine__slug="semaglutide-oral", replaced_at=None)


def a_month_on_this_step():
    Prescription.objects.update(step_started_at=timezone.now() - timedelta(days=30))


def test_oral_semaglutide_steps_3_to_7_mg_only_after_a_clinician_confirms(client, clinician):
    order = make_paid_order(make_plan("Oral GLP-1 & Metformin pack", 9900))
    drafts = [replace(draft, refills=11) for draft in drafts_for(order)]
    approve_order(order, by=clinician, prescriptions=drafts, attested=True)
    ship(order)  # the first box: 3 mg
    rx = semaglutide()
    assert (rx.strength, rx.titration_step, rx.quantity, rx.daily_dose) == ("3 mg tablet", 1, 30, 3)

    # A month later, nobody confirmed: the refill is 3 mg again.
    a_month_on_this_step()
    assert "Semaglutide (oral GLP-1) 3 mg tablet: 30 tablets" in ship(order)
    assert semaglutide().titration_step == 1

    # The step waits for a reviewed check-in: no button, and the verb refuses.
    sign_in(client, clinician)
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert f"/admin/orders/order/{order.pk}/step_up/" not in page
    with pytest.raises(OrderError, match="review her check-in first"):
        confirm_step_up(order, by=clinician, prescription_ids=[rx.pk])

    # Her check-in is reviewed: the clinician confirms the step-up on the order page.
    reviewed_checkin(order, clinician)
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert f"/admin/orders/order/{order.pk}/step_up/" in page
    assert f"/admin/orders/order/{order.pk}/change_prescription/" in page
    form = client.get(f"/admin/orders/order/{order.pk}/step_up/").content.decode()
    assert (
        "Semaglutide (oral GLP-1): from Step 1: 3 mg/day, at least 30 days to Step 2: 7 mg/day"
        in form
    )
    response = client.post(f"/admin/orders/order/{order.pk}/step_up/", {"prescriptions": [rx.pk]})
    assert response.status_code == 302
    rx = semaglutide()
    assert (rx.step_up_confirmed_by, rx.titration_step) == (clinician, 1)
    assert order.events.filter(kind="step_up_confirmed").exists()

    # Not yet 30 days on 3 mg: the next box is still 3 mg and the confirmation waits.
    Prescription.objects.update(step_started_at=timezone.now() - timedelta(days=10))
    assert "Semaglutide (oral GLP-1) 3 mg tablet: 30 tablets" in ship(order)
    assert semaglutide().step_up_confirmed_at is not None

    # Its 30 days are up: the next refill carries 7 mg and she is on step 2.
    a_month_on_this_step()
    picked = ship(order)
    assert (
        "Semaglutide (oral GLP-1) 7 mg tablet: 30 tablets (next step of her schedule, "
        "confirmed by a clinician)" in picked
    )
    assert "Metformin ER 500 mg tablet: 30 tablets" in picked  # not confirmed: unchanged
    rx = semaglutide()
    assert (rx.titration_step, rx.strength, rx.daily_dose) == (2, "7 mg tablet", 7)
    assert rx.directions == SEMAGLUTIDE_7
    assert (rx.step_up_confirmed_at, rx.step_up_confirmed_by) == (None, None)
    event = order.events.get(kind="prescription_stepped_up")
    assert event.message.startswith("Your dose of Semaglutide (oral GLP-1) goes up")

    # 14 mg only if needed: again only on a new confirmation.
    a_month_on_this_step()
    assert "Semaglutide (oral GLP-1) 7 mg tablet: 30 tablets" in ship(order)
    confirm_step_up(order, by=clinician, prescription_ids=[rx.pk])
    a_month_on_this_step()
    ship(order)
    rx = semaglutide()
    assert (rx.titration_step, rx.strength) == (3, "14 mg tablet")
    form = client.get(f"/admin/orders/order/{order.pk}/step_up/").content.decode()
    assert "Semaglutide (oral GLP-1): on the last step of its schedule" in form
    with pytest.raises(OrderError, match="Choose a prescription whose schedule has a next step"):
        confirm_step_up(order, by=clinician, prescription_ids=[rx.pk])


def test_the_first_box_never_steps_up(clinician):
    order = make_paid_order(make_plan("Oral GLP-1 & Metformin pack", 9900))
    approve_order(order, by=clinician, attested=True)
    rx = semaglutide()
    Prescription.objects.filter(pk=rx.pk).update(
        step_up_confirmed_at=timezone.now(), step_started_at=timezone.now() - timedelta(days=31)
    )
    assert "Semaglutide (oral GLP-1) 3 mg tablet: 30 tablets" in ship(order)
    assert semaglutide().titration_step == 1


def test_a_step_up_is_refused_without_a_schedule_or_a_licence(clinician):
    order = make_paid_order(make_plan("Spironolactone", 3000))
    approve_order(order, by=clinician, attested=True)
    rx = Prescription.objects.get()
    assert not Order.objects.get(pk=order.pk).can_confirm_step_up()
    with pytest.raises(OrderError, match="cannot be stepped up now"):
        confirm_step_up(order, by=clinician, prescription_ids=[rx.pk])

    glp1 = make_paid_order(make_plan("Oral GLP-1 & Metformin pack", 9900), email="g@example.com")
    approve_order(glp1, by=clinician, attested=True)
    reviewed_checkin(glp1, clinician)
    Order.objects.filter(pk=glp1.pk).update(residence_state="OH")
    with pytest.raises(OrderError, match="only a clinician licensed in Ohio"):
        confirm_step_up(glp1, by=clinician, prescription_ids=[semaglutide().pk])
    Order.objects.filter(pk=glp1.pk).update(residence_state="NY")
    with pytest.raises(OrderError, match="has a next step"):
        confirm_step_up(glp1, by=clinician, prescription_ids=[])


def change_form(order, **fields):
    from orders.admin.forms import ChangePrescriptionForm

    form = ChangePrescriptionForm(order=order)
    data = {
        n: f.initial
        for n, f in form.fields.items()
        if n.startswith("rx-") and f.initial is not None
    }
    return {**data, "attest": "on", **fields}


def test_a_clinician_changes_a_prescription_between_renewals(client, clinician):
    order = make_paid_order(make_plan("Spironolactone", 3000))
    approve_order(order, by=clinician, attested=True)
    old = Prescription.objects.get()
    Prescription.objects.filter(pk=old.pk).update(refills_used=2)  # 3 of 5 left
    key = f"{old.line_id}-{old.medicine_id}"
    url = f"/admin/orders/order/{order.pk}/change_prescription/"
    sign_in(client, clinician)
    form = client.get(url).content.decode()
    assert "At most 3: what is left of this prescription (more is a renewal)." in form

    too_much = {
        f"rx-{key}-strength": "100",
        f"rx-{key}-count": "2",
        f"rx-{key}-frequency": "twice_daily",
    }
    response = client.post(url, change_form(order, **too_much))
    assert response.status_code == 400
    assert (
        "That is 400 mg/day: the maximum for this use is 200 mg/day." in response.content.decode()
    )
    response = client.post(url, change_form(order, **{f"rx-{key}-refills": "4"}))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Spironolactone: at most 3 refills (what is left of the prescription it changes" in page
    assert Prescription.objects.get().pk == old.pk  # nothing changed

    prove_email(order.email)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, change_form(order, **{f"rx-{key}-strength": "100"}))
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.replaced_at is not None
    new = Prescription.objects.get(replaced_at=None)
    assert (new.strength, new.daily_dose, new.refills, new.refills_used) == (
        "100 mg tablet",
        100,
        3,
        0,
    )
    assert new.attested_at is not None
    assert Order.objects.get(pk=order.pk).status == Order.Status.APPROVED
    [email] = [m for m in mail.outbox if "changed your prescription" in m.subject]
    assert "Spironolactone 100 mg tablet: Take 1 tablet (100 mg) once daily" in email.body


def test_the_change_service_checks_dose_refills_licence_and_status(clinician):
    order = make_paid_order(make_plan("Spironolactone", 3000))
    with pytest.raises(OrderError, match="cannot be given a changed prescription now"):
        change_prescription(order, by=clinician, prescriptions=drafts_for(order), attested=True)
    with pytest.raises(OrderError, match="Tick the attestation to sign"):
        change_prescription(order, by=clinician, prescriptions=drafts_for(order), attested=False)
    approve_order(order, by=clinician, attested=True)
    [rx] = current(order)
    draft = draft_from(rx, refills=5)
    four_grams = replace(draft, strength=Decimal(500), count=Decimal(4), frequency="twice_daily")
    with pytest.raises(OrderError, match="the maximum for this use is 200 mg/day"):
        change_prescription(order, by=clinician, prescriptions=[four_grams], attested=True)
    with pytest.raises(OrderError, match="at most 5 refills \\(what is left"):
        change_prescription(
            order, by=clinician, prescriptions=[replace(draft, refills=6)], attested=True
        )
    other = make_paid_order(make_plan("Oral Minoxidil", 2500), email="m@example.com")
    with pytest.raises(OrderError, match="has no current prescription to change"):
        change_prescription(order, by=clinician, prescriptions=drafts_for(other), attested=True)
    license_in(ClinicianProfile.objects.get(user=clinician), ["CA"])
    Order.objects.filter(pk=order.pk).update(residence_state="NY")
    with pytest.raises(OrderError, match="only a clinician licensed in New York"):
        change_prescription(order, by=clinician, prescriptions=[draft], attested=True)
    assert current(order).get() == rx


def test_a_medicine_whose_prescribing_data_was_removed_cannot_be_changed(client, clinician):
    order = make_paid_order(make_plan("Spironolactone", 3000))
    approve_order(order, by=clinician, attested=True)
    Prescription.objects.get().medicine.__class__.objects.update(dosing={})
    sign_in(client, clinician)
    url = f"/admin/orders/order/{order.pk}/change_prescription/"
    response = client.post(url, change_form(order))
    assert response.status_code == 400
    assert "Spironolactone has no prescribing data" in response.content.decode()
