"""The project's own tables: the worker's schedule (and, in oana.tasks, its failed tasks)."""

from django.db import models


class ScheduledJob(models.Model):
    """When a periodic task (``settings.PERIODIC_TASKS``) was last put on the queue.

    One row per task path. The worker that enqueues a due task updates its row in the same
    transaction, with the row locked, so two workers never enqueue the same run (see
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
