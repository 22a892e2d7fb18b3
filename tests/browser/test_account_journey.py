"""Her account, end to end: she orders signed out, gets the order email, signs in with the
emailed code, sees her order, pauses her subscription and writes to her care team; a
clinician asks her a question in the admin; she answers and uploads her ID; the clinician
checks it and requests her eGFR; she prints the requisition and enters her result with the
report; the clinician confirms it and approves."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Order
from tests.browser.helpers import (
    answer_questionnaire,
    assert_no_axe_violations,
    patient_sign_in,
    staff_sign_in,
)
from tests.support.factories import make_plan
from tests.support.files import PDF, jpeg
from tests.support.staff import staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def metformin(settings):
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_SECRET_KEY = ""
    return make_plan("Oral Metformin ER", 2200)


def order_signed_out(page, plan):
    page.goto(plan.treatment.get_absolute_url())
    page.get_by_role("button", name=re.compile("Start your visit")).first.click()
    page.wait_for_url("**/checkout/")  # one item: the first question at once
    answer_questionnaire(page, email="jane@example.com")
    page.get_by_role("button", name=re.compile("Continue to payment")).click()
    page.get_by_label("Address", exact=True).fill("45 Maple Avenue")
    page.get_by_role("button", name=re.compile(r"Pay \(test\)")).click()
    page.wait_for_url("**/checkout/success/**")
    expect(page.get_by_test_id("next-charge")).to_contain_text("Your next charge, $22, is on")
    assert_no_axe_violations(page)


def test_her_account_from_order_to_approval(page, phone_page, screenshot, metformin):
    order_signed_out(page, metformin)
    order = Order.objects.get()
    [received] = [m for m in mail.outbox if "We received your order" in m.subject]
    assert f"/orders/{order.public_id}/" in received.body

    # She follows the link in the email: the details need her sign-in.
    page.goto(f"/orders/{order.public_id}/")
    expect(page.get_by_role("button", name="Email me a sign-in code")).to_be_visible()
    patient_sign_in(page, "jane@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Jane")
    expect(page.locator("main")).to_contain_text(order.reference)
    expect(page.get_by_role("link", name="Account")).to_be_visible()
    screenshot(page, "account-desktop")
    assert_no_axe_violations(page)

    page.get_by_role("link", name=f"Order {order.reference}").click()
    expect(page.locator("address")).to_contain_text("45 Maple Avenue")
    assert_no_axe_violations(page)
    page.get_by_label("Pause for").select_option("1")
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Paused until")
    screenshot(page, "account-order-paused-desktop")
    assert Order.objects.get().patient_pause_until is not None

    page.get_by_role("link", name="Write to your care team").click()
    expect(page.locator("main")).to_contain_text("call 911")
    page.get_by_label("My order or delivery").check()
    page.get_by_label("Your message").fill("Can my refills come to my office?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("main")).to_contain_text("Can my refills come to my office?")

    # The clinician asks her a question before deciding.
    clinician = staff("clinician", "dr_lee")
    staff_sign_in(page, clinician)
    page.get_by_test_id("awaiting-review").click()
    row = page.locator("#result_list tbody tr").filter(has_text=order.reference)
    row.get_by_role("link", name="Ask the patient").click()
    page.get_by_label("Your question to the patient").fill("Do you take any blood pressure pills?")
    page.get_by_role("button", name="Send the question").click()
    expect(page.locator(".messagelist")).to_contain_text("Question sent")
    assert Order.objects.get().status == Order.Status.NEEDS_INFORMATION
    [question] = [m for m in mail.outbox if "has a question" in m.subject]
    assert "blood pressure pills" not in question.body

    # She answers from her account.
    patient_sign_in(page, "jane@example.com")
    page.get_by_role("link", name=f"Order {order.reference}").click()
    expect(page.locator("main")).to_contain_text("Your clinician has a question")
    page.get_by_role("link", name="A medical question").click()
    expect(page.locator("main")).to_contain_text("Do you take any blood pressure pills?")
    page.get_by_label("Your message").fill("No, none.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("main")).to_contain_text("No, none.")
    screenshot(page, "account-thread-desktop")
    assert Order.objects.get().status == Order.Status.AWAITING_REVIEW

    # Before the first approval: a photo of her ID, and her eGFR with the lab's report.
    page.goto(f"/orders/{order.public_id}/")
    expect(page.get_by_test_id("identity")).to_contain_text("upload a photo of a government ID")
    page.get_by_label("A photo of your government ID").set_input_files(
        files=[{"name": "license.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    page.get_by_role("button", name="Send my ID").click()
    expect(page.get_by_test_id("identity")).to_contain_text("a clinician checks the photo")

    # Back in the queue, marked answered: the clinician checks her ID and asks for labs.
    staff_sign_in(page, clinician)
    page.get_by_test_id("awaiting-review").click()
    row = page.locator("#result_list tbody tr").filter(has_text=order.reference)
    expect(row).to_contain_text("Answered")
    row.get_by_role("link", name="Check her ID").click()
    expect(page.locator("main")).to_contain_text("Jane Patient")
    page.get_by_label("Matches").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".messagelist")).to_contain_text("her identity matches")
    page.goto(f"/admin/orders/order/{order.pk}/request_labs/")
    page.get_by_label("eGFR (mL/min/1.73m²)").check()
    page.get_by_label("Why (she reads it on her requisition)").fill("Kidney function first.")
    page.get_by_label("By when").fill(f"{timezone.localdate() + timedelta(days=14):%Y-%m-%d}")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".messagelist")).to_contain_text("Labs requested")

    # On her phone, she prints the requisition, then enters her result with the report.
    phone = phone_page
    phone.goto(f"/orders/{order.public_id}/")
    patient_sign_in(phone, "jane@example.com")
    phone.goto(f"/orders/{order.public_id}/")
    expect(phone.get_by_test_id("labs")).to_contain_text("Your clinician asked for: eGFR")
    phone.get_by_role("link", name="Print the requisition to take to a lab").click()
    expect(phone.locator("main")).to_contain_text("Laboratory requisition")
    phone.go_back()
    phone.get_by_label("Test", exact=True).select_option("egfr")
    phone.get_by_label("Result (the number on the report)").fill("88")
    phone.get_by_label("Date the sample was taken").fill(f"{timezone.localdate():%Y-%m-%d}")
    phone.get_by_label("The lab report").set_input_files(
        files=[{"name": "labs.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    phone.get_by_role("button", name="Send my result").click()
    expect(phone.get_by_test_id("labs")).to_contain_text("Not yet")
    screenshot(phone, "account-labs-phone")

    # The clinician (still signed in) confirms it against the report, then approves.
    page.goto(f"/admin/orders/order/{order.pk}/confirm_labs/")
    page.get_by_label(re.compile("eGFR 88")).check()
    page.get_by_role("button", name="Confirm against her report").click()
    expect(page.locator(".messagelist")).to_contain_text("results confirmed")
    page.goto(f"/admin/orders/order/{order.pk}/approve/")
    expect(page.get_by_test_id("signoff-labs")).to_contain_text("Matches her legal name")
    page.get_by_label(re.compile("I have reviewed this patient's answers and attest")).check()
    page.get_by_role("button", name="Approve order").click()
    expect(page.locator(".messagelist")).to_contain_text(f"{order.reference} approved")
    assert Order.objects.get().status == Order.Status.APPROVED
