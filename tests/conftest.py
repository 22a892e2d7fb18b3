"""Fixtures shared by the whole suite. App-specific fixtures live next to their tests."""

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres_only are skipped, with the reason shown, on SQLite; tests marked
    sqlite_only on PostgreSQL."""
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
