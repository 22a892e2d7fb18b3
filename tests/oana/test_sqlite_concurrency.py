"""SQLite (the default database) lets concurrent writers wait their turn instead of failing with
"database is locked": eight patients pressing "Pay (test)" at the same moment all get their
order paid. Run against a real database file (the suite's own SQLite test database lives in
memory), in a subprocess configured by the project's settings alone.

The workload is this module's ``main()``: ``python -m tests.oana.test_sqlite_concurrency``.
"""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
WRITERS = 8
ADDRESS = {
    "action": "pay",
    "name": "Jane Patient",
    "line1": "9 Elm St",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78701",
}

pytestmark = pytest.mark.sqlite_only


def main():
    """Migrate a fresh database file, place WRITERS orders, then pay them all at once, one
    thread (and so one database connection) each, through the TEST MODE page."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oana.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from orders.models import Order
    from orders.services.checkout import start_payment
    from payments.gateways import TestModeGateway
    from tests.support.factories import make_order, make_plan

    call_command("migrate", verbosity=0)
    orders = [make_order(make_plan(f"Treatment {n}")) for n in range(WRITERS)]
    for order in orders:  # each on its way to the TEST MODE page, as checkout sends her
        start_payment(order, TestModeGateway(), success_url="/", cancel_url="/")
    connection.close()

    start = threading.Barrier(WRITERS)
    results = [None] * WRITERS

    def pay(index):
        client = Client(raise_request_exception=False)
        start.wait()
        response = client.post(f"/checkout/test-mode/{orders[index].public_id}/", ADDRESS)
        results[index] = response.status_code
        connection.close()

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    paid = Order.objects.filter(status=Order.Status.AWAITING_REVIEW).count()
    journal_mode = connection.cursor().execute("PRAGMA journal_mode").fetchone()[0]
    print(json.dumps({"statuses": results, "paid": paid, "journal_mode": journal_mode}))


def test_eight_patients_paying_at_once_all_get_their_order_paid(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # Local development, as `make run`: DEBUG on, no Stripe key, so the TEST MODE page.
        "DEBUG": "true",
        "STRIPE_SECRET_KEY": "",
        "ALLOWED_HOSTS": "testserver",
        "EMAIL_URL": "memorymail://",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tests.oana.test_sqlite_concurrency"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome["statuses"] == [302] * WRITERS, result.stderr[-3000:]
    assert outcome["paid"] == WRITERS
    assert "database is locked" not in result.stderr
    assert outcome["journal_mode"] == "wal"


if __name__ == "__main__":
    main()
