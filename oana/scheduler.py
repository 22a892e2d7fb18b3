"""The schedule: each task of ``settings.PERIODIC_TASKS`` is enqueued when its interval has
passed since it was last enqueued (by any scheduler: ``manage.py run_scheduler``, `make
scheduler`); django-tasks-db's worker runs it like any other task.

``settings.PERIODIC_TASKS`` is a list of (task path, interval in seconds). Each task has a
row in ``ScheduledJob`` saying when it was last enqueued. ``enqueue_due()`` (which the scheduler
calls every few seconds) reads the rows, and for those that are due takes the rows' locks,
reads them again (another scheduler may have enqueued one meanwhile), enqueues and records it
in one transaction: the queue is a table of the same database, so the task's row and the
schedule's row commit together or not at all. On PostgreSQL the rows are locked (``SELECT ...
FOR UPDATE``, skipping rows another scheduler holds); SQLite lets one writer in at a time
(``transaction_mode`` IMMEDIATE). Either way a run is enqueued once, however many schedulers
ask.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import ScheduledJob


def schedule():
    """{task path: interval} from ``settings.PERIODIC_TASKS``."""
    return {path: timedelta(seconds=seconds) for path, seconds in settings.PERIODIC_TASKS}


def enqueue_due(now=None):
    """Enqueue every periodic task that is due; returns the paths enqueued (by this call)."""
    now = now or timezone.now()
    intervals = schedule()
    if not intervals:
        return []
    known = set(ScheduledJob.objects.filter(task_path__in=intervals).values_list("task_path"))
    missing = [ScheduledJob(task_path=path) for path in intervals if (path,) not in known]
    if missing:
        ScheduledJob.objects.bulk_create(missing, ignore_conflicts=True)
    due = Q()
    for path, interval in intervals.items():
        due |= Q(task_path=path) & (
            Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=now - interval)
        )
    if not ScheduledJob.objects.filter(due).exists():
        return []
    enqueued = []
    with transaction.atomic():
        # Read again with the lock: a row another scheduler is enqueuing is skipped (PostgreSQL
        # re-reads a row it waited for; SQLite's transaction starts with the write lock).
        for job in ScheduledJob.objects.select_for_update(skip_locked=True).filter(due):
            result = import_string(job.task_path).enqueue()
            job.last_enqueued_at = now
            job.last_task_id = str(result.id)
            job.save(update_fields=["last_enqueued_at", "last_task_id"])
            enqueued.append(job.task_path)
    return enqueued
