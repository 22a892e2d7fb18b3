"""Prescribing, end to end: she orders Oral Metformin ER and Spironolactone while taking
lisinopril; the clinician sees the potassium flag first, approves metformin with a
prescription and declines spironolactone; she sees her plan and her partial refund."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order, Prescription, Refund
from tests.browser.helpers import patient_sign_in, staff_sign_in
from tests.orders.factories import make_plan
from tests.staff import staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def plans(settings):
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_SECRET_KEY = ""
    return make_plan("Oral Metformin ER", 2200), make_plan("Spironolactone", 3000)


def order_both_while_taking_lisinopril(page, plans):
    for plan in plans:
        page.goto(plan.treatment.get_absolute_url())
        page.get_by_role("button", name=re.compile("Start your visit")).first.click()
    page.goto("/cart/")
    page.get_by_role("link", name="Continue to medical questions").click()
    page.get_by_label("Email").fill("jane@example.com")
    page.get_by_label("Legal name").fill("Jane Patient")
    page.get_by_label("Date of birth").fill("1990-04-12")
    page.get_by_role("group", name=re.compile("pregnant")).get_by_label("None of these").check()
    page.get_by_role("group", name=re.compile("kidney disease")).get_by_label("No").check()
    page.get_by_label("Which medicines").fill("Lisinopril 10 mg daily")
    page.get_by_label("Do you have any allergies").fill("none")
    page.get_by_role("group", name=re.compile("alcohol")).get_by_label("No").check()
    page.get_by_role("group", name=re.compile("raise potassium")).get_by_label("Yes").check()
    page.get_by_role("group", name=re.compile("potassium level is high")).get_by_label("No").check()
    page.get_by_role("button", name=re.compile("Continue to payment")).click()
    page.get_by_label("Address", exact=True).fill("45 Maple Avenue")
    page.get_by_role("button", name=re.compile(r"Pay \(test\)")).click()
    page.wait_for_url("**/checkout/success/**")


def test_approve_metformin_decline_spironolactone(page, screenshot, plans):
    order_both_while_taking_lisinopril(page, plans)
    order = Order.objects.get()
    assert order.lines.count() == 2

    clinician = staff("clinician", "dr_lee")
    clinician.first_name, clinician.last_name = "Ana", "Lee"
    clinician.save()
    staff_sign_in(page, clinician)
    page.get_by_test_id("awaiting-review").click()
    row = page.locator("#result_list tbody tr").filter(has_text=order.reference)
    expect(row).to_contain_text("Takes potassium-raising medicines")
    row.get_by_role("link", name="Approve").click()

    page.get_by_role("checkbox", name=re.compile(r"Spironolactone \(Monthly\)")).check()
    page.get_by_label("Reason for the treatments you decline").fill(
        "Spironolactone with lisinopril can raise your potassium too far."
    )
    metformin = page.get_by_label("Oral Metformin ER (Oral Metformin ER): strength")
    expect(metformin).to_have_value("500 mg")
    metformin.fill("750 mg")
    screenshot(page, "approve-with-prescription")
    page.get_by_role("button", name="Approve order").click()
    expect(page.locator(".messagelist")).to_contain_text("1 treatment(s) declined")

    order = Order.objects.get()
    assert order.status == Order.Status.APPROVED
    assert order.total_cents == 2200
    [rx] = Prescription.objects.all()
    assert (rx.medicine_name, rx.strength, rx.prescriber_name) == (
        "Oral Metformin ER",
        "750 mg",
        "Ana Lee",
    )
    assert list(Refund.objects.values_list("amount_cents", "status")) == [(3000, "succeeded")]

    patient_sign_in(page, "jane@example.com")
    page.get_by_role("link", name=f"Order {order.reference}").click()
    main = page.locator("main")
    expect(main).to_contain_text("Oral Metformin ER 750 mg")
    expect(main).to_contain_text("Take one tablet daily with dinner.")
    expect(main).to_contain_text("Prescribed by")
    expect(main).to_contain_text("Ana Lee")
    expect(main).to_contain_text("Not approved by your clinician: refunded, never charged again")
    expect(main).to_contain_text("Refunded $30.00 to your card.")
    screenshot(page, "her-plan-and-partial-refund")
