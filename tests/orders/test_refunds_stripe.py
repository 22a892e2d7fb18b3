"""Declines and support refunds through the real ``stripe`` library, against a local server.

Asserts the exact requests Stripe receives (method, path, form parameters, Idempotency-Key)
and that Stripe's later ``charge.refunded`` webhook never counts a refund twice.
"""

import pytest
from django.contrib.messages import get_messages
from werkzeug import Response

from orders.models import Order, Refund
from orders.services import OrderError
from orders.services.review import decline_order
from tests.orders.clinic import SUBSCRIPTION, intent_for, order_to_review
from tests.orders.stripe_helpers import deliver, event, stripe_object
from tests.staff import sign_in, staff

pytestmark = pytest.mark.django_db
S = Order.Status


def refund_response(refund_id="re_oana_1", amount=2200, status="succeeded"):
    return stripe_object("refund", id=refund_id, amount=amount, status=status)


def expect_refund(server, **changes):
    server.expect_oneshot_request("/v1/refunds", method="POST").respond_with_json(
        refund_response(**changes)
    )


def expect_cancel(server):
    server.expect_oneshot_request(
        f"/v1/subscriptions/{SUBSCRIPTION}", method="DELETE"
    ).respond_with_json(stripe_object("subscription", id=SUBSCRIPTION, status="canceled"))


def requests(server):
    return [(request.method, request.path) for request, _ in server.log]


def charge_refunded(order, refund_id, amount):
    intent = intent_for(order)
    charge = stripe_object("charge_refunded", payment_intent=intent, amount=amount)
    charge["amount_refunded"] = amount
    charge["refunds"]["data"][0].update(id=refund_id, amount=amount, payment_intent=intent)
    return event("charge.refunded", charge)


def test_decline_refunds_the_latest_payment_and_cancels_the_subscription(stripe_api):
    clinician = staff("clinician")
    order = order_to_review(3200)
    expect_refund(stripe_api, amount=3200)
    expect_cancel(stripe_api)

    decline_order(order, by=clinician, reason="Not safe with your medicines.")

    assert requests(stripe_api) == [
        ("POST", "/v1/refunds"),
        ("DELETE", f"/v1/subscriptions/{SUBSCRIPTION}"),
    ]
    refund_request, _ = stripe_api.log[0]
    assert refund_request.form.to_dict() == {
        "amount": "3200",
        "payment_intent": intent_for(order),
        "metadata[order_id]": str(order.pk),
    }
    payment = order.payments.get()
    assert refund_request.headers["Idempotency-Key"] == (
        f"decline-refund-{order.public_id}-{payment.pk}"
    )
    assert refund_request.headers["Authorization"] == "Bearer sk_test_oana_local"
    cancel_request, _ = stripe_api.log[1]
    assert cancel_request.headers["Idempotency-Key"] == f"decline-cancel-{order.public_id}"
    assert cancel_request.get_data() == b""

    order.refresh_from_db()
    assert order.status == S.DECLINED and order.subscription_status == "canceled"
    refund = Refund.objects.get()
    assert (refund.stripe_refund_id, refund.amount_cents, refund.payment) == (
        "re_oana_1",
        3200,
        payment,
    )


def test_decline_twice_sends_stripe_nothing_the_second_time(stripe_api):
    clinician = staff("clinician")
    order = order_to_review()
    expect_refund(stripe_api)
    expect_cancel(stripe_api)
    decline_order(order, by=clinician, reason="No")
    with pytest.raises(OrderError, match="already declined"):
        decline_order(order, by=clinician, reason="No")
    assert len(stripe_api.log) == 2
    assert Refund.objects.count() == 1


def test_the_refund_webhook_after_a_decline_counts_nothing_twice(client, stripe_api):
    order = order_to_review()
    expect_refund(stripe_api)
    expect_cancel(stripe_api)
    decline_order(order, by=staff("clinician"), reason="No")

    response = deliver(client, charge_refunded(order, "re_oana_1", 2200))
    assert response.json()["result"] == "0 refund(s) recorded"
    order.refresh_from_db()
    assert order.status == S.DECLINED
    assert Refund.objects.count() == 1


def test_decline_after_the_refund_webhook_does_not_refund_again(client, stripe_api):
    """Someone refunded at the Stripe dashboard first; the clinician then declines."""
    order = order_to_review()
    assert deliver(client, charge_refunded(order, "re_dashboard", 2200)).status_code == 200
    order.refresh_from_db()
    assert order.status == S.REFUNDED
    expect_cancel(stripe_api)

    decline_order(order, by=staff("clinician"), reason="Not for you")

    assert requests(stripe_api) == [("DELETE", f"/v1/subscriptions/{SUBSCRIPTION}")]
    order.refresh_from_db()
    assert order.status == S.DECLINED
    assert list(Refund.objects.values_list("stripe_refund_id", "amount_cents")) == [
        ("re_dashboard", 2200)
    ]


