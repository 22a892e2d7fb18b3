"""gunicorn settings; every value can be overridden from the environment.

Starting gunicorn with this file is a production start: settings then ignore `.env` (local
development only) and refuse DEBUG, and the master process refuses to start unless
`manage.py check --deploy --fail-level WARNING` would pass.
"""

import multiprocessing
import os
import sys

# Before Django settings load, here and in every worker forked from this process.
os.environ["OANA_PRODUCTION"] = "1"

# The local interface only: the HTTPS proxy in front (on the same machine) connects here. Set
# GUNICORN_BIND (e.g. 10.0.0.5:8000) where the proxy is another machine.
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# The master's process id, for `make reload` (SIGHUP) and supervisors; gunicorn removes it on
# exit. Unset: no file.
pidfile = os.environ.get("GUNICORN_PID_FILE") or None
# Measured with wrk (docs/performance.md, "The server as shipped"): sync workers (one request
# at a time per process, so an idle worker always takes the next request) kept p99 under
# 100 ms at 16 connections where two threads per worker let requests queue behind a busy
# thread (p99 90-670 ms). GUNICORN_THREADS=2 or more switches to gthread, for sites whose
# requests wait on slow calls (Stripe at checkout waits up to STRIPE_TIMEOUT_SECONDS).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# No recycling: at a thousand requests a second, max_requests=1000 restarted a worker every few
# seconds (a cold process, an empty page cache) and halved the trivial view's rate. Set
# GUNICORN_MAX_REQUESTS (with GUNICORN_MAX_REQUESTS_JITTER) if a leak ever shows.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))
# No access log by default: a line per request cost about 40% of the trivial view's rate, and
# the HTTPS proxy in front logs every request already. GUNICORN_ACCESS_LOG=- writes it to
# stdout (or give a file), in the redacted format below.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
# Health data stays out of the access log: the path without its query string (%(U)s, not the
# request line %(r)s), no referrer, and oana.logging.GunicornLogger redacts order ids and
# email addresses. %(h)s is the client's address (see TRUSTED_PROXIES).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'
logger_class = "oana.logging.GunicornLogger"
# The same proxies as Django's TRUSTED_PROXIES (oana/proxies.py): only their
# X-Forwarded-Proto tells gunicorn the request came over HTTPS.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1,::1")


def on_starting(server):
    """Run Django's deployment checks once, in the master, before any worker starts: a
    setting that `check --deploy` warns about (or DEBUG on, or a missing secret) stops
    gunicorn with the reason instead of serving."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oana.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.db import connections

    try:
        django.setup()
        call_command("check", deploy=True, fail_level="WARNING")
    except (ImproperlyConfigured, SystemCheckError) as error:
        print(
            f"Oana refuses to start in production: {error}\n"
            "Production reads its settings from the environment only, never from .env "
            "(docs/operations.md, Deployment).",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(1)
    # Workers are forked from this process: they must not share a connection it opened, nor
    # print its buffered output a second time.
    connections.close_all()
    sys.stdout.flush()
