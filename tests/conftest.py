"""Fixtures shared by the whole suite. App-specific fixtures live next to their tests."""

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres_only are skipped, with the reason shown, on SQLite."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://...")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
