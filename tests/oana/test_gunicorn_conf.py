"""gunicorn.conf.py ships the settings docs/performance.md's "The server as shipped" measured
and chose."""

import runpy
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
VARIABLES = (
    "GUNICORN_THREADS",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_MAX_REQUESTS_JITTER",
    "GUNICORN_ACCESS_LOG",
)


def config(monkeypatch, **env):
    monkeypatch.setenv("OANA_PRODUCTION", "1")  # gunicorn.conf.py sets it; restored after
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))


def test_sync_workers_no_recycling_no_access_log_by_default(monkeypatch):
    conf = config(monkeypatch)
    assert conf["threads"] == 1
    assert conf["max_requests"] == 0
    assert conf["accesslog"] is None
    assert conf["errorlog"] == "-"


def test_each_can_be_turned_back_on_from_the_environment(monkeypatch):
    conf = config(
        monkeypatch,
        GUNICORN_THREADS="4",
        GUNICORN_MAX_REQUESTS="100000",
        GUNICORN_MAX_REQUESTS_JITTER="10000",
        GUNICORN_ACCESS_LOG="-",
    )
    assert (conf["threads"], conf["max_requests"], conf["max_requests_jitter"]) == (
        4,
        100000,
        10000,
    )
    assert conf["accesslog"] == "-"


def test_it_listens_on_the_local_interface_unless_told_otherwise(monkeypatch):
    """Issue 18 item 12: it listened on every interface (0.0.0.0) by default."""
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("GUNICORN_PID_FILE", raising=False)
    conf = config(monkeypatch)
    assert conf["bind"] == "127.0.0.1:8000"
    assert conf["pidfile"] is None
    conf = config(monkeypatch, GUNICORN_BIND="10.0.0.5:8000", GUNICORN_PID_FILE="/run/oana.pid")
    assert (conf["bind"], conf["pidfile"]) == ("10.0.0.5:8000", "/run/oana.pid")
