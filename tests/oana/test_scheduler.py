"""The schedule: each periodic task is enqueued once per interval, however many schedulers
ask; `make scheduler`'s command enqueues what is due until it is stopped, and `make worker`
(oana/worker.py) runs it."""

import logging
import os
import signal
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from oana.checks import periodic_tasks_are_tasks
from oana.management.commands import run_scheduler
from oana.models import ScheduledJob
from oana.scheduler import enqueue_due
from oana.tasks import prune_retention
from oana.worker import Worker
from orders.models import WebhookEvent
from tests.support.concurrency import at_once
from tests.support.tasks import queued, run_worker, stop_the_worker

pytestmark = [pytest.mark.usefixtures("task_queue"), pytest.mark.django_db]

HOUR, DAY = 60 * 60, 24 * 60 * 60
SCHEDULE = [("oana.tasks.prune_retention", DAY), ("orders.tasks.follow_up_questions", HOUR)]


def paths():
    return sorted(row.task_path for row in queued())


def test_each_due_task_is_enqueued_once_even_when_asked_twice(settings):
    settings.PERIODIC_TASKS = SCHEDULE
    assert sorted(enqueue_due()) == sorted(path for path, _ in SCHEDULE)
    assert enqueue_due() == []
    assert paths() == sorted(path for path, _ in SCHEDULE)
    job = ScheduledJob.objects.get(task_path="oana.tasks.prune_retention")
    assert job.last_task_id == str(queued(prune_retention)[0].id)
    assert str(job) == "oana.tasks.prune_retention"


def test_a_task_is_due_again_when_its_interval_has_passed(settings):
    settings.PERIODIC_TASKS = SCHEDULE
    start = timezone.now()
    enqueue_due(start)
    assert enqueue_due(start + timedelta(seconds=HOUR - 1)) == []
    assert enqueue_due(start + timedelta(seconds=HOUR)) == ["orders.tasks.follow_up_questions"]
    assert enqueue_due(start + timedelta(seconds=HOUR + 1)) == []
    assert sorted(enqueue_due(start + timedelta(seconds=DAY))) == sorted(
        path for path, _ in SCHEDULE
    )
    assert len(queued()) == 5


def test_an_empty_schedule_enqueues_nothing(settings):
    settings.PERIODIC_TASKS = []
    assert enqueue_due() == []
    assert queued() == [] and not ScheduledJob.objects.exists()


def test_a_task_added_to_the_schedule_runs_at_once_and_a_removed_one_no_more(settings):
    settings.PERIODIC_TASKS = SCHEDULE[:1]
    start = timezone.now()
    enqueue_due(start)
    settings.PERIODIC_TASKS = SCHEDULE[1:]
    assert enqueue_due(start + timedelta(seconds=DAY)) == ["orders.tasks.follow_up_questions"]
    assert paths() == sorted(path for path, _ in SCHEDULE)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_asking_at_the_same_moment_enqueue_each_task_once(settings):
    settings.PERIODIC_TASKS = SCHEDULE
    enqueue_due()  # the rows exist: the race is over who enqueues
    for day in range(2, 7):
        now = timezone.now() + timedelta(days=day)
        outcomes = at_once([lambda now=now: enqueue_due(now)] * 2)
        assert [error for _, error in outcomes] == [None, None]
        assert sorted(sum((result for result, _ in outcomes), [])) == sorted(
            path for path, _ in SCHEDULE
        )
    assert len(queued()) == 2 + 5 * 2


def test_the_scheduler_enqueues_what_is_due_and_the_worker_runs_it(settings, caplog):
    settings.PERIODIC_TASKS = [("oana.tasks.prune_retention", DAY)]
    WebhookEvent.objects.create(stripe_event_id="evt_old", type="x", payload={"name": "Jane"})
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(days=400))
    with caplog.at_level(logging.INFO, logger="oana.scheduler"):
        call_command("run_scheduler", "--once")
    assert "Enqueued periodic task oana.tasks.prune_retention" in caplog.text
    assert run_worker() == 1
    [row] = queued()
    assert row.task_path == "oana.tasks.prune_retention"
    assert row.status == "SUCCESSFUL"
    assert row.return_value["webhook payloads blanked"] == 1
    assert WebhookEvent.objects.get().payload == {}
    call_command("run_scheduler", "--once")
    assert len(queued()) == 1  # not due again for a day


def stop_signals():
    return {signum: signal.getsignal(signum) for signum in run_scheduler.STOP_SIGNALS}


def test_the_scheduler_looks_until_sigterm_then_gives_back_the_signals(settings):
    settings.PERIODIC_TASKS = SCHEDULE
    before = stop_signals()
    sigterm = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    sigterm.start()
    try:
        call_command("run_scheduler", "--interval", "0.05")  # returns: SIGTERM was handled
    finally:
        sigterm.cancel()
    assert paths() == sorted(path for path, _ in SCHEDULE)  # looked ten times, enqueued once
    assert stop_signals() == before


