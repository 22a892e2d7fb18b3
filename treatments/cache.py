"""What every visitor sees the same, cached in Django's cache and never stale.

Public content (the catalog and the articles) changes only when staff save it, and on a
schedule (an article's publish date). So one number, the *content version*, is stored in
the cache, and every cached value's key carries it: ``cached("catalog", build)`` reads
``public:<version>:catalog``. Any save or delete of a model of the ``treatments`` or
``articles`` app (``watch(app_config)``, called from each app's ``ready()``), any change of
their many-to-many relations, and the few queryset ``update()`` calls that bypass signals
(``content_changed()``) bump the version, so the next request reads fresh keys and builds
them again from the database: invalidation is exact, and entries of old versions simply
age out (``ENTRY_TIMEOUT``). A value that goes stale by itself at a known time (a scheduled
article) is stored with that time (``until``) and rebuilt once it has passed.

It lives in ``treatments`` because that app is the bottom of the dependency graph (DESIGN.md:
articles and orders may import treatments, treatments imports neither): every app can use it.

Per-visitor parts (cart count, messages, CSRF token, CSP nonce, the signed-in header) are
never inside a cached value: views cache data and page fragments that are rendered without
them, and ``{% cachedfragment %}`` (``templatetags/public_cache.py``) blanks those names.

With several processes the cache must be shared (``CACHE_URL=redis://...``, as in production);
the local-memory default is per process, which is right for ``make run`` alone.
"""

import hashlib
import re
import time

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

VERSION_KEY = "public:version"
# Entries of a version that is no longer current are never read again; they leave the cache
# after this long (or earlier, when the cache evicts them).
ENTRY_TIMEOUT = 24 * 60 * 60
# Parts that may go into a key as they are (slugs, numbers); anything else is hashed, so no
# URL can make a key too long or unsafe for a cache server.
_PLAIN_PARTS = re.compile(r"[A-Za-z0-9_.:-]{0,100}")


def current_version():
    """The content version; created on first use (or after the cache lost it)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # Start from the clock in nanoseconds: far above any number an earlier version key
        # (evicted or cleared) reached, so an old entry can never be read as current.
        fresh = time.time_ns()
        cache.add(VERSION_KEY, fresh, timeout=None)
        version = cache.get(VERSION_KEY, fresh)
    return version


def bump_version():
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        # No version stored (first change, or evicted): a fresh one is newer than any.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)


def content_changed(using=None):
    """Public content changed: every cached value is stale from now on.

    Bumped at once (this transaction's own later reads) and again when the transaction
    commits: a request that read the old rows between the first bump and the commit may have
    cached them under the new version, and the second bump retires that entry.
    """
    bump_version()
    transaction.on_commit(bump_version, using=using)


def _changed(sender, using=None, **kwargs):
    content_changed(using=using)


def watch(app_config):
    """Bump the version on every save or delete of the app's models and on every change of
    their many-to-many relations (m2m_changed is sent with the through model)."""
    for model in app_config.get_models():
        uid = f"public-cache:{model._meta.label}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_changed, sender=model, dispatch_uid=uid)
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _changed, sender=field.remote_field.through, dispatch_uid=f"{uid}:{field.name}"
            )


def cache_key(name, *parts):
    """The key of ``name`` (and its ``parts``: slug, page...) under the current version."""
    text = ":".join(map(str, parts))
    if not _PLAIN_PARTS.fullmatch(text):
        text = hashlib.sha256(text.encode()).hexdigest()
    return f"public:{current_version()}:{name}:{text}"


def cached(name, build, *parts, until=None):
    """``build()``'s value, shared by every visitor until the public content changes.

    ``parts`` tell values of the same kind apart (a slug, a page number). ``until``, if
    given, returns when the value goes stale by itself (a datetime, or None for never): it
    is asked *before* building, so an article that goes live while the value is built is
    either in it or makes it expire at once. An exception in ``build`` (a 404) is not cached.
    """
    key = cache_key(name, *parts)
    entry = cache.get(key)
    if entry is not None and (entry[1] is None or time.time() < entry[1]):
        return entry[0]
    expires = until() if until else None
    value = build()
    cache.set(key, (value, expires.timestamp() if expires else None), ENTRY_TIMEOUT)
    return value
