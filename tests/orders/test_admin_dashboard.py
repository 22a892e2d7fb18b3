"""The admin index panel: awaiting review, to ship, past due, 30-day revenue, in constant queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.services.review import approve_order
from clinic.templatetags.clinic_admin import clinic_numbers
from orders.models import Hold, Order, Payment, Refund
from patients.services.messages import ask_patient, start_thread
from tests.support.clinic import considered, order_to_review
from tests.support.factories import make_order
from tests.support.lifecycle import order_in
from tests.support.pharmacy import verified
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    clinician = staff("clinician")
    waiting = [order_to_review(2200, email=f"w{i}@example.com") for i in range(2)]
    approved = order_to_review(3200, email="a@example.com")
    approve_order(approved, by=clinician, considered=considered(approved), attested=True)
    verified(approved)  # its box may ship: "to ship" counts it
    late = order_to_review(4300, email="late@example.com")
    order_in(Order.Status.PAST_DUE, order=late)
    make_order()  # unpaid: counts nowhere
    old = order_to_review(1000, email="old@example.com")
    Payment.objects.filter(order=old).update(paid_at=timezone.now() - timedelta(days=40))
    Refund.objects.create(order=approved, amount_cents=500, reason="goodwill", status="succeeded")
    Refund.objects.create(order=approved, amount_cents=700, reason="failed", status="failed")
    Hold.objects.create(order=late, kind=Hold.Kind.DISPUTE, reason="Disputed")
    asked = order_to_review(1500, email="asked@example.com")
    ask_patient(asked, by=clinician, question="Any change in your medicines?")
    Order.objects.filter(pk=asked.pk).update(asked_at=timezone.now() - timedelta(days=8))
    order_to_review(1500, email="asked-today@example.com")
    ask_patient(Order.objects.get(email="asked-today@example.com"), by=clinician, question="?")
    start_thread(waiting[0], topic="order", body="When does my box ship?", by=None)
    return waiting


def test_numbers(clinic):
    numbers = clinic_numbers(user=staff("superuser", "root"))
    # 3 waiting: two plus the one whose payment is old (it still awaits review); the two
    # asked a question wait for the patient, one of them for over a week.
    assert numbers == {
        "awaiting_review": 3,
        "to_verify": 0,  # the approved order was verified
        "on_hold": 1,
        "past_due": 1,
        "to_ship": 1,
        "unanswered": 1,
        "unread_messages": 1,
        "revenue_30d_cents": 2200 + 2200 + 3200 + 4300 + 1500 + 1500 - 500,
    }
    assert clinic_numbers(user=staff("fulfillment"))["unread_messages"] == 0


def test_numbers_take_constant_queries(clinic, django_assert_num_queries):
    user = staff("superuser", "root")
    with django_assert_num_queries(7):
        clinic_numbers(user=user)
    for i in range(5):
        start_thread(
            order_to_review(email=f"more{i}@example.com"), topic="medical", body="Hi", by=None
        )
    with django_assert_num_queries(7):
        clinic_numbers(user=user)


def test_index_shows_the_panel_to_order_staff_only(client, clinic):
    sign_in(client, staff("superuser", "root"))
    html = client.get("/admin/").content.decode()
    assert "Today at the clinic" in html
    assert "$144.00" in html
    assert 'data-testid="awaiting-review"><strong>3</strong>' in html
    sign_in(client, staff("content-editor"))
    html = client.get("/admin/").content.decode()
    assert "Today at the clinic" not in html
    assert "Articles" in html


def test_order_cancelled_before_review_and_not_refunded_counts_as_awaiting_review(clinic):
    """Its refund failed, so it sits in the review queue: the panel counts it there."""
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from orders.models import ReviewQueueOrder

    cancelled = order_to_review(2500, email="cancelled@example.com")
    order_in(Order.Status.CANCELLED, order=cancelled)
    refunded = order_to_review(2500, email="refunded@example.com")
    order_in(Order.Status.REFUNDED, order=refunded)

    assert clinic_numbers()["awaiting_review"] == 4
    request = RequestFactory().get("/admin/orders/reviewqueueorder/")
    queue = site._registry[ReviewQueueOrder].get_queryset(request)
    assert cancelled in queue and refunded not in queue
    assert queue.count() == clinic_numbers()["awaiting_review"]
