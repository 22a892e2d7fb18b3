"""`make bench`: how fast the public pages are under gunicorn, against two trivial views.

Three servers run side by side on free ports of 127.0.0.1:

- **site**: the app started by `make serve` itself (deployment checks, collectstatic, migrate,
  gunicorn with gunicorn.conf.py), on PostgreSQL (`DATABASE_URL`) and Redis (`CACHE_URL`),
  with the seed content loaded;
- **our trivial view**: the same command, settings, middleware and gunicorn configuration,
  with `DJANGO_SETTINGS_MODULE=bench.settings`, whose URL configuration (bench/urls.py, never
  the public one) adds `/bench/trivial/`;
- **minimal project**: a Django project written to a temporary folder (whitenoise, the
  security and common middleware, one trivial view) under gunicorn's sync workers, as many as
  ours.

After a warm-up, `wrk` (16 connections) runs in interleaved rounds against each public page and
both trivial views. Every request carries `X-Forwarded-Proto: https` and comes from 127.0.0.1,
a trusted proxy (TRUSTED_PROXIES), so the site serves it as HTTPS; each URL is checked to
answer 200 (not a redirect) before anything is measured. The table gives requests per second
(mean over rounds), p50 (median over rounds), p99 (the worst round), errors (socket errors and
non-2xx/3xx answers) and the two ratios. The loader shares the machine with the servers, so the
ratios of one run are what to compare, not the absolute figures.

Environment: DATABASE_URL (required, PostgreSQL; the database is created if missing),
CACHE_URL (default redis://127.0.0.1:6379/7), BENCH_ROUNDS (3), BENCH_SECONDS (5),
BENCH_CONNECTIONS (16), BENCH_PAGES (names from PAGES, comma-separated: only those), and
anything gunicorn.conf.py reads (WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_MAX_REQUESTS,
GUNICORN_ACCESS_LOG), to compare settings.
"""

import http.client
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parents[1]
PYTHON = Path(sys.executable)
BIN = PYTHON.parent

PAGES = [
    ("home", "/"),
    ("article list", "/articles/"),
    ("article", "/articles/magnesium-and-insulin-resistance/"),
    ("catalog", "/treatments/"),
    ("category", "/treatments/unwanted-hair/"),
    ("treatment", "/treatments/unwanted-hair/hairless-hype/"),
    ("cart", "/cart/"),
]
TRIVIAL = "/bench/trivial/"
HEADERS = {"X-Forwarded-Proto": "https"}
# Targets (issue 13): every page at least this share of each trivial view, p99 under this.
TARGET_OURS, TARGET_MINIMAL, TARGET_P99_MS = 0.50, 0.25, 100.0

MINIMAL_SETTINGS = """
from pathlib import Path
SECRET_KEY = "minimal-bench-project-secret-key-not-used-for-anything-else"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.staticfiles"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "minimal.urls"
STATIC_URL = "/static/"
STATIC_ROOT = Path(__file__).resolve().parent.parent / "static"
DATABASES = {}
USE_TZ = True
"""
MINIMAL_URLS = """
from django.http import HttpResponse
from django.urls import path


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial)]
"""
MINIMAL_WSGI = """
import os
from django.core.wsgi import get_wsgi_application
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minimal.settings")
application = get_wsgi_application()
"""

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(text):
    """wrk --latency output as {"rps", "p50", "p99", "errors"} (latencies in ms)."""

    def latency(percent):
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        return float(match[1]) * UNITS_MS[match[2]]

    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    bad_status = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text)[1]),
        "p50": latency(50),
        "p99": latency(99),
        "errors": (sum(map(int, socket_errors.groups())) if socket_errors else 0)
        + (int(bad_status[1]) if bad_status else 0),
    }


def summarize(runs):
    """One row from the rounds of one URL: mean req/s, median p50, worst p99, all errors."""
    return {
        "rps": statistics.fmean(run["rps"] for run in runs),
        "p50": statistics.median(run["p50"] for run in runs),
        "p99": max(run["p99"] for run in runs),
        "errors": sum(run["errors"] for run in runs),
    }


def table(rows, ours, minimal):
    """The printed table; ``rows`` is [(name, summary)], the trivial views' summaries apart."""
    lines = [
        f"{'page':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'/ ours':>9}{'/ minimal':>11}  targets",
    ]
    for name, row in rows:
        to_ours, to_minimal = row["rps"] / ours["rps"], row["rps"] / minimal["rps"]
        trivial = name.startswith(("our trivial", "minimal"))
        met = (
            to_ours >= TARGET_OURS
            and to_minimal >= TARGET_MINIMAL
            and row["p99"] < TARGET_P99_MS
            and not row["errors"]
        )
        lines.append(
            f"{name:<22}{row['rps']:>9.0f}{row['p50']:>9.1f}{row['p99']:>9.1f}"
            f"{row['errors']:>8}{to_ours:>8.0%}{to_minimal:>10.0%}  "
            + ("" if trivial else ("met" if met else "MISSED"))
        )
    return "\n".join(lines)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port, path, timeout=10):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location")
    finally:
        connection.close()


