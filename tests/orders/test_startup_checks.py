"""With DEBUG off there is no test mode: without Stripe keys the site refuses to start."""

import os
import sys
from pathlib import Path

from orders.checks import stripe_keys_in_production
from payments.gateways import StripeGateway, get_gateway
from tests.support.commands import run

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, tmp_path, **env):
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": "a-real-looking-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "oana.example",
        "ADMIN_URL": "staff/",
        "FIELD_ENCRYPTION_KEYS": "0DScMgBiCC9cPv0Mi6xNNigVygqup0Vy9tSO3RghIfQ=",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **env,
    }
    return run([sys.executable, "manage.py", *args], env=environment)


def test_debug_off_without_stripe_keys_refuses_to_start_naming_each_variable(tmp_path):
    result = manage("check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "STRIPE_SECRET_KEY is not set" in result.stderr
    assert "STRIPE_WEBHOOK_SECRET is not set" in result.stderr

    result = manage("check", tmp_path=tmp_path, STRIPE_SECRET_KEY="sk_test_x")
    assert result.returncode != 0
    assert "STRIPE_SECRET_KEY is not set" not in result.stderr
    assert "STRIPE_WEBHOOK_SECRET is not set" in result.stderr


def test_debug_off_with_keys_starts_and_never_uses_test_mode(tmp_path):
    keys = {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}
    result = manage("check", tmp_path=tmp_path, **keys)
    assert result.returncode == 0, result.stderr
    code = "from django.conf import settings; print(settings.STRIPE_TEST_MODE)"
    result = manage("shell", "-c", code, tmp_path=tmp_path, **keys)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_the_check_is_quiet_in_development(settings):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    assert stripe_keys_in_production(None) == []
    settings.DEBUG = False
    assert [e.id for e in stripe_keys_in_production(None)] == ["oana.E001", "oana.E001"]


def test_a_secret_key_selects_stripe_and_test_mode_wins_only_when_set(settings):
    settings.STRIPE_TEST_MODE = False
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_API_BASE = ""
    assert isinstance(get_gateway(), StripeGateway)
    settings.STRIPE_SECRET_KEY = ""
    assert get_gateway() is None
