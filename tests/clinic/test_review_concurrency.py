"""Two clinicians (or a double click) deciding the same order at once (PostgreSQL row locks)."""

import pytest

from clinic.services.review import approve_order, decline_order
from orders.models import Order, Refund, Shipment
from orders.services import OrderError
from tests.support.clinic import considered, order_to_review
from tests.support.concurrency import at_once
from tests.support.staff import staff

pytestmark = [
    pytest.mark.usefixtures("test_mode"),
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]
THREADS = 6


def run_concurrently(calls):
    """(calls that went through, messages of those refused with the domain error)."""
    outcomes = at_once(calls)
    unexpected = [error for _, error in outcomes if error and not isinstance(error, OrderError)]
    assert not unexpected, unexpected
    done = [call for call, (_, error) in zip(calls, outcomes, strict=True) if error is None]
    refused = [error.message for _, error in outcomes if error is not None]
    return done, refused


def test_concurrent_declines_refund_once():
    order = order_to_review()
    clinician = staff("clinician")
    done, refused = run_concurrently(
        [lambda: decline_order(order, by=clinician, reason="No")] * THREADS
    )
    assert len(done) == 1 and len(refused) == THREADS - 1
    assert Refund.objects.count() == 1
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    assert Order.objects.get().status == Order.Status.DECLINED


def test_approve_and_decline_racing_leave_one_decision():
    order = order_to_review()
    clinician = staff("clinician")
    signed = considered(order)  # her flags weighed: approving can really win the race
    calls = [lambda: approve_order(order, by=clinician, considered=signed, attested=True)] * 3
    calls += [lambda: decline_order(order, by=clinician, reason="No")] * 3
    done, _ = run_concurrently(calls)
    assert len(done) == 1
    order.refresh_from_db()
    if order.status == Order.Status.APPROVED:
        assert Shipment.objects.count() == 1 and not Refund.objects.exists()
    else:
        assert order.status == Order.Status.DECLINED
        assert Refund.objects.count() == 1 and not Shipment.objects.exists()
