"""Staff journey in the admin: a clinician approves from the queue, a pharmacist verifies
the prescription and dispenses the box, fulfilment ships it, the patient's order page shows
the tracking number."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order, QuestionnaireAccess, Shipment
from tests.browser.helpers import patient_sign_in, staff_sign_in
from tests.support.clinic import order_to_review
from tests.support.pharmacy import pharmacist
from tests.support.staff import staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def order(settings):
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_SECRET_KEY = ""
    return order_to_review(3200)


def test_clinician_approves_fulfillment_ships_patient_sees_tracking(page, screenshot, order):
    clinician = staff("clinician", "dr_lee")
    shipper = staff("fulfillment", "sam")

    # The clinician opens the review queue from the index panel.
    staff_sign_in(page, clinician)
    page.get_by_test_id("awaiting-review").click()
    page.wait_for_url("**/admin/orders/reviewqueueorder/")
    row = page.locator("#result_list tbody tr").filter(has_text=order.reference)
    expect(row).to_contain_text("Caution:")
    expect(row).to_contain_text("Penicillin")
    expect(row.locator(".clinic-flags li")).to_have_css("background-color", "rgb(253, 236, 236)")
    screenshot(page, "clinic-review-queue-desktop")

    # The order page shows the answers and the timeline; approve from the queue.
    page.get_by_role("link", name=order.reference).click()
    expect(page.locator(".field-medicines_taken .clinic-answers")).to_contain_text(
        "Lisinopril 10 mg"
    )
    expect(page.get_by_role("link", name="Approve")).to_be_visible()
    screenshot(page, "clinic-order-change-desktop")
    page.go_back()
    row.get_by_role("link", name="Approve").click()
    page.get_by_label("Considered").check()  # her one caution, weighed on the sign-off page
    page.get_by_label("Note to the patient (optional)").fill("Take it with dinner.")
    page.get_by_label(re.compile("I have reviewed this patient's answers and attest")).check()
    page.get_by_role("button", name="Approve order").click()
    page.wait_for_url("**/admin/orders/reviewqueueorder/")
    expect(page.locator(".messagelist")).to_contain_text(f"{order.reference} approved")
    expect(page.locator("#result_list")).to_have_count(0)
    assert Order.objects.get(pk=order.pk).status == Order.Status.APPROVED
    assert QuestionnaireAccess.objects.filter(user=clinician, order=order).exists()

    # The pharmacist verifies it from her queue, reading what the clinician signed against.
    staff_sign_in(page, pharmacist(username="rph_kim"))
    page.get_by_test_id("to-verify").click()
    page.wait_for_url("**/admin/orders/verificationqueueorder/")
    row = page.locator("#result_list tbody tr").filter(has_text=order.reference)
    row.get_by_role("link", name="Verify or send back").click()
    expect(page.get_by_test_id("clinical-summary")).to_contain_text("Penicillin")
    expect(page.get_by_test_id("prescriptions-to-verify")).to_contain_text("Spironolactone")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("verify-errors")).to_be_focused()  # the tick is required
    page.get_by_label(re.compile("I checked each prescription")).check()
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/admin/orders/verificationqueueorder/")
    expect(page.locator(".messagelist")).to_contain_text("prescription(s) verified")
    screenshot(page, "pharmacist-queue-done-desktop")
    # She dispenses the box and prints the label.
    page.goto("/admin/orders/shipment/")
    page.get_by_role("link", name="Dispense and print label").click()
    page.get_by_label("Spironolactone: lot number").fill("L2026-01")
    page.get_by_label("Spironolactone: lot expiry (YYYY-MM-DD)").fill("2030-01-31")
    page.get_by_role("button", name="Record and print labels").click()
    expect(page.get_by_test_id("patient-label")).to_contain_text("Jane Patient")
    expect(page.get_by_test_id("patient-label")).to_contain_text("Lot L2026-01")
    screenshot(page, "pharmacist-label-desktop")

    # Fulfillment marks the first shipment shipped.
    staff_sign_in(page, shipper)
    page.get_by_test_id("to-ship").click()
    row = page.locator("#result_list tbody tr").filter(has_text=order.reference)
    expect(row).to_contain_text("45 Maple Avenue")
    expect(row).not_to_contain_text("Take")  # what to pack, never the directions
    screenshot(page, "clinic-shipments-desktop")
    row.get_by_role("link", name="Mark shipped").click()
    page.get_by_label("Carrier").select_option("USPS")
    page.get_by_label("Tracking number").fill("9400111899223100001234")
    page.get_by_role("button", name=re.compile("Mark shipped")).click()
    expect(page.locator(".messagelist")).to_contain_text("marked shipped")
    shipment = Shipment.objects.get(order=order)
    assert (shipment.status, shipment.tracking_number) == ("shipped", "9400111899223100001234")

    # Signed in, the patient's order page shows the tracking number, linked to the carrier.
    patient_sign_in(page, order.email)
    page.goto(order.get_absolute_url())
    expect(page.get_by_test_id("order-status")).to_have_text("Shipped")
    link = page.get_by_role("link", name="9400111899223100001234")
    expect(link).to_have_attribute("href", re.compile(r"^https://tools\.usps\.com/"))
    expect(page.locator(".shipment")).to_contain_text("USPS tracking")
    screenshot(page, "clinic-patient-order-shipped-desktop")


@pytest.mark.parametrize(
    ("role", "sees", "hidden"),
    [
        ("support", "Refund", "Medical questionnaire"),
        ("fulfillment", "Shipping address", "Medical questionnaire"),
        ("superuser", "Medical questionnaire", None),
    ],
)
def test_each_role_sees_the_oana_admin(page, screenshot, order, role, sees, hidden):
    """Plum header and buttons on every page; health data only for those who may read it."""
    staff_sign_in(page, staff(role))
    expect(page.locator("#header")).to_have_css("background-color", "rgb(74, 31, 64)")
    expect(page.locator("#site-name a")).to_have_text("Oana Health staff")
    screenshot(page, f"clinic-admin-index-{role}-desktop")
    page.goto(f"/admin/orders/order/{order.pk}/change/")
    expect(page.locator("#content")).to_contain_text(sees)
    expect(page.locator(".module h2").first).to_have_css("background-color", "rgb(74, 31, 64)")
    if hidden:
        expect(page.locator("#content")).not_to_contain_text(hidden)
        expect(page.locator("#content")).not_to_contain_text("Penicillin")
    screenshot(page, f"clinic-admin-order-{role}-desktop")


@pytest.mark.parametrize("role", ["content-editor", "catalog-manager"])
def test_content_and_catalog_staff_see_no_orders(page, screenshot, order, role):
    staff_sign_in(page, staff(role), expect_panel=False)
    expect(page.locator("#header")).to_have_css("background-color", "rgb(74, 31, 64)")
    expect(page.get_by_text("Today at the clinic")).to_have_count(0)
    expect(page.locator("#content-main")).not_to_contain_text("Orders")
    screenshot(page, f"clinic-admin-index-{role}-desktop")
    assert page.goto(f"/admin/orders/order/{order.pk}/change/").status == 403
