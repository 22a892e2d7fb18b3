"""The sign-off page in a browser (finding 1 and 9): the queue and the page fit a 1280 x 800
window, decide column and Approve button in view; a clinician opens the queue, opens the
sign-off page of the six-red-flag patient, is stopped until she ticks every flag and writes
why she signs against each contraindication, then approves."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import FlagReview, Order
from tests.browser.helpers import staff_sign_in
from tests.support.clinic import order_to_review, six_red_flag_order
from tests.support.staff import staff

pytestmark = pytest.mark.django_db(transaction=True)
WINDOW = {"width": 1280, "height": 800}

# Where the page and the results table would scroll sideways (0 when they do not).
SIDEWAYS = """() => {
  const html = document.documentElement;
  const results = document.querySelector("#changelist .results");
  return {
    page: html.scrollWidth - html.clientWidth,
    table: results ? results.scrollWidth - results.clientWidth : 0,
  };
}"""


@pytest.fixture
def orders(settings):
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_SECRET_KEY = ""
    order_to_review(3200, email="first@example.com")
    return six_red_flag_order()


def within_window(locator, *, across_only=False):
    """``locator``'s box lies inside the 1280 x 800 window (scrolled to it): across only for
    a tall table cell."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= WINDOW["width"], box
    if not across_only:
        assert box["y"] >= 0 and box["y"] + box["height"] <= WINDOW["height"], box


def test_the_queue_and_the_sign_off_page_fit_1280_px(page, screenshot, orders):
    page.set_viewport_size(WINDOW)
    staff_sign_in(page, staff("clinician", "dr_lee"))
    page.goto("/admin/orders/reviewqueueorder/")
    assert page.evaluate(SIDEWAYS) == {"page": 0, "table": 0}
    row = page.locator("#result_list tbody tr").filter(has_text=orders.reference)
    decide = row.locator("td.field-decide")
    approve = decide.get_by_role("link", name="Approve")
    within_window(page.locator("#result_list th.column-decide"))
    within_window(decide, across_only=True)
    for name in ("Approve", "Ask the patient", "Decline and refund"):
        within_window(decide.get_by_role("link", name=name))
    screenshot(page, "clinic-review-queue-1280")

    approve.click()
    expect(page.get_by_role("heading", name="1. Flags, most serious first")).to_be_visible()
    assert page.evaluate(SIDEWAYS)["page"] == 0
    button = page.get_by_role("button", name="Approve order")
    within_window(button)
    screenshot(page, "clinic-sign-off-1280")


def test_a_clinician_signs_the_six_flag_order_on_the_sign_off_page(page, screenshot, orders):
    clinician = staff("clinician", "dr_lee")
    staff_sign_in(page, clinician)
    page.goto("/admin/orders/reviewqueueorder/")
    row = page.locator("#result_list tbody tr").filter(has_text=orders.reference)
    expect(row.locator(".clinic-flags li").first).to_contain_text("Contraindication: Addison")
    row.get_by_role("link", name="Approve").click()

    flags = page.locator("fieldset.clinic-flag-review")
    expect(flags).to_have_count(6)
    expect(flags.first).to_contain_text("Addison")
    expect(page.get_by_test_id("clinical-summary")).to_contain_text("88/56")
    expect(page.get_by_test_id("clinical-summary")).to_contain_text("Eplerenone, 25 mg daily")

    # Pressing Approve at once (the old one click) is refused, and the errors take focus.
    page.get_by_role("button", name="Approve order").click()
    summary = page.get_by_test_id("signoff-errors")
    # Six flags not ticked, and the attestation.
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Not signed yet: 7 things to fix below.")
    assert Order.objects.get(pk=orders.pk).status == Order.Status.AWAITING_REVIEW
    screenshot(page, "clinic-sign-off-refused")

    for index in range(6):
        flags.nth(index).get_by_label("Considered").check()
    # The two contraindications need her reason; without it she is stopped again.
    page.get_by_role("button", name="Approve order").click()
    expect(page.get_by_test_id("signoff-errors")).to_contain_text("3 things to fix")
    for index in range(6):
        flags.nth(index).get_by_label("Considered").check()
    reasons = page.get_by_label("Why you sign despite this contraindication")
    expect(reasons).to_have_count(2)
    reasons.nth(0).fill("Endocrinology letter: adrenal function normal, not Addison's.")
    reasons.nth(1).fill("Potassium 4.1 last week; recheck at 1 week.")
    page.get_by_label(re.compile("I have reviewed this patient's answers and attest")).check()
    page.get_by_role("button", name="Approve order").click()
    page.wait_for_url("**/admin/orders/reviewqueueorder/")
    expect(page.locator(".messagelist")).to_contain_text(f"{orders.reference} approved")
    assert Order.objects.get(pk=orders.pk).status == Order.Status.APPROVED
    reasons = {
        review.flag_key: review.reason
        for review in FlagReview.objects.filter(order=orders)
        if review.reason
    }
    assert reasons == {
        "addisons": "Endocrinology letter: adrenal function normal, not Addison's.",
        "hyperkalemia": "Potassium 4.1 last week; recheck at 1 week.",
    }
