"""Payment gateways: one two-way interface, two implementations.

- ``payments.gateways.stripe``: the Stripe adapter, the only module that imports ``stripe``
  or reads Stripe's JSON and status strings;
- ``payments.gateways.test_mode``: local development without Stripe keys, implementing the
  same interface with no Stripe JSON at all;
- ``payments.gateways.facts``: the neutral frozen dataclasses both return and the services
  receive (``CompletedCheckout``, ``InvoiceState``, ``PaidInvoice``, ``SubscriptionState``,
  ``RefundState``, ...);
- ``payments.gateways.base``: the failures and the checkout request both share.

``get_gateway()`` picks one from the settings. Views and services never import ``stripe``.
"""

from django.conf import settings

from payments.gateways.base import (
    PROVIDER_DOWN,
    Gateway,
    PaymentOutcomeUnknown,
    PaymentProviderError,
    PaymentProviderUnreachable,
    absolute_url,
    params_digest,
)
from payments.gateways.stripe import StripeGateway
from payments.gateways.test_mode import TestModeGateway, test_mode_checkout


def get_gateway():
    """The gateway the settings call for, or None when payments are not configured."""
    if settings.STRIPE_TEST_MODE:
        return TestModeGateway()
    if settings.STRIPE_SECRET_KEY:
        return StripeGateway()
    return None


def gateway_for(order):
    """Orders paid in local test mode are handled by the test gateway, others by Stripe."""
    return TestModeGateway() if order.is_test_mode else get_gateway()


__all__ = [
    "PROVIDER_DOWN",
    "Gateway",
    "PaymentOutcomeUnknown",
    "PaymentProviderError",
    "PaymentProviderUnreachable",
    "StripeGateway",
    "TestModeGateway",
    "absolute_url",
    "gateway_for",
    "get_gateway",
    "params_digest",
    "test_mode_checkout",
]
