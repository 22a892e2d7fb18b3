"""The benchmark command runs every public page and prints its figures (no timing asserted)."""

import io

import pytest
from django.core.management import call_command

from oana.management.commands.benchmark import PUBLIC_PAGES


@pytest.mark.django_db
def test_benchmark_prints_a_row_per_page_all_served():
    call_command("seed", stdout=io.StringIO())
    out = io.StringIO()
    call_command("benchmark", "--requests", "1", stdout=out)
    rows = out.getvalue().splitlines()
    assert rows[0].split()[:3] == ["page", "status", "queries"]
    assert [row.split()[0] for row in rows[1:]] == PUBLIC_PAGES
    for row in rows[1:]:
        url, status, queries = row.split()[:3]
        assert status == "200", row
        assert int(queries) <= 10, row
