"""Approving writes a prescription per medicine (defaults from the catalog, confirmed or
edited by the clinician); she sees her plan; Fulfillment packs from a pick list."""

from dataclasses import replace

import pytest
from django.core import mail
from django.test import TestCase

from clinic.services.prescriptions import drafts_for
from clinic.services.review import approve_order
from orders.models import Order, Prescription
from orders.services import OrderError
from tests.support.clinic import approve_form
from tests.support.factories import make_paid_order, make_plan
from tests.support.patients import sign_in_patient
from tests.support.staff import sign_in, staff
from treatments.models import Medicine

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def clinician():
    user = staff("clinician", "dr_lee")
    user.clinician_profile.display_name = "Dr. Ana Lee"
    user.clinician_profile.save()
    return user


def post_approve(client, order, clinician, **fields):
    sign_in(client, clinician)
    return client.post(f"/admin/orders/order/{order.pk}/approve/", approve_form(order, **fields))


def test_a_routine_approval_prescribes_each_medicine_from_its_defaults(client, clinician):
    order = make_paid_order(make_plan("Oral Metformin ER", 2200))
    medicine = order.lines.get().plan.treatment.medicines.get()
    page = client.get(f"/admin/orders/order/{order.pk}/approve/")  # signed out: to sign-in
    assert page.status_code == 302
    sign_in(client, clinician)
    form = client.get(f"/admin/orders/order/{order.pk}/approve/").content.decode()
    assert "Metformin ER (Oral Metformin ER): strength" in form
    assert 'value="500 mg"' in form and "Take one tablet daily with dinner." in form

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = post_approve(client, order, clinician)
    assert response.status_code == 302
    [rx] = Prescription.objects.all()
    assert (rx.order, rx.medicine, rx.medicine_name) == (order, medicine, "Metformin ER")
    assert (rx.strength, rx.directions) == ("500 mg", "Take one tablet daily with dinner.")
    assert (rx.quantity, rx.quantity_unit, rx.refills, rx.refills_used) == (30, "tablets", 5, 0)
    assert (rx.prescriber, rx.prescriber_name) == (clinician, "Dr. Ana Lee, MD")
    assert rx.refills_left == 5
    assert (rx.expires_at - rx.written_at).days == 365
    [email] = [m for m in mail.outbox if "approved" in m.subject]
    assert "Your treatment plan" in email.body
    assert (
        "- Metformin ER 500 mg: Take one tablet daily with dinner. (30 tablets a month, "
        "5 refills). Prescribed by Dr. Ana Lee, MD." in email.body
    )


def test_the_clinician_edits_the_prescription(client, clinician):
    order = make_paid_order(make_plan("Oral Metformin ER", 2200))
    key = drafts_for(order)[0].key
    post_approve(
        client,
        order,
        clinician,
        **{
            f"rx-{key}-strength": "750 mg",
            f"rx-{key}-directions": "Take two tablets with dinner.",
            f"rx-{key}-quantity": "60",
            f"rx-{key}-refills": "11",
        },
    )
    rx = Prescription.objects.get()
    assert (rx.strength, rx.directions, rx.quantity, rx.refills) == (
        "750 mg",
        "Take two tablets with dinner.",
        60,
        11,
    )


@pytest.mark.parametrize(
    "part, value, message",
    [
        ("refills", "12", "less than or equal to 11"),
        ("refills", "-1", "greater than or equal to 0"),
        ("quantity", "0", "greater than or equal to 1"),
        ("strength", "", "This field is required"),
        ("quantity", "lots", "Enter a whole number"),
    ],
)
def test_a_bad_prescription_is_sent_back_with_the_reason(client, clinician, part, value, message):
    order = make_paid_order(make_plan("Oral Metformin ER", 2200))
    key = drafts_for(order)[0].key
    response = post_approve(client, order, clinician, **{f"rx-{key}-{part}": value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_REVIEW
    assert not Prescription.objects.exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"refills": 12}, "at most 11 refills"),
        ({"quantity": 0}, "must be at least 1"),
        ({"strength": "  "}, "Give the strength and directions"),
        ({"directions": ""}, "Give the strength and directions"),
    ],
)
def test_the_service_refuses_a_bad_prescription_and_nothing_is_approved(change, message):
    order = make_paid_order(make_plan("Oral Metformin ER", 2200))
    drafts = [replace(draft, **change) for draft in drafts_for(order)]
    with pytest.raises(OrderError, match=message):
        approve_order(order, by=staff("clinician"), prescriptions=drafts)
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_REVIEW
    assert not Prescription.objects.exists()


