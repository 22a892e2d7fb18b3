"""The care that follows approval, end to end (issue 20): she orders spironolactone while on
lisinopril and uploads her ID; the clinician finds her ID matches and, held by the missing
potassium and creatinine, requests them; she prints the requisition, enters both values with
the lab's report; the clinician confirms them against the report and approves; the pharmacist
verifies the prescription, dispenses the box and prints its label; Fulfillment ships it. Four
weeks later she is asked how she is doing, reports dizziness, and the clinician finds her first
in the review queue."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clinic.services.checkins import schedule_checkins
from orders.models import (
    AdverseEvent,
    CheckIn,
    DispensingRecord,
    LabResult,
    Order,
    Prescription,
    Shipment,
)
from tests.browser.conftest import DESKTOP
from tests.browser.helpers import (
    answer_questionnaire,
    assert_no_axe_violations,
    consider_every_flag,
    patient_sign_in,
    staff_sign_in,
)
from tests.support.factories import make_paid_order, make_plan
from tests.support.files import PDF, jpeg
from tests.support.pharmacy import pharmacist
from tests.support.staff import staff

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "jane@example.com"


@pytest.fixture
def spironolactone(settings):
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_SECRET_KEY = ""
    plan = make_plan("Spironolactone", 1400)
    # Another patient waiting longer: hers must still come first once she reports dizziness.
    make_paid_order(make_plan("Oral Metformin ER", 2200), email="older@example.com")
    return plan


@pytest.fixture
def clinic_page(browser, live_server):
    """The clinician's own browser, signed in once for the whole journey (her authenticator
    gives one code per 30 seconds)."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    clinic_page = context.new_page()
    clinic_page.set_default_timeout(15_000)
    yield clinic_page
    context.close()


def order_on_lisinopril(page, plan):
    page.goto(plan.treatment.get_absolute_url())
    # One item: "Start your visit" goes straight to the first step of the questions.
    page.get_by_role("button", name=re.compile("Start your visit")).first.click()
    answer_questionnaire(page, email=EMAIL, medicines=[("Lisinopril", "10 mg daily")])
    page.get_by_role("button", name=re.compile("Continue to payment")).click()
    page.get_by_label("Address", exact=True).fill("45 Maple Avenue")
    page.get_by_role("button", name=re.compile(r"Pay \(test\)")).click()
    page.wait_for_url("**/checkout/success/**")
    assert_no_axe_violations(page)
    return Order.objects.get(email=EMAIL)


