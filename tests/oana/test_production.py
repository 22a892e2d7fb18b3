"""The production setup, run for real: collectstatic into a fresh STATIC_ROOT, then gunicorn
(gunicorn.conf.py) serving the site with DEBUG off, as docs/operations.md's Deployment section
says."""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

from .test_site import BASE_DIR, PRODUCTION_ENV, run_manage

FAR_FUTURE = "max-age=315360000, public, immutable"


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    root = tmp_path_factory.mktemp("production")
    env = {
        **PRODUCTION_ENV,
        "ALLOWED_HOSTS": "oana.example,127.0.0.1",
        "STATIC_ROOT": str(root / "static"),
        "DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}",
    }
    for command in (["collectstatic", "--noinput"], ["migrate", "--noinput"]):
        result = run_manage(*command, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    return root, env


@pytest.fixture(scope="module")
def server(production):
    root, env = production
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ignored = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "DEBUG"}
    full_env = {k: v for k, v in os.environ.items() if k not in ignored}
    # The access log is off unless asked for (gunicorn.conf.py); its redaction is tested here.
    full_env.update(
        env, GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", GUNICORN_ACCESS_LOG="-"
    )
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    process = subprocess.Popen(
        [gunicorn, "-c", "gunicorn.conf.py", "oana.wsgi"],
        cwd=BASE_DIR,
        env=full_env,
        stdout=(root / "access.log").open("w"),  # gunicorn's access log
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def get(port, path, **headers):
    """One request as the HTTPS proxy in front of gunicorn would forward it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": "oana.example", **headers})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def site_css(production):
    root, _ = production
    manifest = json.loads((root / "static" / "staticfiles.json").read_text())
    return manifest["paths"]["css/site.css"]


def test_collectstatic_writes_a_manifest_with_hashed_compressed_files(production):
    root, _ = production
    hashed = site_css(production)
    assert hashed.startswith("css/site.") and hashed.endswith(".css") and hashed != "css/site.css"
    for suffix in ("", ".gz", ".br"):
        assert (root / "static" / (hashed + suffix)).stat().st_size > 0, suffix


def test_gunicorn_serves_the_home_page_with_hashed_static_names(server, production):
    response, body = get(server, "/", **{"X-Forwarded-Proto": "https"})
    assert response.status == 200
    assert f'href="/static/{site_css(production)}"'.encode() in body
    assert b'href="/static/css/site.css"' not in body


def test_hashed_static_files_are_compressed_and_cached_for_ever(server, production):
    path = "/static/" + site_css(production)
    for encoding in ("br", "gzip"):
        response, _ = get(
            server, path, **{"Accept-Encoding": encoding, "X-Forwarded-Proto": "https"}
        )
        assert response.status == 200
        assert response.getheader("Content-Encoding") == encoding
        assert response.getheader("Cache-Control") == FAR_FUTURE
    response, _ = get(server, "/static/css/site.css", **{"X-Forwarded-Proto": "https"})
    assert response.status == 200
    assert response.getheader("Cache-Control") != FAR_FUTURE


def test_security_headers_behind_the_https_proxy(server):
    response, _ = get(server, "/articles/", **{"X-Forwarded-Proto": "https"})
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Referrer-Policy") == "strict-origin-when-cross-origin"
    assert response.getheader("X-Frame-Options") == "DENY"
    csp = response.getheader("Content-Security-Policy")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    cookie = response.getheader("Set-Cookie") or ""
    assert "sessionid" not in cookie  # reading an article starts no session


def test_plain_http_is_redirected_to_https_except_the_health_check(server):
    response, _ = get(server, "/articles/")
    assert response.status == 301
    assert response.getheader("Location") == "https://oana.example/articles/"
    response, body = get(server, "/healthz")
    assert response.status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok"}


def test_unknown_page_is_the_friendly_404_with_hashed_styles(server, production):
    response, body = get(server, "/no-such-page/", **{"X-Forwarded-Proto": "https"})
    assert response.status == 404
    assert b"We couldn't find that page" in body
    assert site_css(production).encode() in body


def test_the_access_log_has_the_client_address_and_no_order_id_email_or_query(server, production):
    root, _ = production
    public_id = "Xq3v9Lk2-Pz8Rt5Wm1Nb7Yc4Hd6Jf0Ga"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    get(server, f"/orders/{public_id}/?email=jane%40example.com", **forwarded)
    get(server, "/staff-4f7c2a/orders/order/?q=pregnant", **forwarded)
    lines = (root / "access.log").read_text().splitlines()
    order_line = next(line for line in lines if "/orders/[order]/" in line)
    assert order_line.startswith("198.51.100.7 ")  # the client, not the proxy
    assert '"GET /orders/[order]/ HTTP/1.1" 404' in order_line
    text = "\n".join(lines)
    for secret in (public_id, "jane", "email=", "pregnant", "?"):
        assert secret not in text, secret


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_reload_swaps_the_workers_without_a_failed_request(production):
    """The documented update (issue 18 item 10): `make reload` sends SIGHUP to the master in
    gunicorn's pid file; requests keep being answered while the workers are replaced."""
    root, env = production
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pid_file = root / "gunicorn.pid"
    ignored = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "DEBUG"}
    full_env = {k: v for k, v in os.environ.items() if k not in ignored}
    full_env.update(
        env, GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2", GUNICORN_PID_FILE=str(pid_file)
    )
    error_log = root / "reload-error.log"
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    process = subprocess.Popen(
        [gunicorn, "-c", "gunicorn.conf.py", "oana.wsgi"],
        cwd=BASE_DIR,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=error_log.open("w"),
    )
    statuses, stop = [], threading.Event()

    def load():
        while not stop.is_set():
            try:
                statuses.append(get(port, "/healthz")[0].status)
            except OSError as error:
                statuses.append(type(error).__name__)

    def booted():
        return error_log.read_text().count("Booting worker with pid")

    try:
        deadline = time.monotonic() + 30
        while not (pid_file.exists() and booted() == 2) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert booted() == 2, error_log.read_text()
        loader = threading.Thread(target=load)
        loader.start()
        deadline = time.monotonic() + 20  # a loaded machine answers the first one slowly
        while not statuses and time.monotonic() < deadline:
            time.sleep(0.1)
        before = len(statuses)
        reload = subprocess.run(
            ["make", "--no-print-directory", "reload", f"PID_FILE={pid_file}"],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert reload.returncode == 0, reload.stderr
        deadline = time.monotonic() + 30
        while booted() < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        served = len(statuses)
        deadline = time.monotonic() + 20
        while len(statuses) < served + 11 and time.monotonic() < deadline:
            time.sleep(0.1)  # the new workers serve
        stop.set()
        loader.join(timeout=30)
    finally:
        stop.set()
        process.terminate()
        process.wait(timeout=30)
    log = error_log.read_text()
    assert booted() == 4 and "Handling signal: hup" in log, log
    assert before > 0 and len(statuses) > before + 10
    assert set(statuses) == {200}, [s for s in statuses if s != 200][:5]
    assert not pid_file.exists()  # gunicorn removed it on exit
