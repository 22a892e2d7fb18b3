"""Money back through the real ``stripe`` library against the fake Stripe: decline, support
refunds, cancellations before review, stray checkouts, timeouts and refusals.

Each test names the defect of issue #9 it pins where it has one.
"""

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import TestCase

from clinic.services.review import approve_order
from orders.models import Hold, Order, Refund, Shipment
from orders.services import OrderError
from payments.services.refunds import cancel_subscription, retry_unsent_refunds, submit_refund
from tests.support.factories import answers, make_plan
from tests.support.fake_stripe import A_MONTHLY_PRICE
from tests.support.lifecycle import perform
from tests.support.patients import prove_email
from tests.support.staff import sign_in, staff
from tests.support.stripe_helpers import deliver, event
from tests.support.stripe_world import (
    NO_CONCERNS,
    first_charge,
    paid_order,
    pay_checkout,
    send,
    start_checkout,
)

# Transactional: a refund is asked of Stripe when its row commits, as in production.
pytestmark = pytest.mark.django_db(transaction=True)
S = Order.Status


def refunds_at_stripe(fake):
    return [obj for obj in fake.objects.values() if obj["object"] == "refund"]


def decline(client, order, reason="Spironolactone is not safe with your kidney results."):
    sign_in(client, staff("clinician", "dr_lee"))
    response = client.post(f"/admin/orders/order/{order.pk}/decline/", {"reason": reason})
    assert response.status_code == 302
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def support(client):
    user = staff("support")
    sign_in(client, user)
    return user


def refund_form(client, order, amount, token="t1", reason="Parcel arrived damaged"):
    return client.post(
        f"/admin/orders/order/{order.pk}/refund/",
        {"amount": amount, "reason": reason, "token": token},
    )


# --- decline ------------------------------------------------------------------------------------


def test_decline_refunds_every_month_and_cancels_the_subscription(client, fake_stripe):
    """Defects: decline refunded only the latest month but told her "refunded in full";
    no refund could succeed since no payment knew its payment intent."""
    order = paid_order(client, fake_stripe, make_plan("Spironolactone", 2200))
    renewal = fake_stripe.renew(order.stripe_subscription_id)
    send(client, "invoice.paid", renewal)  # a clinician took a month to decide
    prove_email(order.email)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        order = decline(client, order)

    assert order.status == S.DECLINED
    refunds = Refund.objects.order_by("pk")
    assert [(r.amount_cents, r.status) for r in refunds] == [(2200, "succeeded")] * 2
    stripe_refunds = refunds_at_stripe(fake_stripe)
    assert sorted(r["payment_intent"] for r in stripe_refunds) == sorted(
        order.payments.values_list("stripe_payment_intent_id", flat=True)
    )
    # Each refund carries our row id, so Stripe's webhook finds it again.
    assert {r["metadata"]["refund_id"] for r in stripe_refunds} == {str(r.pk) for r in refunds}
    assert [key for *_, key in fake_stripe.calls("POST", r"^/v1/refunds$")] == [
        r.idempotency_key for r in refunds
    ]
    assert fake_stripe.objects[order.stripe_subscription_id]["status"] == "canceled"
    [email] = mail.outbox
    assert "not approved" in email.subject
    assert "$44.00" in email.body  # what she gets back, stated

    # Stripe's webhooks for those refunds count nothing twice.
    for payment in order.payments.all():
        send(client, "charge.refunded", fake_stripe.objects[payment.stripe_charge_id])
    assert Refund.objects.count() == 2
    assert len(mail.outbox) == 1


def test_decline_after_a_dashboard_refund_refunds_only_what_is_left(client, fake_stripe):
    order = paid_order(client, fake_stripe, make_plan("Spironolactone", 2200))
    charge = first_charge(fake_stripe, order)
    fake_stripe.refund_in_dashboard(charge["id"], 700)
    send(client, "charge.refunded", fake_stripe.objects[charge["id"]])
    with TestCase.captureOnCommitCallbacks(execute=True):
        decline(client, order)
    assert sorted(r["amount"] for r in refunds_at_stripe(fake_stripe)) == [700, 1500]
    assert Refund.objects.live().total_cents() == 2200
    assert fake_stripe.objects[charge["id"]]["refunded"] is True