def enter_result(page, test, value):
    labs = page.get_by_test_id("labs")
    labs.get_by_label("Test", exact=True).select_option(test)
    labs.get_by_label("Result (the number on the report)").fill(value)
    labs.get_by_label("Date the sample was taken").fill(f"{timezone.localdate():%Y-%m-%d}")
    # One report carries both values: she attaches it to each result she enters.
    labs.get_by_label("The lab report").set_input_files(
        files=[{"name": "bmp.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    labs.get_by_role("button", name="Send my result").click()
    expect(page.locator(".messages")).to_contain_text("Thank you: your result is in")


def test_from_her_order_to_a_check_in_reporting_dizziness(
    page, clinic_page, screenshot, spironolactone
):
    order = order_on_lisinopril(page, spironolactone)
    clinician = staff("clinician", "dr_lee")

    # Signed in, she uploads a photo of her ID from her order page.
    patient_sign_in(page, EMAIL)
    page.get_by_role("link", name=f"Order {order.reference}").click()
    identity = page.get_by_test_id("identity")
    expect(identity).to_contain_text("upload a photo of a government ID")
    screenshot(page, "care-order-before-id-desktop")
    identity.get_by_label("A photo of your government ID").set_input_files(
        files=[{"name": "license.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    identity.get_by_role("button", name="Send my ID").click()
    expect(page.get_by_test_id("identity")).to_contain_text("a clinician checks the photo")

    # The clinician finds her ID matches; the sign-off page is held by the missing labs
    # (lisinopril is a risk factor), so she requests potassium and creatinine from it.
    staff_sign_in(clinic_page, clinician)
    clinic_page.get_by_test_id("awaiting-review").click()
    row = clinic_page.locator("#result_list tbody tr").filter(has_text=order.reference)
    row.get_by_role("link", name="Check her ID").click()
    expect(clinic_page.locator("main")).to_contain_text("Jane Patient")
    clinic_page.get_by_label("Matches").check()
    clinic_page.get_by_role("button", name="Record the decision").click()
    expect(clinic_page.locator(".messagelist")).to_contain_text("her identity matches")
    clinic_page.goto(f"/admin/orders/order/{order.pk}/approve/")
    flags = clinic_page.locator("fieldset.clinic-flag-review")
    expect(flags.filter(has_text="No confirmed Potassium result")).to_have_count(1)
    expect(flags.filter(has_text="No confirmed Creatinine result")).to_have_count(1)
    expect(clinic_page.get_by_test_id("identity-status")).to_contain_text("Matches her legal name")
    clinic_page.get_by_test_id("signoff-labs").get_by_role("link", name="Request labs").click()
    clinic_page.get_by_label("Potassium (mmol/L)").check()
    clinic_page.get_by_label("Creatinine (mg/dL)").check()
    clinic_page.get_by_label("Why (she reads it on her requisition)").fill(
        "Spironolactone with lisinopril can raise your potassium: we check it first."
    )
    clinic_page.get_by_label("By when").fill(
        f"{timezone.localdate() + timedelta(days=14):%Y-%m-%d}"
    )
    clinic_page.get_by_role("button", name="Send the request").click()
    expect(clinic_page.locator(".messagelist")).to_contain_text("Labs requested")

    # She prints the requisition, then enters both values with the lab's report.
    patient_sign_in(page, EMAIL)
    page.goto(f"/orders/{order.public_id}/")
    labs = page.get_by_test_id("labs")
    expect(labs).to_contain_text("Your clinician asked for: Potassium, Creatinine")
    labs.get_by_role("link", name="Print the requisition to take to a lab").click()
    expect(page.locator("main")).to_contain_text("Laboratory requisition")
    expect(page.locator("main")).to_contain_text("Potassium")
    screenshot(page, "care-requisition-desktop")
    page.go_back()
    enter_result(page, "potassium", "4.2")
    enter_result(page, "creatinine", "0.8")
    results = page.get_by_test_id("labs").locator("tbody tr")
    expect(results).to_have_count(2)
    expect(results.filter(has_text="Potassium")).to_contain_text("Not yet")
    screenshot(page, "care-labs-entered-desktop")

    # The clinician confirms both against the report, then approves.
    clinic_page.goto(f"/admin/orders/order/{order.pk}/change/")
    clinic_page.get_by_role("link", name="Confirm lab results").click()
    clinic_page.get_by_label(re.compile("Potassium 4.2")).check()
    clinic_page.get_by_label(re.compile("Creatinine 0.8")).check()
    clinic_page.get_by_role("button", name="Confirm against her report").click()
    expect(clinic_page.locator(".messagelist")).to_contain_text("results confirmed")
    assert LabResult.objects.filter(order=order, confirmed_by=clinician).count() == 2
    clinic_page.goto(f"/admin/orders/order/{order.pk}/approve/")
    flags = clinic_page.locator("fieldset.clinic-flag-review")
    expect(flags).to_have_count(1)
    expect(flags).to_contain_text("Interaction: takes Lisinopril")
    expect(clinic_page.get_by_test_id("signoff-labs")).to_contain_text("4.2 mmol/L")
    consider_every_flag(clinic_page)  # the lisinopril interaction, weighed against her labs
    clinic_page.get_by_label(
        re.compile("I have reviewed this patient's answers and attest")
    ).check()
    clinic_page.get_by_role("button", name="Approve order").click()
    expect(clinic_page.locator(".messagelist")).to_contain_text(f"{order.reference} approved")
    order.refresh_from_db()
    assert order.status == Order.Status.APPROVED
    assert order.awaits_verification()

    # The pharmacist verifies it, then dispenses the box and prints its label.
    rph = pharmacist(username="rph_kim")
    staff_sign_in(page, rph)
    page.get_by_test_id("to-verify").click()
    row = page.locator("#result_list tbody tr").filter(has_text=order.reference)
    row.get_by_role("link", name="Verify or send back").click()
    expect(page.get_by_test_id("clinical-summary")).to_contain_text("Lisinopril")
    expect(page.get_by_test_id("prescriptions-to-verify")).to_contain_text("Spironolactone")
    page.get_by_label(re.compile("I checked each prescription")).check()
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".messagelist")).to_contain_text("prescription(s) verified")
    assert Prescription.objects.get(order=order).verified_by == rph
    page.goto("/admin/orders/shipment/")
    row = page.locator("#result_list tbody tr").filter(has_text=order.reference)
    row.get_by_role("link", name="Dispense and print label").click()
    page.get_by_label("Spironolactone: lot number").fill("L2026-07")
    page.get_by_label("Spironolactone: lot expiry (YYYY-MM-DD)").fill("2030-01-31")
    page.get_by_role("button", name="Record and print labels").click()
    label = page.get_by_test_id("patient-label")
    expect(label).to_contain_text("Jane Patient")
    expect(label).to_contain_text("Lot L2026-07")
    screenshot(page, "care-patient-label-desktop")

    # Fulfillment ships it: what to pack, label attached, never the directions.
    staff_sign_in(page, staff("fulfillment", "sam"))
    page.get_by_test_id("to-ship").click()
    row = page.locator("#result_list tbody tr").filter(has_text=order.reference)
    row.get_by_role("link", name="Mark shipped").click()
    pick_list = page.locator("#content")
    expect(pick_list).to_contain_text(
        re.compile(r"Spironolactone .*: \d+ tablets · label attached: yes")
    )
    expect(pick_list).not_to_contain_text("Take ")
    page.get_by_label("Carrier").select_option("USPS")
    page.get_by_label("Tracking number").fill("9400111899223100005678")
    page.get_by_role("button", name=re.compile("Mark shipped")).click()
    expect(page.locator(".messagelist")).to_contain_text("marked shipped")
    shipment = Shipment.objects.get(order=order, status=Shipment.Status.SHIPPED)
    [record] = DispensingRecord.objects.filter(shipment=shipment)
    assert (record.lot, record.pharmacist) == ("L2026-07", rph)

    # Four weeks later the hourly check-in job asks her how she is doing.
    assert schedule_checkins() == []  # not yet due today
    assert len(schedule_checkins(now=timezone.now() + timedelta(weeks=4))) == 1

    patient_sign_in(page, EMAIL)
    page.goto(f"/orders/{order.public_id}/")
    checkin = page.get_by_test_id("checkin")
    expect(checkin).to_contain_text("call 911 now")
    checkin.get_by_role("group", name="How are you doing since you started?").get_by_label(
        "About the same"
    ).check()
    dizzy = re.compile("dizzy or light-headed when you stand up")
    checkin.get_by_role("group", name=dizzy).get_by_label("Yes").check()
    checkin.get_by_role("group", name=re.compile("muscle weakness")).get_by_label("No").check()
    checkin.get_by_label(re.compile("Any side effects")).fill("Dizzy when I stand up quickly.")
    checkin.get_by_label(re.compile("when did it start")).fill("Last week")
    checkin.get_by_role("group", name=re.compile("usual daily activities")).get_by_label(
        "No"
    ).check()
    checkin.get_by_role("group", name="Are you pregnant, or could you be?").get_by_label(
        "No"
    ).check()
    checkin.get_by_role("group", name="Are you trying to conceive?").get_by_label("No").check()
    screenshot(page, "care-checkin-desktop")
    checkin.get_by_role("button", name="Send my check-in").click()
    expect(page.locator("main")).to_contain_text("your clinician reviews your check-in")
    screenshot(page, "care-checkin-sent-desktop")
    event = AdverseEvent.objects.get(order=order)
    assert (event.severity, event.medicine) == ("moderate", "Spironolactone")

    # The clinician finds her first in the queue, above the patient who waited longer.
    clinic_page.goto("/admin/")
    clinic_page.get_by_test_id("awaiting-review").click()
    rows = clinic_page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(order.reference)
    expect(rows.first).to_contain_text("Check-in to review")
    expect(rows.first).not_to_contain_text("titration step")  # spironolactone has none
    older = Order.objects.get(email="older@example.com")
    expect(rows.nth(1)).to_contain_text(older.reference)
    screenshot(clinic_page, "care-review-queue-desktop")
    rows.first.get_by_role("link", name="Review her check-in").click()
    expect(clinic_page.get_by_test_id("checkin-answers")).to_contain_text("Dizzy on standing")
    assert CheckIn.objects.get(order=order).answered_at is not None
