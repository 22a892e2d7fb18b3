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


@register("oana")
def periodic_tasks_are_tasks(app_configs, **kwargs):
    """Each entry of PERIODIC_TASKS names a task (a @task function) and a positive interval."""
    from django.tasks import Task
    from django.utils.module_loading import import_string

    errors = []
    for path, seconds in settings.PERIODIC_TASKS:
        try:
            is_task = isinstance(import_string(path), Task)
        except ImportError:
            is_task = False
        if not is_task or not seconds > 0:
            errors.append(
                Error(
                    f"PERIODIC_TASKS: {path!r} every {seconds!r} seconds is not a task "
                    "(a function decorated with @task) with a positive interval.",
                    hint="See oana/settings.py and docs/operations.md, Background work.",
                    id="oana.E007",
                )
            )
    return errors
