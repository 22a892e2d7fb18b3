"""`make bench-staff`: the pages a clinic lives in, at 100,000 orders, in-process and under
gunicorn, signed in.

1. The database (`DATABASE_URL`, PostgreSQL; created if missing) is migrated and seeded, and
   `manage.py seed_scale --orders BENCH_ORDERS` (100,000) adds the large clinic unless it
   holds that many orders already (a second run reuses it).
2. In a child process with the site's production settings (made-up secrets, as `make bench`
   uses), a superuser signs in as staff do (password, then her authenticator's code) and the
   busy patient (50 orders) signs in; each page is requested `BENCH_REQUESTS` times (30)
   with Django's test client after a warm-up: queries, median and p95 milliseconds.
3. `make serve`'s gunicorn starts on the same database and cache, and wrk (`BENCH_CONNECTIONS`,
   16) requests each page for `BENCH_SECONDS` (5) with the signed-in session's cookie.

`BENCH_PAGES=review,orders` measures only the pages whose names start with those words.
Figures go in docs/performance.md; no test asserts a time.
"""

import base64
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import (  # noqa: E402
    BASE_DIR,
    PYTHON,
    Servers,
    ensure_database,
    free_port,
    parse_wrk,
    site_environment,
    wait_until_up,
)

ORDERS = int(os.environ.get("BENCH_ORDERS", "100000"))
TARGET_P95_MS = 150.0
PASSWORD = "bench-staff-password-not-secret-42"
BENCH_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"oana bench-staff only").digest()).decode()


def pages():
    """[(name, who, path)]: the pages measured, with who looks at them."""
    from django.contrib import admin
    from django.urls import reverse

    from oana.scale import BUSY_PATIENT_EMAIL
    from orders.models import Order, Thread

    order = Order.objects.filter(email=BUSY_PATIENT_EMAIL).order_by("pk").first()
    medical = Thread.objects.filter(topic=Thread.Topic.MEDICAL).order_by("pk").first()
    queue = reverse("admin:orders_reviewqueueorder_changelist")
    orders = reverse("admin:orders_order_changelist")
    shipments = reverse("admin:orders_shipment_changelist")
    inbox = reverse("admin:orders_thread_changelist")
    named = [
        ("staff index (dashboard)", "staff", reverse("admin:index")),
        ("review queue", "staff", queue),
        ("review queue, red flags", "staff", f"{queue}?red_flags=yes"),
        ("orders", "staff", orders),
        ("orders, search reference", "staff", f"{orders}?q={order.reference}"),
        ("orders, search email", "staff", f"{orders}?q={order.email}"),
        ("orders, search name", "staff", f"{orders}?q={order.full_name.split()[-1]}"),
        ("orders, past due", "staff", f"{orders}?status__exact=past_due"),
        ("order page", "staff", reverse("admin:orders_order_change", args=[order.pk])),
        ("shipments", "staff", shipments),
        ("shipments, to ship", "staff", f"{shipments}?queue=to_ship"),
        ("care-team inbox", "staff", inbox),
        ("inbox, unread", "staff", f"{inbox}?unread=yes"),
        ("medical thread", "staff", reverse("admin:orders_thread_change", args=[medical.pk])),
        ("failed tasks", "staff", reverse("admin:oana_failedtask_changelist")),
        ("her account", "patient", reverse("orders:account")),
        ("her order page", "patient", order.get_absolute_url()),
    ]
    seen = {path for _, _, path in named}
    for model in admin.site._registry:
        path = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        if path not in seen:
            named.append((f"{model._meta.verbose_name_plural} (list)", "staff", path))
    only = [word for word in os.environ.get("BENCH_PAGES", "").split(",") if word]
    return [page for page in named if not only or page[0].startswith(tuple(only))]


