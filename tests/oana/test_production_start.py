""".env is for local development only. A production start (gunicorn through gunicorn.conf.py,
`make serve`) never reads it, refuses DEBUG, and refuses any `check --deploy` warning: started
for real here, in subprocesses whose environment holds nothing but what each test gives."""

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.oana.test_site import PRODUCTION_ENV

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REFUSES = "Oana refuses to start in production"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(tmp_path, **variables):
    """Only what a server would have: no DEBUG or database from the test run itself."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
        "WEB_CONCURRENCY": "1",
        **variables,
    }


GUNICORN = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "oana.wsgi"]


def start(command, env, cwd=BASE_DIR):
    """In a process group of its own, so that stopping it stops whatever it started too."""
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def stop(process):
    os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.communicate()


def refusal(command, env, cwd=BASE_DIR):
    """Exit status and stderr of a start that must refuse; one that serves is stopped, and fails."""
    process = start(command, env, cwd)
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        stop(process)
        pytest.fail(f"{' '.join(command)} started instead of refusing")
    return process.returncode, stderr


@pytest.fixture
def checkout_with_dot_env(tmp_path):
    """A copy of the project where `make run` has written .env (DEBUG on, test-mode checkout)."""
    root = tmp_path / "oana"
    shutil.copytree(
        BASE_DIR,
        root,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".env", "db.sqlite3*", "staticfiles", "media", "screenshots",
            "__pycache__", ".*_cache", ".coverage*", "htmlcov",
        ),
    )  # fmt: skip
    shutil.copy(root / ".env.example", root / ".env")
    assert "DEBUG=true" in (root / ".env").read_text().splitlines()
    return root


def test_gunicorn_refuses_debug_on(tmp_path):
    env = environment(tmp_path, **{**PRODUCTION_ENV, "DEBUG": "true"})
    status, stderr = refusal(GUNICORN, env)
    assert status != 0
    assert REFUSES in stderr
    assert "DEBUG is on, and this is a production start" in stderr
    assert "Listening at" not in stderr


def test_gunicorn_refuses_a_deployment_warning(tmp_path):
    env = environment(tmp_path, **{**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "false"})
    status, stderr = refusal(GUNICORN, env)
    assert status != 0
    assert REFUSES in stderr
    assert "(security.W008) Your SECURE_SSL_REDIRECT setting is not set to True" in stderr
    assert "Listening at" not in stderr


def test_gunicorn_refuses_to_start_on_the_development_dot_env(tmp_path, checkout_with_dot_env):
    """The defect: after `make run`, production started with DEBUG on and free checkout."""
    status, stderr = refusal(GUNICORN, environment(tmp_path), cwd=checkout_with_dot_env)
    assert status != 0
    assert REFUSES in stderr
    # .env would have turned DEBUG on and supplied a throwaway key: it was not read.
    assert "SECRET_KEY must be set when DEBUG is off" in stderr


def test_gunicorn_without_its_config_file_still_refuses_the_development_dot_env(
    tmp_path, checkout_with_dot_env
):
    """The defect: `gunicorn --chdir <checkout> oana.wsgi` from another directory found no
    gunicorn.conf.py and served .env with DEBUG on. The WSGI module itself is a production
    start now."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = environment(tmp_path)
    command = [
        str(BIN / "gunicorn"),
        "--chdir",
        str(checkout_with_dot_env),
        "--bind",
        env["GUNICORN_BIND"],
        "--workers",
        "1",
        "oana.wsgi",
    ]
    status, stderr = refusal(command, env, cwd=elsewhere)
    assert status != 0
    assert "SECRET_KEY must be set when DEBUG is off" in stderr  # .env was not read
    assert "Booting worker" in stderr and "Worker failed to boot" in stderr


def test_the_development_server_entry_reads_dot_env(tmp_path, checkout_with_dot_env):
    """`make run` keeps working: runserver imports oana.dev_wsgi, which may read .env."""
    env = environment(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", "import oana.dev_wsgi; from django.conf import settings; "
         "print(settings.DEBUG, settings.WSGI_APPLICATION)"],
        cwd=checkout_with_dot_env, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.stdout.split() == ["True", "oana.dev_wsgi.application"], result.stderr


def get(port, path, **headers):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": "oana.example", **headers})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_production_settings_win_over_the_development_dot_env(tmp_path, checkout_with_dot_env):
    """Production variables without DEBUG, beside a .env saying DEBUG=true: DEBUG stays off."""
    production = {k: v for k, v in PRODUCTION_ENV.items() if k != "DEBUG"}
    env = environment(tmp_path, **production)
    port = int(env["GUNICORN_BIND"].rsplit(":", 1)[1])
    process = start(GUNICORN, env, cwd=checkout_with_dot_env)
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, process.communicate()[1]
                time.sleep(0.1)
        # DEBUG off: HTTP is redirected, HTTPS answers with HSTS (both off under DEBUG).
        response = get(port, "/robots.txt")
        assert response.status == 301
        response = get(port, "/robots.txt", **{"X-Forwarded-Proto": "https"})
        assert response.status == 200
        assert response.getheader("Strict-Transport-Security", "").startswith("max-age=31536000")
    finally:
        stop(process)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_serve_refuses_to_start_on_the_development_dot_env(tmp_path, checkout_with_dot_env):
    venv = BIN.parent
    # -o: the project's own venv is used as it is, never reinstalled by this test.
    command = ["make", "--no-print-directory", f"VENV={venv}", "-o", f"{venv}/.installed", "serve"]
    status, stderr = refusal(command, environment(tmp_path), cwd=checkout_with_dot_env)
    assert status != 0
    assert "SECRET_KEY must be set when DEBUG is off" in stderr
    # Refused at the first step: nothing was collected or migrated.
    assert not (checkout_with_dot_env / "staticfiles").exists()
    assert not (tmp_path / "db.sqlite3").exists()
