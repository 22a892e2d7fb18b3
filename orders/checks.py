"""System checks that keep a misconfigured production site from starting."""

from django.conf import settings
from django.core.checks import Error, Warning, register


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


@register("oana")
def health_data_keys(app_configs, **kwargs):
    """Health data is encrypted with FIELD_ENCRYPTION_KEYS: real ones, or nothing starts."""
    from cryptography.fernet import Fernet

    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        return [
            Error(
                "FIELD_ENCRYPTION_KEYS is not set: questionnaire answers and clinicians' notes "
                "cannot be encrypted or read.",
                hint="Set FIELD_ENCRYPTION_KEYS in the environment (see .env.example and "
                "docs/security.md). Keep the keys with the backups, but apart from them.",
                id="oana.E002",
            )
        ]
    errors = []
    decryption_only = settings.FIELD_DECRYPTION_ONLY_KEYS
    for name, ring in (
        ("FIELD_ENCRYPTION_KEYS", keys),
        ("FIELD_DECRYPTION_ONLY_KEYS", decryption_only),
    ):
        for position, key in enumerate(ring, start=1):
            try:
                Fernet(key)
            except (ValueError, TypeError):
                errors.append(
                    Error(
                        f"{name}: key number {position} is not a Fernet key.",
                        hint="Make one with: python -c 'from cryptography.fernet import Fernet; "
                        "print(Fernet.generate_key().decode())'",
                        id="oana.E003",
                    )
                )
    if not settings.DEBUG and settings.DEVELOPMENT_FIELD_ENCRYPTION_KEY in [
        *keys,
        *decryption_only,
    ]:
        errors.append(
            Error(
                "FIELD_ENCRYPTION_KEYS contains the development key, which is public.",
                hint="Use keys of your own in production (docs/security.md: rotating the key).",
                id="oana.E004",
            )
        )
    return errors


@register("oana")
def rate_limits_are_rates(app_configs, **kwargs):
    from core.ratelimit import Rate

    errors = []
    for scope, text in settings.RATE_LIMITS.items():
        try:
            Rate.parse(text)
        except ValueError as error:
            errors.append(
                Error(f"RATE_LIMITS[{scope!r}]: {error}.", hint="See .env.example.", id="oana.E005")
            )
    return errors


@register("oana", deploy=True)
def rate_limits_are_shared(app_configs, **kwargs):
    """Counted per process, a limit multiplies by the number of processes and hosts; and a
    change saved in one process would retire the cached public pages of that process only."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [
            Warning(
                "The default cache is not shared between processes: rate limits would be "
                "counted per process (and the dummy cache counts nothing), and a price saved "
                "in one process would leave the other processes' cached pages stale.",
                hint="Set CACHE_URL=redis://host:6379/1 (docs/security.md).",
                id="oana.W001",
            )
        ]
    return []
