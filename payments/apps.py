from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Stripe and the local test-mode gateway behind one interface (``gateways``), Stripe's
    events, payments, refunds, subscriptions and reconciliation. Its tables still belong to
    the ``orders`` app label (``orders.models``)."""

    name = "payments"
    verbose_name = "Payments"