def wait_until_up(port, process, log, path="/healthz", timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"A server stopped before answering; its log:\n{Path(log).read_text()}")
        try:
            if get(port, path, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit(f"No answer on port {port} after {timeout}s; log: {log}")


class Servers:
    """Processes started in process groups of their own, all stopped at the end."""

    def __init__(self, folder):
        self.folder, self.processes = Path(folder), []

    def start(self, name, command, env, cwd=BASE_DIR):
        log = self.folder / f"{name}.log"
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process, log

    def stop(self):
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def ensure_database(url):
    """Create the PostgreSQL database named in ``url`` if it does not exist yet."""
    import psycopg

    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit(f"make bench measures PostgreSQL: DATABASE_URL is {url!r}.")
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def site_environment():
    """A production environment (as a server would have it) for this run, bench-only secrets."""
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        {
            "OANA_PRODUCTION": "1",
            "DEBUG": "false",
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "CACHE_URL": os.environ.get("CACHE_URL") or "redis://127.0.0.1:6379/7",
        }
    )
    defaults = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TRUSTED_PROXIES": "127.0.0.1,::1",
        "SITE_URL": "https://127.0.0.1",
        "ADMIN_URL": f"staff-{secrets.token_hex(4)}/",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_WEBHOOK_SECRET": "whsec_bench",
        "EMAIL_URL": "smtp+tls://bench:bench@127.0.0.1:2525",
    }
    for name, value in defaults.items():
        env[name] = env.get(name) or value
    return env


def write_minimal_project(folder):
    package = Path(folder) / "minimal"
    package.mkdir()
    (Path(folder) / "static").mkdir()
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(MINIMAL_SETTINGS)
    (package / "urls.py").write_text(MINIMAL_URLS)
    (package / "wsgi.py").write_text(MINIMAL_WSGI)


def wrk(port, path, seconds, connections):
    command = [
        "wrk",
        f"-t{min(connections, max(1, os.cpu_count() or 1))}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        *[f"-H{name}: {value}" for name, value in HEADERS.items()],
        f"http://127.0.0.1:{port}{path}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse_wrk(result.stdout)


def main():
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL=postgres://... (make bench sets a default).")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (make bench installs it: apt-get install -y wrk).")
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    seconds = int(os.environ.get("BENCH_SECONDS", "5"))
    connections = int(os.environ.get("BENCH_CONNECTIONS", "16"))
    ensure_database(os.environ["DATABASE_URL"])
    env = site_environment()
    workers = env.get("WEB_CONCURRENCY") or str(multiprocessing.cpu_count() * 2 + 1)

    with tempfile.TemporaryDirectory(prefix="oana-bench-") as folder:
        servers = Servers(folder)
        try:
            manage = [str(PYTHON), "manage.py"]
            subprocess.run(
                [*manage, "migrate", "--noinput"],
                cwd=BASE_DIR,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            subprocess.run(
                [*manage, "seed"], cwd=BASE_DIR, env=env, check=True, stdout=subprocess.DEVNULL
            )

            site_port, ours_port, minimal_port = free_port(), free_port(), free_port()
            site, site_log = servers.start(
                "site", ["make", "-s", "serve"], {**env, "GUNICORN_BIND": f"127.0.0.1:{site_port}"}
            )
            wait_until_up(site_port, site, site_log)
            ours, ours_log = servers.start(
                "ours",
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "oana.wsgi"],
                {
                    **env,
                    "GUNICORN_BIND": f"127.0.0.1:{ours_port}",
                    "DJANGO_SETTINGS_MODULE": "bench.settings",
                },
            )
            write_minimal_project(folder)
            minimal, minimal_log = servers.start(
                "minimal",
                [
                    str(BIN / "gunicorn"),
                    "--workers",
                    workers,
                    "--bind",
                    f"127.0.0.1:{minimal_port}",
                    "minimal.wsgi",
                ],
                {"PATH": env["PATH"], "HOME": env.get("HOME", folder), "PYTHONPATH": folder},
                cwd=folder,
            )
            wait_until_up(ours_port, ours, ours_log)
            wait_until_up(minimal_port, minimal, minimal_log, path=TRIVIAL)

            only = os.environ.get("BENCH_PAGES")
            pages = [(n, p) for n, p in PAGES if not only or n in only.split(",")]
            targets = [(name, site_port, path) for name, path in pages] + [
                ("our trivial view", ours_port, TRIVIAL),
                ("minimal project", minimal_port, TRIVIAL),
            ]
            for name, port, path in targets:
                status, location = get(port, path)
                if status != 200:
                    sys.exit(f"{name} ({path}) answered {status} {location or ''}, not 200.")

            print(
                f"{os.cpu_count()} CPUs, loader on the same machine; {workers} workers, "
                f"{rounds} rounds of {seconds}s, {connections} connections"
            )
            for _name, port, path in targets:  # warm-up: caches, connections, imports
                wrk(port, path, 2, connections)
            runs = {name: [] for name, _, _ in targets}
            for number in range(rounds):
                for name, port, path in targets:
                    runs[name].append(wrk(port, path, seconds, connections))
                print(f"round {number + 1} of {rounds} done", file=sys.stderr)
        finally:
            servers.stop()

    summaries = [(name, summarize(runs[name])) for name, _, _ in targets]
    ours_row, minimal_row = summaries[-2][1], summaries[-1][1]
    print(table(summaries, ours_row, minimal_row))


if __name__ == "__main__":
    main()
