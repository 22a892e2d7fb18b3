"""The worker against a PostgreSQL that cuts its connections and then refuses new ones for a
while (a failover, a restart): it waits, reconnects and runs what was enqueued meanwhile,
instead of exiting (issue 18 item 5)."""

import sys
import time

import psycopg
import pytest
from django.db import connection

from tests.oana.test_production_start import environment, start, stop
from tests.oana.test_site import PRODUCTION_ENV
from tests.oana.test_worker_process import FAST_WORKER, manage, wait_until

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

NAME = "oana_worker_outage"


@pytest.fixture
def database():
    """A migrated database of the test's own on the test server, dropped afterwards."""
    settings = connection.settings_dict
    admin = (
        f"host={settings['HOST']} port={settings['PORT']} user={settings['USER']} dbname=postgres"
    )
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {NAME}")
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{NAME}"
    yield url, admin
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f"ALTER DATABASE {NAME} ALLOW_CONNECTIONS true")
        db.execute(f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)")


def statuses(url):
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
        return db.execute(
            "SELECT task_path, status FROM django_tasks_database_dbtaskresult ORDER BY id"
        ).fetchall()


def test_the_worker_waits_out_a_database_that_cuts_and_refuses_connections(database, tmp_path):
    url, admin = database
    env = environment(tmp_path, **PRODUCTION_ENV, **FAST_WORKER, DATABASE_URL=url)
    assert manage("migrate", "--noinput", env=env).returncode == 0
    worker = start([sys.executable, "manage.py", "run_worker"], env)
    try:
        with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
            assert wait_until(
                lambda: db.execute("SELECT count(*) FROM oana_workerheartbeat").fetchone()[0]
            )
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f"ALTER DATABASE {NAME} ALLOW_CONNECTIONS false")
            db.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (NAME,),
            )
            time.sleep(2)  # refused: the worker logs, waits and tries again
            assert worker.poll() is None
            db.execute(f"ALTER DATABASE {NAME} ALLOW_CONNECTIONS true")
        code = "from oana.tasks import prune_retention\nprune_retention.enqueue()"
        assert manage("shell", "-c", code, env=env).returncode == 0
        done = [("oana.tasks.prune_retention", "SUCCESSFUL")]
        assert wait_until(lambda: statuses(url) == done)
        assert worker.poll() is None
    finally:
        _, stderr = stop(worker)
    assert "The database failed (OperationalError" in stderr
    assert "failure 2 in a row" in stderr
