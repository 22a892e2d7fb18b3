"""Issue 21, items 3, 4 and 7 in a browser, on a phone (375 x 812) and a laptop (1280 x 800):
"Start your visit" lands on the first step, the steps and their progress, Back keeps the
answers, "Add another" without JavaScript, and errors that take focus and link to the fields."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from tests.browser.helpers import answer_questionnaire, answer_step, current_step
from tests.support.factories import make_plan

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 800}}


@pytest.fixture
def metformin(settings):
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_SECRET_KEY = ""
    return make_plan("Oral Metformin ER", 2200)


@pytest.fixture(params=list(SIZES))
def sized(request, browser, live_server):
    """A page at each width (a phone is a touch device), and the size's name."""
    size = request.param
    context = browser.new_context(
        viewport=SIZES[size], base_url=live_server.url, is_mobile=size == "phone"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page, size
    context.close()


def in_first_screen(page, locator):
    box = locator.bounding_box()
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= page.viewport_size["height"]
    )


def test_the_visit_in_five_steps(sized, screenshot, metformin):
    page, size = sized
    page.goto(metformin.treatment.get_absolute_url())
    page.get_by_role("button", name=re.compile("Start your visit")).first.click()
    # One item: straight to the first question, the item and its price on top.
    page.wait_for_url("**/checkout/")
    expect(page.locator(".visit-item")).to_contain_text("Oral Metformin ER")
    expect(page.locator(".visit-item")).to_contain_text("$22.00/month")
    expect(page.locator(".question-progress__count")).to_have_text("Step 1 of 5: about you")
    expect(page.locator('.question-progress li[aria-current="step"]')).to_have_text("About you")
    expect(page.locator(".lead")).to_contain_text("5 short steps, 22 questions: about 8 minutes")
    screenshot(page, f"questionnaire-step-1-{size}")

    # A bad submit: the summary takes focus, the title says so, its links move focus.
    page.get_by_label("Email").fill("jane@example.com")
    page.get_by_role("button", name=re.compile("^Next")).click()
    expect(page).to_have_title(re.compile(r"^Error: About you: step 1 of 5"))
    summary = page.locator("#errors")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter your date of birth, e.g. 05/17/1992.")
    summary.get_by_role("link", name="Enter your legal name, as on your ID.").click()
    expect(page.get_by_label("Legal name")).to_be_focused()
    summary.get_by_role("link", name="Choose your sex assigned at birth.").click()
    expect(
        page.get_by_role("group", name="Sex assigned at birth").get_by_label("Female")
    ).to_be_focused()
    expect(page.get_by_label("Email")).to_have_value("jane@example.com")
    screenshot(page, f"questionnaire-errors-{size}")

    answer_step(page, 1)
    page.get_by_role("button", name=re.compile("^Next")).click()
    page.wait_for_url(re.compile(r"/checkout/\?step=2(#.*)?$"))
    expect(page.locator(".question-progress__count")).to_have_text("Step 2 of 5")
    answer_step(page, 2, yes=["breastfeeding"])
    screenshot(page, f"questionnaire-step-2-{size}")
    # Back keeps what she answered, on both steps.
    page.get_by_role("button", name="Back").click()
    page.wait_for_url(re.compile(r"/checkout/\?step=1(#.*)?$"))
    expect(page.get_by_label("Legal name")).to_have_value("Jane Patient")
    page.get_by_role("button", name=re.compile("^Next")).click()
    page.wait_for_url(re.compile(r"/checkout/\?step=2(#.*)?$"))
    expect(
        page.get_by_role("group", name="Are you breastfeeding?").get_by_label("Yes", exact=True)
    ).to_be_checked()

    assert (
        answer_questionnaire(
            page,
            yes=["breastfeeding"],
            medicines=[("Lisinopril", "10 mg daily"), ("Vitamin D", "1000 IU")],
        )
        == 5
    )
    expect(page.locator(".question-progress li.is-done")).to_have_count(4)
    page.get_by_role("button", name=re.compile("Continue to payment")).click()
    page.wait_for_url("**/checkout/test-mode/**")
    order = Order.objects.get()
    assert order.questionnaire.answers["current_medicines"]["answer"] == (
        "Lisinopril, 10 mg daily; Vitamin D, 1000 IU"
    )


def test_the_carts_continue_is_on_the_first_phone_screen(sized, metformin):
    page, size = sized
    for plan in (metformin, make_plan("Spironolactone", 1400)):
        page.goto(plan.treatment.get_absolute_url())
        page.get_by_role("button", name=re.compile("Start your visit")).first.click()
    page.wait_for_url("**/cart/")
    button = page.get_by_role("link", name="Continue: $36.00 a month")
    expect(button).to_be_visible()
    assert in_first_screen(page, button), size
    remove = page.get_by_role("button", name="Remove Oral Metformin ER")
    assert remove.evaluate("b => getComputedStyle(b).backgroundColor") == "rgba(0, 0, 0, 0)"
    button.click()
    page.wait_for_url("**/checkout/")
    expect(page.locator(".visit-item")).to_contain_text("Spironolactone")


def test_add_another_and_none_without_javascript(browser, live_server, screenshot, metformin):
    context = browser.new_context(
        viewport=SIZES["phone"], base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(metformin.treatment.get_absolute_url())
        page.get_by_role("button", name=re.compile("Start your visit")).first.click()
        page.wait_for_url("**/checkout/")
        for step in (1, 2, 3):
            answer_step(page, step, email="jane@example.com")
            page.get_by_role("button", name=re.compile("^Next")).click()
            page.wait_for_url(re.compile(rf"/checkout/\?step={step + 1}(#.*)?$"))
        assert current_step(page) == 4
        expect(page.get_by_label("Medicine 2: name")).to_have_count(0)
        page.get_by_label("Medicine 1: name").fill("Lisinopril")
        page.get_by_role("button", name="Add another medicine").click()
        page.wait_for_url("**/checkout/?step=4*")
        expect(page.get_by_label("Medicine 1: name")).to_have_value("Lisinopril")
        expect(page.get_by_label("Medicine 2: name")).to_be_visible()
        screenshot(page, "questionnaire-add-another-no-js-phone", axe=False)  # no JS: no axe
        # Enter in a field is Next, not "Add another".
        page.get_by_label("I have no allergies to medicines").check()
        page.get_by_label("Medicine 1: dose and how often").press("Enter")
        page.wait_for_url(re.compile(r"/checkout/\?step=5(#.*)?$"))
        page.goto("/checkout/?step=4")
        # "None" ticked: the rows and Add another are hidden, by CSS alone.
        page.get_by_label("I have no allergies to medicines").check()
        expect(page.get_by_label("Allergy 1: medicine")).to_be_hidden()
        expect(page.get_by_role("button", name="Add another allergy")).to_be_hidden()
        page.get_by_label("I have no allergies to medicines").uncheck()
        expect(page.get_by_label("Allergy 1: medicine")).to_be_visible()
    finally:
        context.close()
