"""A patient who cancels before a clinician reviewed her order is refunded in full.

The subscription is deleted (``customer.subscription.deleted``, signed as Stripe signs it)
while the order awaits review: a task enqueued on commit refunds her first payment through
the real ``stripe`` library (against a local server); if Stripe fails, the order stays in
the review queue, flagged, and a clinician's Decline refunds it with the same key.
"""

import pytest
from django.core import mail
from werkzeug import Response

from orders.models import Order, Refund, Shipment
from orders.services import OrderError
from orders.services.review import approve_order
from tests.orders.clinic import SUBSCRIPTION, intent_for, order_to_review
from tests.orders.stripe_helpers import (
    WEBHOOK_SECRET,
    deliver,
    event,
    stripe_object,
    subscription_for,
)
from tests.staff import sign_in, staff

pytestmark = pytest.mark.django_db
S = Order.Status


def expect_refund(server, amount):
    server.expect_oneshot_request("/v1/refunds", method="POST").respond_with_json(
        stripe_object("refund", id="re_oana_cancel", amount=amount, status="succeeded")
    )


def cancel_subscription(client, order):
    payload = event("customer.subscription.deleted", subscription_for(order, status="canceled"))
    response = deliver(client, payload)
    assert response.status_code == 200
    return response


def charge_refunded(order, refund_id, amount):
    intent = intent_for(order)
    charge = stripe_object("charge_refunded", payment_intent=intent, amount=amount)
    charge["amount_refunded"] = amount
    charge["refunds"]["data"][0].update(id=refund_id, amount=amount, payment_intent=intent)
    return event("charge.refunded", charge)


def test_cancelling_while_awaiting_review_refunds_the_first_payment_in_full(
    client, stripe_api, django_capture_on_commit_callbacks
):
    order = order_to_review(3200)
    payment = order.payments.get()
    expect_refund(stripe_api, 3200)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cancel_subscription(client, order)

    assert [(r.method, r.path) for r, _ in stripe_api.log] == [("POST", "/v1/refunds")]
    request, _ = stripe_api.log[0]
    assert request.form.to_dict() == {
        "amount": "3200",
        "payment_intent": intent_for(order),
        "metadata[order_id]": str(order.pk),
    }
    assert request.headers["Idempotency-Key"] == f"cancel-refund-{order.public_id}-{payment.pk}"
    order.refresh_from_db()
    assert order.status == S.REFUNDED
    assert order.reviewed_at is None and order.subscription_status == "canceled"
    refund = Refund.objects.get()
    assert (refund.stripe_refund_id, refund.amount_cents, refund.payment) == (
        "re_oana_cancel",
        3200,
        payment,
    )
    assert not Shipment.objects.exists()
    assert [m.subject for m in mail.outbox] == [
        f"Your subscription for order {order.reference} is cancelled",
        f"We refunded your payment for order {order.reference}",
    ]
    assert "$32.00" in mail.outbox[1].body

    # Stripe's own charge.refunded webhook for that refund counts nothing twice,
    # and a second delivery of the cancellation sends Stripe nothing more.
    assert deliver(client, charge_refunded(order, "re_oana_cancel", 3200)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        cancel_subscription(client, order)
    assert len(stripe_api.log) == 1
    assert Refund.objects.count() == 1
    sign_in(client, staff("clinician"))
    assert order.reference not in client.get("/admin/orders/reviewqueueorder/").content.decode()


def test_stripe_down_leaves_it_flagged_in_the_queue_and_decline_refunds_with_the_same_key(
    client, stripe_api, django_capture_on_commit_callbacks
):
    order = order_to_review(2200)
    payment = order.payments.get()
    stripe_api.expect_oneshot_request("/v1/refunds", method="POST").respond_with_response(
        Response('{"error": {"message": "boom", "type": "api_error"}}', status=500)
    )
    with django_capture_on_commit_callbacks(execute=True):
        cancel_subscription(client, order)
    order.refresh_from_db()
    assert order.status == S.CANCELLED and not Refund.objects.exists()

    clinician = staff("clinician")
    sign_in(client, clinician)
    queue = client.get("/admin/orders/reviewqueueorder/").content.decode()
    assert order.reference in queue
    assert "Cancelled by the patient before review" in queue
    assert f"/admin/orders/order/{order.pk}/decline/" in queue
    assert f"/admin/orders/order/{order.pk}/approve/" not in queue
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert f"/admin/orders/order/{order.pk}/decline/" in page
    assert f"/admin/orders/order/{order.pk}/approve/" not in page

    with pytest.raises(OrderError, match="cannot be approved|can be approved"):
        approve_order(order, by=clinician)

    expect_refund(stripe_api, 2200)
    response = client.post(
        f"/admin/orders/order/{order.pk}/decline/", {"reason": "Cancelled before review."}
    )
    assert response.status_code == 302
    keys = [request.headers["Idempotency-Key"] for request, _ in stripe_api.log]
    assert keys == [f"cancel-refund-{order.public_id}-{payment.pk}"] * 2
    # The subscription is already cancelled at Stripe: nothing is sent to cancel it again.
    assert [(r.method, r.path) for r, _ in stripe_api.log][-1] == ("POST", "/v1/refunds")
    assert all(r.path != f"/v1/subscriptions/{SUBSCRIPTION}" for r, _ in stripe_api.log)
    order.refresh_from_db()
    assert order.status == S.DECLINED
    assert list(Refund.objects.values_list("amount_cents", flat=True)) == [2200]
    queue = client.get("/admin/orders/reviewqueueorder/").content.decode()
    assert f"/admin/orders/order/{order.pk}/decline/" not in queue


def test_cancelling_an_approved_order_refunds_nothing(
    client, stripe_api, django_capture_on_commit_callbacks
):
    """Once approved, the month she paid for ships: cancelling only stops the next ones."""
    order = order_to_review()
    approve_order(order, by=staff("clinician"))
    with django_capture_on_commit_callbacks(execute=True):
        cancel_subscription(client, order)
    assert stripe_api.log == []
    order.refresh_from_db()
    assert order.status == S.CANCELLED and not Refund.objects.exists()


def test_in_test_mode_the_cancelled_order_is_refunded_without_stripe(
    settings, client, django_capture_on_commit_callbacks
):
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    order = order_to_review(2200)
    Order.objects.filter(pk=order.pk).update(is_test_mode=True)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_subscription(client, order)
    order.refresh_from_db()
    assert order.status == S.REFUNDED
    assert Refund.objects.get().stripe_refund_id.startswith("re_test_")
