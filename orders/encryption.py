"""Kept for the migrations that import ``orders.encryption`` (0006, 0008, 0009, 0011): the
encrypted fields live in ``core.encryption``."""

from core.encryption import EncryptedJSONField, EncryptedTextField  # noqa: F401
