"""Fixtures shared by the whole suite (never copied into test modules).

- ``stripe_api``: the real ``stripe`` library pointed at a local HTTP server;
- ``fake_stripe``: that server playing Stripe, with Stripe's shapes and idempotency rules;
- ``test_mode``: the local test-mode checkout instead of Stripe;
- ``webhook_secret``: the endpoint secret that ``tests.support.stripe_helpers`` signs with;
- ``admin_user``/``admin_client``: pytest-django's, but a superuser made by ``tests.support.staff``
  and signed in through ``tests.support.staff.sign_in`` (password and second factor);
- every test starts with an empty cache (rate-limit counts) and a fast password hasher.
"""

import pytest
from django.db import connection

from tests.support.stripe_helpers import WEBHOOK_SECRET

# Fixtures that make a test an integration test: it talks over HTTP to the fake Stripe server
# or a live server, or starts a process.
# (``fake_pip_audit``, tests/oana/test_dependency_audit.py, runs a stand-in pip-audit.)
INTEGRATION_FIXTURES = {"stripe_api", "fake_stripe", "live_server", "httpserver", "fake_pip_audit"}
PROCESS_TESTS = ("test_production_start", "test_worker_process", "test_two_nodes", "test_makefile")


def tier(item):
    """``browser``, ``integration`` or ``unit``: every test is in exactly one tier."""
    if "browser" in item.keywords:
        return "browser"
    if INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())) or any(
        name in item.nodeid for name in PROCESS_TESTS
    ):
        return "integration"
    return "unit"


def pytest_collection_modifyitems(config, items):
    """Each test gets its tier's marker (``make test PYTEST_ARGS="-m unit"`` runs the fast
    tier). Tests marked postgres_only are skipped, with the reason shown, on SQLite; tests
    marked sqlite_only on PostgreSQL."""
    for item in items:
        level = tier(item)
        if level != "browser":
            item.add_marker(getattr(pytest.mark, level))
    if connection.vendor == "postgresql":
        marker = "sqlite_only"
        skip = pytest.mark.skip(
            reason="SQLite only: run without DATABASE_URL (SQLite is the default)"
        )
    else:
        marker = "postgres_only"
        skip = pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://...")
    for item in items:
        if marker in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return WEBHOOK_SECRET


@pytest.fixture
def stripe_api(settings, httpserver, webhook_secret):
    """Stripe keys set, and every API call of the ``stripe`` library sent to ``httpserver``."""
    settings.STRIPE_TEST_MODE = False
    settings.STRIPE_SECRET_KEY = "sk_test_oana_local"
    settings.STRIPE_API_BASE = httpserver.url_for("").rstrip("/")
    settings.SITE_URL = "https://oana.example"
    return httpserver


@pytest.fixture
def fake_stripe(stripe_api, settings):
    """A stateful fake of Stripe's API (tests/support/fake_stripe.py) behind ``stripe_api``.

    Every object it answers with must have Stripe's shape: checked after the test.
    """
    from tests.support.fake_stripe import FakeStripe

    # Long enough that a loaded CI machine never times out by accident; the fake's "timeout"
    # answers come a second later than that.
    settings.STRIPE_TIMEOUT_SECONDS = 1.5
    fake = FakeStripe(stripe_api, timeout_seconds=1.5)
    yield fake
    assert fake.shape_problems == []


@pytest.fixture
def test_mode(settings, webhook_secret):
    """No Stripe keys: checkout, refunds and cancellations use the local test-mode gateway."""
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_SECRET_KEY = ""


@pytest.fixture(autouse=True)
def _isolated(settings):
    """Each test counts its own requests against the rate limits (the cache is emptied), and
    passwords are hashed with a fast hasher: staff sign in with their password in every
    staff test, and the production hasher is slow on purpose."""
    from django.core.cache import cache

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


@pytest.fixture
def public_media(settings, tmp_path):
    """Photos uploaded in the test go to a folder of its own (``STORAGES["public_media"]``)."""
    settings.PUBLIC_MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "public_media": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path, "base_url": "/media/"},
        },
    }
    return tmp_path


@pytest.fixture
def admin_user(db):
    from tests.support.staff import staff

    return staff("superuser", "admin")


@pytest.fixture
def admin_client(db, admin_user):
    """A client of its own (the ``client`` fixture stays anonymous), signed in as a superuser."""
    from django.test import Client

    from tests.support.staff import sign_in

    return sign_in(Client(), admin_user)


@pytest.fixture
def task_queue(settings, monkeypatch):
    """Production's tasks backend (django-tasks-db's queue in the database) instead of the
    immediate one: an enqueued task waits for ``tests.support.tasks.run_worker``. The schedule is
    empty unless the test sets ``settings.PERIODIC_TASKS``."""
    settings.TASKS = {"default": {"BACKEND": settings.TASKS_DATABASE_BACKEND}}
    settings.PERIODIC_TASKS = []
    # The worker and the scheduler close stale database connections between tasks and looks,
    # as Django does between requests; like Django's test client, the tests keep the test's
    # connection (and its transaction) open instead.
    for module in (
        "django_tasks_db.management.commands.db_worker",
        "oana.management.commands.run_scheduler",
        "oana.worker",
    ):
        monkeypatch.setattr(f"{module}.close_old_connections", lambda: None)
