"""`make worker` and `make scheduler` for real: production starts (no .env, DEBUG off, the
deployment checks), then django-tasks-db's worker runs what the site enqueued and what the
scheduler enqueued, and both stop on SIGTERM. A worker killed outright and started again
still runs what was queued; several schedulers at once enqueue each periodic task once."""

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.oana.test_production_start import BASE_DIR, BIN, environment, free_port, start, stop
from tests.oana.test_site import PRODUCTION_ENV

PERIODIC_TASKS = [
    "oana.tasks.prune_retention",
    "oana.tasks.prune_task_results",
    "orders.tasks.checkins",
    "orders.tasks.follow_up_questions",
    "orders.tasks.reconcile_with_stripe",
]


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def rows(database):
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT task_path, status FROM django_tasks_database_dbtaskresult "
            "ORDER BY task_path, status"
        ).fetchall()


def wait_for(expected, database, seconds=60):
    deadline = time.monotonic() + seconds
    while rows(database) != expected and time.monotonic() < deadline:
        time.sleep(0.3)
    return rows(database)


def production_env(tmp_path):
    return environment(
        tmp_path,
        **PRODUCTION_ENV,
        # Stripe is asked by the hourly reconciliation: here, a local port where nothing
        # listens (the task fails and waits for its retry), never Stripe itself.
        STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}",
    )


def enqueue_prune_retention(env, times=1):
    code = f"from oana.tasks import prune_retention as t\nfor _ in range({times}): t.enqueue()"
    enqueued = manage("shell", "-c", code, env=env)
    assert enqueued.returncode == 0, enqueued.stderr


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A production database, migrated once for the module, with prune_retention enqueued
    (as the site would)."""
    directory = tmp_path_factory.mktemp("migrated")
    env = production_env(directory)
    assert manage("migrate", "--noinput", env=env).returncode == 0
    enqueue_prune_retention(env)
    return directory / "db.sqlite3"


@pytest.fixture
def production(tmp_path, migrated):
    """This test's environment and its copy of the migrated database."""
    database = tmp_path / "db.sqlite3"
    with sqlite3.connect(migrated) as source, sqlite3.connect(database) as copy:
        source.backup(copy)
    return production_env(tmp_path), database


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_worker_and_make_scheduler_run_the_queue_and_the_schedule_then_stop(production):
    env, database = production
    assert rows(database) == [("oana.tasks.prune_retention", "READY")]

    venv = BIN.parent
    make = ["make", "--no-print-directory", f"VENV={venv}", "-o", f"{venv}/.installed"]
    # What the site enqueued runs, and so does the schedule: each periodic task once; Stripe
    # cannot be reached, so the reconciliation failed its first attempt and waits to retry.
    expected = [
        ("oana.tasks.prune_retention", "SUCCESSFUL"),
        ("oana.tasks.prune_retention", "SUCCESSFUL"),
        ("oana.tasks.prune_task_results", "SUCCESSFUL"),
        ("orders.tasks.checkins", "SUCCESSFUL"),
        ("orders.tasks.follow_up_questions", "SUCCESSFUL"),
        ("orders.tasks.reconcile_with_stripe", "READY"),
    ]
    worker = start([*make, "worker"], env)
    scheduler = start([*make, "scheduler"], env)
    try:
        wait_for(expected, database)
        time.sleep(1)  # nothing more happens
    finally:
        worker_out, worker_err = stop(worker)
        scheduler_out, scheduler_err = stop(scheduler)
    assert rows(database) == expected
    with sqlite3.connect(database) as db:
        [(attempts,)] = db.execute(
            "SELECT worker_ids FROM django_tasks_database_dbtaskresult WHERE status = 'READY'"
        ).fetchall()
    assert len(json.loads(attempts)) == 1  # retried later (oana/retries.py)
    assert "manage.py check --deploy" in worker_out and "manage.py run_worker" in worker_out
    assert "shutting down gracefully" in worker_err
    assert "manage.py check --deploy" in scheduler_out
    assert "Enqueued periodic task orders.tasks.reconcile_with_stripe" in scheduler_err
    assert "Received Terminated: the scheduler stops" in scheduler_err
    assert "Traceback" not in scheduler_err


