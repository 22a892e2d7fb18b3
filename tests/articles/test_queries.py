"""Article pages use a fixed number of queries, however many articles, topics or FAQs exist:
cold (nothing cached, as after any change to an article) and warm (from the cache: none)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article, FaqItem, Topic

pytestmark = pytest.mark.django_db

# list: count, page of articles, their topics, topics for the filter bar
LIST_QUERIES = 4
# + when the next scheduled article goes live (the cached list expires then); searches
# are never cached
CACHED_LIST_QUERIES = LIST_QUERIES + 1
# detail: the next scheduled article, article, topics, FAQ items, related treatments,
# related articles
DETAIL_QUERIES = 6
WARM_QUERIES = 0
# home: the featured article (other apps' home queries are pinned by their own tests)


def populate(count):
    topics = [Topic.objects.create(name=f"Topic {i}", slug=f"topic-{i}") for i in range(3)]
    now = timezone.now()
    articles = []
    for i in range(count):
        article = Article.objects.create(
            title=f"Article {i}",
            slug=f"article-{i}",
            dek="Summary",
            author="A",
            body="## Part\n\nmagnesium text",
            status=Article.Status.PUBLISHED,
            publish_at=now - timedelta(hours=i + 1),
        )
        article.topics.set(topics)
        for n in range(count):
            FaqItem.objects.create(article=article, question=f"Q{n}?", answer="A", order=n)
        articles.append(article)
    return articles


@pytest.mark.parametrize("count", [1, 15])
def test_article_list_query_count(client, django_assert_num_queries, count):
    populate(count)
    with django_assert_num_queries(CACHED_LIST_QUERIES):
        assert client.get("/articles/").status_code == 200
    with django_assert_num_queries(WARM_QUERIES):
        assert client.get("/articles/").status_code == 200


@pytest.mark.parametrize("count", [1, 15])
def test_topic_and_search_query_count(client, django_assert_num_queries, count):
    populate(count)
    for _ in range(2):  # searches are never cached
        with django_assert_num_queries(LIST_QUERIES):
            assert client.get("/articles/", {"q": "magnesium"}).status_code == 200
    with django_assert_num_queries(CACHED_LIST_QUERIES + 1):  # + the topic itself
        assert client.get("/articles/topic/topic-1/").status_code == 200
    with django_assert_num_queries(WARM_QUERIES):
        assert client.get("/articles/topic/topic-1/").status_code == 200


@pytest.mark.parametrize("count", [1, 15])
def test_article_detail_query_count(client, django_assert_num_queries, count):
    articles = populate(count)
    with django_assert_num_queries(DETAIL_QUERIES):
        assert client.get(articles[0].get_absolute_url()).status_code == 200
    with django_assert_num_queries(WARM_QUERIES):
        assert client.get(articles[0].get_absolute_url()).status_code == 200


@pytest.mark.parametrize("count", [1, 15])
def test_feed_and_sitemap_query_count(client, django_assert_num_queries, count):
    populate(count)
    with django_assert_num_queries(2):  # articles, their topics
        assert client.get("/articles/feed/").status_code == 200


def count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_home_featured_article_costs_the_same_for_1_or_15_articles(client):
    populate(1)
    with_one = count_queries(client, "/")
    Article.objects.all().delete()
    Topic.objects.all().delete()
    populate(15)
    assert count_queries(client, "/") == with_one
