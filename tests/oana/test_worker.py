"""The worker `make worker` runs (oana/worker.py) stays up and loses nothing: it writes a
heartbeat, takes back a task whose worker died mid-task (issue 18 item 6), and waits out
database errors instead of exiting (item 5). The same with real processes, SIGKILL and a
database that vanishes: tests/oana/test_worker_process.py."""

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.db import OperationalError, connection
from django.test import TestCase
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinic.services.review import approve_order
from oana.models import FailedTask, WorkerHeartbeat
from oana.worker import Worker, beat, take_back_abandoned
from orders.emails import send_order_email
from tests.support.clinic import considered, order_to_review
from tests.support.patients import prove_email
from tests.support.staff import staff
from tests.support.tasks import queued, run_worker, take_a_while

pytestmark = [pytest.mark.usefixtures("test_mode", "task_queue"), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def worker_settings(settings):
    settings.TASK_LEASE_SECONDS = 120
    settings.TASK_MAX_ATTEMPTS = 3
    settings.WORKER_HEARTBEAT_SECONDS = 10
    settings.WORKER_RECONNECT_SECONDS = [0.01, 0.02]


def approval_email():
    """Dr. Lee approved an order: the patient's approval email waits on the queue."""
    order = order_to_review()
    prove_email(order.email)  # the email is the approval itself, not "reviewed"
    DBTaskResult.objects.all().delete()
    with TestCase.captureOnCommitCallbacks(execute=True):
        approve_order(
            order,
            by=staff("clinician", "dr-lee"),
            note="Take it with food.",
            considered=considered(order),
            attested=True,
        )
    [row] = queued(send_order_email)
    mail.outbox.clear()
    return row


def claimed_by(row, *workers, minutes_ago):
    """``row`` as the last of ``workers`` left it: running since ``minutes_ago``."""
    DBTaskResult.objects.filter(pk=row.pk).update(
        status="RUNNING",
        worker_ids=list(workers),
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_the_worker_writes_its_heartbeat():
    before = timezone.now()
    assert run_worker() == 0
    [heartbeat] = WorkerHeartbeat.objects.all()
    assert heartbeat.worker_id == "test-worker" and heartbeat.pid > 0
    assert heartbeat.beat_at >= before and heartbeat.started_at >= before
    assert str(heartbeat).startswith("test-worker on ")


def test_a_task_left_running_by_a_killed_worker_runs_again(caplog):
    row = approval_email()
    claimed_by(row, "killed-worker", minutes_ago=3)  # SIGKILL mid-send, 3 minutes ago
    with caplog.at_level(logging.WARNING, logger="oana.worker"):
        assert run_worker() == 1
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"
    assert row.worker_ids == ["killed-worker", "test-worker"]
    [message] = mail.outbox
    assert "Take it with food." in message.body
    assert "abandoned by its worker (1 attempts): back on the queue" in caplog.text


def test_a_long_task_whose_worker_still_beats_is_left_alone():
    row = approval_email()
    claimed_by(row, "busy-worker", minutes_ago=30)
    beat("busy-worker", timezone.now() - timedelta(minutes=31))
    assert run_worker() == 0
    row.refresh_from_db()
    assert row.status == "RUNNING" and mail.outbox == []


def test_a_task_started_within_the_lease_is_left_alone():
    row = approval_email()
    claimed_by(row, "new-worker", minutes_ago=1)  # has not beaten yet: may be starting
    assert take_back_abandoned() == 0
    row.refresh_from_db()
    assert row.status == "RUNNING"


def test_a_task_that_kills_every_worker_is_failed_for_support():
    row = approval_email()
    claimed_by(row, "worker-1", "worker-2", "worker-3", minutes_ago=3)
    assert run_worker() == 0
    assert list(FailedTask.objects.all()) == [row]
    row.refresh_from_db()
    assert row.exception_class_path == "oana.worker.WorkerLost"
    assert "stopped without finishing it (killed, or its machine lost), 3 times" in row.traceback
    assert mail.outbox == []


def test_heartbeats_of_workers_gone_a_day_are_deleted():
    beat("gone-worker", timezone.now())
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - timedelta(days=2))
    beat("live-worker", timezone.now())
    take_back_abandoned()
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["live-worker"]


def failing(times, message="server closed the connection unexpectedly", only=""):
    """A database that fails the next ``times`` queries (containing ``only``), through
    Django's execute_wrapper hook."""
    left = [times]

    def wrapper(execute, sql, params, many, context):
        if left[0] and only in sql:
            left[0] -= 1
            raise OperationalError(message)
        return execute(sql, params, many, context)

    return wrapper


def test_a_database_error_is_waited_out_never_an_exit(caplog):
    row = approval_email()
    with caplog.at_level(logging.ERROR, logger="oana.worker"):
        with connection.execute_wrapper(failing(2)):
            assert run_worker() == 1
        with connection.execute_wrapper(failing(1, message="")):
            assert run_worker() == 0
        with connection.execute_wrapper(failing(1, message="gone", only="LIMIT 1")):
            assert run_worker() == 0  # while claiming
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL" and len(mail.outbox) == 1
    assert caplog.messages == [
        "The database failed (OperationalError: server closed the connection unexpectedly): "
        "the worker tries again in 0.01 s (failure 1 in a row)",
        "The database failed (OperationalError: server closed the connection unexpectedly): "
        "the worker tries again in 0.02 s (failure 2 in a row)",
        "The database failed (OperationalError: ): the worker tries again in 0.01 s "
        "(failure 1 in a row)",
        "The database failed (OperationalError: gone): the worker tries again in 0.01 s "
        "(failure 1 in a row)",
    ]


def test_a_heartbeat_that_cannot_be_written_is_logged_and_the_worker_goes_on(caplog):
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        max_tasks=None,
        worker_id="w",
        excluded_queue_names=[],
    )
    with connection.execute_wrapper(failing(1)):
        worker.try_beat()
    assert "Heartbeat not written (OperationalError): tried again later" in caplog.text
    worker.try_beat()
    assert WorkerHeartbeat.objects.filter(worker_id="w").exists()


