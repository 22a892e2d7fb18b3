"""Health data out of logs: order ids, email addresses and query strings are redacted from
every log line (Django's and gunicorn's), tracebacks included."""

import io
import json
import logging
import re
import sys
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from oana.logging import GunicornLogger, RedactFilter, redact
from oana.logging import formatter as oana_formatter

PUBLIC_ID = "Xq3v9Lk2-Pz8Rt5Wm1Nb7Yc4Hd6Jf0Ga"  # 32 characters, like token_urlsafe(24)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"GET /orders/{PUBLIC_ID}/ 200", "GET /orders/[order]/ 200"),
        (f"/checkout/test-mode/{PUBLIC_ID}/", "/checkout/test-mode/[order]/"),
        (f"/checkout/success/?order={PUBLIC_ID}", "/checkout/success/?[redacted]"),
        ("/admin/orders/order/?q=pregnant&status=paid", "/admin/orders/order/?[redacted]"),
        ("/admin/orders/order/12/change/", "/admin/orders/order/12/change/"),
        ("email jane.doe+pcos@mail.example.com bounced", "email [email] bounced"),
        ("to=jane%40example.com", "to=[email]"),
        (f"order {PUBLIC_ID} paid", "order [id] paid"),
        ("Stripe cs_test_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 ok", None),
        ("Order 42: refund 7 pending", None),
    ],
)
def test_redact(line, expected):
    assert redact(line) == (line if expected is None else expected)


@pytest.fixture
def console():
    """The handlers settings.LOGGING configures (the root's, and runserver's), writing into
    one buffer."""
    handlers = {
        handler
        for name in ("", "django.server")
        for handler in logging.getLogger(name).handlers
        if any(isinstance(f, RedactFilter) for f in handler.filters)
    }
    assert len(handlers) == 2
    buffer = io.StringIO()
    previous = {handler: handler.setStream(buffer) for handler in handlers}
    yield buffer
    for handler, stream in previous.items():
        handler.setStream(stream)


def test_a_logged_line_with_an_order_id_and_an_email_shows_neither(console):
    logging.getLogger("orders.views").warning(
        "Patient %s opened /orders/%s/", "jane@example.com", PUBLIC_ID
    )
    logging.getLogger("django.request").warning("Not Found: /orders/%s/", PUBLIC_ID)
    logging.getLogger("django.server").info('"GET /admin/orders/order/?q=jane HTTP/1.1" 200')
    output = console.getvalue()
    assert PUBLIC_ID not in output and "jane" not in output
    assert "Patient [email] opened /orders/[order]/" in output
    assert "Not Found: /orders/[order]/" in output
    assert "/admin/orders/order/?[redacted]" in output


def test_tracebacks_are_redacted_too(console):
    try:
        raise ValueError("duplicate key (email)=(jane@example.com)")
    except ValueError:
        logging.getLogger("orders").exception("Could not save order %s", PUBLIC_ID)
    output = console.getvalue()
    assert "Traceback" in output and "(email)=([email])" in output
    assert "jane@" not in output and PUBLIC_ID not in output


def test_a_clean_line_is_left_as_it_was():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "Order %s paid", (42,), None)
    assert RedactFilter().filter(record)
    assert (record.msg, record.args) == ("Order %s paid", (42,))


def test_gunicorns_access_log_leaves_out_the_query_and_the_order_id(monkeypatch):
    """What gunicorn writes for a request, through the project's access log format."""
    import runpy

    from tests.oana.test_site import BASE_DIR

    monkeypatch.setenv("OANA_PRODUCTION", "1")
    conf = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", conf["access_log_format"])
    logger = GunicornLogger(cfg)
    logger.setup(cfg)  # a configuration reload adds no second filter
    assert sum(isinstance(f, RedactFilter) for f in logger.access_log.filters) == 1
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/orders/{PUBLIC_ID}/?email=jane%40example.com",
        "PATH_INFO": f"/orders/{PUBLIC_ID}/",
        "QUERY_STRING": "email=jane%40example.com",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "198.51.100.7",
        "HTTP_REFERER": f"https://oana.example/orders/{PUBLIC_ID}/",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    response = SimpleNamespace(status="200 OK", sent=512, response_length=512, headers=[])
    request = SimpleNamespace(headers=[], method="GET", path=environ["PATH_INFO"])
    from datetime import timedelta

    logger.access(response, request, environ, timedelta(milliseconds=12))
    line = buffer.getvalue()
    assert "198.51.100.7 - - [" in line and '"GET /orders/[order]/ HTTP/1.1" 200 512' in line
    assert PUBLIC_ID not in line and "email" not in line and "?" not in line


