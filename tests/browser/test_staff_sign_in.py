"""A clinician's first sign-in: password, guided set-up of her authenticator app (the test
computes the app's code from the secret the page shows), recovery codes shown once, and she
reaches the review queue."""

import re
from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from orders.models import QuestionnaireAccess
from tests.support.clinic import order_to_review
from tests.support.staff import PASSWORD, staff

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_clinician_sets_up_her_second_factor_and_reaches_the_review_queue(
    page, screenshot, settings
):
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_SECRET_KEY = ""
    order = order_to_review(3200)
    clinician = staff("clinician", "dr_new")

    page.goto("/admin/orders/reviewqueueorder/")
    page.get_by_label("Username").fill("dr_new")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Guided set-up: a QR code drawn on the page, the key as text, then the app's code.
    expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    expect(page.locator(".staff-enrol__qr svg")).to_have_count(1)
    uri = page.get_by_role("link", name="Open in an authenticator app on this device")
    expect(uri).to_have_attribute("href", re.compile(r"^otpauth://totp/Oana%20Health%20staff"))
    screenshot(page, "staff-second-factor-set-up-desktop")
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    code = f"{totp(b32decode(secret)):06d}"
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Confirm and continue").click()

    # Recovery codes, once.
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    expect(codes.first).to_have_text(re.compile(r"^[a-z2-9]{5}-[a-z2-9]{5}$"))
    screenshot(page, "staff-recovery-codes-desktop")
    page.get_by_role("link", name="I have saved them: continue").click()

    # Signed in: the clinic's index, then the review queue with the order.
    expect(page.get_by_role("heading", name="Today at the clinic")).to_be_visible()
    page.get_by_test_id("awaiting-review").click()
    page.wait_for_url("**/admin/orders/reviewqueueorder/")
    expect(page.locator("#result_list")).to_contain_text(order.reference)
    assert QuestionnaireAccess.objects.filter(user=clinician, order=order).exists()

    # The codes were shown once: the page now only offers new ones.
    page.goto("/admin/recovery-codes/")
    expect(page.get_by_text("You have 10 unused recovery codes.")).to_be_visible()
    expect(page.get_by_test_id("recovery-codes")).to_have_count(0)