@pytest.mark.django_db(transaction=True)
def test_a_long_task_keeps_the_heartbeat_going(settings):
    settings.WORKER_HEARTBEAT_SECONDS = 0.05
    take_a_while.enqueue(0.5)
    before = timezone.now()
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=False,
        backend_name="default",
        max_tasks=1,
        worker_id="long-worker",
        excluded_queue_names=[],
    )
    worker.run()
    [row] = queued(take_a_while)
    assert row.status == "SUCCESSFUL"
    heartbeat = WorkerHeartbeat.objects.get(worker_id="long-worker")
    # Written while the task ran (the loop's own beat came before it started).
    assert heartbeat.beat_at > row.started_at > before


def test_a_locked_database_is_looked_at_again(settings, caplog):
    """SQLite's other writer holds the lock when the worker claims: not an error."""
    row = approval_email()
    with connection.execute_wrapper(failing(1, "database is locked", only="LIMIT 1")):
        assert run_worker() == 0  # nothing claimed at this look: the batch ends
    assert run_worker() == 1
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL" and "database failed" not in caplog.text


def test_the_worker_waits_for_a_task_due_later():
    take_a_while.enqueue(0)
    DBTaskResult.objects.update(run_after=timezone.now() + timedelta(seconds=0.3))
    worker = Worker(
        queue_names=["*"],
        interval=0.05,
        batch=False,
        backend_name="default",
        max_tasks=1,
        worker_id="patient-worker",
    )
    worker.run()  # looked, slept, looked again... ran it, then stopped (max_tasks)
    [row] = queued(take_a_while)
    assert row.status == "SUCCESSFUL"


def test_the_command_runs_the_queue(caplog):
    from django.core.management import call_command

    row = approval_email()
    with caplog.at_level(logging.INFO, logger="oana.worker"):
        call_command("run_worker", "--batch", "--worker-id", "cmd-worker", "--interval", "0")
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL" and row.worker_ids == ["cmd-worker"]
    assert "Worker cmd-worker started: queues default, heartbeat every 10 s, lease 120 s" in (
        caplog.text
    )


def test_the_command_needs_the_database_queue(settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(CommandError, match="TASKS_BACKEND is ImmediateBackend"):
        call_command("run_worker", "--batch")
