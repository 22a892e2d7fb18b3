"""A Redis that does not answer costs a page a fraction of a second, not 15-35 s: cache calls
have connect and read timeouts (settings: CACHE_TIMEOUT_SECONDS), the site serves from the
database meanwhile, and the failure is logged once every few seconds, not on every call."""

import logging
import socket
import time

import pytest

from oana.logging import OncePerInterval
from tests.oana.test_site import PRODUCTION_ENV, load_settings  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

# What settings give CACHE_URL=redis://... (oana/settings.py, CACHES).
TIMEOUTS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}


@pytest.fixture
def frozen_redis():
    """A port that accepts connections (the kernel's backlog) and never answers a byte: a
    frozen or stopped-with-SIGSTOP Redis."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


@pytest.fixture
def stopped_redis():
    """A port where nothing listens: a stopped Redis."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def use_redis(settings, port):
    settings.CACHES = {
        "default": {
            "BACKEND": "oana.redis_cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": TIMEOUTS,
        }
    }


@pytest.fixture
def fresh_log_interval():
    """The cache loggers' once-every-few-seconds filters, as if nothing had been logged yet."""
    filters = [
        f
        for name in ("core.cache", "core.ratelimit")
        for f in logging.getLogger(name).filters
        if isinstance(f, OncePerInterval)
    ]
    assert len(filters) == 2
    for f in filters:
        f.last.clear()


def test_the_settings_give_redis_short_timeouts(load_settings):  # noqa: F811 (the fixture)
    caches = load_settings(**PRODUCTION_ENV).CACHES
    assert caches["default"]["OPTIONS"] == TIMEOUTS
    slower = load_settings(**PRODUCTION_ENV, CACHE_TIMEOUT_SECONDS="0.5").CACHES
    assert slower["default"]["OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def test_a_frozen_redis_costs_the_home_page_well_under_seconds(client, settings, frozen_redis):
    use_redis(settings, frozen_redis)
    started = time.monotonic()
    response = client.get("/")
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and b"Oana" in response.content
    # One cache call waits 0.25 s, the next ones are not sent (oana/redis_cache.py); with
    # redis-py's defaults a single call waited 5 s, and a page 15-35 s.
    assert elapsed < 4
    started = time.monotonic()
    assert client.get("/articles/").status_code == 200
    assert time.monotonic() - started < 1.5


def test_after_a_failure_redis_is_not_asked_for_a_moment_then_asked_again(stopped_redis):
    import redis

    from oana.redis_cache import Paused, RedisCache

    backend = RedisCache(
        f"redis://127.0.0.1:{stopped_redis}/0", {"OPTIONS": {"pause_after_failure": 0.3}}
    )
    with pytest.raises(redis.ConnectionError) as first:
        backend.get("catalog")
    assert not isinstance(first.value, Paused)
    with pytest.raises(Paused):
        backend.get_many(["catalog", "version"])
    time.sleep(0.35)
    with pytest.raises(redis.ConnectionError) as later:
        backend.get("catalog")
    assert not isinstance(later.value, Paused)


def test_a_stopped_redis_is_logged_once_not_on_every_request(
    client, settings, stopped_redis, fresh_log_interval, caplog
):
    use_redis(settings, stopped_redis)
    with caplog.at_level(logging.INFO):
        for _ in range(20):
            assert client.get("/").status_code == 200
            assert client.get("/articles/").status_code == 200
    errors = [r for r in caplog.records if r.name == "core.cache"]
    assert [r.getMessage() for r in errors] == ["Public cache not used: the cache did not answer"]


def test_errors_of_a_kind_pass_once_per_interval_and_other_records_always():
    once = OncePerInterval(seconds=0.2)

    def record(level, msg):
        return logging.LogRecord("core.cache", level, __file__, 1, msg, (), None)

    assert once.filter(record(logging.ERROR, "cache down"))
    assert not once.filter(record(logging.ERROR, "cache down"))
    assert once.filter(record(logging.ERROR, "another error"))
    assert once.filter(record(logging.WARNING, "Rate limit %s reached by a client"))
    assert once.filter(record(logging.WARNING, "Rate limit %s reached by a client"))
    time.sleep(0.25)
    assert once.filter(record(logging.ERROR, "cache down"))
