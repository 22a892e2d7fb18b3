"""Rotating the health-data key during a rolling deploy (issue 18 item 9): the new key is
first added as decryption-only on every node and worker (FIELD_DECRYPTION_ONLY_KEYS), and only
then made the encrypting key, so no process ever meets a value it cannot read."""

import pytest
from cryptography.fernet import Fernet

from core.encryption import UndecryptableValue, decrypt, encrypt
from orders.checks import health_data_keys

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


class Node:
    """One process of the deploy (a web node or the worker), with its environment."""

    def __init__(self, settings, encrypting, decryption_only=()):
        self.settings = settings
        self.keys = (list(encrypting), list(decryption_only))

    def __enter__(self):
        self.settings.FIELD_ENCRYPTION_KEYS, self.settings.FIELD_DECRYPTION_ONLY_KEYS = self.keys
        return self

    def __exit__(self, *exc):
        return None  # the settings fixture restores the keys after the test


def test_the_old_advice_new_key_first_breaks_a_worker_still_on_the_old_key(settings):
    """What happened: a node restarted with "new,old" wrote the approval note with the new key,
    and the worker, still on "old", failed the approval email three times."""
    with Node(settings, [NEW, OLD]):
        note = encrypt("Take it with food.")
    with Node(settings, [OLD]), pytest.raises(UndecryptableValue):
        decrypt(note)


def test_two_phases_every_process_reads_everything_at_every_step(settings):
    before = Node(settings, [OLD])
    phase_one = Node(settings, [OLD], [NEW])  # the new key decrypts, never encrypts
    phase_two = Node(settings, [NEW], [OLD])  # the new key encrypts, the old one still reads
    after = Node(settings, [NEW])  # once reencrypt_health_data has run

    # Phase one rolls out: nodes on `before` and on `phase_one` side by side.
    written = []
    for node in (before, phase_one):
        with node:
            written.append(encrypt("Metformin 500 mg with dinner."))
    for node in (before, phase_one):
        with node:
            assert [decrypt(t) for t in written] == ["Metformin 500 mg with dinner."] * 2
    with phase_one:
        assert Fernet(OLD.encode()).decrypt(written[1].encode())  # still written with OLD

    # Phase two rolls out: nodes on `phase_one` and on `phase_two` side by side.
    with phase_two:
        written.append(encrypt("Spironolactone 50 mg."))
    assert Fernet(NEW.encode()).decrypt(written[2].encode()) == b"Spironolactone 50 mg."
    for node in (phase_one, phase_two):
        with node:
            assert decrypt(written[2]) == "Spironolactone 50 mg."
            assert decrypt(written[0]) == "Metformin 500 mg with dinner."

    # reencrypt_health_data rewrote every value with NEW: the old key can go.
    with phase_two:
        rewritten = [encrypt(decrypt(t)) for t in written]
    with after:
        assert [decrypt(t) for t in rewritten] == [
            "Metformin 500 mg with dinner.",
            "Metformin 500 mg with dinner.",
            "Spironolactone 50 mg.",
        ]


def test_decryption_only_keys_are_checked_like_the_others(settings):
    settings.DEBUG = False
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    settings.FIELD_DECRYPTION_ONLY_KEYS = [NEW]
    assert health_data_keys(None) == []
    settings.FIELD_DECRYPTION_ONLY_KEYS = [NEW, "not-a-key"]
    [error] = health_data_keys(None)
    assert (error.id, error.msg) == (
        "oana.E003",
        "FIELD_DECRYPTION_ONLY_KEYS: key number 2 is not a Fernet key.",
    )
    settings.FIELD_DECRYPTION_ONLY_KEYS = [settings.DEVELOPMENT_FIELD_ENCRYPTION_KEY]
    assert [e.id for e in health_data_keys(None)] == ["oana.E004"]
