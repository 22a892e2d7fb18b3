"""One rule for who the client is: forwarded headers count only from a trusted proxy.

Behind a load balancer every request comes from the balancer's address, so the client's own
address and scheme arrive in ``X-Forwarded-For`` and ``X-Forwarded-Proto``. Anyone can send
those headers, so they are believed only when the direct peer is one of ``TRUSTED_PROXIES``
(addresses or networks; ``gunicorn.conf.py`` gives gunicorn the same list as its
``forwarded_allow_ips``). ``TrustedProxyMiddleware`` runs first and rewrites the request's
``REMOTE_ADDR`` and scheme, so everything after it (rate limits, django-axes lockouts, the
access log, which gunicorn writes from the same WSGI environ) sees the one client address.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=8)
def trusted_networks(entries):
    """``entries`` (addresses or CIDR networks, as strings) as ``ip_network`` objects.

    Strict, as gunicorn is: ``10.0.0.1/8`` (host bits set) is a mistake, not ``10.0.0.0/8``.
    """
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip()))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {entry!r} is not an IP address or network ({error})."
            ) from error
    return tuple(networks)


def _address(value):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _is_trusted(address, networks):
    return address is not None and any(address in network for network in networks)


def forwarded_client(peer, forwarded_for, networks):
    """The client's address given a trusted ``peer`` and its ``X-Forwarded-For`` header.

    Each proxy appends the address it was contacted from, so the list is read from the right:
    trusted proxies are skipped, and the first other address is the client. Whatever lies
    left of it was written by the client and is ignored. An entry that is not an address
    stops the walk at the last proxy seen.
    """
    client = peer
    for entry in reversed(forwarded_for.split(",")):
        address = _address(entry)
        if address is None:
            break
        client = str(address)
        if not _is_trusted(address, networks):
            break
    return client


class TrustedProxyMiddleware:
    """Sets ``REMOTE_ADDR`` to the client's address and the scheme to the forwarded one,
    when (and only when) the request came through a trusted proxy. First in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        networks = trusted_networks(tuple(settings.TRUSTED_PROXIES))
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "")
        if _is_trusted(_address(peer), networks):
            meta["REMOTE_ADDR"] = forwarded_client(
                peer, meta.get("HTTP_X_FORWARDED_FOR", ""), networks
            )
            proto = meta.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
            if proto in ("http", "https"):
                # request.scheme reads the WSGI environ, which META is.
                meta["wsgi.url_scheme"] = proto
        return self.get_response(request)


def client_ip(request):
    """The client's address (after ``TrustedProxyMiddleware``): for django-axes and logs."""
    return request.META.get("REMOTE_ADDR", "")
