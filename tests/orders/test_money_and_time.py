"""Money and time said together where she decides (issue 21 item 5): charged today, reviewed
by a clinician within the one promised time, refunded in full if not approved, then the
monthly amount, pause or cancel in her account. Cached public pages say the cadence; the cart
and checkout also the date; the thank-you page and the confirmation email the next charge."""

import datetime
import re

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from core.billing_months import add_months
from core.billing_terms import money_and_time
from orders.models import Order
from tests.support.factories import answers, make_order, make_plan, pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_mode")]

PROMISE = "within two hours"


def line(html):
    [found] = re.findall(r'<p class="money-line" data-testid="money-line">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", found)


@pytest.mark.parametrize(
    ("day", "next_day"),
    [
        (datetime.date(2026, 1, 15), datetime.date(2026, 2, 15)),
        (datetime.date(2026, 1, 31), datetime.date(2026, 2, 28)),
        (datetime.date(2028, 1, 31), datetime.date(2028, 2, 29)),
        (datetime.date(2026, 12, 31), datetime.date(2027, 1, 31)),
    ],
)
def test_the_next_charge_falls_a_month_later_or_on_a_shorter_months_last_day(day, next_day):
    assert add_months(day, 1) == next_day


def test_the_line_is_dated_only_when_asked():
    today = datetime.date(2026, 3, 10)
    assert money_and_time(2200, dated=False, today=today)["next_charge"] is None
    assert money_and_time(2200, dated=True, today=today)["next_charge"] == datetime.date(
        2026, 4, 10
    )


@override_settings(CARE_TEAM_REPLY=PROMISE)
def test_the_treatment_page_says_it_all_with_the_cadence_only(client):
    plan = make_plan("Oral Metformin ER", 2200)
    text = line(client.get(plan.treatment.get_absolute_url()).content.decode())
    assert text == (
        "$22 today. A licensed clinician reviews your order within two hours; if it is not "
        "approved, you are refunded in full. Then $22 each month. Pause or cancel any time in "
        "your account."
    )


@override_settings(CARE_TEAM_REPLY=PROMISE)
def test_the_cart_and_the_pay_button_give_the_date(client):
    plan = make_plan("Oral Metformin ER", 2200)
    client.post("/cart/add/", {"plan": plan.pk})
    next_charge = (
        f"{add_months(timezone.localdate(), 1):%B} {add_months(timezone.localdate(), 1).day}"
    )
    cart = line(client.get("/cart/").content.decode())
    assert cart.startswith("$22 today. A licensed clinician reviews your order within two hours")
    assert f"Then $22 each month, next on {next_charge}, " in cart
    for step in range(1, 5):  # the questions' first four steps, answered (test_checkout_steps.py)
        client.post("/checkout/", {**answers(), "step": str(step)})
    checkout = client.get("/checkout/?step=5").content.decode()
    assert line(checkout) == cart  # once, just above the pay button
    assert checkout.index('data-testid="money-line"') < checkout.index("Continue to payment")


@override_settings(CARE_TEAM_REPLY=PROMISE)
def test_the_footer_the_treatment_page_and_the_messages_promise_the_same_hours(client):
    plan = make_plan("Oral Metformin ER", 2200)
    html = client.get(plan.treatment.get_absolute_url()).content.decode()
    assert "24/7" not in html
    assert f"Our care team answers {PROMISE}." in html  # the footer
    assert "within one business day" not in html


def test_the_thank_you_page_and_the_confirmation_email_give_the_next_charge(
    client, django_capture_on_commit_callbacks
):
    order = make_order(make_plan("Oral Metformin ER", 2200))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        pay(order)
    order.refresh_from_db()
    expected = timezone.localdate(order.current_period_end)  # the month paid for ends
    said = f"Your next charge, $22, is on {expected:%B} {expected.day}, {expected.year}"
    page = client.get(f"/checkout/success/?order={order.public_id}").content.decode()
    assert said in re.sub(r"<[^>]+>", "", page)
    [message] = [m for m in mail.outbox if "We received your order" in m.subject]
    assert said in message.body
    assert said in re.sub(r"<[^>]+>", "", message.alternatives[0][0])


def test_before_stripe_says_when_the_month_ends_it_is_a_month_after_she_paid():
    order = make_order(make_plan("Oral Metformin ER", 2200))
    assert order.next_charge_on is None  # not paid yet
    paid_at = timezone.make_aware(datetime.datetime(2026, 1, 31, 12))
    Order.objects.filter(pk=order.pk).update(paid_at=paid_at)
    order.refresh_from_db()
    assert order.next_charge_on == datetime.date(2026, 2, 28)
