"""The task queue in tests: what is waiting in it, and the worker that empties it.

Use with the ``task_queue`` fixture (production's database queue instead of the immediate
backend). ``run_worker()`` is the worker `make worker` runs (``oana.worker``, around
django-tasks-db's), in this process, until nothing is ready; ``queued(task)`` lists a task's rows.
"""

import os
import signal
import time

from django.tasks import task
from django_tasks_db.models import DBTaskResult

from oana.worker import Worker


def run_worker():
    """Run every task that is ready, as the production worker does; return how many ran."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    worker.run()
    return worker._run_tasks


def queued(task=None):
    """The queue's rows (of ``task``, a @task function, if given), oldest first."""
    rows = DBTaskResult.objects.order_by("enqueued_at")
    return list(rows.filter(task_path=task.module_path) if task else rows)


@task
def stop_the_worker():
    """A task during which the worker is told to stop (SIGTERM, as a deploy does)."""
    os.kill(os.getpid(), signal.SIGTERM)
    return "finished anyway"


@task
def take_a_while(seconds):
    """A task that runs ``seconds`` (a long Stripe reconciliation)."""
    time.sleep(seconds)
    return seconds
