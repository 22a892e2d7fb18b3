"""Billing changes reach Stripe after the commit, never under the order's row lock.

Each patient and staff action that changes her billing (pause, resume, cancel at the end of
the month, a clinician's question, her answer, the last refill, a renewal) is saved whatever
Stripe does; a 500 or a timeout leaves the change recorded (``billing_sync_requested_at``) and
the task (or the hourly reconciliation) sends it later, reading Stripe first so that work
Stripe already did is never sent twice."""

import time
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from clinic.services.prescriptions import drafts_for, renew_prescriptions, submit_renewal
from clinic.services.review import approve_order
from orders.models import Order, OrderEvent, Shipment, Thread
from orders.services.fulfilment import mark_shipped
from payments.gateways import get_gateway
from payments.services.reconcile import reconcile
from payments.services.subscriptions import sync_billing
from tests.support.factories import make_plan
from tests.support.lifecycle import RENEWAL_ANSWERS
from tests.support.patients import sign_in_patient
from tests.support.staff import sign_in, staff
from tests.support.stripe_world import paid_order

pytestmark = pytest.mark.django_db
S = Order.Status
SUBSCRIPTION_UPDATE = r"^/v1/subscriptions/sub_"


def post(client, url, data=None):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data or {}, follow=True)


def shown(response):
    return [str(message) for message in response.context["messages"]]


def at_stripe(fake_stripe, order):
    return fake_stripe.objects[order.stripe_subscription_id]


def updates(fake_stripe):
    return fake_stripe.calls("POST", SUBSCRIPTION_UPDATE)


def waiting(order):
    return Order.objects.get(pk=order.pk).billing_sync_requested_at is not None


@pytest.mark.parametrize("failure", [500, "timeout"])
def test_her_pause_is_kept_when_stripe_fails_and_reaches_stripe_once(client, fake_stripe, failure):
    order = paid_order(client, fake_stripe)
    sign_in_patient(client, order)
    fake_stripe.fail_next("POST", SUBSCRIPTION_UPDATE, failure)
    response = post(client, f"/orders/{order.public_id}/pause/", {"months": "1"})
    assert response.status_code == 200
    assert any(message.startswith("Paused until") for message in shown(response))
    assert Order.objects.get(pk=order.pk).patient_pause_until is not None
    assert OrderEvent.objects.filter(order=order, kind="paused").count() == 1
    assert waiting(order)
    # A timeout: Stripe did it, the answer was lost. A 500: nothing was done.
    paused_at_stripe = at_stripe(fake_stripe, order).get("pause_collection") is not None
    assert paused_at_stripe == (failure == "timeout")

    assert sync_billing.call(order.pk) == ("in step" if failure == "timeout" else "sent")
    assert (at_stripe(fake_stripe, order).get("pause_collection") or {}).get("behavior") == "void"
    assert not waiting(order)
    keys = [key for *_, key in updates(fake_stripe)]
    assert len(keys) == (1 if failure == "timeout" else 2)  # never the same work twice
    assert len(set(keys)) == len(keys)  # each attempt its own key (Stripe replays a 500)


