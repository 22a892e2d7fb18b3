"""System checks that keep a misconfigured production site from starting."""

from django.conf import settings
from django.core.checks import Error, register


@register("oana")
def stripe_keys_in_production(app_configs, **kwargs):
    """With DEBUG off there is no test-mode checkout: real Stripe keys are required."""
    if settings.DEBUG:
        return []
    return [
        Error(
            f"{name} is not set. With DEBUG off, checkout needs real Stripe keys.",
            hint=f"Set {name} in the environment (see .env.example).",
            id="oana.E001",
        )
        for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
        if not getattr(settings, name)
    ]
