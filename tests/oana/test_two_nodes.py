"""Two app nodes, one database, one Redis, one worker and the scheduler: the deployment
docs/operations.md describes ("More than one machine"), run for real with production settings
(DEBUG off) and a bounded mixed load through both nodes at once, then an audit of the database
and the mail.

- Stripe is the tests' fake Stripe server; the nodes reach it over HTTP.
- Email goes to a small SMTP sink in this process.
- Rate limits are raised for the run (one client address sends everything).
- Patients browse; checkouts fill the cart on one node and answer the questionnaire on the
  other; Stripe's signed ``checkout.session.completed`` and ``invoice.paid`` reach both nodes
  at the same moment; some orders are approved; a price changes mid-run (from a third
  process, as the admin would save it).
"""

import json
import re
import socket
import socketserver
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from urllib.parse import urlencode

import psycopg
import pytest
from django.db import connection

from tests.oana.test_production_start import BASE_DIR, BIN, free_port, start, stop
from tests.oana.test_site import PRODUCTION_ENV
from tests.support.factories import answers
from tests.support.fake_stripe import FakeStripe
from tests.support.stripe_helpers import WEBHOOK_SECRET, event, signed_header

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

BROWSING_PATIENTS = 200
CHECKOUTS = 50
APPROVED = 10
HOST = "oana.example"
TREATMENT = "/treatments/insulin-sensitizers/oral-metformin-er/"
PAGES = ["/", "/articles/", "/treatments/", "/treatments/insulin-sensitizers/", TREATMENT, "/cart/"]


class SmtpSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP to take mail: every message's recipients and subject are kept."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        self.messages = []
        self.lock = threading.Lock()


class SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self):
        self.reply("220 sink")
        recipients, data = [], None
        while line := self.rfile.readline():
            text = line.decode(errors="replace").rstrip("\r\n")
            if data is not None:
                if text == ".":
                    subject = next((h[9:] for h in data if h.lower().startswith("subject: ")), "")
                    with self.server.lock:
                        self.server.messages.append((tuple(sorted(recipients)), subject))
                    recipients, data = [], None
                    self.reply("250 queued")
                else:
                    data.append(text)
                continue
            verb = text.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250 sink")
            elif verb == "RCPT":
                recipients.append(re.search(r"<(.*)>", text).group(1))
                self.reply("250 ok")
            elif verb == "DATA":
                data = []
                self.reply("354 go on")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class Visitor:
    """One browser: its own cookies (sent back whatever their Secure flag: the nodes sit
    behind an HTTPS proxy, which we play), through whichever node it is sent to."""

    def __init__(self, statuses):
        self.cookies = {}
        self.statuses = statuses

    def request(self, port, method, path, body=None, headers=None):
        connection = HTTPConnection("127.0.0.1", port, timeout=60)
        sent = {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}/",
            **(headers or {}),
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        content = response.read().decode(errors="replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        self.statuses.append((port, method, path, response.status))
        return response, content

    def get(self, port, path):
        return self.request(port, "GET", path)

    def post(self, port, path, data):
        token = self.cookies.get("csrftoken", "")
        body = urlencode({**data, "csrfmiddlewaretoken": token}, doseq=True)
        return self.request(
            port,
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )


def run(*args, env):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def wait_for(port, process):
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            assert process.poll() is None, process.communicate()
            time.sleep(0.1)
    raise AssertionError(f"nothing answers on {port}")


@pytest.fixture
def database():
    """A database of the run's own on the test server, dropped afterwards."""
    settings = connection.settings_dict
    name = "oana_two_nodes"
    admin = (
        f"host={settings['HOST']} port={settings['PORT']} user={settings['USER']} dbname=postgres"
    )
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {name}")
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{name}"
    yield url
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def cluster(database, httpserver, tmp_path):
    """Two gunicorn nodes, one worker and one scheduler on one database and one Redis; the
    fake Stripe; the SMTP sink."""
    fake = FakeStripe(httpserver, timeout_seconds=10)
    sink = SmtpSink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    redis_db = 11
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        **PRODUCTION_ENV,
        "ALLOWED_HOSTS": f"{HOST},127.0.0.1",
        "DATABASE_URL": database,
        "CACHE_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.server_address[1]}",
        "STRIPE_API_BASE": httpserver.url_for("").rstrip("/"),
        "STRIPE_SECRET_KEY": "sk_test_oana_two_nodes",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STATIC_ROOT": str(tmp_path / "static"),
        "SITE_URL": f"https://{HOST}",
        "RATE_LIMIT_CART": "100000/m",
        "RATE_LIMIT_CHECKOUT": "100000/m",
        "RATE_LIMIT_PAYMENT": "100000/m",
        "RATE_LIMIT_STRIPE_WEBHOOK": "100000/m",
        "WEB_CONCURRENCY": "2",
    }
    import redis

    redis.Redis(db=redis_db).flushdb()
    run("migrate", "--noinput", env=env)
    run("collectstatic", "--noinput", env=env)
    # The catalog, articles and a clinician licensed everywhere, as `make run` seeds them.
    run("seed", env={**env, "OANA_PRODUCTION": "", "DEBUG": "true"})
    ports = [free_port(), free_port()]
    processes = [
        start(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "oana.wsgi"],
            {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        )
        for port in ports
    ]
    # The task worker (run_worker, as `make worker`) and the scheduler.
    processes.append(start([sys.executable, "manage.py", "run_worker"], env))
    processes.append(start([sys.executable, "manage.py", "run_scheduler"], env))
    try:
        for port, process in zip(ports, processes, strict=False):
            wait_for(port, process)
        yield {"ports": ports, "fake": fake, "sink": sink, "env": env, "database": database}
    finally:
        outputs = [stop(process) for process in processes]
        sink.shutdown()
        sink.server_close()
        for _, stderr in outputs:
            assert "Traceback" not in stderr, stderr[-3000:]


