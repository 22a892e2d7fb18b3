"""The local test-mode gateway (DEBUG on, no Stripe key): nothing leaves this machine.

It implements the gateway's interface directly, with the neutral dataclasses of
``payments.gateways.facts``: checkout goes to a page of this site marked TEST MODE, whose
"Pay" button makes the ``CompletedCheckout`` (``test_mode_checkout``); the first invoice,
payment ids, refunds and cancellations are made up locally. It imitates no Stripe JSON.
"""

import hashlib
import time

from django.urls import reverse

from payments.gateways.base import Gateway, PaymentProviderError
from payments.gateways.facts import (
    BillingReason,
    CheckoutStarted,
    CompletedCheckout,
    InvoiceState,
    RefundState,
    RefundStatus,
    SubscriptionState,
    SubscriptionStatus,
    from_timestamp,
)

MONTH = 30 * 24 * 60 * 60


def _token(text):
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class TestModeGateway(Gateway):
    name = "test"

    def create_checkout_session(self, params, *, idempotency_key):
        # The key is "checkout-<order public id>-<attempt>": one local session per attempt.
        public_id = idempotency_key.removeprefix("checkout-").rsplit("-", 1)[0]
        return CheckoutStarted(
            session_id=f"cs_test_local_{_token(idempotency_key)}",
            url=reverse("orders:test_mode", kwargs={"public_id": public_id}),
        )

    def expire_checkout_session(self, session_id):
        return None

    def first_invoice(self, checkout):
        """The paid first invoice the test-mode checkout stands for."""
        return InvoiceState(
            invoice_id=checkout.invoice_id,
            subscription_id=checkout.subscription_id,
            order_ids=checkout.order_ids,
            paid=True,
            billing_reason=BillingReason.FIRST,
            amount_cents=checkout.amount_total_cents,
            currency=checkout.currency,
        )

    def payment_ids(self, invoice_id):
        token = _token(invoice_id)
        return f"pi_test_local_{token}", f"ch_test_local_{token}"

    def create_refund(self, *, payment_intent, amount_cents, idempotency_key, metadata):
        return RefundState(
            refund_id=f"re_test_{_token(idempotency_key)}",
            status=RefundStatus.SUCCEEDED,
            amount_cents=amount_cents,
            our_refund_id=int(metadata["refund_id"]),
            payment_intent=payment_intent,
        )

    def cancel_subscription(self, subscription_id, *, idempotency_key):
        return None

    def subscription_state(self, subscription_id):
        """A local subscription: active, its month running from now. Nothing else is kept
        locally: every billing sync sends what the order needs (a no-op here)."""
        return SubscriptionState(
            status=SubscriptionStatus.ACTIVE,
            subscription_id=subscription_id,
            current_period_end=from_timestamp(int(time.time()) + MONTH),
        )

    def set_collection(self, subscription_id, changes, *, idempotency_key):
        return None

    def remove_subscription_items(self, subscription_id, plan_ids, *, idempotency_key):
        return None

    def change_subscription_item(self, subscription_id, change, *, idempotency_key):
        return None

    def _not_here(self, object_id):
        """Stripe's events name Stripe's objects, and test mode has none: an event delivered
        to a test-mode site is acknowledged as naming an object unknown here."""
        raise PaymentProviderError(
            f"Test mode has no Stripe object {object_id}.", code="resource_missing"
        )

    checkout_session = invoice = charge = refund = dispute = fraud_warning = _not_here

    def customer_portal_url(self, customer_id, *, return_url):
        raise PaymentProviderError(
            "Cards and invoices live at Stripe, and this is the local test mode: there are none."
        )


def test_mode_checkout(order, *, shipping):
    """The completed checkout the test-mode "Pay" button stands for; it goes through the
    same handler as a real ``checkout.session.completed`` event. ``shipping``: the address
    in the order's ``ship_*`` field names (``AddressForm.shipping_fields``)."""
    token = order.public_id[:12]
    return CompletedCheckout(
        session_id=order.stripe_checkout_session_id or f"cs_test_local_{token}",
        order_ids=(order.pk,),
        customer_id=f"cus_test_local_{token}",
        subscription_id=f"sub_test_local_{token}",
        invoice_id=f"in_test_local_{token}",
        amount_total_cents=order.total_cents,
        currency=order.currency,
        paid=True,
        shipping=dict(shipping),
    )
