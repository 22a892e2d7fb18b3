"""Rate limits: fixed windows counted in the configured cache.

Each limit in ``settings.RATE_LIMITS`` is "<count>/<period>" (``"20/10m"``: 20 per 10 minutes;
periods ``s``, ``m``, ``h``, ``d``, with an optional number). A request is counted once per key
(the client address, and the patient's email where the form has one) in a window that starts
on a multiple of the period; over the count, the answer is 429 with ``Retry-After`` saying
when the window ends. Counting is ``cache.add`` (creates the window's counter) then
``cache.incr`` (atomic in Redis and in the local-memory cache), so with ``CACHE_URL=redis://``
every process on every host shares the same counts.

Why not django-ratelimit: its system checks refuse the local-memory cache that ``make run``
uses and warn on Django's own Redis backend, and it answers 403, not 429 with a retry time.
This is the part of it we need, in one small module.

If the cache cannot be reached the request is let through and the failure logged: a Redis
outage must not stop patients from paying or Stripe from delivering events.

Limits on *failures* (``record_failure``, ``ensure_not_locked``) lock the address or email that
goes over for a fixed time instead of until the window ends (see below).

The limiter lives in ``core`` (imports no app, every app may import it): checkout, sign-in,
the webhook and ``oana``'s CSP report endpoint share it.
"""

import hashlib
import logging
import math
import re
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

logger = logging.getLogger(__name__)

RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text):
        """``"20/10m"`` -> Rate(20, 600); ValueError for anything else."""
        match = RATE.match(text) if isinstance(text, str) else None
        if not match or int(match[1]) < 1 or match[2] == "0":
            raise ValueError(f"{text!r} is not a rate such as 20/10m (count/period)")
        return cls(int(match[1]), int(match[2] or 1) * SECONDS[match[3]])


class RateLimited(Exception):
    def __init__(self, scope, retry_after):
        super().__init__(f"rate limit {scope!r} reached; retry in {retry_after} s")
        self.scope = scope
        self.retry_after = retry_after


def _count(scope, key, rate, now):
    """Count one request for ``key``; seconds until the window ends if over the limit."""
    window = int(now // rate.seconds)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{window}:{digest}"
    try:
        # The key outlives its window by a second, so incr() never finds it gone.
        cache.add(cache_key, 0, timeout=rate.seconds + 1)
        count = cache.incr(cache_key)
    except Exception:  # the cache is down: let the request through, say so in the log
        logger.exception("Rate limit %s not counted: the cache did not answer", scope)
        return None
    if count <= rate.count:
        return None
    return max(1, math.ceil((window + 1) * rate.seconds - now))


def _keys(request, email):
    keys = [f"ip:{request.META.get('REMOTE_ADDR', '')}"]
    if email:
        keys.append(f"email:{email.strip().lower()}")
    return keys


def _rate(scope, key):
    """The limit of ``scope`` for ``key``: ``RATE_LIMITS[scope + "_email"]`` for an email where
    that is set, ``RATE_LIMITS[scope]`` otherwise."""
    limits = settings.RATE_LIMITS
    if key.startswith("email:") and f"{scope}_email" in limits:
        return Rate.parse(limits[f"{scope}_email"])
    return Rate.parse(limits[scope])


def check(request, scope, *, email=None):
    """Count this request against ``settings.RATE_LIMITS[scope]`` per client address and, when
    given, per ``email`` (against ``RATE_LIMITS[scope + "_email"]`` where set); raises
    ``RateLimited`` when either is over its limit."""
    now = time.time()
    waits = [
        wait
        for key in _keys(request, email)
        if (wait := _count(scope, key, _rate(scope, key), now)) is not None
    ]
    if waits:
        raise RateLimited(scope, max(waits))


# --- lockouts: failures counted like requests, then a pause of a fixed length ------------------
#
# A limit on *failures* (wrong sign-in codes) must not end with its window: a guesser would
# simply wait for the next one. Each failure is counted per client address against
# ``RATE_LIMITS[scope]`` and per email against ``RATE_LIMITS[scope + "_email"]`` (as in
# ``check``); the key that goes over is then locked for ``LOCKOUT_SECONDS[scope]``, and
# ``ensure_not_locked`` refuses it until then. (Patients' sign-in codes use this.)


def _lock_key(scope, key):
    return f"lockout:{scope}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def ensure_not_locked(request, scope, *, email=None):
    """Raise ``RateLimited`` (with the seconds left) if this address or ``email`` is locked."""
    now = time.time()
    try:
        ends = cache.get_many([_lock_key(scope, key) for key in _keys(request, email)])
    except Exception:  # the cache is down: as for the limits, let the request through
        logger.exception("Lockout %s not checked: the cache did not answer", scope)
        return
    if ends:
        raise RateLimited(scope, max(1, math.ceil(max(ends.values()) - now)))


def record_failure(request, scope, *, email=None):
    """Count one failure per address and per ``email``; the key that goes over its limit is
    locked for ``settings.LOCKOUT_SECONDS[scope]`` and ``RateLimited`` is raised."""
    now = time.time()
    seconds = settings.LOCKOUT_SECONDS[scope]
    over = [key for key in _keys(request, email) if _count(scope, key, _rate(scope, key), now)]
    if over:
        # (The cache answered the count a moment ago: it is not expected to fail here.)
        cache.set_many({_lock_key(scope, key): now + seconds for key in over}, seconds)
        logger.warning("Lockout %s: a client went over its failure limit", scope)
        raise RateLimited(scope, seconds)


def back_to(request):
    """Where she was: the page that sent the request (a form posts from it) when it is one of
    ours, else this page for a GET, else the home page."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return request.get_full_path() if request.method == "GET" else "/"


def too_many_requests(request, error, template="429.html"):
    """The 429 page: what happened, when to try again (also in ``Retry-After``), and a link
    back to where she was."""
    minutes = math.ceil(error.retry_after / 60)
    response = render(
        request,
        template,
        {"retry_after": error.retry_after, "minutes": minutes, "back_to": back_to(request)},
        status=429,
    )
    response["Retry-After"] = str(error.retry_after)
    logger.warning("Rate limit %s reached by a client", error.scope)
    return response


def rate_limit(scope, *, email_field=None):
    """View decorator: every request reaching it counts against ``scope``; when the limit is
    reached the view is not run and the answer is the 429 page. Each view using it accepts
    POST only (``require_POST`` above it), so reading a page never counts."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            email = request.POST.get(email_field) if email_field else None
            try:
                check(request, scope, email=email)
            except RateLimited as error:
                return too_many_requests(request, error)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
