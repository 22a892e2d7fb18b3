"""Concurrent deliveries of the same payment or refund (PostgreSQL: real row locks, real
threads), with the facts fetched from the fake Stripe."""

import pytest
from django.test import Client

from orders.models import Order, OrderEvent, Payment, Refund, WebhookEvent
from tests.support.concurrency import at_once
from tests.support.stripe_helpers import deliver, event
from tests.support.stripe_world import first_charge, paid_order, start_checkout

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 8


def run_concurrently(payloads):
    """Each payload delivered by a client of its own, all at once; the status codes."""
    outcomes = at_once([lambda p=p: deliver(Client(), p).status_code for p in payloads])
    assert all(error is None for _, error in outcomes), outcomes
    return [status for status, _ in outcomes]


def paid_session(client, fake):
    start_checkout(client)
    return fake.pay(Order.objects.get().stripe_checkout_session_id)


def test_same_event_delivered_concurrently_is_processed_once(client, fake_stripe):
    payload = event("checkout.session.completed", paid_session(client, fake_stripe))
    order = Order.objects.get()
    results = run_concurrently([payload] * THREADS)
    assert results == [200] * THREADS
    assert WebhookEvent.objects.count() == 1
    assert OrderEvent.objects.filter(order=order, kind="paid").count() == 1
    assert Payment.objects.count() == 1
    assert Order.objects.get().status == Order.Status.AWAITING_REVIEW


def test_different_events_for_one_session_concurrently_make_one_transition(client, fake_stripe):
    session = paid_session(client, fake_stripe)
    order = Order.objects.get()
    payloads = [event("checkout.session.completed", session) for _ in range(THREADS)]
    results = run_concurrently(payloads)
    assert results == [200] * THREADS
    assert WebhookEvent.objects.count() == THREADS
    assert OrderEvent.objects.filter(order=order, kind="paid").count() == 1
    assert Payment.objects.count() == 1


def test_concurrent_refund_news_counts_a_refund_once(client, fake_stripe):
    """``charge.refunded`` and ``refund.updated`` for one dashboard refund, many times at once."""
    order = paid_order(client, fake_stripe)
    charge = first_charge(fake_stripe, order)
    refund = fake_stripe.refund_in_dashboard(charge["id"])
    payloads = [event("charge.refunded", fake_stripe.objects[charge["id"]]) for _ in range(4)]
    payloads += [event("refund.updated", refund) for _ in range(4)]
    results = run_concurrently(payloads)
    assert results == [200] * THREADS
    assert Refund.objects.get().stripe_refund_id == refund["id"]
    assert Order.objects.get().status == Order.Status.REFUNDED
    assert OrderEvent.objects.filter(order=order, kind="refund").count() == 1
