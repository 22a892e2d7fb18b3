"""Issue 19, item 6: sessions are kept on the server, each row encrypted with the health-data
keys (a checkout's answers, a pending sign-in code), rotated with them, and pruned."""

import io
import re
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore as PlainStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from core.sessions import SessionStore
from oana.retention import prune
from tests.support.factories import answers, make_paid_order, make_plan

pytestmark = pytest.mark.django_db
OLD, NEW = (Fernet.generate_key().decode() for _ in range(2))


def raw_row(client):
    return Session.objects.get(
        session_key=client.cookies[django_settings.SESSION_COOKIE_NAME].value
    )


def test_sessions_live_in_the_database_through_the_encrypting_store():
    assert django_settings.SESSION_ENGINE == "core.sessions"


@pytest.mark.usefixtures("test_mode")
def test_a_checkouts_answers_are_not_readable_in_the_session_row(client):
    client.post("/cart/add/", {"plan": make_plan("Oral Metformin ER", 2200).pk})
    typed = answers(
        medicine_1_name="Metoprolol 25 mg", no_medicines="", biguanide_alcohol="", email="ann@x.io"
    )
    assert client.post("/checkout/", typed).status_code == 400  # kept for her return
    assert client.session["checkout_answers"]["answers"]["medicine_1_name"] == "Metoprolol 25 mg"

    data = raw_row(client).session_data
    for plain in ("Metoprolol", "ann@x.io", "checkout_answers", "1990"):
        assert plain not in data
    # Not Django's signed payload either (its first part is base64 of the JSON).
    assert PlainStore().decode(data) == {}
    # still hers: the medicines step shows what she typed
    assert "Metoprolol 25 mg" in client.get("/checkout/?step=4", follow=True).content.decode()


def test_a_pending_sign_in_code_is_not_readable_in_the_session_row(client):
    make_paid_order(email="jane@example.com")
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/accounts/login/code/", {"email": "jane@example.com"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    assert code in str(dict(client.session))  # allauth keeps it in the session...

    data = raw_row(client).session_data
    assert code not in data and "jane@example.com" not in data  # ...encrypted
    client.post("/accounts/login/code/confirm/", {"code": code})
    assert "_auth_user_id" in client.session  # and it still works


def test_a_rotated_key_keeps_sessions_and_reencrypt_moves_them(settings, client):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    client.post("/cart/add/", {"plan": make_plan("Oral Metformin ER", 2200).pk})
    before = raw_row(client).session_data
    expired = SessionStore()
    expired["cart"] = {"1": 1}
    expired.create()
    Session.objects.filter(pk=expired.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    # Phase 2 of a rotation: the new key encrypts, the old one still decrypts.
    settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_DECRYPTION_ONLY_KEYS = [NEW], [OLD]
    assert client.session["cart"]
    out = io.StringIO()
    call_command("reencrypt_health_data", stdout=out)
    assert "sessions: 1 re-encrypted, 0 ended" in out.getvalue()  # the expired one is left
    assert raw_row(client).session_data != before

    # The old key dropped: her cart is still there.
    settings.FIELD_DECRYPTION_ONLY_KEYS = []
    assert client.session["cart"]


def test_a_session_under_a_retired_key_simply_ends(settings, client):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    client.post("/cart/add/", {"plan": make_plan("Oral Metformin ER", 2200).pk})
    settings.FIELD_ENCRYPTION_KEYS = [NEW]  # OLD retired before reencrypt ran
    assert client.get("/cart/").status_code == 200
    assert "cart" not in client.session
    # The rotation command deletes what no key reads (a row from Django's own store too).
    plain = PlainStore()
    plain["checkout_answers"] = {"answers": {"allergies": "Penicillin"}}
    plain.create()
    out = io.StringIO()
    call_command("reencrypt_health_data", stdout=out)
    assert re.search(r"sessions: \d+ re-encrypted, 2 ended", out.getvalue())
    assert not Session.objects.filter(pk=plain.session_key).exists()


def test_retention_prunes_expired_encrypted_sessions():
    now = timezone.now()
    stores = []
    for expires in (now - timedelta(seconds=1), now + timedelta(hours=1)):
        store = SessionStore()
        store["checkout_answers"] = {"answers": {"allergies": "Penicillin"}}
        store.create()
        Session.objects.filter(pk=store.session_key).update(expire_date=expires)
        stores.append(store.session_key)
    assert prune(now)["expired sessions deleted"] == 1
    assert list(Session.objects.values_list("pk", flat=True)) == [stores[1]]
    assert SessionStore(stores[1]).load()["checkout_answers"]["answers"]["allergies"] == (
        "Penicillin"
    )
