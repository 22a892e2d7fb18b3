"""Drafts and scheduled articles are invisible to the public everywhere; staff preview them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article, Topic
from tests.support.staff import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic():
    return Topic.objects.create(name="PCOS", slug="pcos")


def make(slug, topic, **fields):
    defaults = {
        "title": f"Zinc notes {slug}",
        "dek": "Summary",
        "author": "Oana editors",
        "body": f"Body about chromium and {slug}.",
        "status": Article.Status.PUBLISHED,
        "publish_at": timezone.now() - timedelta(days=1),
    }
    article = Article.objects.create(slug=slug, **(defaults | fields))
    article.topics.add(topic)
    return article


@pytest.fixture
def articles(topic):
    return {
        "live": make("live-one", topic),
        "draft": make("draft-one", topic, status=Article.Status.DRAFT),
        "scheduled": make("scheduled-one", topic, publish_at=timezone.now() + timedelta(days=3)),
    }


def test_published_queryset(articles):
    assert list(Article.objects.published()) == [articles["live"]]
    assert articles["live"].is_public
    assert articles["scheduled"].is_scheduled
    assert not articles["draft"].is_public


def test_list_topic_and_search_show_only_live(client, articles):
    for url in ("/articles/", "/articles/topic/pcos/", "/articles/?q=chromium"):
        html = client.get(url).content.decode()
        assert "/articles/live-one/" in html, url
        assert "draft-one" not in html, url
        assert "scheduled-one" not in html, url


@pytest.mark.parametrize("key", ["draft", "scheduled"])
def test_hidden_article_is_404_for_the_public(client, articles, key):
    assert client.get(articles[key].get_absolute_url()).status_code == 404


@pytest.mark.parametrize("key", ["draft", "scheduled"])
def test_hidden_article_is_404_for_a_logged_in_patient(client, django_user_model, articles, key):
    sign_in(client, django_user_model.objects.create_user("patient", password="x"))
    assert client.get(articles[key].get_absolute_url()).status_code == 404


@pytest.mark.parametrize("key", ["draft", "scheduled"])
def test_staff_outside_content_roles_cannot_preview(client, django_user_model, articles, key):
    """A fulfillment clerk is staff but has no business with unpublished articles."""
    from django.contrib.auth.models import Group

    from oana.roles import GROUP_NAMES

    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    clerk.groups.add(Group.objects.get(name=GROUP_NAMES["fulfillment"]))
    sign_in(client, clerk)
    assert client.get(articles[key].get_absolute_url()).status_code == 404


@pytest.mark.parametrize("key", ["draft", "scheduled"])
def test_content_editor_previews_hidden_article(client, django_user_model, articles, key):
    from django.contrib.auth.models import Group

    from oana.roles import GROUP_NAMES

    editor = django_user_model.objects.create_user("editor", password="x", is_staff=True)
    editor.groups.add(Group.objects.get(name=GROUP_NAMES["content-editor"]))
    sign_in(client, editor)
    response = client.get(articles[key].get_absolute_url())
    assert response.status_code == 200
    assert "Draft preview." in response.content.decode()


@pytest.mark.parametrize("key", ["draft", "scheduled"])
def test_staff_preview_hidden_article(client, admin_user, articles, key):
    sign_in(client, admin_user)
    response = client.get(articles[key].get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Draft preview." in html
    assert '<meta name="robots" content="noindex, nofollow">' in html


def test_live_article_has_no_preview_notice_for_staff(client, admin_user, articles):
    sign_in(client, admin_user)
    html = client.get(articles["live"].get_absolute_url()).content.decode()
    assert "Draft preview." not in html


def test_feed_lists_only_live(client, articles):
    response = client.get("/articles/feed/")
    assert response.status_code == 200
    xml = response.content.decode()
    assert "/articles/live-one/" in xml
    assert "draft-one" not in xml and "scheduled-one" not in xml


def test_sitemap_lists_only_live(client, articles):
    xml = client.get("/sitemap.xml").content.decode()
    assert "/articles/live-one/</loc>" in xml
    assert "draft-one" not in xml and "scheduled-one" not in xml


def test_related_articles_exclude_hidden(client, articles, topic):
    other = make("another-live", topic)
    html = client.get(other.get_absolute_url()).content.decode()
    assert "/articles/live-one/" in html
    assert "draft-one" not in html and "scheduled-one" not in html


def test_scheduled_article_goes_live_when_its_time_comes(client, articles):
    scheduled = articles["scheduled"]
    Article.objects.filter(pk=scheduled.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert client.get(scheduled.get_absolute_url()).status_code == 200


def test_home_features_only_a_live_article(client, articles):
    """The scheduled article is the newest by date and the draft is as new as the live one:
    neither may be featured."""
    html = client.get("/").content.decode()
    assert 'href="/articles/live-one/"' in html
    assert "draft-one" not in html and "scheduled-one" not in html


def test_a_topic_with_only_hidden_articles_is_not_offered(client, articles):
    secret = Topic.objects.create(name="Upcoming research", slug="upcoming-research")
    articles["draft"].topics.add(secret)
    articles["scheduled"].topics.add(secret)
    assert "/articles/topic/upcoming-research/" not in client.get("/articles/").content.decode()
    assert "/articles/topic/upcoming-research/" not in client.get("/sitemap.xml").content.decode()
    response = client.get("/articles/topic/upcoming-research/")
    assert response.status_code == 200
    assert "draft-one" not in response.content.decode()
    assert "No articles here yet." in response.content.decode()


def test_staff_preview_never_reaches_the_public_lists(client, admin_user, articles):
    """Staff see drafts only on the article page itself, with the notice."""
    sign_in(client, admin_user)
    for url in ("/", "/articles/", "/articles/topic/pcos/", "/articles/?q=chromium"):
        html = client.get(url).content.decode()
        assert "draft-one" not in html and "scheduled-one" not in html, url