def signed_in_clients():
    """A superuser signed in with her password and authenticator code, and the busy patient."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from oana.scale import BUSY_PATIENT_EMAIL
    from orders.models import Order

    User = get_user_model()
    user = User.objects.filter(username="bench-staff").first() or User(username="bench-staff")
    user.is_staff = user.is_superuser = True
    user.set_password(PASSWORD)
    user.save()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    staff = Client(HTTP_X_FORWARDED_PROTO="https")
    staff.get(reverse("admin:login"), secure=True)
    csrf = {"csrfmiddlewaretoken": staff.cookies["csrftoken"].value}
    login = {"username": user.username, "password": PASSWORD, **csrf}
    response = staff.post(reverse("admin:login"), login, secure=True)
    assert response.status_code == 302, f"the password step answered {response.status_code}"
    while (time.time() - device.t0) // device.step <= device.last_t:
        time.sleep(1)  # a code is good once: the last run used this one
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    code = f"{generator.token():0{device.digits}d}"
    verify = staff.post(reverse("admin:staff_verify"), {"otp_token": code, **csrf}, secure=True)
    assert verify.status_code == 302, f"the code step answered {verify.status_code}"
    patient = Client(HTTP_X_FORWARDED_PROTO="https")
    her = Order.objects.filter(email=BUSY_PATIENT_EMAIL).order_by("pk").first().patient
    patient.force_login(her, backend="django.contrib.auth.backends.ModelBackend")
    return {"staff": staff, "patient": patient}


def in_process(requests):
    """Runs in the child: every page's queries, median and p95 ms; the sessions' cookies."""
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clients = signed_in_clients()
    rows = []
    for name, who, path in pages():
        client = clients[who]
        for _ in range(3):  # warm-up: templates, connections, the cache
            response = client.get(path, secure=True)
        if response.status_code != 200:
            sys.exit(f"{name} ({path}) answered {response.status_code}")
        with CaptureQueriesContext(connection) as queries:
            client.get(path, secure=True)
        count = len(queries)  # now: the slice is read lazily
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(path, secure=True)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        rows.append([name, who, path, count, statistics.median(times), p95])
    cookies = {
        who: "; ".join(f"{key}={morsel.value}" for key, morsel in client.cookies.items())
        for who, client in clients.items()
    }
    print(json.dumps({"rows": rows, "cookies": cookies}))


def wrk(port, path, cookie, seconds, connections):
    command = [
        "wrk",
        f"-t{min(connections, os.cpu_count() or 1)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",  # wrk's 2 s would count a queued staff page as an error, not a latency
        "-HX-Forwarded-Proto: https",
        f"-HCookie: {cookie}",
        f"http://127.0.0.1:{port}{path}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse_wrk(result.stdout)


def table(rows):
    lines = [
        f"{'page':<44}{'queries':>8}{'p50 ms':>8}{'p95 ms':>8}{'req/s':>8}"
        f"{'wrk p50':>9}{'wrk p99':>9}{'errors':>7}  target"
    ]
    for row in rows:
        name, _, _, queries, median, p95 = row[:6]
        served = row[6] if len(row) > 6 else None
        figures = (
            f"{served['rps']:>8.0f}{served['p50']:>9.1f}{served['p99']:>9.1f}{served['errors']:>7}"
            if served
            else f"{'-':>8}{'-':>9}{'-':>9}{'-':>7}"
        )
        verdict = "met" if p95 < TARGET_P95_MS else "MISSED"
        lines.append(f"{name:<44}{queries:>8}{median:>8.1f}{p95:>8.1f}{figures}  {verdict}")
    return "\n".join(lines)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "in-process":
        in_process(int(os.environ.get("BENCH_REQUESTS", "30")))
        return
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL=postgres://... (make bench-staff sets a default).")
    seconds = int(os.environ.get("BENCH_SECONDS", "5"))
    connections = int(os.environ.get("BENCH_CONNECTIONS", "16"))
    ensure_database(os.environ["DATABASE_URL"])
    env = site_environment()
    env["ALLOWED_HOSTS"] += ",testserver"  # the in-process client's host
    # The clinic is kept from run to run: its made-up health data needs the same key each
    # time (a bench-only key, never a real one).
    env["FIELD_ENCRYPTION_KEYS"] = os.environ.get("FIELD_ENCRYPTION_KEYS") or BENCH_KEY
    manage = [str(PYTHON), "manage.py"]
    run = {"cwd": BASE_DIR, "env": env, "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([*manage, "migrate", "--noinput"], **run)
    subprocess.run([*manage, "seed"], **run)
    subprocess.run([*manage, "collectstatic", "--noinput"], **run)  # as make serve does
    count = subprocess.run(
        [*manage, "shell", "-c", "from orders.models import Order; print(Order.objects.count())"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    if int(count.stdout.split()[-1]) < ORDERS:
        # seed_scale refuses without DEBUG: this database is the benchmark's own.
        seed = [*manage, "seed_scale", "--orders", str(ORDERS)]
        development = {**env, "DEBUG": "true"}
        development.pop("OANA_PRODUCTION")
        subprocess.run(seed, cwd=BASE_DIR, env=development, check=True)
    child = subprocess.run(
        [str(PYTHON), str(Path(__file__).resolve()), "in-process"],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "oana.settings"},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    rows, cookies = measured["rows"], measured["cookies"]
    print(f"in-process: {len(rows)} pages measured", file=sys.stderr)
    if os.environ.get("BENCH_WRK", "1") != "0":  # BENCH_WRK=0: in-process only
        under_gunicorn(env, rows, cookies, seconds, connections)
    print(
        f"{ORDERS:,} orders; in-process: {os.environ.get('BENCH_REQUESTS', '30')} requests "
        f"per page; wrk: {connections} connections, {seconds} s per page"
    )
    print(table(rows))


def under_gunicorn(env, rows, cookies, seconds, connections):
    """`make serve` on the same database; wrk on each page with the signed-in cookie."""
    with tempfile.TemporaryDirectory(prefix="oana-bench-staff-") as folder:
        servers = Servers(folder)
        try:
            port = free_port()
            site, log = servers.start(
                "site", ["make", "-s", "serve"], {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
            )
            wait_until_up(port, site, log)
            for row in rows:
                name, who, path = row[:3]
                wrk(port, path, cookies[who], 1, connections)  # warm-up
                row.append(wrk(port, path, cookies[who], seconds, connections))
                print(f"wrk: {name}", file=sys.stderr)
        finally:
            servers.stop()


if __name__ == "__main__":
    main()
