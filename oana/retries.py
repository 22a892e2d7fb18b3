"""Retries of the queue's failed tasks: automatic with backoff, then by staff.

django-tasks-db marks a task that raised as failed and never runs it again. Here, when the
worker (`make worker`) reports a failed task (Django's ``task_finished`` signal), the row goes
back on the queue to run after the next delay of TASK_RETRY_DELAYS (30 s, 2 min, 10 min, 1 h,
6 h: an SMTP server or Stripe down for hours loses nothing), until it has been tried
TASK_MAX_ATTEMPTS times (one more than there are delays; its attempts are the workers that
claimed it). Then it stays failed, with its traceback, is counted on the admin's index and
listed in the admin (Oana > Failed tasks) for superusers and Support, whose *Retry* gives it
one more attempt at once.

Every task must therefore be safe to run again (ours are: a Stripe command reuses its intent
row's key, and after an unknown outcome reads Stripe before a new attempt; an email is sent
only by an attempt that did not raise before sending). The immediate
backend (local development) runs a task once, in the request: nothing is retried there.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.dispatch import receiver
from django.tasks import TaskResultStatus, task_backends
from django.tasks.signals import task_finished
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)


def backoff(attempts):
    """How long to wait after the ``attempts``-th failed attempt: that delay of
    TASK_RETRY_DELAYS, the last one again once they are used up."""
    delays = settings.TASK_RETRY_DELAYS
    return timedelta(seconds=delays[min(attempts, len(delays)) - 1])


@receiver(task_finished, dispatch_uid="oana.retries.retry_later")
def retry_later(sender, task_result, **kwargs):
    """A task of the database queue that failed runs again later, while it has attempts left.

    (The worker sends this signal inside its own error handling, with the backend or its class
    as ``sender``: nothing here may raise, or a task that succeeded would be marked failed.)
    """
    if task_result.status != TaskResultStatus.FAILED:
        return
    if not isinstance(task_backends[task_result.backend], DatabaseBackend):
        return
    attempts = task_result.attempts
    if attempts >= settings.TASK_MAX_ATTEMPTS:
        logger.error(
            "Task %s (%s) failed %s times: listed under Failed tasks in the admin",
            task_result.id,
            task_result.task.module_path,
            attempts,
        )
        return
    DBTaskResult.objects.filter(pk=task_result.id, status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY,
        run_after=timezone.now() + backoff(attempts),
        finished_at=None,
    )


def retry_now(queryset):
    """Put the failed tasks of ``queryset`` back on the queue, to run at once (one more
    attempt each). Returns how many."""
    return queryset.filter(status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY, run_after=timezone.now(), finished_at=None
    )