def test_a_draft_for_another_order_is_refused():
    order = make_paid_order(make_plan("Oral Metformin ER", 2200))
    other = make_paid_order(make_plan("Spironolactone", 3000), email="o@example.com")
    with pytest.raises(OrderError, match="not part of this order"):
        approve_order(order, by=staff("clinician"), prescriptions=drafts_for(other))


def test_a_pack_is_one_line_with_a_prescription_per_medicine():
    pack = make_plan("PCOS Pack", 6900, medicines=[])
    for slug, name in [("met", "Metformin ER"), ("spiro", "Spironolactone")]:
        pack.treatment.medicines.add(
            Medicine.objects.create(
                slug=slug,
                name=name,
                route="oral",
                default_strength="50 mg",
                default_directions="Once daily.",
            )
        )
    order = make_paid_order(pack)
    approve_order(order, by=staff("clinician"))
    assert order.lines.count() == 1
    assert sorted(Prescription.objects.values_list("medicine_name", flat=True)) == [
        "Metformin ER",
        "Spironolactone",
    ]


def test_a_declined_line_gets_no_prescription(settings):
    settings.STRIPE_TEST_MODE = True
    order = make_paid_order(make_plan("Oral Metformin ER", 2200), make_plan("Spironolactone", 3000))
    declined = order.lines.get(treatment_name="Spironolactone")
    approve_order(
        order, by=staff("clinician"), declined_lines=[declined], decline_reason="Potassium."
    )
    assert list(Prescription.objects.values_list("medicine_name", flat=True)) == ["Metformin ER"]


def test_she_sees_her_plan_on_her_order_page(client, clinician):
    order = make_paid_order(make_plan("Oral Metformin ER", 2200))
    order.lines.get().plan.treatment.__class__.objects.update(side_effects="Upset stomach.")
    approve_order(order, by=clinician)
    sign_in_patient(client, order)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "Metformin ER 500 mg" in page
    assert "Take one tablet daily with dinner." in page
    assert "30 tablets" in page
    assert "5 of 5" in page  # refills left
    assert "Dr. Ana Lee, MD" in page
    assert "<strong>What to watch for:</strong> Upset stomach." in page


def test_fulfillment_packs_from_the_pick_list(client, clinician):
    order = make_paid_order(make_plan("Oral Metformin ER", 2200))
    approve_order(order, by=clinician)
    shipment = order.shipments.get()
    sign_in(client, staff("fulfillment"))
    page = client.get(f"/admin/orders/shipment/{shipment.pk}/change/").content.decode()
    assert "Metformin ER 500 mg: 30 tablets" in page
    ship = client.get(f"/admin/orders/shipment/{shipment.pk}/ship/").content.decode()
    assert "Metformin ER 500 mg: 30 tablets" in ship


def test_a_treatment_without_medicines_says_to_ask_before_packing(client):
    order = make_paid_order(make_plan("Old catalog item", 2200, medicines=[]))
    approve_order(order, by=staff("clinician"))
    shipment = order.shipments.get()
    sign_in(client, staff("fulfillment"))
    page = client.get(f"/admin/orders/shipment/{shipment.pk}/change/").content.decode()
    assert "No prescription on file: ask the prescribing clinician before packing." in page
    ship = client.get(f"/admin/orders/shipment/{shipment.pk}/ship/").content.decode()
    assert "No prescription on file: ask the prescribing clinician." in ship


def test_a_superuser_without_a_clinician_profile_signs_with_her_name():
    order = make_paid_order(make_plan("Oral Metformin ER", 2200))
    boss = staff("superuser", "boss")
    boss.first_name, boss.last_name = "Maria", "Ionescu"
    boss.save()
    approve_order(order, by=boss)
    assert Prescription.objects.get().prescriber_name == "Maria Ionescu"
