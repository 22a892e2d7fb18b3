"""Issue 11 in a browser: questions chosen by the medicines, a stop she talks her way out of,
an interaction she did not know about, and what the clinician reads first; then the clinician
approves metformin with a prescription and declines spironolactone, and she sees her plan and
her partial refund."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order, Prescription, Refund
from tests.browser.helpers import (
    answer_questionnaire,
    consider_every_flag,
    patient_sign_in,
    staff_sign_in,
)
from tests.support.factories import make_plan, ready_for_review
from tests.support.staff import staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cart_plans(settings):
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_SECRET_KEY = ""
    return make_plan("Oral Metformin ER", 2200), make_plan("Spironolactone", 1400)


def test_metformin_and_spironolactone_with_lisinopril(page, screenshot, cart_plans):
    for plan, lands_on in zip(cart_plans, ("**/checkout/", "**/cart/"), strict=True):
        page.goto(plan.treatment.get_absolute_url())
        page.get_by_role("button", name=re.compile("Start your visit")).first.click()
        page.wait_for_url(lands_on)  # the first item starts the visit; the second, the cart
    page.get_by_role("link", name=re.compile("^Continue: ")).click()
    page.wait_for_url("**/checkout/")

    # Trying to conceive stops spironolactone at that step, with a way out.
    step = answer_questionnaire(
        page,
        email="jane@example.com",
        yes=["trying to conceive"],
        medicines=[("Lisinopril", "10 mg daily")],
    )
    assert step == 2
    stop_box = page.locator(".stop-box")
    expect(stop_box).to_contain_text("Spironolactone is not safe during pregnancy")
    expect(stop_box).to_be_focused()
    expect(
        stop_box.get_by_role("button", name="Remove Spironolactone from my cart")
    ).to_be_visible()
    screenshot(page, "prescribing-stop-desktop")

    # She changes the answer instead, and goes on.
    assert answer_questionnaire(page, medicines=[("Lisinopril", "10 mg daily")]) == 5
    # The questions of both medicines' drug classes, each saying what it is for.
    expect(page.get_by_role("heading", name="About metformin")).to_be_visible()
    expect(page.get_by_role("heading", name="About spironolactone")).to_be_visible()
    page.get_by_role("button", name=re.compile("Continue to payment")).click()
    page.wait_for_url("**/checkout/test-mode/**")
    page.get_by_label("Address", exact=True).fill("45 Maple Avenue")
    page.get_by_role("button", name=re.compile(r"Pay \(test\)")).click()
    page.wait_for_url("**/checkout/success/**")

    order = Order.objects.get()
    assert order.residence_state == "NY"
    assert order.consents.count() == 3
    flags = [flag["message"] for flag in order.questionnaire.flags]
    assert flags[0].startswith("Answer changed after a stop")

    # Her ID matched and her labs in (their own journey: tests/browser/test_account_journey.py).
    ready_for_review(order)

    # The clinician reads the flags first: the changed answer, then the interaction.
    clinician = staff("clinician", "dr_lee")
    clinician.clinician_profile.display_name = "Dr. Ana Lee"
    clinician.clinician_profile.save()
    staff_sign_in(page, clinician)
    page.goto(f"/admin/orders/order/{order.pk}/change/")
    red_flags = page.locator(".clinic-flags li")
    expect(red_flags.nth(0)).to_contain_text("was Yes, now No")
    expect(red_flags.nth(1)).to_contain_text("Interaction: takes Lisinopril 10 mg daily")
    expect(page.locator("main")).to_contain_text("Metformin ER, oral: Biguanide (metformin)")
    expect(page.locator("main")).to_contain_text("None: her first order.")
    # It fits a 1280 px screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, "prescribing-review-desktop")

    # Approve metformin with an edited prescription, decline spironolactone.
    page.get_by_role("link", name="Approve").first.click()
    expect(page.locator("fieldset.clinic-flag-review").first).to_contain_text("was Yes, now No")
    consider_every_flag(page, reason="She confirmed by message: not pregnant.")
    page.get_by_role("checkbox", name=re.compile(r"Spironolactone \(Monthly\)")).check()
    page.get_by_label("Reason for the treatments or medicines you decline").fill(
        "Spironolactone with lisinopril can raise your potassium too far."
    )
    step = page.get_by_label("Metformin ER (Oral Metformin ER): step of the schedule")
    expect(step).to_have_value("1")
    step.select_option(label="Step 2: 1000 mg/day, at least 7 days")
    page.get_by_label(re.compile("I have reviewed this patient's answers and attest")).check()
    screenshot(page, "approve-with-prescription")
    page.get_by_role("button", name="Approve order").click()
    expect(page.locator(".messagelist")).to_contain_text("1 treatment(s) declined")
    order = Order.objects.get()
    assert (order.status, order.total_cents) == (Order.Status.APPROVED, 2200)
    [rx] = Prescription.objects.all()
    assert (rx.medicine_name, rx.strength, rx.prescriber_name) == (
        "Metformin ER",
        "500 mg tablet",
        "Dr. Ana Lee, MD",
    )
    assert (rx.titration_step, rx.daily_dose, rx.quantity) == (2, 1000, 60)
    assert rx.attested_at is not None
    assert list(Refund.objects.values_list("amount_cents", "status")) == [(1400, "succeeded")]

    # She sees her plan and her partial refund.
    patient_sign_in(page, "jane@example.com")
    page.get_by_role("link", name=f"Order {order.reference}").click()
    main = page.locator("main")
    expect(main).to_contain_text("Metformin ER 500 mg tablet")
    expect(main).to_contain_text("Take 2 tablets (1000 mg) once daily")
    expect(main).to_contain_text("Dr. Ana Lee, MD")
    expect(main).to_contain_text("Not approved by your clinician: refunded, never charged again")
    expect(main).to_contain_text("Refunded $14.00 to your card.")
    screenshot(page, "her-plan-and-partial-refund")
