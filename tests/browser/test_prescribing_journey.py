"""Issue 11 in a browser: questions chosen by the medicines, a stop she talks her way out of,
an interaction she did not know about, and what the clinician reads first."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from tests.browser.helpers import answer_questionnaire, staff_sign_in
from tests.orders.factories import make_plan
from tests.staff import staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cart_plans(settings):
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_SECRET_KEY = ""
    return make_plan("Oral Metformin ER", 2200), make_plan("Spironolactone", 1400)


def test_metformin_and_spironolactone_with_lisinopril(page, screenshot, cart_plans):
    for plan in cart_plans:
        page.goto(plan.treatment.get_absolute_url())
        page.get_by_role("button", name=re.compile("Start your visit")).first.click()
        page.wait_for_url("**/cart/")
    page.get_by_role("link", name="Continue to medical questions").click()
    page.wait_for_url("**/checkout/")
    # The questions of both medicines' drug classes, each saying what it is for.
    expect(page.get_by_role("heading", name="About metformin")).to_be_visible()
    expect(page.get_by_role("heading", name="About spironolactone")).to_be_visible()

    # Trying to conceive stops spironolactone, with a way out.
    answer_questionnaire(
        page,
        email="jane@example.com",
        yes=["trying to conceive"],
        medicines=[("Lisinopril", "10 mg daily")],
    )
    page.get_by_role("button", name=re.compile("Continue to payment")).click()
    stop_box = page.locator("#stops")
    expect(stop_box).to_contain_text("Spironolactone is not safe during pregnancy")
    expect(
        stop_box.get_by_role("button", name="Remove Spironolactone from my cart")
    ).to_be_visible()
    screenshot(page, "prescribing-stop-desktop")

    # She changes the answer instead, and goes on.
    page.get_by_role("group", name="Are you trying to conceive?").get_by_label(
        "No", exact=True
    ).check()
    for name in ("telehealth", "terms", "privacy notice"):
        page.get_by_label(re.compile(f"I (agree|have read).*{name}")).check()
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

    # The clinician reads the flags first: the changed answer, then the interaction.
    staff_sign_in(page, staff("clinician", "dr_lee"))
    page.goto(f"/admin/orders/order/{order.pk}/change/")
    red_flags = page.locator(".clinic-flags li")
    expect(red_flags.nth(0)).to_contain_text("was Yes, now No")
    expect(red_flags.nth(1)).to_contain_text("Interaction: takes Lisinopril 10 mg daily")
    expect(page.locator("main")).to_contain_text("Metformin ER, oral: Biguanide (metformin)")
    expect(page.locator("main")).to_contain_text("None: her first order.")
    # It fits a 1280 px screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, "prescribing-review-desktop")
