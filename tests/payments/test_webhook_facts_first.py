"""Facts first: a webhook asks Stripe for what happened before any database transaction
opens, so no network call is ever made while a row is locked (issue 16).

The test itself runs inside the test framework's transaction, so "a transaction open" is
one more ``atomic`` block on the database connection than the test started with, at the
moment (the fake) Stripe receives a request.
"""

import pytest
from django.db import connections, transaction

from orders.models import WebhookEvent
from payments.gateways import StripeGateway
from payments.services.stripe_events import receive_event
from tests.support.stripe_helpers import deliver, event
from tests.support.stripe_world import first_charge, paid_order, send

pytestmark = pytest.mark.django_db


def watch(fake):
    """(method, path, inside a transaction?) for each request Stripe receives from now on."""
    connection = connections["default"]
    outside = len(connection.atomic_blocks)  # the test's own
    seen = []
    fake.observers.append(
        lambda method, path: seen.append((method, path, len(connection.atomic_blocks) > outside))
    )
    return seen


def test_every_webhook_fetches_its_facts_before_a_transaction_opens(client, fake_stripe):
    seen = watch(fake_stripe)
    order = paid_order(client, fake_stripe)  # checkout.session.completed, then invoice.paid
    subscription = order.stripe_subscription_id
    assert send(client, "invoice.paid", fake_stripe.renew(subscription)) == "renewal recorded"
    failed = fake_stripe.renew(subscription, paid=False)
    assert send(client, "invoice.payment_failed", failed) == "past due"
    updated = fake_stripe.set_subscription_status(subscription, "active")
    assert send(client, "customer.subscription.updated", updated) == "subscription active"
    charge = first_charge(fake_stripe, order)
    refund = fake_stripe.refund_in_dashboard(charge["id"], 500)
    assert send(client, "refund.created", refund) == "refund succeeded"
    assert send(client, "charge.refunded", charge) == "1 refund(s) settled"
    assert send(client, "charge.dispute.created", fake_stripe.open_dispute(charge["id"])) == (
        "dispute needs_response"
    )
    warning = fake_stripe.fraud_warning(charge["id"])
    assert send(client, "radar.early_fraud_warning.created", warning) == "on hold"

    fetched = {path.split("/")[2] for method, path, _ in seen if method == "GET"}
    assert fetched == {
        "checkout",
        "invoices",
        "invoice_payments",
        "payment_intents",
        "subscriptions",
        "charges",
        "refunds",
        "disputes",
        "radar",
    }
    assert [(method, path) for method, path, inside in seen if inside] == []
    assert WebhookEvent.objects.count() == 9


def test_the_watch_sees_a_call_made_inside_a_transaction(client, fake_stripe):
    """The check above would fail if a handler fetched with a transaction open."""
    order = paid_order(client, fake_stripe)
    seen = watch(fake_stripe)
    with transaction.atomic():
        StripeGateway().subscription_state(order.stripe_subscription_id)
    assert seen == [("GET", f"/v1/subscriptions/{order.stripe_subscription_id}", True)]


def test_an_event_naming_no_object_is_acknowledged_without_asking_stripe(client, fake_stripe):
    response = deliver(client, event("invoice.paid", {}))
    assert (response.status_code, response.json()["result"]) == (200, "no object named")
    assert fake_stripe.requests == []


class GatewayWhileAnotherDeliveryLands(StripeGateway):
    """Stripe, answering while a second delivery of the same event is handled to the end
    (another worker, another app node): what a concurrent duplicate looks like."""

    def __init__(self, event):
        super().__init__()
        self.event = event

    def invoice(self, invoice_id):
        facts = super().invoice(invoice_id)
        event, self.event = self.event, None
        if event is not None:
            assert receive_event(event, gateway=StripeGateway()) == "renewal recorded"
        return facts


def test_a_delivery_that_lands_while_facts_are_fetched_makes_this_one_a_duplicate(
    client, fake_stripe
):
    order = paid_order(client, fake_stripe)
    renewal = event("invoice.paid", fake_stripe.renew(order.stripe_subscription_id))
    gateway = GatewayWhileAnotherDeliveryLands(renewal)
    assert receive_event(renewal, gateway=gateway) == "duplicate"
    assert WebhookEvent.objects.filter(stripe_event_id=renewal["id"]).count() == 1
    assert order.payments.filter(kind="renewal").count() == 1
