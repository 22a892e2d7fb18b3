"""Health data encrypted at rest: model fields whose database column holds a Fernet token.

Use ``EncryptedTextField`` (text) and ``EncryptedJSONField`` (anything JSON can hold) for
every column of health data: questionnaire answers and flags, clinician notes, and medical
messages. The database, its backups and anyone reading them see only tokens; Django
encrypts on save and decrypts on load, so code and templates use plain values.

Keys come from ``settings.FIELD_ENCRYPTION_KEYS`` (the ``FIELD_ENCRYPTION_KEYS`` environment
variable: Fernet keys separated by commas), never from ``SECRET_KEY``, and
``settings.FIELD_DECRYPTION_ONLY_KEYS``. The first key of FIELD_ENCRYPTION_KEYS encrypts;
every key of both decrypts (``cryptography``'s ``MultiFernet``), a decryption-only key never
encrypts. A value no key can decrypt raises ``UndecryptableValue``: it is never shown as empty.

Rotation is in two phases, so that no process ever meets a value it cannot read while a
deploy rolls from node to node (docs/security.md): (1) the new key goes into
FIELD_DECRYPTION_ONLY_KEYS on every web node and worker (a restart each); (2) only once all run
with it, it becomes the first of FIELD_ENCRYPTION_KEYS (the old one moves to the
decryption-only list), ``manage.py reencrypt_health_data`` rewrites every value with it, and
the old key is dropped.

An encrypted column cannot be searched or filtered on (only ``isnull`` works): what lists
must sort or filter on is kept beside it as a plain derived column (e.g.
``QuestionnaireResponse.has_red_flags``).
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class UndecryptableValue(Exception):
    """No key in FIELD_ENCRYPTION_KEYS decrypts a stored value."""


@lru_cache(maxsize=4)
def _key_ring(keys):
    return MultiFernet([Fernet(key) for key in keys])


def key_ring():
    """The MultiFernet of ``settings.FIELD_ENCRYPTION_KEYS`` (the first one encrypts) then
    ``settings.FIELD_DECRYPTION_ONLY_KEYS``."""
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is empty: health data cannot be read or written "
            "(see .env.example)."
        )
    return _key_ring(keys + tuple(settings.FIELD_DECRYPTION_ONLY_KEYS))


def encrypt(text):
    return key_ring().encrypt(text.encode()).decode("ascii")


def decrypt(token):
    try:
        return key_ring().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError) as error:
        raise UndecryptableValue(
            "No key in FIELD_ENCRYPTION_KEYS decrypts a stored value: was a key removed "
            "before `manage.py reencrypt_health_data` moved the rows to the new one?"
        ) from error


def is_encrypted_field(field):
    return isinstance(field, EncryptedFieldMixin)


class EncryptedFieldMixin:
    """A text column holding ``encrypt(self.dump(value))``; ``None`` stays NULL."""

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt(self.dump(value))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return self.load(decrypt(value))

    def get_lookup(self, lookup_name):
        # Comparing a value with a token that differs on every save means nothing; only
        # "is it set at all" can be asked.
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None


class EncryptedTextField(EncryptedFieldMixin, models.TextField):
    """Text, encrypted at rest (clinician notes, medical messages)."""

    def dump(self, value):
        return str(value)

    def load(self, text):
        return text


class EncryptedJSONField(EncryptedFieldMixin, models.TextField):
    """A JSON value (dict, list, str, number...), encrypted at rest (questionnaire answers)."""

    def dump(self, value):
        return json.dumps(value, cls=DjangoJSONEncoder)

    def load(self, text):
        return json.loads(text)

    def to_python(self, value):
        return value

    def value_to_string(self, obj):
        return self.value_from_object(obj)
