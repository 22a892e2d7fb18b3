"""Django's Redis cache backend, with one ``redis.Redis`` per connection pool, that stops
asking a Redis which does not answer for a few seconds.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` on every cache call, and
each one fills a table of some 170 response callbacks: about a tenth of a millisecond, paid on
every request that reads the content version (core/cache.py), which is nearly every public
page. A ``redis.Redis`` is safe to share between threads, and its connection pool notices a
fork (gunicorn's workers) and starts afresh, so one per pool is enough. Settings select this
class whenever ``CACHE_URL`` selects Django's Redis backend.

A call that fails to connect or times out (settings give Redis connect and read timeouts of
CACHE_TIMEOUT_SECONDS) makes every call of the next ``pause_after_failure`` seconds (an
OPTIONS key, default 5) fail at once with ``redis.ConnectionError``, without touching the
network: a frozen Redis then costs a process one timeout every few seconds instead of one per
cache call, and the callers, which go on without the cache (core/cache.py,
core/ratelimit.py), answer at database speed.
"""

import time

import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

PAUSE_AFTER_FAILURE_SECONDS = 5


class Paused(redis.ConnectionError):
    """Raised without asking Redis: it failed a moment ago."""


class _Redis(redis.Redis):
    """A ``redis.Redis`` sharing its client's pause: see the module's docstring."""

    def __init__(self, *args, pause, **kwargs):
        super().__init__(*args, **kwargs)
        self._pause = pause

    def execute_command(self, *args, **options):
        self._pause.check()
        try:
            return super().execute_command(*args, **options)
        except (redis.ConnectionError, redis.TimeoutError):
            self._pause.start()
            raise


class _Pause:
    def __init__(self, seconds):
        self.seconds = seconds
        self.until = 0.0

    def check(self):
        if time.monotonic() < self.until:
            raise Paused(f"Redis failed less than {self.seconds} s ago: not asked again yet")

    def start(self):
        self.until = time.monotonic() + self.seconds


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, servers, pause_after_failure=PAUSE_AFTER_FAILURE_SECONDS, **options):
        super().__init__(servers, **options)
        self._clients = {}
        self._pause = _Pause(pause_after_failure)

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(index)
            client = self._clients[index] = _Redis(connection_pool=pool, pause=self._pause)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
