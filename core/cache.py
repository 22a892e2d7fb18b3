"""What every visitor sees the same, cached and never stale.

Public content (the catalog and the articles) changes only when staff save it, and on a
schedule (an article's publish date). So one number, the *content version*, is stored in
Django's cache, and every cached value is stored with the version it was built under: a
value whose version is not the current one is built again. Any save or delete of a model of
the ``treatments`` or ``articles`` app (``watch(app_config)``, called from each app's
``ready()``), any change of their many-to-many relations, and the few queryset ``update()``
calls that bypass signals (``content_changed()``) bump the version, so invalidation is exact.
A value that goes stale by itself at a known time (a scheduled article) also carries that
time (``until``) and is rebuilt once it has passed.

Two layers, both keyed by that version:

- ``cached(name, build, *parts)``: a value (the catalog snapshot, a treatment, an article,
  a rendered fragment) in the shared cache, read together with the version in one round trip;
- ``public_page``: a view decorator keeping, in each process, the whole page that a visitor
  without cookies gets (no session: an empty cart, signed out, no messages), with her CSRF
  token and CSP nonce cut out and put back per response. Serving it costs one read of the
  version and no query, no template.

Per-visitor parts never enter a shared value: fragments are rendered with the per-visitor
names blank (``templatetags/public_cache.py``), and a visitor with a session (a cart, a
sign-in, a message) always gets her page rendered for her, around the cached data.

It lives in ``core``, the bottom layer every app may import and that imports no app
(docs/architecture.md): the content apps hand it their app configs from their ``ready()``.

With several processes the cache must be shared (``CACHE_URL=redis://...``, as production
requires: oana.W001); the local-memory default is per process, right for ``make run`` alone.
"""

import contextvars
import functools
import hashlib
import logging
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

VERSION_KEY = "public:version"
# A value of a version that is no longer current is never read; it is overwritten when its
# key is built again, or leaves the cache after this long.
ENTRY_TIMEOUT = 24 * 60 * 60
# Parts that may go into a key as they are (slugs, numbers); anything else is hashed, so no
# URL can make a key too long or unsafe for a cache server.
_PLAIN_PARTS = re.compile(r"[A-Za-z0-9_.:-]{0,100}")


def _start_version():
    # From the clock in nanoseconds: far above any number an earlier version key (evicted,
    # or lost with a cache restart) reached, so no old value can pass for current.
    fresh = time.time_ns()
    cache.add(VERSION_KEY, fresh, timeout=None)
    return cache.get(VERSION_KEY, fresh)


def _read(*keys):
    """The current version and whatever of ``keys`` the cache holds: one round trip.

    (None, {}) when the cache does not answer: pages are then built from the database, and
    nothing is stored, until it answers again.
    """
    try:
        found = cache.get_many([VERSION_KEY, *keys])
        return found.get(VERSION_KEY) or _start_version(), found
    except Exception:  # the cache is down: serve from the database, say so in the log
        logger.exception("Public cache not used: the cache did not answer")
        return None, {}