def test_decline_twice_refunds_once(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    with TestCase.captureOnCommitCallbacks(execute=True):
        decline(client, order)
        response = client.post(f"/admin/orders/order/{order.pk}/decline/", {"reason": "Again"})
    assert any("already declined" in str(m) for m in get_messages(response.wsgi_request))
    assert len(refunds_at_stripe(fake_stripe)) == 1


def test_a_failed_subscription_cancel_never_undoes_the_refund(client, fake_stripe):
    """Defect: a failed cancel during decline rolled back a refund Stripe had made. The
    retry of the cancel takes a new key (Stripe saved the error for the old one)."""
    order = paid_order(client, fake_stripe)
    fake_stripe.fail_next("DELETE", r"^/v1/subscriptions/", 500)
    with TestCase.captureOnCommitCallbacks(execute=True):
        order = decline(client, order)
    assert order.status == S.DECLINED
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    assert fake_stripe.objects[order.stripe_subscription_id]["status"] == "active"
    assert order.events.filter(kind="subscription_not_cancelled").exists()

    assert cancel_subscription.call(order.pk, order.stripe_subscription_id) == "cancelled"
    assert fake_stripe.objects[order.stripe_subscription_id]["status"] == "canceled"
    keys = [key for *_, key in fake_stripe.calls("DELETE")]
    assert keys[0] != keys[1]


# --- support refunds ------------------------------------------------------------------------------


def test_support_refunds_part_of_an_order(client, fake_stripe, support):
    order = paid_order(client, fake_stripe, make_plan("Oral Metformin ER", 4300))
    mail.outbox.clear()
    page = client.get(f"/admin/orders/order/{order.pk}/refund/")
    assert "At most $43.00 is left to refund." in page.content.decode()
    token = page.context["form"].initial["token"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = refund_form(client, order, "5.50", token)
    assert response.status_code == 302
    [(_, _, params, key)] = fake_stripe.calls("POST", r"^/v1/refunds$")
    payment = order.payments.get()
    assert params["amount"] == "550"
    assert params["payment_intent"] == payment.stripe_payment_intent_id
    assert key == f"refund-form-{token}"
    refund = Refund.objects.get()
    assert (refund.amount_cents, refund.reason, refund.created_by, refund.status) == (
        550,
        "Parcel arrived damaged",
        support,
        "succeeded",
    )
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW  # a partial refund leaves the order running
    assert any("Refunded $5.50" in str(m) for m in get_messages(response.wsgi_request))
    [email] = mail.outbox
    assert "We refunded" in email.subject and "$5.50" in email.body
    send(client, "charge.refunded", fake_stripe.objects[payment.stripe_charge_id])
    assert Refund.objects.count() == 1


def test_a_resubmitted_refund_form_refunds_once(client, fake_stripe, support):
    order = paid_order(client, fake_stripe)
    with TestCase.captureOnCommitCallbacks(execute=True):
        refund_form(client, order, "10.00", "same-token")
        second = refund_form(client, order, "10.00", "same-token")
    assert any("already recorded" in str(m) for m in get_messages(second.wsgi_request))
    assert Refund.objects.count() == 1 and len(refunds_at_stripe(fake_stripe)) == 1


def test_a_full_refund_closes_the_order_and_stops_the_subscription(client, fake_stripe, support):
    """Defect: a full refund left the subscription charging every month, shipping nothing."""
    order = perform(paid_order(client, fake_stripe), "approve")
    with TestCase.captureOnCommitCallbacks(execute=True):
        refund_form(client, order, "22.00")
    order.refresh_from_db()
    assert order.status == S.REFUNDED
    assert fake_stripe.objects[order.stripe_subscription_id]["status"] == "canceled"
    assert order.shipments.get().status == Shipment.Status.CANCELLED


def test_a_refund_that_times_out_is_unknown_and_its_retry_never_refunds_twice(
    client, fake_stripe, support
):
    """Defect: a timeout said "nothing was refunded, try again", and the retry (a new form,
    a new key) refunded twice."""
    order = paid_order(client, fake_stripe)
    fake_stripe.fail_next("POST", r"^/v1/refunds$", "timeout")  # Stripe refunds; answer lost
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = refund_form(client, order, "22.00", "t1")
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("has not confirmed it yet. Do not refund again" in text for text in texts), texts
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.PENDING and refund.stripe_refund_id == ""
    # The amount stays reserved: a second form cannot refund it again.
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert f"/admin/orders/order/{order.pk}/refund/" not in page
    response = refund_form(client, order, "22.00", "t2")
    assert response.status_code == 400
    assert "Only $0.00 is left to refund." in response.content.decode()

    retry_unsent_refunds(older_than_seconds=0)  # what stripe_reconcile runs
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert len(refunds_at_stripe(fake_stripe)) == 1
    keys = [key for *_, key in fake_stripe.calls("POST", r"^/v1/refunds$")]
    assert keys == [refund.idempotency_key] * 2
    assert Order.objects.get().status == S.REFUNDED


def test_a_refused_refund_frees_the_amount_and_holds_the_order_for_support(
    client, fake_stripe, support
):
    """A definite error: nothing went back. The next attempt is a new row with a new key
    (Stripe saved the error for the old one)."""
    order = paid_order(client, fake_stripe)
    fake_stripe.fail_next("POST", r"^/v1/refunds$", 500)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = refund_form(client, order, "22.00", "t1")
    assert any("refused the refund" in str(m) for m in get_messages(response.wsgi_request))
    assert Refund.objects.get().status == Refund.Status.FAILED
    assert Hold.objects.get(order=order).kind == Hold.Kind.REFUND_FAILED
    with TestCase.captureOnCommitCallbacks(execute=True):
        refund_form(client, order, "22.00", "t2")
    assert list(Refund.objects.values_list("status", flat=True)) == ["failed", "succeeded"]
    keys = [key for *_, key in fake_stripe.calls("POST", r"^/v1/refunds$")]
    assert keys == ["refund-form-t1", "refund-form-t2"]


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
    client, fake_stripe, support, data, error
):
    order = paid_order(client, fake_stripe)
    response = client.post(f"/admin/orders/order/{order.pk}/refund/", {**data, "token": "t"})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not fake_stripe.calls("POST", r"^/v1/refunds$")
    assert not Refund.objects.exists()


def test_concurrent_refund_news_is_counted_once(client, fake_stripe, support):
    """The webhook may arrive before the answer to our own request: both settle one row."""
    order = paid_order(client, fake_stripe)
    with TestCase.captureOnCommitCallbacks(execute=False):
        refund_form(client, order, "22.00")  # recorded, not yet sent
    refund = Refund.objects.get()
    fake_stripe.fail_next("POST", r"^/v1/refunds$", "timeout")
    submit_refund.call(refund.pk)  # Stripe refunds, the answer is lost...
    charge = order.payments.get().stripe_charge_id
    send(client, "charge.refunded", fake_stripe.objects[charge])  # ...the webhook says it
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.stripe_refund_id
    assert Refund.objects.count() == 1
    assert submit_refund.call(refund.pk) == "nothing to do"


# --- cancelled before review ------------------------------------------------------------------------


def test_cancelled_before_review_is_refunded_at_once(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    fake_stripe.cancel_subscription({}, order.stripe_subscription_id)
    send(client, "customer.subscription.deleted", fake_stripe.objects[order.stripe_subscription_id])
    order.refresh_from_db()
    assert order.status == S.REFUNDED
    assert [r["amount"] for r in refunds_at_stripe(fake_stripe)] == [2200]
    sign_in(client, staff("clinician"))
    assert order.reference not in client.get("/admin/orders/reviewqueueorder/").content.decode()


def test_a_refused_automatic_refund_leaves_it_in_the_queue_for_a_decline(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    fake_stripe.fail_next("POST", r"^/v1/refunds$", 500)
    fake_stripe.cancel_subscription({}, order.stripe_subscription_id)
    send(client, "customer.subscription.deleted", fake_stripe.objects[order.stripe_subscription_id])
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert Refund.objects.get().status == Refund.Status.FAILED

    clinician = staff("clinician")
    sign_in(client, clinician)
    queue = client.get("/admin/orders/reviewqueueorder/").content.decode()
    assert order.reference in queue and "Cancelled by the patient before review" in queue
    assert f"/admin/orders/order/{order.pk}/approve/" not in queue
    with pytest.raises(OrderError):
        approve_order(order, by=clinician, attested=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"/admin/orders/order/{order.pk}/decline/", {"reason": "Cancelled first."})
    order.refresh_from_db()
    assert order.status == S.DECLINED
    assert list(Refund.objects.values_list("status", flat=True)) == ["failed", "succeeded"]
    # Her subscription is already cancelled at Stripe: nothing is sent to cancel it again.
    assert len(fake_stripe.calls("DELETE")) == 0


def test_cancelling_an_approved_order_refunds_nothing(client, fake_stripe):
    """Once approved, the month she paid for ships: cancelling only stops the next ones."""
    order = perform(paid_order(client, fake_stripe), "approve")
    fake_stripe.cancel_subscription({}, order.stripe_subscription_id)
    send(client, "customer.subscription.deleted", fake_stripe.objects[order.stripe_subscription_id])
    order.refresh_from_db()
    assert order.status == S.CANCELLED and not Refund.objects.exists()
    assert order.can_ship()


# --- stray checkouts (one live session per order) ------------------------------------------------


def test_a_stale_session_paid_after_the_cart_changed_is_refunded_not_taken(client, fake_stripe):
    """Defect: she paid $22 for a session opened before she switched to a $199 pack; the
    order was marked paid, approved, and a $22 renewal queued a $199 refill."""
    start_checkout(client, make_plan("Oral Metformin ER", 2200))
    order = Order.objects.get()
    stale = order.stripe_checkout_session_id
    fake_stripe.objects[stale]["status"] = "open"
    client.post("/cart/add/", {"plan": make_plan("Spironolactone", 1400).pk})
    client.post(
        "/checkout/",
        answers(**NO_CONCERNS),
    )
    # The old tab was still open and she paid it before it expired.
    fake_stripe.objects[stale]["status"] = "open"
    session = fake_stripe.pay(stale)
    assert send(client, "checkout.session.completed", session) == "stray refunded"
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT  # still waiting for the live session
    assert order.stripe_subscription_id == ""
    [refund] = refunds_at_stripe(fake_stripe)
    assert refund["amount"] == 2200
    assert fake_stripe.objects[session["subscription"]]["status"] == "canceled"
    stray = order.events.get(kind="stray_payment")
    assert "refunded to your card automatically" in stray.message

    # The live session pays the order; the stray subscription's news changes nothing.
    pay_checkout(client, fake_stripe, order)
    send(client, "customer.subscription.deleted", fake_stripe.objects[session["subscription"]])
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW
    assert order.total_cents == 3600 and order.payments.for_months().get().amount_cents == 3600
    sign_in(client, staff("clinician"))
    queue = client.get("/admin/orders/reviewqueueorder/").content.decode()
    assert "A second checkout was paid and refunded automatically" in queue


def test_paying_the_same_order_in_two_tabs_charges_once(client, fake_stripe):
    """Two sessions of one order both paid: the second is refunded and its subscription
    cancelled; one subscription, one refill a month."""
    order = paid_order(client, fake_stripe)
    _, other = fake_stripe.create_session(
        {
            "mode": "subscription",
            "metadata": {"order_id": str(order.pk)},
            "subscription_data": {"metadata": {"order_id": str(order.pk)}},
            "line_items": [{"price_data": A_MONTHLY_PRICE, "quantity": "1"}],
        }
    )
    other = fake_stripe.pay(other["id"])
    assert send(client, "checkout.session.completed", other) == "stray refunded"
    send(client, "invoice.paid", fake_stripe.objects[other["invoice"]])  # its first invoice
    assert fake_stripe.objects[other["subscription"]]["status"] == "canceled"
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW
    assert order.payments.for_months().count() == 1
    assert [r["amount"] for r in refunds_at_stripe(fake_stripe)] == [2200]
    # Were it still to renew, that renewal is refunded too, and never ships.
    perform(order, "approve")
    renewal = fake_stripe.renew(other["subscription"])
    assert send(client, "invoice.paid", renewal) == "stray refunded"
    assert not Shipment.objects.filter(kind="refill").exists()


def test_a_renewal_of_another_amount_holds_the_order(client, fake_stripe):
    order = perform(paid_order(client, fake_stripe), "approve")
    fake_stripe.subscription_amounts[order.stripe_subscription_id] = 19900
    send(client, "invoice.paid", fake_stripe.renew(order.stripe_subscription_id))
    hold = Hold.objects.get()
    assert hold.kind == Hold.Kind.AMOUNT_MISMATCH and "$199.00" in hold.reason
    assert not order.can_ship()
    assert not Shipment.objects.to_ship().exists()


# --- disputes, fraud warnings, failed refunds ------------------------------------------------------


def test_a_dispute_holds_the_order_until_it_is_won(client, fake_stripe):
    order = perform(paid_order(client, fake_stripe), "approve")
    charge = first_charge(fake_stripe, order)
    dispute = fake_stripe.open_dispute(charge["id"])
    assert send(client, "charge.dispute.created", dispute) == "dispute needs_response"
    order.refresh_from_db()
    assert order.status == S.APPROVED  # a hold is beside the status, not instead of it
    assert not order.can_ship() and not Shipment.objects.to_ship().exists()
    send(client, "charge.dispute.closed", fake_stripe.close_dispute(dispute["id"], "won"))
    hold = Hold.objects.get()
    assert not hold.is_open and hold.outcome == "Dispute won."
    assert Order.objects.get().can_ship()


def test_a_lost_dispute_stays_with_support(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    dispute = fake_stripe.open_dispute(first_charge(fake_stripe, order)["id"])
    send(client, "charge.dispute.created", dispute)
    send(client, "charge.dispute.closed", fake_stripe.close_dispute(dispute["id"], "lost"))
    hold = Hold.objects.get()
    assert hold.is_open and "lost" in hold.outcome


def test_an_early_fraud_warning_holds_the_order(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    warning = fake_stripe.fraud_warning(first_charge(fake_stripe, order)["id"])
    assert send(client, "radar.early_fraud_warning.created", warning) == "on hold"
    send(client, "radar.early_fraud_warning.created", warning)
    assert Hold.objects.get().kind == Hold.Kind.FRAUD_WARNING


def test_a_refund_the_bank_sends_back_is_failed_and_held(client, fake_stripe, support):
    order = paid_order(client, fake_stripe)
    with TestCase.captureOnCommitCallbacks(execute=True):
        refund_form(client, order, "22.00")
    refund = Refund.objects.get()
    assert Order.objects.get().status == S.REFUNDED
    failed = fake_stripe.fail_refund(refund.stripe_refund_id)
    assert send(client, "refund.failed", failed) == "refund failed"
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert Hold.objects.get().kind == Hold.Kind.REFUND_FAILED
    assert order.refundable_cents() == 2200  # the money is hers to be refunded again


def test_support_releases_a_hold_with_what_was_done(client, fake_stripe, support):
    order = paid_order(client, fake_stripe)
    warning = fake_stripe.fraud_warning(first_charge(fake_stripe, order)["id"])
    send(client, "radar.early_fraud_warning.created", warning)
    hold = Hold.objects.get()
    listing = client.get("/admin/orders/hold/?released_at__isempty=1")
    assert order.reference in listing.content.decode()
    form = client.post(
        "/admin/orders/hold/",
        {"action": "release_selected", "_selected_action": [hold.pk]},
    )
    assert form.status_code == 200 and "What was done" in form.content.decode()
    empty = client.post(
        "/admin/orders/hold/",
        {"action": "release_selected", "_selected_action": [hold.pk], "apply": "1", "outcome": ""},
    )
    assert empty.status_code == 400
    client.post(
        "/admin/orders/hold/",
        {
            "action": "release_selected",
            "_selected_action": [hold.pk],
            "apply": "1",
            "outcome": "Called her: the charge is hers.",
        },
    )
    hold.refresh_from_db()
    assert not hold.is_open and hold.released_by == support
    assert hold.outcome == "Called her: the charge is hers."


def test_the_public_order_page_offers_no_customer_portal(client, fake_stripe):
    """Defect: anyone holding the order link could open her Stripe Customer Portal."""
    order = paid_order(client, fake_stripe)
    html = client.get(order.get_absolute_url()).content.decode()
    assert "Manage subscription" not in html
    assert client.post(f"/orders/{order.public_id}/manage/").status_code == 404
    assert not fake_stripe.calls("POST", "billing_portal")


def test_events_are_delivered_again_when_stripe_cannot_be_asked(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    charge = first_charge(fake_stripe, order)
    fake_stripe.refund_in_dashboard(charge["id"])
    payload = event("charge.refunded", fake_stripe.objects[charge["id"]])
    fake_stripe.fail_next("GET", r"^/v1/refunds$", 500)
    assert deliver(client, payload).status_code == 503
    assert not Refund.objects.exists()
    assert deliver(client, payload).json()["result"] == "1 refund(s) settled"