@pytest.mark.django_db
def test_a_csp_report_cannot_write_a_fake_line_into_the_log(client, console):
    """The attack: line breaks in a report wrote a fake staff sign-in into the server log."""
    forged = "https://x.example/\nINFO AXES: Successful login by {username: 'admin'}\r\u2028x"
    report = {
        "csp-report": {
            "document-uri": "https://oana.example/",
            "violated-directive": "script-src",
            "blocked-uri": forged,
        }
    }
    response = client.post(
        "/csp-report/", json.dumps(report), content_type="application/csp-report"
    )
    assert response.status_code == 204
    lines = console.getvalue().splitlines()
    [line] = [line for line in lines if "CSP violation" in line]
    assert "x.example/\\nINFO AXES: Successful login" in line and "\\r\\u2028x" in line
    assert not any(line.startswith("INFO AXES") for line in lines)


def test_every_log_line_escapes_control_characters_but_keeps_its_traceback(console):
    logging.getLogger("orders").warning("user %s", "eve\n[fake] admin signed in\x1b[2K")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("orders").exception("failed")
    output = console.getvalue()
    assert "user eve\\n[fake] admin signed in\\x1b[2K\n" in output
    assert "failed\nTraceback" in output  # the traceback still spans its lines


@pytest.mark.parametrize(
    "path",
    [
        'File "/srv/oana/orders/gateways.py", line 88, in charge',
        'File "/srv/oana/orders/services/payments.py", line 12',
        "/srv/oana/orders/migrations/0019_refund_reason_encrypted_abc.py",
        "templates/orders/subscription_detail.html",
    ],
)
def test_file_paths_are_never_rewritten(path):
    assert redact(path) == path


def test_an_order_id_beside_a_file_path_is_still_redacted():
    line = f'File "/srv/oana/orders/views.py": GET /orders/{PUBLIC_ID}/ for order {PUBLIC_ID}.'
    assert redact(line) == 'File "/srv/oana/orders/views.py": GET /orders/[order]/ for order [id].'


def test_every_line_has_its_time_level_and_logger(console):
    logging.getLogger("orders.tasks").warning("Refund %s pending", 7)
    logging.getLogger("django.server").info('"GET / HTTP/1.1" 200')
    first, second = console.getvalue().splitlines()
    # 2026-12-05T16:48:41.123Z WARNING orders.tasks Refund 7 pending
    pattern = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
    assert re.fullmatch(pattern + "WARNING orders.tasks Refund 7 pending", first)
    assert re.fullmatch(pattern + 'INFO django.server "GET / HTTP/1.1" 200', second)


def test_log_format_json_writes_one_object_a_line_redacted_with_its_traceback():
    formatter = oana_formatter("json")
    try:
        raise ValueError("card declined for jane@example.com")
    except ValueError:
        record = logging.LogRecord(
            "orders.tasks", logging.ERROR, __file__, 1, "Refund %s failed", (7,), sys.exc_info()
        )
    RedactFilter().filter(record)
    line = formatter.format(record)
    assert "\n" not in line
    fields = json.loads(line)
    assert set(fields) == {"time", "level", "logger", "message", "traceback"}
    assert (fields["level"], fields["logger"], fields["message"]) == (
        "ERROR",
        "orders.tasks",
        "Refund 7 failed",
    )
    assert fields["traceback"].endswith("ValueError: card declined for [email]")
    plain = logging.LogRecord("oana", logging.INFO, __file__, 1, "Started", (), None)
    assert "traceback" not in json.loads(formatter.format(plain))
    unfiltered = logging.LogRecord("x", logging.ERROR, __file__, 1, "y", (), record.exc_info)
    assert json.loads(formatter.format(unfiltered))["traceback"].startswith("Traceback")


def test_gunicorns_error_log_has_the_same_format(monkeypatch):
    for log_format, expected in (("", r"\S+Z INFO gunicorn\.error Booting"), ("json", r"\{.*")):
        monkeypatch.setenv("LOG_FORMAT", log_format)
        buffer = io.StringIO()
        monkeypatch.setattr(sys, "stderr", buffer)
        cfg = Config()
        logger = GunicornLogger(cfg)
        logger.setup(cfg)
        logger.info("Booting worker with pid: %s", 7)
        assert re.match(expected, buffer.getvalue())
    assert json.loads(buffer.getvalue())["logger"] == "gunicorn.error"


def test_the_stripe_librarys_per_call_lines_stay_out_of_the_log():
    """One INFO line per Stripe call filled a node's log pipe under load (test_two_nodes)."""
    assert logging.getLogger("stripe").getEffectiveLevel() == logging.WARNING
