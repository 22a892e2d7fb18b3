"""The project's own tables: the worker's schedule, and the queue's failed tasks as staff
see them."""

from django.db import models
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult


class ScheduledJob(models.Model):
    """When a periodic task (``settings.PERIODIC_TASKS``) was last put on the queue.

    One row per task path. The scheduler that enqueues a due task updates its row in the same
    transaction, with the row locked, so two schedulers never enqueue the same run (see
    ``oana.scheduler``).
    """

    task_path = models.CharField(max_length=200, unique=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_task_id = models.CharField(
        max_length=64, blank=True, help_text="The queue's id of the last run enqueued."
    )

    class Meta:
        ordering = ["task_path"]

    def __str__(self):
        return self.task_path


class FailedTaskManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(status=TaskResultStatus.FAILED)


class FailedTask(DBTaskResult):
    """A task of the queue that failed its last attempt (``oana.retries``): the admin's
    "Failed tasks", for superusers and Support, who may retry it."""

    objects = FailedTaskManager()

    class Meta:
        proxy = True
        ordering = ["-finished_at"]
        verbose_name = "failed task"
        permissions = [("retry_failedtask", "Can retry a failed task")]


class WorkerHeartbeat(models.Model):
    """A worker (`make worker`, ``oana.worker``) that is alive: it writes its row every
    WORKER_HEARTBEAT_SECONDS, between tasks and while one runs. ``/healthz/status`` says the
    worker is down when no row is recent; a task left running by a worker whose row has gone
    quiet for TASK_LEASE_SECONDS is taken back (``oana.worker.take_back_abandoned``)."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-beat_at"]

    def __str__(self):
        return f"{self.worker_id} on {self.host} (pid {self.pid})"
