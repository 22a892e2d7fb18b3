"""Her check-in, end to end: four weeks after her spironolactone shipped she is asked how she
is doing, answers from her order page that she is dizzy when she stands, and the clinician
finds her first in the review queue and reviews the check-in on the sign-off page."""

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from clinic.services.checkins import schedule_checkins
from clinic.services.prescriptions import drafts_for
from clinic.services.review import approve_order
from orders.models import AdverseEvent, CheckIn, Order, Shipment
from tests.browser.helpers import consider_every_flag, patient_sign_in, staff_sign_in
from tests.support.factories import make_paid_order, make_plan
from tests.support.staff import staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shipped_a_month_ago(settings):
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_SECRET_KEY = ""
    order = make_paid_order(make_plan("Spironolactone", 3000))
    make_paid_order(make_plan("Oral Metformin ER", 2200), email="older@example.com")
    clinician = staff("clinician", "dr_lee")
    drafts = [replace(draft, refills=3) for draft in drafts_for(order)]
    approve_order(order, by=clinician, prescriptions=drafts, attested=True)
    Shipment.objects.filter(order=order).update(
        status="shipped", shipped_at=order.created_at - timedelta(days=29)
    )
    return Order.objects.get(pk=order.pk), clinician


def test_she_reports_dizziness_at_her_check_in_and_is_first_in_the_queue(
    page, screenshot, shipped_a_month_ago
):
    order, clinician = shipped_a_month_ago
    assert len(schedule_checkins()) == 1

    patient_sign_in(page, order.email)
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
    screenshot(page, "checkin-desktop")
    checkin.get_by_role("button", name="Send my check-in").click()
    expect(page.locator("main")).to_contain_text("your clinician reviews your check-in")
    expect(page.get_by_test_id("checkin")).to_have_count(0)
    assert AdverseEvent.objects.get().severity == "moderate"

    staff_sign_in(page, clinician)
    page.goto("/admin/orders/reviewqueueorder/")
    first = page.locator("#result_list tbody tr").first
    expect(first).to_contain_text(order.reference)
    expect(first).to_contain_text("Check-in to review")
    first.get_by_role("link", name="Review her check-in").click()
    expect(page.get_by_test_id("checkin-answers")).to_contain_text("Dizzy on standing")
    consider_every_flag(page)
    page.get_by_role("button", name="Mark the check-in reviewed").click()
    expect(page.locator(".messagelist")).to_contain_text("check-in reviewed")
    assert CheckIn.objects.get().reviewed_by == clinician
