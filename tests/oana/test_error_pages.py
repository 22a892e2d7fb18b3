"""Friendly error pages: a bug in a view gives the 500 page, never a traceback."""

import pytest
from django.db.backends.utils import CursorWrapper
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.oana.error_urls")]


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def test_an_exception_in_a_view_renders_the_friendly_500_page(client):
    response = client.get("/test-only/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert '<link rel="stylesheet" href="/static/css/site.css">' in body
    assert 'href="/">go back to the home page</a>' in body
    assert "RuntimeError" not in body and "Traceback" not in body


def test_the_500_page_renders_when_the_database_is_down(client, monkeypatch):
    """A visitor with a session cookie: the 500 page must not need the session table."""
    client.cookies["sessionid"] = "a-session-the-database-would-look-up"

    def broken_execute(self, sql, params=None):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(CursorWrapper, "execute", broken_execute)
    response = client.get("/test-only/database-down/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_the_500_page_carries_the_security_headers(client):
    response = client.get("/test-only/boom/")
    assert response.status_code == 500
    assert response["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response["Content-Security-Policy"]
