"""One rule for who the client is: forwarded headers count only from TRUSTED_PROXIES."""

import runpy

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory

from oana.checks import trusted_proxies_are_addresses
from oana.proxies import TrustedProxyMiddleware, client_ip, forwarded_client, trusted_networks

from .test_site import BASE_DIR


def seen(peer, settings, proxies=("127.0.0.1", "::1"), **headers):
    """(client address, scheme) the site sees for a request from ``peer``."""
    settings.TRUSTED_PROXIES = list(proxies)
    request = RequestFactory().get("/", REMOTE_ADDR=peer, **headers)
    TrustedProxyMiddleware(lambda request: HttpResponse())(request)
    return client_ip(request), request.scheme


def test_forwarded_headers_from_anyone_else_are_ignored(settings):
    headers = {"HTTP_X_FORWARDED_FOR": "1.2.3.4", "HTTP_X_FORWARDED_PROTO": "https"}
    assert seen("203.0.113.9", settings, **headers) == ("203.0.113.9", "http")


def test_a_trusted_proxy_names_the_client_and_the_scheme(settings):
    headers = {"HTTP_X_FORWARDED_FOR": "198.51.100.7", "HTTP_X_FORWARDED_PROTO": "https"}
    assert seen("127.0.0.1", settings, **headers) == ("198.51.100.7", "https")
    headers = {"HTTP_X_FORWARDED_FOR": "2001:db8::5", "HTTP_X_FORWARDED_PROTO": "HTTP"}
    assert seen("::1", settings, **headers) == ("2001:db8::5", "http")


def test_without_forwarded_headers_the_proxy_is_the_client(settings):
    assert seen("127.0.0.1", settings) == ("127.0.0.1", "http")
    assert seen("127.0.0.1", settings, HTTP_X_FORWARDED_PROTO="gopher") == ("127.0.0.1", "http")


def test_the_list_is_read_from_the_right_skipping_trusted_proxies(settings):
    proxies = ("10.0.0.0/8",)
    # The client wrote "6.6.6.6" herself; the balancer (10.0.0.2) saw 198.51.100.7.
    chain = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.7, 10.0.0.2"}
    assert seen("10.0.0.1", settings, proxies, **chain)[0] == "198.51.100.7"
    # Only proxies in the list: the left-most is the client.
    assert seen("10.0.0.1", settings, proxies, HTTP_X_FORWARDED_FOR="10.9.9.9, 10.0.0.2")[0] == (
        "10.9.9.9"
    )
    # Garbage stops the walk at the last proxy seen.
    assert seen("10.0.0.1", settings, proxies, HTTP_X_FORWARDED_FOR="evil, 10.0.0.2")[0] == (
        "10.0.0.2"
    )


def test_forwarded_client_from_a_bare_header():
    networks = trusted_networks(("127.0.0.1",))
    assert forwarded_client("127.0.0.1", "", networks) == "127.0.0.1"
    assert forwarded_client("127.0.0.1", " 192.0.2.1 ", networks) == "192.0.2.1"


def test_a_wrong_trusted_proxies_setting_stops_the_start(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1/8"]  # host bits set: a mistake, as gunicorn says
    assert [e.id for e in trusted_proxies_are_addresses(None)] == ["oana.E006"]
    settings.TRUSTED_PROXIES = ["proxy.internal"]
    with pytest.raises(ImproperlyConfigured, match="not an IP address"):
        trusted_networks(tuple(settings.TRUSTED_PROXIES))
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "::1"]
    assert trusted_proxies_are_addresses(None) == []


@pytest.mark.django_db
def test_https_is_believed_only_from_a_trusted_proxy(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/robots.txt", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301 and response.url.startswith("https://")
    response = client.get("/robots.txt", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert not settings.is_overridden("SECURE_PROXY_SSL_HEADER")
    assert settings.SECURE_PROXY_SSL_HEADER is None


def test_gunicorn_trusts_the_same_proxies(monkeypatch):
    monkeypatch.setenv("OANA_PRODUCTION", "1")  # gunicorn.conf.py sets it; restored after
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.10")
    config = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    assert config["forwarded_allow_ips"] == "10.0.0.0/8,192.0.2.10"
    assert "%(q)" not in config["access_log_format"] and "%(r)" not in config["access_log_format"]
    assert config["logger_class"] == "oana.logging.GunicornLogger"
    monkeypatch.delenv("TRUSTED_PROXIES")
    assert runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))["forwarded_allow_ips"] == (
        "127.0.0.1,::1"
    )