def test_stripe_down_during_decline_changes_nothing_and_the_retry_reuses_the_key(stripe_api):
    clinician = staff("clinician")
    order = order_to_review()
    stripe_api.expect_oneshot_request("/v1/refunds", method="POST").respond_with_response(
        Response('{"error": {"message": "boom", "type": "api_error"}}', status=500)
    )
    with pytest.raises(OrderError, match="nothing was refunded"):
        decline_order(order, by=clinician, reason="No")
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW and not Refund.objects.exists()

    expect_refund(stripe_api)
    expect_cancel(stripe_api)
    decline_order(order, by=clinician, reason="No")
    first_key = stripe_api.log[0][0].headers["Idempotency-Key"]
    assert stripe_api.log[1][0].headers["Idempotency-Key"] == first_key
    order.refresh_from_db()
    assert order.status == S.DECLINED


# --- support refunds from the admin ---------------------------------------------------------


@pytest.fixture
def support(client):
    user = staff("support")
    sign_in(client, user)
    return user


def test_support_refunds_part_of_an_order(
    client, stripe_api, support, mailoutbox, django_capture_on_commit_callbacks
):
    order = order_to_review(4300)
    page = client.get(f"/admin/orders/order/{order.pk}/refund/")
    assert page.status_code == 200
    assert "At most $43.00 is left to refund." in page.content.decode()
    token = page.context["form"].initial["token"]
    expect_refund(stripe_api, refund_id="re_partial", amount=550)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/orders/order/{order.pk}/refund/",
            {"amount": "5.50", "reason": "Parcel arrived damaged", "token": token},
        )

    assert response.status_code == 302
    request, _ = stripe_api.log[0]
    assert (request.method, request.path) == ("POST", "/v1/refunds")
    assert request.form["amount"] == "550"
    assert request.form["payment_intent"] == intent_for(order)
    assert request.headers["Idempotency-Key"] == f"admin-refund-{order.public_id}-{token}"
    refund = Refund.objects.get()
    assert (refund.amount_cents, refund.reason, refund.created_by, refund.stripe_refund_id) == (
        550,
        "Parcel arrived damaged",
        support,
        "re_partial",
    )
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW  # a partial refund leaves the order running
    assert any("Refunded $5.50" in str(m) for m in get_messages(response.wsgi_request))
    [email] = mailoutbox
    assert "We refunded" in email.subject and "$5.50" in email.body

    # Stripe's webhook for the same refund changes nothing.
    deliver(client, charge_refunded(order, "re_partial", 550))
    assert Refund.objects.count() == 1


def test_a_resubmitted_refund_form_refunds_once(client, stripe_api, support):
    order = order_to_review()
    data = {"amount": "10.00", "reason": "Goodwill", "token": "same-token"}
    # Stripe answers a repeated idempotency key with the first refund.
    expect_refund(stripe_api, refund_id="re_once", amount=1000)
    expect_refund(stripe_api, refund_id="re_once", amount=1000)
    client.post(f"/admin/orders/order/{order.pk}/refund/", data)
    second = client.post(f"/admin/orders/order/{order.pk}/refund/", data)
    assert second.status_code == 302
    assert any("already recorded" in str(m) for m in get_messages(second.wsgi_request))
    assert Refund.objects.count() == 1
    keys = {request.headers["Idempotency-Key"] for request, _ in stripe_api.log}
    assert len(keys) == 1


def test_a_full_refund_marks_the_order_refunded(client, stripe_api, support):
    order = order_to_review()
    expect_refund(stripe_api, amount=2200)
    client.post(
        f"/admin/orders/order/{order.pk}/refund/",
        {"amount": "22.00", "reason": "Patient asked", "token": "t1"},
    )
    order.refresh_from_db()
    assert order.status == S.REFUNDED


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"amount": "22.01", "reason": "Too much"}, "Only $22.00 is left to refund."),
        ({"amount": "0", "reason": "Zero"}, "greater than or equal to 0.01"),
        ({"amount": "abc", "reason": "Bad"}, "digits and a decimal point only"),
        ({"amount": "5.00", "reason": ""}, "This field is required."),
    ],
)
def test_bad_refund_input_is_a_400_with_a_message_and_sends_nothing(
    client, stripe_api, support, data, error
):
    order = order_to_review()
    response = client.post(f"/admin/orders/order/{order.pk}/refund/", {**data, "token": "t"})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert stripe_api.log == []
    assert not Refund.objects.exists()