def enqueue_due_then(monkeypatch, *signals):
    """The scheduler's enqueue_due, told to stop (``signals``) while it enqueues."""

    def enqueue_due_told_to_stop(now=None):
        for signum in signals:
            os.kill(os.getpid(), signum)
        return enqueue_due(now)

    monkeypatch.setattr(run_scheduler, "enqueue_due", enqueue_due_told_to_stop)


def test_told_to_stop_while_enqueuing_the_scheduler_finishes_then_exits(settings, monkeypatch):
    settings.PERIODIC_TASKS = SCHEDULE
    enqueue_due_then(monkeypatch, signal.SIGTERM)
    call_command("run_scheduler", "--interval", "600")  # returns without waiting 10 minutes
    assert paths() == sorted(path for path, _ in SCHEDULE)


def test_told_twice_the_scheduler_stops_at_once(settings, monkeypatch):
    settings.PERIODIC_TASKS = SCHEDULE
    enqueue_due_then(monkeypatch, signal.SIGINT, signal.SIGINT)
    call_command("run_scheduler", "--interval", "600")
    assert paths() == []  # stopped before enqueuing anything


def test_a_locked_database_waits_for_the_next_look(settings, monkeypatch, caplog):
    def locked(now=None):
        raise OperationalError("database is locked")

    monkeypatch.setattr(run_scheduler, "enqueue_due", locked)
    call_command("run_scheduler", "--once")
    assert "The database is locked" in caplog.text

    def gone(now=None):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(run_scheduler, "enqueue_due", gone)
    with pytest.raises(OperationalError, match="server closed"):
        call_command("run_scheduler", "--once")


def test_a_stopped_worker_finishes_the_task_at_hand_then_exits():
    stop_the_worker.enqueue()
    stop_the_worker.enqueue()
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=False,
        backend_name="default",
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    before = stop_signals()
    worker.configure_signals()  # as run_worker does
    try:
        worker.run()  # returns: SIGTERM was handled
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
    first, second = queued()
    assert first.status == "SUCCESSFUL" and first.return_value == "finished anyway"
    assert second.status == "READY"  # left for the next worker


def test_the_scheduler_refuses_the_immediate_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(CommandError, match="ImmediateBackend"):
        call_command("run_scheduler", "--once")


def test_the_schedule_is_checked_at_startup(settings):
    settings.PERIODIC_TASKS = SCHEDULE
    assert periodic_tasks_are_tasks(None) == []
    settings.PERIODIC_TASKS = [
        ("oana.tasks.prune_retention", 0),
        ("oana.tasks.no_such_task", 60),
        ("oana.retention.prune", 60),
    ]
    errors = periodic_tasks_are_tasks(None)
    assert [error.id for error in errors] == ["oana.E007"] * 3


def test_the_periodic_tasks_do_their_jobs(settings, fake_stripe):
    from oana.tasks import prune_task_results
    from orders.tasks import follow_up_questions, reconcile_with_stripe

    assert reconcile_with_stripe.call() == {"differences": []}
    settings.STRIPE_TEST_MODE = True
    assert reconcile_with_stripe.call() == {"skipped": "no Stripe keys (local test mode)"}
    assert follow_up_questions.call() == {
        "reminded": [],
        "declined": [],
        "renewals": [],
        "holds": [],
        "waits_reminded": [],
        "held_for_labs": [],
    }
    now = timezone.now()
    old = now - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS + 1)
    very_old = now - timedelta(days=settings.FAILED_TASK_RETENTION_DAYS + 1)
    for status, finished_at in [
        ("SUCCESSFUL", old),  # deleted
        ("SUCCESSFUL", now),
        ("FAILED", old),  # still listed for staff
        ("FAILED", very_old),  # deleted
        ("READY", None),
    ]:
        stop_the_worker.enqueue()
        DBTaskResult.objects.filter(status="READY").update(status=status, finished_at=finished_at)
    prune_task_results.call()  # django-tasks-db's prune_db_task_results
    assert sorted((row.status, row.finished_at) for row in queued() if row.finished_at) == [
        ("FAILED", old),
        ("SUCCESSFUL", now),
    ]
    assert len(queued()) == 3


def test_a_database_error_does_not_stop_the_scheduler(settings, monkeypatch, caplog):
    """Issue 18 item 5: a dropped connection ended the schedule until someone noticed."""
    settings.PERIODIC_TASKS = SCHEDULE
    looks = []

    def gone_once_then_back(now=None):
        looks.append(now)
        if len(looks) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        os.kill(os.getpid(), signal.SIGTERM)  # stop after this look
        return enqueue_due(now)

    monkeypatch.setattr(run_scheduler, "enqueue_due", gone_once_then_back)
    call_command("run_scheduler", "--interval", "0.01")
    assert len(looks) == 2
    assert "The database failed (OperationalError)" in caplog.text
    assert paths() == sorted(path for path, _ in SCHEDULE)
