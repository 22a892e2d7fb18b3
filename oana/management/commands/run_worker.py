"""The queue's worker, `make worker`: django-tasks-db's worker kept up by ``oana.worker``
(never exits on a database error, writes a heartbeat, takes back tasks a dead worker left)."""

from django.core.management.base import BaseCommand, CommandError
from django.tasks import task_backends
from django.utils.crypto import get_random_string
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import (
    valid_interval,
    valid_max_tasks,
    validate_worker_id,
)

from oana.worker import Worker


class Command(BaseCommand):
    help = (
        "Run the tasks of the database queue (emails, refunds, the periodic jobs) until "
        "SIGTERM: django-tasks-db's worker, which here survives database errors, writes a "
        "heartbeat and takes back the tasks of workers that died (oana/worker.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue-name",
            default="default",
            help="Queues to run, comma-separated; '*' for all (default: default).",
        )
        parser.add_argument(
            "--interval",
            type=valid_interval,
            default=1.0,
            help="Seconds between two looks at an empty queue (default: 1).",
        )
        parser.add_argument("--batch", action="store_true", help="Run what is ready, then exit.")
        parser.add_argument(
            "--max-tasks", type=valid_max_tasks, default=None, help="Exit after this many tasks."
        )
        parser.add_argument(
            "--worker-id",
            type=validate_worker_id,
            default=None,
            help="This worker's id, unique among workers (default: a random one).",
        )

    def handle(self, *, queue_name, interval, batch, max_tasks, worker_id, **options):
        if not isinstance(task_backends["default"], DatabaseBackend):
            raise CommandError(
                "The worker runs the database queue, and TASKS_BACKEND is "
                f"{type(task_backends['default']).__name__}: with the immediate backend "
                "(local development) tasks run in the web process."
            )
        worker = Worker(
            queue_names=queue_name.split(","),
            interval=interval,
            batch=batch,
            backend_name="default",
            max_tasks=max_tasks,
            worker_id=worker_id or get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()
        try:
            worker.run()
        finally:
            worker.reset_signals()
