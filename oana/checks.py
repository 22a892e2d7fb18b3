"""System checks for the project's own settings."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from .proxies import trusted_networks


@register("oana")
def trusted_proxies_are_addresses(app_configs, **kwargs):
    try:
        trusted_networks(tuple(settings.TRUSTED_PROXIES))
    except ImproperlyConfigured as error:
        return [Error(str(error), hint="See .env.example.", id="oana.E006")]
    return []
