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

Tracebacks are redacted too (exception messages can carry values). Error reports sent to
Sentry are scrubbed separately (``oana/sentry.py``).
"""

import logging
import re

from gunicorn.glogging import Logger as _GunicornLogger

QUERY_STRING = re.compile(r"(/[^\s?\"'<>]*)\?[^\s\"'<>]+")
ORDER_PATH = re.compile(r"(/orders/|/checkout/test-mode/)[A-Za-z0-9_-]{8,}")
PUBLIC_ID = re.compile(r"(?<![\w-])[A-Za-z0-9_-]{32}(?![\w-])")
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
    query string)."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactFilter) for f in log.filters):
                log.addFilter(RedactFilter())