def plans_of(database, *names):
    with psycopg.connect(database.replace("postgres://", "postgresql://")) as db:
        rows = db.execute(
            "SELECT t.name, p.id FROM treatments_plan p JOIN treatments_treatment t "
            "ON t.id = p.treatment_id WHERE t.name = ANY(%s)",
            [list(names)],
        ).fetchall()
    return dict(rows)


def deliver_to_both(ports, payload):
    """Stripe's event, to both nodes at the same moment (as retries and replicas would)."""
    body = json.dumps(payload)
    headers = {"Content-Type": "application/json", "Stripe-Signature": signed_header(body)}
    barrier = threading.Barrier(len(ports))

    def send(port):
        barrier.wait()
        connection = HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request(
            "POST",
            "/stripe/webhook/",
            body=body,
            headers={"Host": HOST, "X-Forwarded-Proto": "https", **headers},
        )
        status = connection.getresponse().status
        connection.close()
        return status

    with ThreadPoolExecutor(len(ports)) as pool:
        return list(pool.map(send, ports))


def test_two_nodes_one_database_under_a_mixed_load(cluster):
    ports, fake, sink = cluster["ports"], cluster["fake"], cluster["sink"]
    statuses = []
    plans = plans_of(cluster["database"], "Oral Metformin ER")
    plan = plans["Oral Metformin ER"]

    def browse(n):
        visitor = Visitor(statuses)
        for path in PAGES:
            visitor.get(ports[n % 2], path)

    def checkout(n):
        visitor = Visitor(statuses)
        cart_node, questions_node = ports[n % 2], ports[(n + 1) % 2]
        visitor.get(cart_node, TREATMENT)  # its "Start your visit" form sets the CSRF cookie
        added, _ = visitor.post(cart_node, "/cart/add/", {"plan": plan})
        assert added.status == 302
        visitor.get(questions_node, "/checkout/")
        response, body = visitor.post(
            questions_node,
            "/checkout/",
            answers(email=f"patient{n}@example.com", full_name=f"Patient {n}"),
        )
        assert response.status == 302, body[:2000]
        session_id = response.getheader("Location").rsplit("/", 1)[1]
        return session_id

    with ThreadPoolExecutor(8) as pool:
        browsing = [pool.submit(browse, n) for n in range(BROWSING_PATIENTS)]
        sessions = list(pool.map(checkout, range(CHECKOUTS)))
        for future in browsing:
            future.result()

    # Each patient pays; Stripe tells both nodes at once, twice over (completed, paid).
    def pay(session_id):
        session = fake.pay(session_id)
        assert deliver_to_both(ports, event("checkout.session.completed", session)) == [200, 200]
        invoice = fake.objects[session["invoice"]]
        assert deliver_to_both(ports, event("invoice.paid", invoice)) == [200, 200]

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(pay, sessions))

    # A price changes mid-run, saved as the admin saves it, from a process of its own.
    run(
        "shell",
        "-c",
        "from treatments.models import Plan; from treatments.services import "
        f"change_plan_amount; change_plan_amount(Plan.objects.get(pk={plan}), 2345, by=None)",
        env=cluster["env"],
    )
    # Some orders are approved by a clinician (the demo clinician, licensed everywhere).
    run(
        "shell",
        "-c",
        "from orders.models import Order; from clinic.services.review import approve_order; "
        "from orders.models import ClinicianProfile; "
        "from clinic.services.signoff import flag_id, approval_flags; "
        # her ID matched and her labs in first, as each first approval needs
        "from tests.support.factories import ready_for_review; "
        "clinician = ClinicianProfile.objects.first().user; "
        "[(ready_for_review(o), approve_order(o, by=clinician, considered={flag_id(f): "
        "'Considered.' for f in approval_flags(o)}, attested=True)) "
        f"for o in Order.objects.order_by('pk')[:{APPROVED}]]",
        env=cluster["env"],
    )

    # Every page on both nodes shows the new price.
    viewer = Visitor(statuses)
    for port in ports:
        for path in ["/treatments/", "/treatments/insulin-sensitizers/", TREATMENT]:
            _, body = viewer.get(port, path)
            assert "$23.45" in body, (port, path)

    # Let the worker send what was queued.
    with psycopg.connect(cluster["database"].replace("postgres://", "postgresql://")) as db:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            [(waiting,)] = db.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult "
                "WHERE status IN ('READY', 'RUNNING')"
            ).fetchall()
            if not waiting:
                break
            time.sleep(0.5)
        assert not waiting

        orders = db.execute("SELECT count(*) FROM orders_order").fetchone()[0]
        initial = db.execute(
            "SELECT o.id, count(p.id) FROM orders_order o LEFT JOIN orders_payment p "
            "ON p.order_id = o.id AND p.kind = 'initial' GROUP BY o.id"
        ).fetchall()
        approved = db.execute(
            "SELECT o.id, (SELECT count(*) FROM orders_payment p WHERE p.order_id = o.id), "
            "(SELECT count(*) FROM orders_shipment s WHERE s.order_id = o.id) "
            "FROM orders_order o WHERE o.reviewed_at IS NOT NULL"
        ).fetchall()
        refunds = db.execute("SELECT count(*) FROM orders_refund").fetchone()[0]
        failed = db.execute(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'FAILED'"
        ).fetchone()[0]

    assert orders == CHECKOUTS  # no duplicate order
    assert sorted(count for _, count in initial) == [1] * CHECKOUTS  # one first payment each
    assert len(approved) == APPROVED
    assert all(payments == shipments for _, payments, shipments in approved)
    assert refunds == 0
    assert failed == 0
    assert [s for s in statuses if s[3] >= 500] == []
    # No email twice: each (recipients, subject) once; every patient got her receipt.
    assert len(sink.messages) == len(set(sink.messages))
    received = [m for m in sink.messages if m[1].startswith("We received your order")]
    assert len(received) == CHECKOUTS
    # Their emails were never proven (no one signed in): "reviewed, sign in to read it".
    assert len([m for m in sink.messages if "was reviewed" in m[1]]) == APPROVED
