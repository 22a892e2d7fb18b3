"""The task worker `make worker` runs: django-tasks-db's worker, plus the schedule."""

import logging
import random
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.tasks import task_backends
from django.utils.crypto import get_random_string
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from oana.scheduler import enqueue_due

logger = logging.getLogger("oana.worker")

# How often (seconds) a busy worker looks at the schedule; an idle one looks every interval.
SCHEDULE_CHECK_SECONDS = 5


class Worker(db_worker.Worker):
    """django-tasks-db's worker (claiming, running and recording tasks, graceful shutdown on
    SIGTERM), whose loop also enqueues the periodic tasks that are due."""

    def run(self):
        logger.info("Worker %s started (queue: %s)", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - workers started together spread out
        next_schedule_check = 0.0
        while self.running:
            close_old_connections()
            if time.monotonic() >= next_schedule_check:
                for path in enqueue_due():
                    logger.info("Enqueued periodic task %s", path)
                next_schedule_check = time.monotonic() + SCHEDULE_CHECK_SECONDS
            task_result = self.claim()
            if task_result is not None:
                self.run_task(task_result)
            elif self.batch:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            close_old_connections()
            if self.running and task_result is None:
                time.sleep(self.interval)

    def claim(self):
        """The next ready task of our queues, marked as ours (no other worker takes it)."""
        ready = DBTaskResult.objects.ready().filter(
            backend_name=self.backend_name, queue_name__in=self.queue_names
        )
        with exclusive_transaction(ready.db):
            task_result = ready.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
        return task_result


class Command(BaseCommand):
    help = (
        "Run queued tasks (emails, refunds, ...) as they arrive, retrying failed ones with "
        "backoff, and enqueue the periodic tasks of settings.PERIODIC_TASKS when due. Any "
        "number of workers may run at once. Needs TASKS_BACKEND's database queue."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=db_worker.valid_interval,
            default=1.0,
            help="Seconds to wait when no task is ready (default: 1).",
        )
        parser.add_argument(
            "--batch", action="store_true", help="Run what is ready (and due), then exit."
        )
        parser.add_argument(
            "--max-tasks",
            type=db_worker.valid_max_tasks,
            default=None,
            help="Exit after running this many tasks.",
        )
        parser.add_argument(
            "--no-startup-delay",
            action="store_false",
            dest="startup_delay",
            help="Start at once (by default a worker waits up to a second, so workers "
            "started together do not all poll at the same instant).",
        )

    def handle(self, *, interval, batch, max_tasks, startup_delay, **options):
        if not isinstance(task_backends["default"], DatabaseBackend):
            raise CommandError(
                "The worker runs the database queue, and TASKS_BACKEND is "
                f"{type(task_backends['default']).__name__}: with the immediate backend "
                "(local development) tasks run in the web process and no worker is needed."
            )
        worker = Worker(
            queue_names=["default"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        handled = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
        previous = {signum: signal.getsignal(signum) for signum in handled}
        worker.configure_signals()  # SIGTERM: finish the task at hand, then stop
        try:
            worker.run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
