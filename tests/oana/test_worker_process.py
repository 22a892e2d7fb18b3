"""`make worker` for real: a production start (no .env, DEBUG off, the deployment checks),
then the worker runs what the site enqueued and the schedule, and stops on SIGTERM."""

import json
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.oana.test_production_start import BASE_DIR, BIN, environment, free_port, start, stop
from tests.oana.test_site import PRODUCTION_ENV


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
            "SELECT task_path, status FROM django_tasks_database_dbtaskresult ORDER BY task_path"
        ).fetchall()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_worker_runs_the_queue_and_the_schedule_then_stops_on_sigterm(tmp_path):
    env = environment(
        tmp_path,
        **PRODUCTION_ENV,
        # Stripe is asked by the hourly reconciliation: here, a local port where nothing
        # listens (the task fails and waits for its retry), never Stripe itself.
        STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}",
    )
    assert manage("migrate", "--noinput", env=env).returncode == 0
    enqueued = manage(
        "shell", "-c", "from oana.tasks import prune_retention; prune_retention.enqueue()", env=env
    )
    assert enqueued.returncode == 0, enqueued.stderr
    database = tmp_path / "db.sqlite3"
    assert rows(database) == [("oana.tasks.prune_retention", "READY")]

    venv = BIN.parent
    command = ["make", "--no-print-directory", f"VENV={venv}", "-o", f"{venv}/.installed", "worker"]
    # What the site enqueued runs, and so does the schedule: each periodic task once; Stripe
    # cannot be reached, so the reconciliation failed its first attempt and waits to retry.
    expected = [
        ("oana.tasks.prune_retention", "SUCCESSFUL"),
        ("oana.tasks.prune_retention", "SUCCESSFUL"),
        ("oana.tasks.prune_task_results", "SUCCESSFUL"),
        ("orders.tasks.follow_up_questions", "SUCCESSFUL"),
        ("orders.tasks.reconcile_with_stripe", "READY"),
    ]
    worker = start(command, env)
    try:
        deadline = time.monotonic() + 60
        while rows(database) != expected and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(1)  # nothing more happens
    finally:
        stdout, stderr = stop(worker)
    assert rows(database) == expected
    with sqlite3.connect(database) as db:
        [(attempts,)] = db.execute(
            "SELECT worker_ids FROM django_tasks_database_dbtaskresult WHERE status = 'READY'"
        ).fetchall()
    assert len(json.loads(attempts)) == 1
    assert "manage.py check --deploy" in stdout
    assert "Enqueued periodic task orders.tasks.reconcile_with_stripe" in stderr
    assert "shutting down gracefully" in stderr
