"""Issue 18, item 2: a Stripe 500 or timeout is an unknown outcome, never "nothing happened".

The fake Stripe does the work and then answers 500 (saved for the key, as Stripe does), or
does it and never answers. Each refund is settled by asking Stripe (its refunds of the
payment, ours found by our row id in their metadata) before any new attempt, which goes out
under a new key only if Stripe has none.
"""

import pytest
from django.contrib.messages import get_messages
from django.test import TestCase

from orders.models import Order, Refund
from payments.services.refunds import retry_unsent_refunds, submit_refund
from tests.support.staff import sign_in, staff
from tests.support.stripe_world import paid_order, send

pytestmark = pytest.mark.django_db(transaction=True)
S = Order.Status


@pytest.fixture
def support(client):
    user = staff("support")
    sign_in(client, user)
    return user


def refund_form(client, order, amount, token):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            f"/admin/orders/order/{order.pk}/refund/",
            {"amount": amount, "reason": "Parcel arrived damaged", "token": token},
        )


def stripe_refunds(fake):
    return [obj["amount"] for obj in fake.objects.values() if obj["object"] == "refund"]


@pytest.mark.parametrize("failure", ["work-then-500", "timeout"])
def test_a_refund_stripe_made_before_failing_is_never_made_twice(
    client, fake_stripe, support, failure
):
    """Defect: Stripe refunded $11 and answered 500; the refund was marked failed, staff were
    told "nothing was refunded", retried, and she got $11 twice."""
    order = paid_order(client, fake_stripe)
    fake_stripe.fail_next("POST", r"^/v1/refunds$", failure)
    response = refund_form(client, order, "11.00", "t1")
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Refund outcome unknown: being checked" in text for text in texts), texts
    assert not any("nothing was refunded" in text for text in texts)
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.PENDING and refund.outcome_unknown_at
    assert order.events.filter(kind="refund_outcome_unknown").exists()
    assert not order.holds.exists()  # nothing says it failed
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Outcome unknown: being checked with Stripe" in page
    refunds = client.get("/admin/orders/refund/").content.decode()
    assert "Outcome unknown: being checked with Stripe" in refunds

    assert retry_unsent_refunds(older_than_seconds=0) == ["settled"]
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.outcome_unknown_at is None
    assert stripe_refunds(fake_stripe) == [1100]
    assert len(fake_stripe.calls("POST", r"^/v1/refunds$")) == 1
    # Stripe's webhook about the same refund counts nothing twice.
    send(client, "charge.refunded", fake_stripe.objects[order.payments.get().stripe_charge_id])
    assert Refund.objects.count() == 1


def test_a_half_refund_answered_500_never_becomes_a_full_one(client, fake_stripe, support):
    """Defect: a half refund answered 500 was retried by staff and became a full one, which
    also cancelled her subscription."""
    order = paid_order(client, fake_stripe)
    fake_stripe.fail_next("POST", r"^/v1/refunds$", "work-then-500")
    refund_form(client, order, "11.00", "t1")
    # Stripe's webhook arrives first: our row is found by its id in the metadata.
    send(client, "charge.refunded", fake_stripe.objects[order.payments.get().stripe_charge_id])
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    assert retry_unsent_refunds(older_than_seconds=0) == []
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW and order.refundable_cents() == 1100
    assert stripe_refunds(fake_stripe) == [1100]
    assert fake_stripe.objects[order.stripe_subscription_id]["status"] == "active"


def test_a_500_before_any_work_is_sent_again_under_a_new_key(client, fake_stripe, support):
    """Stripe failed before refunding: nothing of ours is listed, so the refund is asked
    again, as the row's next attempt (the old key would replay the saved 500)."""
    order = paid_order(client, fake_stripe)
    fake_stripe.fail_next("POST", r"^/v1/refunds$", 500)
    refund_form(client, order, "22.00", "t1")
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.PENDING and refund.outcome_unknown_at
    assert stripe_refunds(fake_stripe) == []

    assert retry_unsent_refunds(older_than_seconds=0) == ["settled"]
    refund.refresh_from_db()
    assert (refund.status, refund.attempt) == (Refund.Status.SUCCEEDED, 2)
    assert [key for *_, key in fake_stripe.calls("POST", r"^/v1/refunds$")] == [
        f"oana-refund-{refund.pk}-1",
        f"oana-refund-{refund.pk}-2",
    ]
    assert stripe_refunds(fake_stripe) == [2200]
    assert Order.objects.get().status == S.REFUNDED


@pytest.mark.parametrize("failure", [500, "timeout"])
def test_while_stripe_cannot_be_asked_the_refund_stays_unknown(
    client, fake_stripe, support, failure
):
    order = paid_order(client, fake_stripe)
    fake_stripe.fail_next("POST", r"^/v1/refunds$", "work-then-500")
    refund_form(client, order, "22.00", "t1")
    refund = Refund.objects.get()
    fake_stripe.fail_next("GET", r"^/v1/refunds$", failure)
    assert submit_refund.call(refund.pk) == "unknown"
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING and refund.outcome_unknown_at
    assert refund.attempt == 1
    assert submit_refund.call(refund.pk) == "settled"
    assert stripe_refunds(fake_stripe) == [2200]
    assert len(fake_stripe.calls("POST", r"^/v1/refunds$")) == 1


def test_a_decline_answered_500_refunds_once(client, fake_stripe):
    """The decline's email has told her she is refunded: the refund Stripe made is found."""
    order = paid_order(client, fake_stripe)
    fake_stripe.fail_next("POST", r"^/v1/refunds$", "work-then-500")
    sign_in(client, staff("clinician", "dr_lee"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"/admin/orders/order/{order.pk}/decline/", {"reason": "Not safe for you."})
    assert Refund.objects.get().status == Refund.Status.PENDING
    assert Order.objects.get().status == S.DECLINED
    retry_unsent_refunds(older_than_seconds=0)
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    assert stripe_refunds(fake_stripe) == [2200]