def test_a_worker_killed_outright_and_started_again_runs_what_was_queued(production):
    env, database = production
    worker_command = [sys.executable, "manage.py", "run_worker"]
    worker = start(worker_command, env)
    try:
        assert wait_for([("oana.tasks.prune_retention", "SUCCESSFUL")], database) == [
            ("oana.tasks.prune_retention", "SUCCESSFUL")
        ]
    finally:
        worker.send_signal(signal.SIGKILL)  # a lost machine, an OOM kill
        worker.communicate(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    enqueue_prune_retention(env, times=2)  # while no worker runs
    waiting = [("oana.tasks.prune_retention", "READY")] * 2
    assert rows(database) == [*waiting, ("oana.tasks.prune_retention", "SUCCESSFUL")]

    worker = start(worker_command, env)
    try:
        done = wait_for([("oana.tasks.prune_retention", "SUCCESSFUL")] * 3, database)
    finally:
        _, stderr = stop(worker)
    assert done == [("oana.tasks.prune_retention", "SUCCESSFUL")] * 3
    assert worker.returncode == 0, stderr


def test_several_schedulers_at_once_enqueue_each_periodic_task_once(production):
    env, database = production
    command = [sys.executable, "manage.py", "run_scheduler", "--interval", "0.05"]
    schedulers = [start(command, env) for _ in range(3)]
    expected = sorted(
        [*((path, "READY") for path in PERIODIC_TASKS), ("oana.tasks.prune_retention", "READY")]
    )
    try:
        wait_for(expected, database)
        time.sleep(1)  # each of them looks at the schedule twenty more times
    finally:
        outputs = [stop(scheduler) for scheduler in schedulers]
    assert rows(database) == expected
    for scheduler, (_, stderr) in zip(schedulers, outputs, strict=True):
        assert scheduler.returncode == 0, stderr
        assert "Traceback" not in stderr
    enqueued = "".join(stderr for _, stderr in outputs)
    for path in PERIODIC_TASKS:
        assert enqueued.count(f"Enqueued periodic task {path}") == 1


def status_of(database, task_path):
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE task_path = ?",
            (task_path,),
        ).fetchall()


def wait_until(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


# The worker's clocks, shortened: a heartbeat every 0.2 s, a task taken back once its worker
# has been silent for 1 s, database errors waited out 0.2 s then 0.5 s at a time.
FAST_WORKER = {
    "WORKER_HEARTBEAT_SECONDS": "0.2",
    "TASK_LEASE_SECONDS": "1",
    "WORKER_RECONNECT_SECONDS": "0.2,0.5",
}
TAKE_A_WHILE = "tests.support.tasks.take_a_while"


def test_a_task_whose_worker_was_killed_mid_task_runs_again_on_another(production):
    """Issue 18 item 6: the task stayed "running" for ever and its email was never sent."""
    env, database = production
    env = {**env, **FAST_WORKER}
    code = "from tests.support.tasks import take_a_while\ntake_a_while.enqueue(1.5)"
    assert manage("shell", "-c", code, env=env).returncode == 0
    command = [sys.executable, "manage.py", "run_worker", "--queue-name", "*"]
    first = start([*command, "--worker-id", "first"], env)
    try:
        assert wait_until(lambda: status_of(database, TAKE_A_WHILE)[0][0] == "RUNNING")
    finally:
        first.send_signal(signal.SIGKILL)  # mid-task
        first.communicate(timeout=30)
    assert status_of(database, TAKE_A_WHILE) == [("RUNNING", '["first"]')]

    second = start([*command, "--worker-id", "second"], env)
    try:
        assert wait_until(lambda: status_of(database, TAKE_A_WHILE)[0][0] == "SUCCESSFUL")
    finally:
        _, stderr = stop(second)
    assert status_of(database, TAKE_A_WHILE) == [("SUCCESSFUL", '["first", "second"]')]
    assert "was abandoned by its worker (1 attempts): back on the queue" in stderr


def test_the_worker_outlives_a_database_that_vanishes_for_a_while(production):
    """Issue 18 item 5: the worker exited on the first database error."""
    env, database = production
    env = {**env, **FAST_WORKER}
    worker = start([sys.executable, "manage.py", "run_worker"], env)
    directory = database.parent
    away = directory.with_name(directory.name + "-away")
    ran = [("oana.tasks.prune_retention", "SUCCESSFUL")]
    try:
        assert wait_for(ran, database) == ran and heartbeats(database) == 1
        # The database's directory goes away: every new connection fails to open the file.
        directory.rename(away)
        time.sleep(2)
        assert worker.poll() is None  # still up
        away.rename(directory)
        restored = heartbeats(database, latest=True)
        assert wait_until(lambda: heartbeats(database, latest=True) > restored)
        enqueue_prune_retention(env)  # the site goes on
        done = wait_for(ran * 2, database)
        assert worker.poll() is None
    finally:
        if away.exists():
            away.rename(directory)
        _, stderr = stop(worker)
    assert done == ran * 2
    assert "The database failed (OperationalError: unable to open database file)" in stderr
    assert "the worker tries again in 0.5 s (failure 2 in a row)" in stderr


def heartbeats(database, latest=False):
    """How many workers have a heartbeat, or (``latest``) the latest beat's time."""
    query = (
        "SELECT MAX(beat_at) FROM oana_workerheartbeat"
        if latest
        else ("SELECT COUNT(*) FROM oana_workerheartbeat")
    )
    with sqlite3.connect(database) as db:
        return db.execute(query).fetchone()[0]
