"""What both payment gateways share: the two kinds of failure and the checkout request.

Two kinds of failure, because they call for opposite retries:

- ``PaymentProviderError``: Stripe answered with an error. Nothing happened, and Stripe
  saved that answer under the idempotency key (a 5xx included), so a retry needs a *new*
  key;
- ``PaymentProviderUnreachable`` (a subclass): no answer at all (network error, timeout).
  The outcome is unknown, so a retry must reuse the *same* key: Stripe then returns what
  it did, if it did anything.
"""

import hashlib
import json

from django.conf import settings

PROVIDER_DOWN = (
    "We could not reach our payment provider, so nothing was charged. "
    "Your cart and answers are saved: please try again in a moment."
)


class PaymentProviderError(Exception):
    """Stripe answered with an error; the message is fit for a patient or staff member."""

    def __init__(self, message=PROVIDER_DOWN, *, code=""):
        super().__init__(message)
        self.message = message
        self.code = code


class PaymentProviderUnreachable(PaymentProviderError):
    """Stripe did not answer (network error or timeout): what it did is unknown."""


def absolute_url(path):
    return f"{settings.SITE_URL}{path}"


def params_digest(params):
    """A short fingerprint of what we ask for: a changed request needs a new attempt key."""
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


class Gateway:
    """What checkout, the webhook handlers, the tasks and the admin ask of a provider.

    Commands: ``create_checkout_session`` (a ``CheckoutStarted``), ``expire_checkout_session``,
    ``create_refund`` (a ``RefundState``), ``cancel_subscription``, ``set_collection``,
    ``remove_subscription_items``, ``change_subscription_item`` (an ``ItemChange``),
    ``customer_portal_url``. Facts, as the dataclasses of
    ``payments.gateways.facts``: ``first_invoice`` (of a ``CompletedCheckout``),
    ``payment_ids`` (the payment intent and charge of an invoice) and
    ``subscription_state``. Only Stripe sends events, so the facts an event names
    (``checkout_session``, ``invoice``, ``charge``, ``refund``, ``refunds_of_charge``,
    ``dispute``, ``fraud_warning``) and ``recent`` are the Stripe adapter's alone.

    ``checkout_params`` is the request both send (in Stripe's words; the test-mode gateway
    only fingerprints it, so that a changed cart makes a new attempt).
    """

    name = ""

    def checkout_params(self, order, *, success_url, cancel_url):
        """What the Checkout Session asks for: every amount from the order's lines."""
        metadata = {"order_id": str(order.pk), "order_reference": order.reference}
        return {
            "mode": "subscription",
            # Cards only: a delayed method (ACH...) would leave the order unpaid while the
            # subscription charges.
            "payment_method_types": ["card"],
            "line_items": [
                {
                    "price_data": {
                        "currency": line.currency,
                        "unit_amount": line.unit_amount_cents,
                        "recurring": {"interval": line.interval},
                        # The plan (one line per plan in an order) is named in its product,
                        # so that a clinician's decline of the line finds its subscription
                        # item later. Not the line's id: a new checkout attempt remakes the
                        # lines, and the same order must send the same parameters.
                        "product_data": {
                            "name": f"{line.treatment_name} ({line.plan_name})",
                            "metadata": {"plan": str(line.plan_id)},
                        },
                    },
                    "quantity": line.quantity,
                }
                for line in order.lines.all()
            ],
            "client_reference_id": str(order.pk),
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
            **customer_of(order),
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


def customer_of(order):
    """Her one Stripe customer, once her account has one; else Checkout makes one for the
    email (and her account adopts it when she signs in)."""
    account = getattr(order.patient, "patient_account", None) if order.patient_id else None
    if account is not None and account.stripe_customer_id:
        return {"customer": account.stripe_customer_id}
    return {"customer_email": order.email}