def test_cancel_at_the_end_of_the_month_survives_a_timeout(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    sign_in_patient(client, order)
    fake_stripe.fail_next("POST", SUBSCRIPTION_UPDATE, "timeout")
    response = post(client, f"/orders/{order.public_id}/cancel/")
    assert "Cancelled: you will not be charged again" in " ".join(shown(response))
    assert Order.objects.get(pk=order.pk).cancel_at_period_end
    assert sync_billing.call(order.pk) == "in step"
    assert at_stripe(fake_stripe, order)["cancel_at_period_end"] == "true"
    assert len(updates(fake_stripe)) == 1


def test_resume_with_stripe_down_is_sent_by_the_reconciliation(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    sign_in_patient(client, order)
    post(client, f"/orders/{order.public_id}/pause/", {"months": "1"})
    assert at_stripe(fake_stripe, order).get("pause_collection") is not None
    fake_stripe.fail_next("POST", SUBSCRIPTION_UPDATE, 500, times=2)
    response = post(client, f"/orders/{order.public_id}/resume/")
    assert "Your refills are running again." in shown(response)
    assert Order.objects.get(pk=order.pk).patient_pause_until is None
    assert at_stripe(fake_stripe, order).get("pause_collection") is not None  # not yet

    # Still failing an hour later: the change stays waiting and says so.
    Order.objects.filter(pk=order.pk).update(
        billing_sync_requested_at=timezone.now() - timedelta(hours=1)
    )
    found = reconcile(get_gateway(), since=int(time.time()) - 3600)
    assert f"{order.reference}: billing change still waiting" in " ".join(found)
    assert waiting(order)
    found = reconcile(get_gateway(), since=int(time.time()) - 3600)
    assert f"{order.reference}: billing change sent" in found
    assert at_stripe(fake_stripe, order).get("pause_collection") is None
    assert not waiting(order)


@pytest.mark.parametrize("failure", [500, "timeout"])
def test_a_clinicians_question_and_her_answer_are_kept_when_stripe_fails(
    client, fake_stripe, failure
):
    order = paid_order(client, fake_stripe)
    sign_in(client, staff("clinician", "dr_ask"))
    fake_stripe.fail_next("POST", SUBSCRIPTION_UPDATE, failure)
    response = post(client, f"/admin/orders/order/{order.pk}/ask/", {"question": "Any lisinopril?"})
    assert response.status_code == 200
    assert any("Question sent" in message for message in shown(response))
    order.refresh_from_db()
    assert order.status == S.NEEDS_INFORMATION
    thread = Thread.objects.get(order=order)
    assert thread.messages.count() == 1
    assert sync_billing.call(order.pk) in {"sent", "in step"}
    assert (at_stripe(fake_stripe, order).get("pause_collection") or {}).get("behavior") == "void"

    sign_in_patient(client, order)
    fake_stripe.fail_next("POST", SUBSCRIPTION_UPDATE, failure)
    response = post(
        client, f"/orders/{order.public_id}/messages/{thread.pk}/", {"body": "No, never."}
    )
    assert response.status_code == 200
    assert thread.messages.count() == 2  # her answer is kept
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_REVIEW
    assert waiting(order)
    sync_billing.call(order.pk)
    assert at_stripe(fake_stripe, order).get("pause_collection") is None
    assert not waiting(order)


def test_the_last_refill_ships_and_a_renewal_is_signed_while_stripe_fails(client, fake_stripe):
    order = paid_order(client, fake_stripe, make_plan("Oral Metformin ER", 2200))
    drafts = [type(draft)(**{**draft.__dict__, "refills": 0}) for draft in drafts_for(order)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        approve_order(order, by=staff("clinician", "dr_first"), prescriptions=drafts, attested=True)
    shipment = order.shipments.get(status=Shipment.Status.PENDING)

    # The first box is the last one: shipping it pauses billing for the renewal.
    fake_stripe.fail_next("POST", SUBSCRIPTION_UPDATE, 500)
    with TestCase.captureOnCommitCallbacks(execute=True):
        mark_shipped(shipment, by=staff("fulfillment"), carrier="USPS", tracking_number="9400")
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.SHIPPED  # the box the clerk sent stays sent
    assert Order.objects.get(pk=order.pk).status == S.RENEWAL_DUE and waiting(order)
    assert at_stripe(fake_stripe, order).get("pause_collection") is None  # not yet
    sync_billing.call(order.pk)
    assert at_stripe(fake_stripe, order).get("pause_collection") == {"behavior": "void"}

    with TestCase.captureOnCommitCallbacks(execute=True):
        submit_renewal(order, RENEWAL_ANSWERS, by=None)
    fake_stripe.fail_next("POST", SUBSCRIPTION_UPDATE, "timeout")
    with TestCase.captureOnCommitCallbacks(execute=True):
        renew_prescriptions(order, by=staff("clinician", "dr_renew"), attested=True)
    order.refresh_from_db()
    assert order.status == S.SHIPPED and waiting(order)
    assert sync_billing.call(order.pk) == "in step"  # the timed-out call did it
    assert at_stripe(fake_stripe, order).get("pause_collection") is None
    assert not waiting(order)


def test_a_subscription_already_cancelled_at_stripe_is_left_alone(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    sign_in_patient(client, order)
    at_stripe(fake_stripe, order)["status"] = "canceled"  # ended at Stripe meanwhile
    response = post(client, f"/orders/{order.public_id}/pause/", {"months": "1"})
    assert any(message.startswith("Paused until") for message in shown(response))
    assert not waiting(order)  # read, nothing to send to an ended subscription
    assert updates(fake_stripe) == []


@pytest.mark.parametrize("failure", [500, "timeout"])
def test_an_unanswered_check_in_pauses_collection_whatever_stripe_does(
    client, fake_stripe, failure
):
    from clinic.services.checkins import follow_up_checkins
    from tests.support.checkins import ask_checkin, checkin_post

    order = paid_order(client, fake_stripe, make_plan("Spironolactone", 3000))
    with TestCase.captureOnCommitCallbacks(execute=True):
        approve_order(order, by=staff("clinician", "dr_ci"), attested=True)
    checkin = ask_checkin(order)
    follow_up_checkins(timezone.now() + timedelta(days=8))  # the reminder
    fake_stripe.fail_next("POST", SUBSCRIPTION_UPDATE, failure)
    with TestCase.captureOnCommitCallbacks(execute=True):
        follow_up_checkins(timezone.now() + timedelta(days=16))  # the hold
    assert Order.objects.get(pk=order.pk).holds.pausing().exists()
    assert waiting(order)
    assert sync_billing.call(order.pk) == ("in step" if failure == "timeout" else "sent")
    assert at_stripe(fake_stripe, order)["pause_collection"] == {"behavior": "void"}

    # She answers: the hold is released and collection resumes.
    sign_in_patient(client, order)
    post(client, f"/orders/{order.public_id}/checkins/{checkin.pk}/", checkin_post(order))
    assert not Order.objects.get(pk=order.pk).holds.pausing().exists()
    assert not at_stripe(fake_stripe, order).get("pause_collection")