def current_version():
    return _read()[0]


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
    cached them under the new version, and the second bump retires that value.

    When the cache does not answer, the first bump raises and the change is refused (the
    admin saves in a transaction, which rolls back): a change the cache never heard of could
    be served stale once it answers again. A failed second bump is logged.
    """
    bump_version()
    transaction.on_commit(bump_version, using=using, robust=True)


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
    """The key of ``name`` and its ``parts`` (a slug, a page number)."""
    text = ":".join(map(str, parts))
    if not _PLAIN_PARTS.fullmatch(text):
        text = hashlib.sha256(text.encode()).hexdigest()
    return f"public:{name}:{text}"


# While a public page is built: the times at which what it read goes stale by itself.
_expiries = contextvars.ContextVar("public_cache_expiries", default=None)


def _used(expires):
    collecting = _expiries.get()
    if collecting is not None and expires is not None:
        collecting.append(expires)


def _fresh(entry, version):
    return (
        entry is not None and entry[0] == version and (entry[2] is None or time.time() < entry[2])
    )


def cached(name, build, *parts, until=None):
    """``build()``'s value, shared by every visitor until the public content changes.

    ``parts`` tell values of the same kind apart. ``until``, if given, returns when the value
    goes stale by itself (a datetime, or None for never): it is asked *before* building, so
    an article that goes live while the value is built is either in it or makes it expire at
    once. An exception in ``build`` (a 404) is not cached.
    """
    key = cache_key(name, *parts)
    version, found = _read(key)
    entry = found.get(key)
    if _fresh(entry, version):
        _used(entry[2])
        return entry[1]
    expires = until() if until else None
    expires = expires.timestamp() if expires else None
    value = build()
    if version is not None:
        cache.set(key, (version, value, expires), ENTRY_TIMEOUT)
    _used(expires)
    return value


# Per process: (scheme, host, path, year) -> _Page. Cleared when it grows past MAX_PAGES.
_pages = {}
MAX_PAGES = 500
# What stands for this response's CSRF token and CSP nonce in a stored page. NUL never
# occurs in a page (PostgreSQL text cannot hold it, and templates do not write it).
CSRF_MARK = "\x00csrf\x00"
NONCE_MARK = "\x00nonce\x00"
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


class _Page:
    """A rendered page without anything of the visitor it was rendered for."""

    def __init__(self, request, response, version, expires):
        content = response.content.decode(response.charset)
        for token in set(_CSRF_FIELD.findall(content)):
            content = content.replace(token, CSRF_MARK)
        nonce = get_nonce(request)
        self.has_nonce = bool(nonce)  # generated only if the page used it
        if self.has_nonce:
            content = content.replace(str(nonce), NONCE_MARK)
        self.has_csrf = CSRF_MARK in content
        self.content = content
        self.headers = dict(response.headers)
        self.version, self.expires = version, expires

    def fresh(self, version):
        return self.version == version and (self.expires is None or time.time() < self.expires)

    def response(self, request):
        """The page for ``request``: its own CSRF token (which also sets her CSRF cookie, as
        rendering ``{% csrf_token %}`` does) and its own nonce (which the CSP header names)."""
        content = self.content
        if self.has_csrf:
            content = content.replace(CSRF_MARK, get_token(request))
        if self.has_nonce:
            content = content.replace(NONCE_MARK, str(get_nonce(request)))
        response = HttpResponse(content, headers=self.headers)
        # Rendered, the page reads the session (the cart count): say so to shared caches.
        patch_vary_headers(response, ("Cookie",))
        return response


def _shareable(request):
    """A GET without a query string from a visitor with no cookie but the CSRF one: no
    session, so her cart is empty, she is signed out and has no messages."""
    return (
        request.method == "GET"
        and not request.META.get("QUERY_STRING")
        and set(request.COOKIES) <= {settings.CSRF_COOKIE_NAME}
    )


def _storable(request, response):
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not (session is not None and session.modified)
        and response.get("Content-Type", "").startswith("text/html")
    )


def public_page(view):
    """Serve a public page to visitors without a session from this process's memory, as long
    as the content version is the one it was rendered under (and nothing in it has expired).

    Everyone else (a session, a query string, a POST) gets the view itself.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _shareable(request):
            return view(request, *args, **kwargs)
        key = (request.scheme, request.get_host(), request.path, timezone.localdate().year)
        version = current_version()
        page = _pages.get(key)
        if page is not None and page.fresh(version):
            return page.response(request)
        expiries = []
        collecting = _expiries.set(expiries)
        try:
            response = view(request, *args, **kwargs)
        finally:
            _expiries.reset(collecting)
        if version is not None and _storable(request, response):
            if len(_pages) >= MAX_PAGES:
                _pages.clear()
            _pages[key] = _Page(request, response, version, min(expiries, default=None))
        return response

    return wrapper
