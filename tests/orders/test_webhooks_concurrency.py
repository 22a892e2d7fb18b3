"""Concurrent deliveries of the same payment (PostgreSQL: real row locks, real threads)."""

import threading

import pytest
from django.db import connection
from django.test import Client

from orders.models import Order, OrderEvent, Payment, WebhookEvent
from tests.orders.factories import make_order
from tests.orders.stripe_helpers import completed_session, deliver, event

pytestmark = [
    pytest.mark.usefixtures("webhook_secret"),
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]

THREADS = 8


def run_concurrently(payloads):
    barrier = threading.Barrier(len(payloads))
    results, errors = [], []

    def worker(payload):
        try:
            barrier.wait()
            results.append(deliver(Client(), payload).status_code)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return results


def test_same_event_delivered_concurrently_is_processed_once():
    order = make_order()
    payload = event("checkout.session.completed", completed_session(order))
    results = run_concurrently([payload] * THREADS)
    assert results == [200] * THREADS
    assert WebhookEvent.objects.count() == 1
    assert OrderEvent.objects.filter(order=order, kind="paid").count() == 1
    assert Payment.objects.count() == 1
    assert Order.objects.get().status == Order.Status.AWAITING_REVIEW


def test_different_events_for_one_session_concurrently_make_one_transition():
    order = make_order()
    session = completed_session(order)
    payloads = [event("checkout.session.completed", session) for _ in range(THREADS)]
    results = run_concurrently(payloads)
    assert results == [200] * THREADS
    assert WebhookEvent.objects.count() == THREADS
    assert OrderEvent.objects.filter(order=order, kind="paid").count() == 1
    assert Payment.objects.count() == 1
