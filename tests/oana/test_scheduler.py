"""The worker's schedule: each periodic task is enqueued once per interval, however many
workers ask, and `make worker`'s command runs the queue and the schedule."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from oana.checks import periodic_tasks_are_tasks
from oana.management.commands import run_worker
from oana.models import ScheduledJob
from oana.scheduler import enqueue_due
from oana.tasks import prune_retention
from orders.models import WebhookEvent
from tests.orders.concurrency import at_once
from tests.tasks import queued, stop_the_worker, waits

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


def test_a_task_added_to_the_schedule_runs_at_once_and_a_removed_one_no_more(settings):
    settings.PERIODIC_TASKS = SCHEDULE[:1]
    start = timezone.now()
    enqueue_due(start)
    settings.PERIODIC_TASKS = SCHEDULE[1:]
    assert enqueue_due(start + timedelta(seconds=DAY)) == ["orders.tasks.follow_up_questions"]
    assert paths() == sorted(path for path, _ in SCHEDULE)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_asking_at_the_same_moment_enqueue_each_task_once(settings):
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


def test_the_worker_command_runs_what_is_due_and_what_is_queued(settings):
    settings.PERIODIC_TASKS = [("oana.tasks.prune_retention", DAY)]
    WebhookEvent.objects.create(stripe_event_id="evt_old", type="x", payload={"name": "Jane"})
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(days=400))
    call_command("run_worker", "--batch")  # with the startup delay of production
    [row] = queued()
    assert row.task_path == "oana.tasks.prune_retention"
    assert row.status == "SUCCESSFUL"
    assert row.return_value["webhook payloads blanked"] == 1
    assert WebhookEvent.objects.get().payload == {}
    call_command("run_worker", "--batch", "--no-startup-delay")
    assert len(queued()) == 1  # not due again for a day


def test_the_worker_waits_for_a_task_whose_time_has_not_come(monkeypatch):
    monkeypatch.setattr(run_worker, "SCHEDULE_CHECK_SECONDS", 0)
    later = timezone.now() + timedelta(seconds=0.3)
    waits.using(run_after=later).enqueue()
    call_command("run_worker", "--max-tasks", "1", "--interval", "0.05", "--no-startup-delay")
    [row] = queued()
    assert row.status == "SUCCESSFUL" and row.started_at >= later


def test_a_stopped_worker_finishes_the_task_at_hand_then_exits():
    stop_the_worker.enqueue()
    stop_the_worker.enqueue()
    call_command("run_worker", "--no-startup-delay")  # returns: SIGTERM was handled
    first, second = queued()
    assert first.status == "SUCCESSFUL" and first.return_value == "finished anyway"
    assert second.status == "READY"  # left for the next worker


def test_the_worker_refuses_the_immediate_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(CommandError, match="ImmediateBackend"):
        call_command("run_worker", "--batch")


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
    assert follow_up_questions.call() == {"reminded": [], "declined": []}
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
