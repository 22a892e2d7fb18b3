"""Health that tells the truth (issue 18): /healthz stays the load balancer's cheap answer
(the database only), and /healthz/status, for monitoring, also asks the cache and reads the
worker's heartbeat, answering 503 with what is wrong."""

import socket
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from oana.worker import beat

pytestmark = pytest.mark.django_db


def stopped_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_stopped(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "oana.redis_cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{stopped_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }


def status(client):
    response = client.get("/healthz/status")
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, response.json()


@pytest.mark.usefixtures("task_queue")
def test_all_well_with_a_worker_that_beats(client):
    beat("worker-1", timezone.now())
    assert status(client) == (
        200,
        {"status": "ok", "database": "ok", "cache": "ok", "worker": "ok"},
    )


def test_tasks_run_in_the_web_process_no_worker_needed(client):
    assert status(client) == (
        200,
        {"status": "ok", "database": "ok", "cache": "ok", "worker": "not used"},
    )


@pytest.mark.usefixtures("task_queue")
def test_a_dead_worker_is_named_but_the_load_balancer_check_stays_green(client, settings):
    settings.WORKER_STALE_SECONDS = 60
    beat("worker-1", timezone.now())
    from oana.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update(beat_at=timezone.now() - timedelta(seconds=61))
    assert status(client) == (
        503,
        {"status": "error", "database": "ok", "cache": "ok", "worker": "no heartbeat for 60 s"},
    )
    assert client.get("/healthz").status_code == 200  # never takes a web node out


@pytest.mark.usefixtures("task_queue", "redis_stopped")
def test_a_stopped_redis_is_named_quickly(client):
    beat("worker-1", timezone.now())
    started = time.monotonic()
    assert status(client) == (
        503,
        {"status": "error", "database": "ok", "cache": "unavailable", "worker": "ok"},
    )
    assert time.monotonic() - started < 2
    assert client.get("/healthz").status_code == 200


def test_a_database_that_does_not_answer_is_named(client):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(refuse):
        code, body = status(client)
        assert client.get("/healthz").status_code == 503
    assert (code, body) == (
        503,
        {"status": "error", "database": "unavailable", "cache": "ok", "worker": "unknown"},
    )


def test_the_status_page_is_not_in_robots_txt(client):
    assert "healthz" not in client.get("/robots.txt").content.decode()
