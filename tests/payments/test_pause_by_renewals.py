"""Issue 18 item 4, through her page and Stripe: the dates she is shown, the end the pause
service stores and the ``resumes_at`` Stripe is sent come from one function."""

import calendar
from datetime import UTC, datetime

import pytest
from django.test import TestCase
from django.utils import timezone

from orders.models import Order
from tests.support.patients import sign_in_patient
from tests.support.stripe_world import paid_order

pytestmark = pytest.mark.django_db


def at(year, month, day):
    return datetime(year, month, day, 17, 0, tzinfo=UTC)


# Her subscription started on Dec 31 (this year's): renewals on Jan 31, Feb 28 (29), Mar 31.
YEAR = timezone.now().year + 1
FEB = 29 if calendar.isleap(YEAR) else 28


@pytest.fixture
def order(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    Order.objects.filter(pk=order.pk).update(
        billing_anchor=at(YEAR - 1, 12, 31), current_period_end=at(YEAR, 1, 31)
    )
    sign_in_patient(client, order)
    return Order.objects.get(pk=order.pk)


def test_her_page_shows_the_renewals_each_choice_skips(client, order):
    page = client.get(f"/orders/{order.public_id}/").content.decode()
    assert f"One month: skip the January 31 refill (next charge February {FEB}, {YEAR})" in page
    assert (
        f"Two months: skip the January 31 and February {FEB} refills (next charge March 31, "
        f"{YEAR})" in page
    )


def test_a_two_month_pause_reaches_stripe_one_day_after_the_second_renewal(
    client, order, fake_stripe
):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/orders/{order.public_id}/pause/", {"months": "2"}, follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert f"Paused until March 1, {YEAR}: your next charge is March 31, {YEAR}." in texts
    order.refresh_from_db()
    assert order.patient_pause_until == at(YEAR, 3, 1)
    pause = fake_stripe.objects[order.stripe_subscription_id]["pause_collection"]
    assert int(pause["resumes_at"]) == int(at(YEAR, 3, 1).timestamp())
    page = client.get(f"/orders/{order.public_id}/").content.decode()
    assert f"Paused: next charge March 31, {YEAR}." in page


def test_checkout_and_subscription_news_keep_her_billing_anchor(client, fake_stripe):
    from tests.support.stripe_world import send

    order = paid_order(client, fake_stripe)
    subscription = fake_stripe.objects[order.stripe_subscription_id]
    anchor = int(subscription["billing_cycle_anchor"])
    assert int(order.billing_anchor.timestamp()) == anchor
    subscription["billing_cycle_anchor"] = anchor + 86400  # e.g. reset at Stripe
    send(client, "customer.subscription.updated", subscription)
    order.refresh_from_db()
    assert int(order.billing_anchor.timestamp()) == anchor + 86400
