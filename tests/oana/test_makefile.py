"""The Makefile picks the first Python 3.12+ among python3, python3.13, python3.12 and
/usr/bin/python3, and says so plainly when there is none. Driven with a PATH of fakes."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.commands import run

BASE_DIR = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")
NAMES_ONLY = "PYTHON_CANDIDATES=python3 python3.13 python3.12"

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def fake_old_python(directory, name="python3"):
    """An interpreter that fails the 3.12 check, as Python 3.11 would."""
    path = directory / name
    path.write_text(
        '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "Python 3.11.9"; exit 0; fi\nexit 1\n'
    )
    path.chmod(0o755)
    return path


def make(*args, path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    env["PATH"] = str(path)
    return run([MAKE, "--no-print-directory", *args], env=env)


def test_first_python_312_or_newer_wins_over_an_older_python3(tmp_path):
    fake_old_python(tmp_path)
    (tmp_path / "python3.12").symlink_to(sys._base_executable)
    result = make("which-python", path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "python3.12")


def test_python3_is_preferred_when_it_is_new_enough(tmp_path):
    (tmp_path / "python3").symlink_to(sys._base_executable)
    (tmp_path / "python3.12").symlink_to(sys._base_executable)
    result = make("which-python", path=tmp_path)
    assert result.stdout.strip() == str(tmp_path / "python3")


def test_only_an_old_python_gives_a_clear_message(tmp_path):
    fake_old_python(tmp_path)
    fake_old_python(tmp_path, "python3.12")
    result = make("which-python", NAMES_ONLY, path=tmp_path)
    assert result.returncode != 0
    assert "Oana needs Python 3.12 or newer" in result.stderr
    assert "Install Python 3.12+ and try again." in result.stderr


def test_creating_the_venv_stops_with_the_message_and_creates_nothing(tmp_path):
    fake_old_python(tmp_path)
    venv = tmp_path / "venv"
    result = make(f"VENV={venv}", f"{venv}/bin/python", NAMES_ONLY, path=tmp_path)
    assert result.returncode != 0
    assert "Oana needs Python 3.12 or newer" in result.stderr
    assert not venv.exists()


def test_the_candidates_are_the_documented_four():
    result = subprocess.run(
        [MAKE, "-pn", "which-python"], cwd=BASE_DIR, capture_output=True, text=True, timeout=60
    )
    assert "PYTHON_CANDIDATES := python3 python3.13 python3.12 /usr/bin/python3" in result.stdout


def dry_run(target, **variables):
    assignments = [f"{name}={value}" for name, value in variables.items()]
    result = subprocess.run(
        [MAKE, "--no-print-directory", "-n", "-o", ".venv/.installed", target, *assignments],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_make_release_runs_the_checks_collectstatic_and_migrate_and_starts_nothing():
    assert dry_run("release") == [
        ".venv/bin/python manage.py check --deploy --fail-level WARNING",
        ".venv/bin/python manage.py collectstatic --noinput",
        ".venv/bin/python manage.py migrate --noinput",
    ]


def test_make_serve_keeps_its_first_start_steps_then_gunicorn_with_a_pid_file():
    lines = dry_run("serve")
    assert lines[:3] == dry_run("release")
    assert lines[3:] == [".venv/bin/gunicorn -c gunicorn.conf.py oana.wsgi"]
    result = subprocess.run(
        [MAKE, "-pn", "serve"], cwd=BASE_DIR, capture_output=True, text=True, timeout=60
    )
    assert "serve: GUNICORN_PID_FILE := gunicorn.pid" in result.stdout  # exported to gunicorn


def test_make_reload_sends_sighup_to_the_master_in_the_pid_file(tmp_path):
    """The documented update: `make release`, then `make reload` (issue 18 item 10)."""
    master = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, sys, time\n"
            "signal.signal(signal.SIGHUP, lambda *a: (print('SIGHUP', flush=True), sys.exit(0)))\n"
            "print('ready', flush=True)\n"
            "time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert master.stdout.readline() == "ready\n"
    pid_file = tmp_path / "gunicorn.pid"
    pid_file.write_text(f"{master.pid}\n")
    result = subprocess.run(
        [MAKE, "--no-print-directory", "reload", f"PID_FILE={pid_file}"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out, _ = master.communicate(timeout=30)
    assert out == "SIGHUP\n" and master.returncode == 0


def test_make_reload_without_a_running_gunicorn_says_so(tmp_path):
    result = subprocess.run(
        [MAKE, "--no-print-directory", "reload", f"PID_FILE={tmp_path / 'none.pid'}"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "No gunicorn to reload" in result.stderr and "none.pid is missing" in result.stderr
