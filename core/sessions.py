"""The session store (``SESSION_ENGINE = "core.sessions"``): Django's database sessions, with
every session row encrypted with the health-data keys of ``core.encryption``.

A browser session holds health data for a while: a checkout's answers until the order is
placed (``orders.views._keep_answers``), and django-allauth's pending sign-in code until it is
used or expires. Django's own stores write them readable (a signed, not encrypted, payload),
so anyone with the database or a dump would read them; a cookie session would also hand them
to whoever holds the browser. Here the row's ``session_data`` is a Fernet token of the JSON.

Keys rotate with the other health data (docs/security.md): any key of the ring decrypts,
the first encrypts; ``reencrypt_sessions`` (run by ``manage.py reencrypt_health_data``)
rewrites the live rows with the first key. A row no key decrypts (written under a key since
retired, or by Django's own store before this one) reads as an empty session: she is simply
signed out, never shown an error.
"""

import logging

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from core.encryption import UndecryptableValue, decrypt, encrypt

logger = logging.getLogger(__name__)


class SessionStore(db.SessionStore):
    def encode(self, session_dict):
        return encrypt(self.serializer().dumps(session_dict).decode())

    def decode(self, session_data):
        try:
            return self.serializer().loads(decrypt(session_data).encode())
        except UndecryptableValue:
            # A retired key or a row from before encryption: the session ends.
            logger.info("A session no key decrypts was treated as empty")
            return {}


def reencrypt_sessions(batch=500):
    """Rewrite every live session with the first key; delete the ones no key decrypts (they
    would read as empty anyway). Returns (re-encrypted, deleted)."""
    live = Session.objects.filter(expire_date__gt=timezone.now())
    keys = list(live.order_by("pk").values_list("pk", flat=True))
    rewritten = deleted = 0
    for start in range(0, len(keys), batch):
        with transaction.atomic():
            for row in live.filter(pk__in=keys[start : start + batch]).select_for_update():
                try:
                    data = encrypt(decrypt(row.session_data))
                except UndecryptableValue:
                    row.delete()
                    deleted += 1
                    continue
                Session.objects.filter(pk=row.pk).update(session_data=data)
                rewritten += 1
    return rewritten, deleted
