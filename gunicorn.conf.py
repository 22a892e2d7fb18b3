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

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never take the site down.
max_requests = 1000
max_requests_jitter = 100
accesslog = "-"
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
            "(README, Deployment).",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(1)
    # Workers are forked from this process: they must not share a connection it opened, nor
    # print its buffered output a second time.
    connections.close_all()
    sys.stdout.flush()
