"""A crawler's view of the site: every sitemap URL and every link on the public pages, with
GET and HEAD. No response is a 5xx, no link leads to a 404, and HEAD answers as GET does."""

from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit
from xml.etree import ElementTree

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from orders.models import Thread

pytestmark = pytest.mark.django_db

START = ["/", "/sitemap.xml", "/robots.txt", "/healthz", "/articles/feed/", "/cart/"]
# Headers that differ between any two responses by design.
# Headers that differ between two requests by design. Last-Modified is among them because an
# empty feed (no published articles) is "modified now" in Django's syndication framework.
PER_RESPONSE = {
    "content-security-policy",
    "set-cookie",
    "date",
    "content-length",
    "expires",
    "last-modified",
}


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("a", "link") and attrs.get("href"):
            self.found.append(attrs["href"])
        elif tag in ("img", "script") and attrs.get("src"):
            self.found.append(attrs["src"])
        elif tag == "form" and (attrs.get("method") or "get").lower() == "get":
            self.found.append(attrs.get("action") or "")


def local_path(url, site):
    """The path of a link to this site, or None for other sites (and mailto:, tel:)."""
    url = urldefrag(url)[0]
    parts = urlsplit(url)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None
    if parts.netloc and parts.netloc != site:
        return None
    if not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def links_in(response, site):
    kind = response.get("Content-Type", "")
    text = response.content.decode()
    if "xml" in kind:
        found = [el.text for el in ElementTree.fromstring(text).iter() if el.tag.endswith("loc")]
        found += [el.get("href") for el in ElementTree.fromstring(text).iter() if el.get("href")]
    elif "html" in kind:
        parser = Links()
        parser.feed(text)
        found = parser.found
    elif kind.startswith("text/plain"):
        found = [
            line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Sitemap:")
        ]
    else:
        found = []
    return {path for url in found if url and (path := local_path(url, site))}


def comparable_headers(response):
    return {k.lower(): v for k, v in response.items() if k.lower() not in PER_RESPONSE}


def crawl(client, settings, start):
    """Every page reachable from ``start`` by links (GET and HEAD); the paths opened."""
    site = "testserver"
    seen, queue, checked = set(), list(start), []
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        if path.startswith(settings.STATIC_URL):
            # Served by whitenoise, not Django (tests/oana/test_production.py serves them for
            # real): here each linked file must exist.
            assert finders.find(path.removeprefix(settings.STATIC_URL)), path
            continue
        response = client.get(path, follow=False)
        assert response.status_code < 500, path
        assert response.status_code != 404, f"{path} is linked but answers 404"
        head = client.head(path)
        assert head.status_code == response.status_code, path
        assert comparable_headers(head) == comparable_headers(response), path
        assert head.content == b"", path
        checked.append(path)
        if response.status_code in (301, 302):
            queue.append(local_path(response["Location"], site) or "/")
            continue
        queue.extend(links_in(response, site) - seen)
    return checked


def test_every_public_link_opens_with_get_and_head(client, settings):
    call_command("seed", stdout=open("/dev/null", "w"))
    # A visitor with something in her cart sees the cart's own links too.
    from treatments.models import Plan

    client.post("/cart/add/", {"plan": Plan.objects.active().first().pk})
    checked = crawl(client, settings, START)
    # The crawl reached every kind of public page.
    assert any(p.startswith("/articles/magnesium-and-insulin-resistance/") for p in checked)
    assert "/treatments/unwanted-hair/hairless-hype/" in checked
    assert "/treatments/hair-loss/" in checked
    assert any(p.startswith("/articles/topic/") for p in checked)


def test_every_link_a_signed_in_patient_sees_opens(client, settings, test_mode):
    """Her account, her orders in every state, their messages: no 5xx, no 404 links."""
    from tests.support.lifecycle import every_transition
    from tests.support.patients import sign_in_patient

    orders = [order for _, order in every_transition()]
    for order in orders:
        Thread.objects.create(order=order, topic="order")
    sign_in_patient(client, orders[0])
    checked = crawl(client, settings, ["/account/"])
    assert {f"/orders/{order.public_id}/" for order in orders} <= set(checked)
    assert any("/messages/" in path for path in checked)
