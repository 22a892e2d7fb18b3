"""The RSS feed and sitemap entries for articles."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from articles.seed import load_articles

pytestmark = pytest.mark.django_db


def test_feed_is_rss_newest_first(client):
    now = timezone.now()
    for days, slug in [(5, "older"), (1, "newer")]:
        Article.objects.create(
            title=slug.title(),
            slug=slug,
            dek=f"{slug} summary",
            author="A",
            body="b",
            status=Article.Status.PUBLISHED,
            publish_at=now - timedelta(days=days),
        )
    response = client.get("/articles/feed/")
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")
    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == ["Newer", "Older"]
    assert items[0].findtext("link").endswith("/articles/newer/")
    assert items[0].findtext("description") == "newer summary"
    assert items[0].findtext("pubDate")


def test_feed_carries_the_seed_article_with_topics(client):
    load_articles()
    channel = ET.fromstring(client.get("/articles/feed/").content).find("channel")
    item = channel.find("item")
    assert item.findtext("title") == "Magnesium and Insulin Resistance: What Studies Show"
    assert {c.text for c in item.findall("category")} >= {"PCOS", "Insulin resistance"}


def test_sitemap_has_article_with_lastmod(client):
    load_articles()
    article = Article.objects.get()
    root = ET.fromstring(client.get("/sitemap.xml").content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    entries = {
        url.findtext("s:loc", namespaces=ns): url.findtext("s:lastmod", namespaces=ns)
        for url in root.findall("s:url", ns)
    }
    loc = next(loc for loc in entries if loc.endswith(article.get_absolute_url()))
    # The sitemap's date is the site's local date (TIME_ZONE), not UTC's: between midnight
    # UTC and midnight in New York they differ.
    assert entries[loc] == timezone.localdate(article.updated).isoformat()
    assert any(loc.endswith("/articles/topic/pcos/") for loc in entries)
