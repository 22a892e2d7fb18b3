"""Journeys through checkout and Stripe, for tests that use the ``fake_stripe`` fixture.

The patient goes through the site (cart, questionnaire, redirect to Stripe), pays on the
fake Stripe (``FakeStripe.pay``), and Stripe's events reach the webhook endpoint signed as
Stripe signs them; the handlers then ask the fake Stripe for the facts.
"""

from django.test import TestCase

from orders.models import Order
from tests.support.factories import NO_CONCERNS, answers, make_plan, ready_for_review
from tests.support.stripe_helpers import deliver, event


def start_checkout(client, *plans, **extra_answers):
    """Cart and questionnaire through the site; returns the response (a redirect to Stripe)."""
    for plan in plans or (make_plan("Oral Metformin ER", 2200),):
        client.post("/cart/add/", {"plan": plan.pk})
    return client.post("/checkout/", answers(**{**NO_CONCERNS, **extra_answers}))


def send(client, event_type, obj, **kwargs):
    """Deliver one signed event (and run what its commit enqueues); returns the result text."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = deliver(client, event(event_type, obj, **kwargs))
    assert response.status_code == 200, response.content
    return response.json()["result"]


def pay_checkout(client, fake, order=None):
    """She pays the order's live session at Stripe; Stripe sends both events."""
    order = Order.objects.get(pk=(order or Order.objects.get()).pk)
    session = fake.pay(order.stripe_checkout_session_id)
    send(client, "checkout.session.completed", session)
    send(client, "invoice.paid", fake.objects[session["invoice"]])
    return Order.objects.get(pk=order.pk)


def paid_order(client, fake, *plans):
    """An order paid through Stripe and awaiting review, her ID matched and her labs in
    (``ready_for_review``)."""
    start_checkout(client, *plans)
    order = pay_checkout(client, fake)
    ready_for_review(order)
    return order


def first_charge(fake, order):
    """The Stripe charge that paid ``order``'s first month."""
    return fake.charge_of(order.payments.get(kind="initial").stripe_invoice_id)
