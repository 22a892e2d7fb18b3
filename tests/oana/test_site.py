"""Site-wide pages and production settings."""

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

from tests.support.commands import run

BASE_DIR = Path(__file__).resolve().parents[2]

# What a production start has: `make serve` and gunicorn.conf.py set OANA_PRODUCTION=1, so a
# developer's .env is never read.
PRODUCTION_ENV = {
    "OANA_PRODUCTION": "1",
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "oana.example",
    "STRIPE_SECRET_KEY": "sk_test_123",
    "STRIPE_WEBHOOK_SECRET": "whsec_123",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.oana.example:587",
    "ADMIN_URL": "staff-4f7c2a/",
    "FIELD_ENCRYPTION_KEYS": "0DScMgBiCC9cPv0Mi6xNNigVygqup0Vy9tSO3RghIfQ=",
    # Rate limits are counted in Redis (a deployment check warns on a per-process cache);
    # nothing these tests request touches the cache, so no Redis server is needed.
    "CACHE_URL": "redis://127.0.0.1:6379/5",
}


def run_manage(*args, env):
    ignored = {*PRODUCTION_ENV, "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in ignored}
    clean.update(env)
    return run([sys.executable, "manage.py", *args], env=clean, timeout=120)


@pytest.mark.django_db
def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_reports_database_down(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken_execute(self, sql, params=None):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", broken_execute)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_robots_txt_points_at_sitemap(client, settings):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "Disallow: /cart/" in body
    # robots.txt is public: it never names the staff site (ADMIN_URL).
    assert settings.ADMIN_URL not in body and "admin" not in body
    assert "Sitemap: http://testserver/sitemap.xml" in body


@pytest.mark.django_db
def test_sitemap_lists_home(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert b"<loc>http://testserver/</loc>" in response.content


@pytest.mark.django_db
def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"We couldn't find that page" in response.content


@pytest.mark.django_db
def test_home_has_banner_nav_and_disclaimer(client):
    body = client.get("/").content.decode()
    assert "Free shipping on all treatments." in body
    assert 'href="/treatments/">See treatments</a>' in body
    for label in ("Articles", "Treatments"):
        assert f">{label}</a>" in body
    for label in ("Sign in", "Cart"):  # beside an icon; the words stay for screen readers
        assert f'<span class="nav-label">{label}</span>' in body
    assert "Medical disclaimer" in body
    assert 'class="skip-link" href="#main"' in body


def test_check_deploy_is_clean_with_production_env():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "ADMIN_URL"])
def test_production_refuses_to_start_without(missing):
    env = {**PRODUCTION_ENV, missing: ""}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert f"{missing} must be set when DEBUG is off" in result.stderr


@pytest.fixture
def load_settings(monkeypatch):
    """Execute oana/settings.py afresh in this process with the given environment, as a
    module of its own (the running settings are untouched; coverage sees these lines, which
    it cannot in the ``manage.py`` subprocesses above). The environment is restored after,
    including anything a local ``.env`` would have added."""
    saved = dict(os.environ)

    def load(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        spec = importlib.util.spec_from_file_location(
            "settings_under_test", BASE_DIR / "oana" / "settings.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    yield load
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_settings_do_not_load_without(load_settings, missing):
    with pytest.raises(ImproperlyConfigured, match=f"{missing} must be set when DEBUG is off"):
        load_settings(**{**PRODUCTION_ENV, missing: ""})


def test_production_settings_refuse_debug(load_settings):
    with pytest.raises(ImproperlyConfigured, match="DEBUG is on, and this is a production start"):
        load_settings(**{**PRODUCTION_ENV, "DEBUG": "true"})


def test_production_settings_load_with_both_set(load_settings):
    production = load_settings(**PRODUCTION_ENV)
    assert production.DEBUG is False
    assert production.SECRET_KEY == PRODUCTION_ENV["SECRET_KEY"]
    assert production.ALLOWED_HOSTS == ["oana.example"]


def test_a_redis_cache_url_gives_djangos_backend_reusing_its_client(load_settings):
    caches = load_settings(**PRODUCTION_ENV).CACHES
    assert caches["default"]["BACKEND"] == "oana.redis_cache.RedisCache"
    local = load_settings(**{**PRODUCTION_ENV, "CACHE_URL": "locmemcache://x"}).CACHES
    assert local["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_postgresql_connections_persist_and_are_health_checked(load_settings):
    url = "postgres://oana@db.example:5432/oana"
    database = load_settings(**PRODUCTION_ENV, DATABASE_URL=url).DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (60, True)


def test_sqlite_connections_are_not_kept_open(load_settings):
    url = "sqlite:////tmp/oana-settings-test.sqlite3"
    database = load_settings(**PRODUCTION_ENV, DATABASE_URL=url).DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert "CONN_MAX_AGE" not in database and "CONN_HEALTH_CHECKS" not in database


@pytest.mark.parametrize("missing", ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"])
def test_production_check_requires_stripe_keys(missing):
    env = {**PRODUCTION_ENV, missing: ""}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


def test_check_deploy_refuses_console_email_in_production():
    env = {**PRODUCTION_ENV, "EMAIL_URL": ""}
    result = run_manage("check", "--deploy", env=env)
    assert result.returncode != 0
    assert "development-only email backend" in result.stderr


def test_env_example_values_load_as_a_working_local_configuration():
    """Copying .env.example to .env must give a site that starts."""
    env = {}
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    assert env["DEBUG"] == "true"
    result = run_manage("check", env=env)
    assert result.returncode == 0, result.stderr
