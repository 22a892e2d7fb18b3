"""Django's Redis cache backend, with one ``redis.Redis`` per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` on every cache call, and
each one fills a table of some 170 response callbacks: about a tenth of a millisecond, paid on
every request that reads the content version (core/cache.py), which is nearly every public
page. A ``redis.Redis`` is safe to share between threads, and its connection pool notices a
fork (gunicorn's workers) and starts afresh, so one per pool is enough. Settings select this
class whenever ``CACHE_URL`` selects Django's Redis backend.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(index)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
