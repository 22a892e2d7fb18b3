"""Periodic jobs of the project itself, enqueued by the scheduler (``settings.PERIODIC_TASKS``)
and run by the worker."""

from django.conf import settings
from django.core.management import call_command
from django.tasks import task

from . import retention


@task
def prune_retention():
    """``prune_retention``: every retention period of ``oana.retention``."""
    return retention.prune()


@task
def prune_task_results():
    """The queue's finished rows, deleted by django-tasks-db's own command
    (``prune_db_task_results``, every queue): successful ones after TASK_RESULT_RETENTION_DAYS,
    failed ones (listed for staff) after FAILED_TASK_RETENTION_DAYS."""
    call_command(
        "prune_db_task_results",
        queue_name="*",
        min_age_days=settings.TASK_RESULT_RETENTION_DAYS,
        failed_min_age_days=settings.FAILED_TASK_RETENTION_DAYS,
    )
