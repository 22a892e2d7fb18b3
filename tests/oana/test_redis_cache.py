"""CACHE_URL=redis://... gives Django's Redis cache backend, and it works: a value one process
stores, another reads. Each process is configured by the project's settings alone.

Needs a Redis server at 127.0.0.1:6379 (redis-server; .ci/run starts one if none answers).
Without one the tests are skipped with the reason shown, except when OANA_REQUIRE_REDIS=1 (CI),
where a missing Redis is a failure."""

import os
import socket
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.commands import run

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS = ("127.0.0.1", 6379)
CACHE_URL = "redis://127.0.0.1:6379/1"


@pytest.fixture(scope="module", autouse=True)
def redis_server():
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        message = "Redis is not reachable at 127.0.0.1:6379 (start redis-server)"
        if os.environ.get("OANA_REQUIRE_REDIS"):
            pytest.fail(message)
        pytest.skip(message)


def in_django(code, tmp_path):
    """Run ``code`` in a new process whose settings come from CACHE_URL; its printed lines."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "oana.settings",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CACHE_URL": CACHE_URL,
    }
    setup = (
        "import django\n"
        "django.setup()\n"
        "from django.core.cache import caches\n"
        "cache = caches['default']\n"
    )
    result = run([sys.executable, "-c", setup + code], env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_the_redis_url_selects_djangos_redis_backend(tmp_path):
    lines = in_django(
        "from django.conf import settings; print(settings.CACHES['default']); "
        "print(type(cache).__module__, type(cache).__name__, type(cache).__mro__[1].__module__)",
        tmp_path,
    )
    assert lines == [
        str(
            {
                "BACKEND": "oana.redis_cache.RedisCache",
                "LOCATION": CACHE_URL,
                # Short connect and read timeouts (tests/oana/test_cache_outage.py).
                "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
            }
        ),
        # Django's own backend, reusing its Redis client (oana/redis_cache.py).
        "oana.redis_cache RedisCache django.core.cache.backends.redis",
    ]


def test_one_redis_client_per_pool_serves_every_call():
    from oana.redis_cache import RedisCache

    backend = RedisCache(CACHE_URL, {})
    client = backend._cache.get_client()
    assert backend._cache.get_client("any-key", write=True) is client  # one server: one pool
    key = f"oana-test-{uuid.uuid4().hex}"
    backend.set(key, {"version": 7}, 60)
    assert backend.get_many([key, "oana-test-missing"]) == {key: {"version": 7}}
    assert backend.incr(key + "-n", 1) if backend.add(key + "-n", 1) else False
    assert backend.get(key + "-n") == 2
    backend.delete_many([key, key + "-n"])
    assert backend._cache.get_client() is client


def test_a_value_stored_by_one_process_is_read_by_another(tmp_path):
    key = f"oana-test-{uuid.uuid4().hex}"
    assert in_django(
        f"print(cache.set({key!r}, {{'plan': 7, 'months': [1, 2]}}, 60))", tmp_path
    ) == ["None"]
    assert in_django(
        f"print(cache.get({key!r})); cache.delete({key!r}); print(cache.get({key!r}, 'gone'))",
        tmp_path,
    ) == ["{'plan': 7, 'months': [1, 2]}", "gone"]
