"""Cancel is safe (issue 21, item 9): "Cancel after this month" leads to one confirmation
step that offers a pause instead, with the dates of each choice; after cancelling she can
"Undo cancellation" until the month she paid for ends. Stripe's side (500, timeout) is in
``tests/payments/test_billing_sync.py``."""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from orders.models import Order, OrderEvent
from orders.services import OrderError
from payments.services.subscriptions import cancel_at_period_end, undo_cancel
from tests.support.clinic import order_to_review
from tests.support.lifecycle import perform
from tests.support.patients import sign_in_patient

pytestmark = pytest.mark.django_db


def post(client, url, data=None):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data or {}, follow=True)


@pytest.fixture
def running(client, test_mode):
    """Her approved order, signed in, with the month she paid for ending on March 15."""
    order = perform(order_to_review(), "approve")
    ends = timezone.make_aware(datetime(2030, 3, 15, 12))
    Order.objects.filter(pk=order.pk).update(current_period_end=ends)
    sign_in_patient(client, order)
    return Order.objects.get(pk=order.pk)


def test_cancel_on_her_page_is_a_link_to_one_confirmation_step(client, running):
    page = client.get(running.get_absolute_url()).content.decode()
    assert f'href="/orders/{running.public_id}/cancel/">Cancel after this month</a>' in page
    confirm = client.get(f"/orders/{running.public_id}/cancel/").content.decode()
    assert "<h1>Cancel your subscription?</h1>" in confirm
    assert "runs until March 15, 2030" in confirm
    # A pause instead, each choice with its dates (Order.pause_schedule, the pause's own).
    assert "One month: skip the March 15 refill (next charge April 15, 2030)" in confirm
    assert (
        "Two months: skip the March 15 and April 15 refills (next charge May 15, 2030)" in confirm
    )
    assert f'action="/orders/{running.public_id}/pause/"' in confirm
    assert "Yes, cancel after this month" in confirm and "No, keep my subscription" in confirm
    assert not Order.objects.get(pk=running.pk).cancel_at_period_end  # looking cancels nothing


def test_the_pause_on_her_order_page_shows_its_dates_too(client, running):
    page = client.get(running.get_absolute_url()).content.decode()
    assert "One month: skip the March 15 refill (next charge April 15, 2030)" in page


def test_pausing_instead_from_the_confirmation(client, running):
    html = post(client, f"/orders/{running.public_id}/pause/", {"months": "1"}).content.decode()
    order = Order.objects.get(pk=running.pk)
    # one day after the March 15 renewal it skips (core.billing_months)
    assert order.patient_pause_until == timezone.make_aware(datetime(2030, 3, 16, 12))
    assert not order.cancel_at_period_end
    assert "Paused until March 16, 2030" in html


def test_she_cancels_then_undoes_it_before_the_month_ends(client, running):
    mail.outbox.clear()
    html = post(client, f"/orders/{running.public_id}/cancel/").content.decode()
    assert "Your subscription ends on March 15, 2030; until then you can undo it." in html
    assert "Undo cancellation" in html and "Cancel after this month" not in html
    # Already cancelled: the confirmation step leads back to her order.
    again = client.get(f"/orders/{running.public_id}/cancel/")
    assert again.status_code == 302 and again["Location"] == running.get_absolute_url()

    html = post(client, f"/orders/{running.public_id}/undo-cancel/").content.decode()
    order = Order.objects.get(pk=running.pk)
    assert not order.cancel_at_period_end and order.can_change_billing()
    assert "Your cancellation is undone" in html and "Cancel after this month" in html
    event = OrderEvent.objects.get(order=order, kind="cancel_undone")
    assert event.message.startswith("You undid your cancellation")
    assert [m.subject for m in mail.outbox][-1].endswith("continues")
    assert "March 15, 2030" in mail.outbox[-1].body


def test_nothing_to_undo_is_refused_with_a_reason(client, running):
    html = post(client, f"/orders/{running.public_id}/undo-cancel/").content.decode()
    assert "There is no cancellation to undo" in html
    assert not OrderEvent.objects.filter(order=running, kind="cancel_undone").exists()


def test_the_undo_ends_with_the_month_she_paid_for(running):
    order = cancel_at_period_end(running, by=None)
    assert order.can_undo_cancel()
    Order.objects.filter(pk=order.pk).update(current_period_end=timezone.now() - timedelta(1))
    order = Order.objects.get(pk=order.pk)
    assert not order.can_undo_cancel()
    with pytest.raises(OrderError, match="no cancellation to undo"):
        undo_cancel(order, by=None)


def test_a_closed_order_has_no_undo(running):
    order = cancel_at_period_end(running, by=None)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    assert not Order.objects.get(pk=order.pk).can_undo_cancel()


def test_an_order_without_a_period_yet_can_undo(running):
    Order.objects.filter(pk=running.pk).update(current_period_end=None)
    order = cancel_at_period_end(Order.objects.get(pk=running.pk), by=None)
    assert order.can_undo_cancel()
    assert undo_cancel(order, by=None).cancel_at_period_end is False


def test_cancelling_without_a_known_period_says_after_this_month(client, running):
    Order.objects.filter(pk=running.pk).update(current_period_end=None)
    confirm = client.get(f"/orders/{running.public_id}/cancel/").content.decode()
    assert "after the month you paid for" in confirm
    html = post(client, f"/orders/{running.public_id}/cancel/").content.decode()
    assert "Cancelled: you will not be charged again after this month." in html


def test_another_patients_confirmation_is_a_404(client, running):
    other = perform(order_to_review(email="someone@example.com"), "approve")
    assert client.get(f"/orders/{other.public_id}/cancel/").status_code == 404


def test_the_result_of_an_action_is_announced_and_takes_focus(client, running):
    """Issue 21, item 11: the message after an account action is a status that is focused."""
    html = post(client, f"/orders/{running.public_id}/cancel/").content.decode()
    assert '<div class="messages container" role="status" tabindex="-1" autofocus>' in html
