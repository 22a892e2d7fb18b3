"""The schedule's process, `make scheduler`: every few seconds, the periodic tasks that are due
(settings.PERIODIC_TASKS) go on the queue; django-tasks-db's own worker (`make worker`, its
``db_worker`` command) runs them like any other task. Any number may run at once: each run is
enqueued once (oana/scheduler.py)."""

import logging
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections
from django.db.utils import OperationalError
from django.tasks import task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import valid_interval
from django_tasks_db.utils import is_locked_database_exception

from oana.scheduler import enqueue_due

logger = logging.getLogger("oana.scheduler")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


class Stop(Exception):
    """Raised by the signal handler to leave the loop (while it waits, or when told twice)."""


class Scheduler:
    """Looks at the schedule every ``interval`` seconds until SIGTERM, SIGINT or SIGQUIT: one
    that arrives while the due tasks are being enqueued lets that finish (it is one
    transaction either way); a second one, or one while it waits, stops it at once."""

    def __init__(self, interval):
        self.interval = interval
        self.running = True
        self.enqueuing = False

    def stop(self, signum, frame):
        logger.warning("Received %s: the scheduler stops", signal.strsignal(signum))
        stopping_already = not self.running
        self.running = False
        if stopping_already or not self.enqueuing:
            raise Stop

    def enqueue_due(self):
        """Enqueue what is due now; a locked database (SQLite, another writer) waits for the
        next look."""
        close_old_connections()
        self.enqueuing = True
        try:
            enqueued = enqueue_due()
        except OperationalError as error:
            if not is_locked_database_exception(error):
                raise
            logger.warning("The database is locked: the schedule is looked at next time")
            enqueued = []
        finally:
            self.enqueuing = False
        for path in enqueued:
            logger.info("Enqueued periodic task %s", path)

    def run(self):
        """Until stopped; a database error (a dropped connection, a database restarting) is
        logged and the schedule looked at again after the interval: never an exit."""
        try:
            while self.running:
                try:
                    self.enqueue_due()
                except DatabaseError as error:
                    logger.error(
                        "The database failed (%s): the schedule is looked at again in %s s",
                        type(error).__name__,
                        self.interval,
                    )
                    close_old_connections()
                if self.running:
                    time.sleep(self.interval)
        except Stop:
            pass


class Command(BaseCommand):
    help = (
        "Enqueue the periodic tasks of settings.PERIODIC_TASKS when they are due, looking "
        "every --interval seconds; the worker (manage.py run_worker) runs them. "
        "Any number of schedulers may run at once. Needs TASKS_BACKEND's database queue."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=valid_interval,
            default=5.0,
            help="Seconds between two looks at the schedule (default: 5).",
        )
        parser.add_argument(
            "--once", action="store_true", help="Enqueue what is due now, then exit."
        )

    def handle(self, *, interval, once, **options):
        if not isinstance(task_backends["default"], DatabaseBackend):
            raise CommandError(
                "The scheduler fills the database queue, and TASKS_BACKEND is "
                f"{type(task_backends['default']).__name__}: with the immediate backend "
                "(local development) tasks run in the web process and nothing is scheduled."
            )
        scheduler = Scheduler(interval)
        if once:
            scheduler.enqueue_due()
            return
        logger.info("Scheduler started: looking at the schedule every %s s", interval)
        previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
        for signum in STOP_SIGNALS:
            signal.signal(signum, scheduler.stop)
        try:
            scheduler.run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
