"""The queue's worker, `make worker` (``manage.py run_worker``): django-tasks-db's worker, in a
loop of ours that keeps it up.

django-tasks-db's own ``db_worker`` exits on the first database error of its loop (a dropped
connection, a database refusing connections while it restarts), and a task it was running when
it was killed stays "running" for ever. This worker claims and runs tasks with the library's
own pieces (``get_locked``, ``claim``, ``run_task``: its signals, so ``oana.retries`` still
retries failed tasks), and around them:

- **never exits on a database error**: it logs it, closes the broken connection and tries again
  after each wait of WORKER_RECONNECT_SECONDS in turn (the last one repeating), for as long as
  it takes; a task whose end could not be recorded is taken back like an abandoned one;
- **writes a heartbeat** (``WorkerHeartbeat``) every WORKER_HEARTBEAT_SECONDS, between tasks
  and, from a small thread, while one runs; ``/healthz/status`` reads it;
- **takes back abandoned tasks**: a task still "running" although its worker has not beaten for
  TASK_LEASE_SECONDS (killed with SIGKILL, out of memory, its machine lost) goes back on the
  queue and runs again (our tasks are safe to run twice: ``oana.retries``), or, once it has
  had TASK_MAX_ATTEMPTS workers, is failed and listed for Support like any failed task.

SIGTERM (or SIGINT, SIGQUIT) stops it as it stops ``db_worker``: the task at hand finishes.
"""

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker as LibraryWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .models import WorkerHeartbeat

logger = logging.getLogger("oana.worker")

# Heartbeats of workers gone this long are deleted (a worker gets a new id at each start).
HEARTBEAT_RETENTION = timedelta(days=1)


class WorkerLost(Exception):
    """What a task's traceback says when the workers running it kept stopping mid-task."""


def beat(worker_id, started_at):
    """Record that ``worker_id`` is alive, now."""
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"beat_at": timezone.now()},
        create_defaults={
            "beat_at": timezone.now(),
            "started_at": started_at,
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )


def alive_since(moment):
    """The ids of the workers that have beaten since ``moment``."""
    return set(
        WorkerHeartbeat.objects.filter(beat_at__gte=moment).values_list("worker_id", flat=True)
    )


def take_back_abandoned(now=None):
    """Put back on the queue each task left running by a worker that stopped beating
    TASK_LEASE_SECONDS ago (or fail it, after TASK_MAX_ATTEMPTS workers); returns how many.

    Called in a transaction: the rows are locked (PostgreSQL; SQLite lets one writer in), so
    two workers never take back the same task twice."""
    now = now or timezone.now()
    lease_ends = now - timedelta(seconds=settings.TASK_LEASE_SECONDS)
    running = (
        DBTaskResult.objects.select_for_update(skip_locked=True)
        .filter(status=TaskResultStatus.RUNNING, started_at__lt=lease_ends)
        .only("id", "task_path", "worker_ids")
    )
    alive = alive_since(lease_ends)
    taken = 0
    for task in running:
        if task.worker_ids and task.worker_ids[-1] in alive:
            continue  # a long task, whose worker still beats
        attempts = len(task.worker_ids)
        if attempts >= settings.TASK_MAX_ATTEMPTS:
            DBTaskResult.objects.filter(pk=task.pk).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=(
                    f"WorkerLost: the worker running this task stopped without finishing it "
                    f"(killed, or its machine lost), {attempts} times."
                ),
            )
            message = "Task %s (%s) was abandoned by %s workers: failed, listed for Support"
        else:
            DBTaskResult.objects.filter(pk=task.pk).update(
                status=TaskResultStatus.READY, run_after=now, finished_at=None
            )
            message = "Task %s (%s) was abandoned by its worker (%s attempts): back on the queue"
        logger.warning(message, task.id, task.task_path, attempts)
        taken += 1
    WorkerHeartbeat.objects.filter(beat_at__lt=now - HEARTBEAT_RETENTION).delete()
    return taken


class Worker(LibraryWorker):
    """django-tasks-db's worker with our loop (see the module's docstring)."""

    def __init__(self, **options):
        options.setdefault("startup_delay", False)
        options.setdefault("excluded_queue_names", [])
        super().__init__(**options)
        self.started_at = timezone.now()
        self.last_beat = None
        self.failures = 0

    def claim_next(self):
        """The next ready task, claimed for this worker, or None."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
        except DatabaseError as error:
            if not is_locked_database_exception(error):
                raise
            return None  # SQLite's other writer: try again at the next look
        return task_result

    def look_after(self):
        """Every WORKER_HEARTBEAT_SECONDS: the heartbeat, and abandoned tasks taken back."""
        now = time.monotonic()
        if self.last_beat is not None and now - self.last_beat < settings.WORKER_HEARTBEAT_SECONDS:
            return
        beat(self.worker_id, self.started_at)
        with transaction.atomic():
            take_back_abandoned()
        self.last_beat = now

    def step(self):
        """One look at the queue: the task run, or None when nothing was ready."""
        close_old_connections()
        self.look_after()
        task_result = self.claim_next()
        if task_result is not None:
            self.run_task(task_result)
        self.failures = 0
        return task_result

    def reconnect_wait(self, error):
        """After a database error: log it, let the broken connection go, wait."""
        delays = settings.WORKER_RECONNECT_SECONDS
        wait = delays[min(self.failures, len(delays) - 1)]
        self.failures += 1
        logger.error(
            "The database failed (%s: %s): the worker tries again in %s s (failure %s in a row)",
            type(error).__name__,
            str(error).strip().splitlines()[0] if str(error).strip() else "",
            wait,
            self.failures,
        )
        close_old_connections()
        time.sleep(wait)

    def run(self):
        logger.info(
            "Worker %s started: queues %s, heartbeat every %s s, lease %s s",
            self.worker_id,
            ",".join(self.queue_names),
            settings.WORKER_HEARTBEAT_SECONDS,
            settings.TASK_LEASE_SECONDS,
        )
        while self.running:
            try:
                task_result = self.step()
            except DatabaseError as error:
                self.reconnect_wait(error)
                continue
            if self.batch and task_result is None:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and task_result is None:
                time.sleep(self.interval)

    def run_task(self, db_task_result):
        """The library's ``run_task``, with the heartbeat kept from a thread meanwhile (so that
        a long task is never taken for an abandoned one)."""
        done = threading.Event()
        beating = threading.Thread(target=self.beat_until, args=(done,), daemon=True)
        beating.start()
        try:
            super().run_task(db_task_result)
        finally:
            done.set()
            beating.join()

    def beat_until(self, done):
        """In the heartbeat thread, until ``done``; its own connection is closed at the end."""
        try:
            while not done.wait(settings.WORKER_HEARTBEAT_SECONDS):
                self.try_beat()
        finally:
            connection.close()

    def try_beat(self):
        """A heartbeat that may fail (the database is down): the next one will tell."""
        try:
            beat(self.worker_id, self.started_at)
        except DatabaseError as error:
            logger.warning("Heartbeat not written (%s): tried again later", type(error).__name__)
