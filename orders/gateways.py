"""Payment gateways: one small interface, two implementations.

``StripeGateway`` talks to Stripe through the official library (hosted Checkout in
subscription mode, the Customer Portal, refunds, cancellations). ``TestModeGateway`` is
for local development without Stripe keys: checkout goes to a page of this site marked
TEST MODE whose buttons call the same service functions the Stripe webhook calls.

``get_gateway()`` picks one from the settings. Views and services never import ``stripe``
for API calls themselves.
"""

import hashlib
import json
import logging

from django.conf import settings
from django.urls import reverse

logger = logging.getLogger(__name__)

PROVIDER_DOWN = (
    "We could not reach our payment provider, so nothing was charged. "
    "Your cart and answers are saved: please try again in a moment."
)


class PaymentProviderError(Exception):
    """The payment provider failed or did not answer; the message is fit for a patient."""

    def __init__(self, message=PROVIDER_DOWN):
        super().__init__(message)
        self.message = message


class Gateway:
    """What checkout and the admin need from a payment provider."""

    name = ""
    has_customer_portal = False

    def start_checkout(self, order, *, success_url, cancel_url):
        """Return the URL to send the patient to for paying ``order``."""
        raise NotImplementedError

    def customer_portal_url(self, order, *, return_url):
        """Return a URL where the patient manages her subscription."""
        raise NotImplementedError

    def refund(self, payment, *, amount_cents, idempotency_key):
        """Refund ``amount_cents`` of ``payment``; returns (refund id, status)."""
        raise NotImplementedError

    def cancel_subscription(self, order, *, idempotency_key):
        """Cancel the order's subscription at once (no further charges)."""
        raise NotImplementedError


def absolute_url(path):
    return f"{settings.SITE_URL}{path}"


class StripeGateway(Gateway):
    name = "stripe"
    has_customer_portal = True

    def __init__(self):
        import stripe

        self._stripe = stripe
        options = {
            "max_network_retries": 0,
            "http_client": stripe.new_default_http_client(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        }
        if settings.STRIPE_API_BASE:
            options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
        self.client = stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)

    def checkout_params(self, order, *, success_url, cancel_url):
        """The Checkout Session we ask Stripe for: every amount from the order's lines."""
        metadata = {"order_id": str(order.pk), "order_reference": order.reference}
        return {
            "mode": "subscription",
            "line_items": [
                {
                    "price_data": {
                        "currency": line.currency,
                        "unit_amount": line.unit_amount_cents,
                        "recurring": {"interval": line.interval},
                        "product_data": {"name": f"{line.treatment_name} ({line.plan_name})"},
                    },
                    "quantity": line.quantity,
                }
                for line in order.lines.all()
            ],
            "client_reference_id": str(order.pk),
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
            "customer_email": order.email,
            "shipping_address_collection": {"allowed_countries": ["US"]},
            "custom_text": {
                "shipping_address": {"message": "Free shipping: every monthly refill ships free."},
                "submit": {
                    "message": "Free shipping. A licensed clinician reviews your order before "
                    "anything ships; if it is not approved you are refunded in full."
                },
            },
            "success_url": success_url,
            "cancel_url": cancel_url,
        }

    def start_checkout(self, order, *, success_url, cancel_url):
        params = self.checkout_params(order, success_url=success_url, cancel_url=cancel_url)
        # Same order, same request: same key, so a retry after a timeout gets the session
        # Stripe may already have made instead of a second one. A changed cart or email
        # changes the key (Stripe refuses a reused key with different parameters).
        digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
        try:
            session = self.client.v1.checkout.sessions.create(
                params=params,
                options={"idempotency_key": f"checkout-{order.public_id}-{digest}"},
            )
        except self._stripe.StripeError as error:
            logger.error("Stripe Checkout Session for order %s failed: %r", order.pk, error)
            raise PaymentProviderError() from error
        from .models import Order

        Order.objects.filter(pk=order.pk).update(stripe_checkout_session_id=session.id)
        order.stripe_checkout_session_id = session.id
        return session.url

    def customer_portal_url(self, order, *, return_url):
        try:
            portal = self.client.v1.billing_portal.sessions.create(
                params={"customer": order.stripe_customer_id, "return_url": return_url}
            )
        except self._stripe.StripeError as error:
            logger.error("Stripe portal session for order %s failed: %r", order.pk, error)
            raise PaymentProviderError(
                "We could not reach our payment provider. Please try again in a moment."
            ) from error
        return portal.url

    def refund(self, payment, *, amount_cents, idempotency_key):
        params = {"amount": amount_cents, "metadata": {"order_id": str(payment.order_id)}}
        if payment.stripe_payment_intent_id:
            params["payment_intent"] = payment.stripe_payment_intent_id
        else:
            params["charge"] = payment.stripe_charge_id
        try:
            refund = self.client.v1.refunds.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except self._stripe.StripeError as error:
            logger.error("Stripe refund for payment %s failed: %r", payment.pk, error)
            raise PaymentProviderError(
                "Stripe did not accept the refund, so nothing was refunded. Please try again."
            ) from error
        return refund.id, refund.status

    def cancel_subscription(self, order, *, idempotency_key):
        try:
            self.client.v1.subscriptions.cancel(
                order.stripe_subscription_id, options={"idempotency_key": idempotency_key}
            )
        except self._stripe.StripeError as error:
            logger.error("Stripe cancel for order %s failed: %r", order.pk, error)
            raise PaymentProviderError(
                "Stripe did not cancel the subscription. Please try again."
            ) from error


class TestModeGateway(Gateway):
    """Local development only (DEBUG on, no Stripe key): nothing leaves this machine."""

    name = "test"
    has_customer_portal = False

    def start_checkout(self, order, *, success_url, cancel_url):
        return reverse("orders:test_mode", kwargs={"public_id": order.public_id})

    def refund(self, payment, *, amount_cents, idempotency_key):
        return f"re_test_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]}", "succeeded"

    def cancel_subscription(self, order, *, idempotency_key):
        return None


def get_gateway():
    """The gateway the settings call for, or None when payments are not configured."""
    if settings.STRIPE_TEST_MODE:
        return TestModeGateway()
    if settings.STRIPE_SECRET_KEY:
        return StripeGateway()
    return None


def test_mode_session(order, *, address):
    """A completed Checkout Session as Stripe would send it, for the test-mode "Pay" button.

    It goes through the same handler as a real ``checkout.session.completed`` event.
    """
    token = order.public_id[:12]
    return {
        "id": f"cs_test_local_{token}",
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "payment_status": "paid",
        "client_reference_id": str(order.pk),
        "metadata": {"order_id": str(order.pk), "order_reference": order.reference},
        "customer": f"cus_test_local_{token}",
        "subscription": f"sub_test_local_{token}",
        "invoice": f"in_test_local_{token}",
        "amount_total": order.total_cents,
        "currency": order.currency,
        "collected_information": {
            "shipping_details": {
                "name": address.get("name", ""),
                "address": {
                    "line1": address.get("line1", ""),
                    "line2": address.get("line2", ""),
                    "city": address.get("city", ""),
                    "state": address.get("state", ""),
                    "postal_code": address.get("postal_code", ""),
                    "country": "US",
                },
            }
        },
    }
