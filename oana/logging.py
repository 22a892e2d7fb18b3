"""Health data stays out of logs: a filter that redacts before anything is written.

An order's public id is the key to its page, and an order page, an email address or a staff
search term (``/admin/orders/order/?q=...``) says who is being treated for what. So every log
line, from Django (``settings.LOGGING``) and from gunicorn (``GunicornLogger``, its error and
access logs), goes through ``redact``:

- query strings of URLs are dropped (``/path?[redacted]``): staff searches and filters, and
  the ``?order=`` of the checkout success page;
- ``/orders/<id>`` and ``/checkout/test-mode/<id>`` become ``/orders/[order]``;
- anything shaped like an order's public id (32 URL-safe characters) becomes ``[id]``;
- email addresses (also URL-encoded, ``%40``) become ``[email]``;
- line breaks and other control characters in the message become visible escapes (``\\n``),
  so a value someone sent (a CSP report, a header, a username) can never write a line of its
  own into the log, such as a fake staff sign-in. One record is one line; only a traceback,
  which we write, spans several.

Tracebacks are redacted too (exception messages can carry values), but never a file path:
``orders/gateways.py`` stays itself (a path segment followed by more path ending in a file
extension is code, not an order id). Error reports sent to Sentry are scrubbed separately
(``oana/sentry.py``).

Every line has one shape, web (Django and gunicorn) and worker alike: a timestamp, the level,
the logger's name, the message (``Formatter``); with ``LOG_FORMAT=json`` the same fields as one
JSON object a line (``JsonFormatter``). ``OncePerInterval`` lets one record of a kind through
every few seconds: a cache that stopped answering is said in the log, not a hundred times a
request.
"""

import json
import logging
import os
import re
import threading
import time
from datetime import UTC, datetime

from gunicorn.glogging import Logger as _GunicornLogger

QUERY_STRING = re.compile(r"(/[^\s?\"'<>]*)\?[^\s\"'<>]+")
# Neither ever matches inside a file path: an id is not followed by (more path and) a file
# extension, as ``orders/gateways.py`` or ``orders/services/payments.py`` are.
NOT_A_FILE = r"(?![\w/-]*\.[A-Za-z]\w*)"
ORDER_PATH = re.compile(r"(/orders/|/checkout/test-mode/)[A-Za-z0-9_-]{8,}" + NOT_A_FILE)
PUBLIC_ID = re.compile(r"(?<![\w-])[A-Za-z0-9_-]{32}(?![\w-])" + NOT_A_FILE)
EMAIL = re.compile(r"[\w.+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match):
    return match.group().encode("unicode_escape").decode("ascii")


def redact(text):
    """``text`` without query strings, order ids or email addresses."""
    text = QUERY_STRING.sub(r"\1?[redacted]", text)
    text = ORDER_PATH.sub(r"\1[order]", text)
    text = EMAIL.sub("[email]", text)
    return PUBLIC_ID.sub("[id]", text)


def one_line(text):
    """``text`` with control characters escaped: it can only ever be one log line."""
    return CONTROL.sub(_escape, text)


class RedactFilter(logging.Filter):
    """Rewrites each record's message (and traceback) through ``redact``; drops nothing."""

    _formatter = logging.Formatter()

    def filter(self, record):
        message = record.getMessage()
        redacted = one_line(redact(message))
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger with ``RedactFilter`` on its error and access logs
    (``logger_class`` in gunicorn.conf.py, whose access log format already leaves out the
    query string), and its error log in the project's one format (``LOG_FORMAT``)."""

    def setup(self, cfg):
        super().setup(cfg)
        error_format = formatter(os.environ.get("LOG_FORMAT", ""))
        for handler in self.error_log.handlers:
            handler.setFormatter(error_format)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactFilter) for f in log.filters):
                log.addFilter(RedactFilter())


def _timestamp(record):
    """The record's time, UTC, ISO 8601 to the millisecond."""
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Formatter(logging.Formatter):
    """``2026-12-05T16:48:41.123Z WARNING orders.views message`` (and its traceback)."""

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        return _timestamp(record)

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and the traceback if any."""

    def format(self, record):
        line = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["traceback"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def formatter(log_format):
    """The formatter of ``LOG_FORMAT``: ``json``, or anything else for text."""
    return JsonFormatter() if log_format == "json" else Formatter()


class OncePerInterval(logging.Filter):
    """Lets through one error (or worse) per logger and message template every ``seconds``,
    and drops the others: a cache that stopped answering would otherwise be logged on every
    call of every request. Records below ERROR all pass."""

    def __init__(self, seconds=10):
        super().__init__()
        self.seconds = seconds
        self.last = {}
        self.lock = threading.Lock()

    def filter(self, record):
        if record.levelno < logging.ERROR:
            return True
        key = (record.name, record.msg)
        now = time.monotonic()
        with self.lock:
            if now - self.last.get(key, -self.seconds) < self.seconds:
                return False
            self.last[key] = now
        return True
