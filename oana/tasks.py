"""Periodic jobs of the project itself, run by the worker (``settings.PERIODIC_TASKS``)."""

from datetime import timedelta

from django.conf import settings
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from . import retention


@task
def prune_retention():
    """``prune_retention``: every retention period of ``oana.retention``."""
    return retention.prune()


@task
def prune_task_results():
    """Delete the queue's finished rows: successful ones after TASK_RESULT_RETENTION_DAYS,
    failed ones (listed for staff) after FAILED_TASK_RETENTION_DAYS."""
    now = timezone.now()
    successful, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL,
        finished_at__lt=now - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS),
    ).delete()
    failed, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.FAILED,
        finished_at__lt=now - timedelta(days=settings.FAILED_TASK_RETENTION_DAYS),
    ).delete()
    return {"successful deleted": successful, "failed deleted": failed}
