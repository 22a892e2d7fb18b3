from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared infrastructure every app may import and that imports no app: the page cache,
    rate limits, encrypted model fields, money formatting, US states and the read-only admin
    base. It has no models."""

    name = "core"
    verbose_name = "Core"
