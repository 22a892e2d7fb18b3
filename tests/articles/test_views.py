"""Article list, search, topics, pagination and the article page."""

import json
import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from articles.models import Article, FaqItem, Topic
from articles.seed import load_articles

pytestmark = pytest.mark.django_db

SEED_URL = "/articles/magnesium-and-insulin-resistance/"


def make_articles(count, topic=None, faqs=0, prefix="article"):
    now = timezone.now()
    made = []
    for i in range(count):
        article = Article.objects.create(
            title=f"Article number {i}",
            slug=f"{prefix}-{i}",
            dek=f"Summary {i}",
            author="Oana editors",
            body=f"## Part {i}\n\nText about berberine {i}.",
            status=Article.Status.PUBLISHED,
            publish_at=now - timedelta(hours=i + 1),
        )
        if topic:
            article.topics.add(topic)
        for n in range(faqs):
            FaqItem.objects.create(article=article, question=f"Q{n}?", answer=f"A{n}", order=n)
        made.append(article)
    return made


def test_list_is_newest_first_and_paginated(client):
    make_articles(12)
    first = client.get("/articles/").content.decode()
    titles = re.findall(r"Article number (\d+)</a>", first)
    assert titles == [str(i) for i in range(10)]
    assert "Page 1 of 2" in first
    second = client.get("/articles/", {"page": 2}).content.decode()
    assert re.findall(r"Article number (\d+)</a>", second) == ["10", "11"]


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99", "1.5", "9" * 40])
def test_bad_page_is_404_not_500(client, page):
    make_articles(2)
    assert client.get("/articles/", {"page": page}).status_code == 404


@pytest.mark.parametrize(
    "q",
    [
        "",
        " ",
        "'",
        '"',
        "&|!",
        "a:*",
        "(((",
        "<script>",
        "x" * 500,
        "ü ñ 日本",
        "-",
    ],
)
def test_odd_search_input_never_500(client, q):
    load_articles()
    response = client.get("/articles/", {"q": q})
    assert response.status_code == 200


def test_a_nul_in_the_search_is_a_clear_400(client):
    load_articles()
    response = client.get("/articles/", {"q": "magnesium\x00"})
    assert response.status_code == 400  # core/middleware.py, before any query


@pytest.mark.parametrize("q", ["", "   "])
def test_a_blank_search_lists_every_article(client, q):
    make_articles(2)
    html = client.get("/articles/", {"q": q}).content.decode()
    assert "/articles/article-0/" in html and "/articles/article-1/" in html
    assert "No articles match" not in html


def test_search_finds_the_seed_article_by_a_word_in_its_body(client):
    load_articles()
    make_articles(3)
    html = client.get("/articles/", {"q": "gluconeogenesis"}).content.decode()
    assert SEED_URL in html
    assert "1 result for" in html
    assert "/articles/article-0/" not in html


def test_search_matches_stemmed_and_multiple_words(client):
    load_articles()
    html = client.get("/articles/", {"q": "magnesium supplements"}).content.decode()
    assert SEED_URL in html


def test_search_with_no_results_says_so(client):
    load_articles()
    html = client.get("/articles/", {"q": "zzzqqqxxx"}).content.decode()
    assert "No articles match" in html


def test_search_label_and_landmark(client):
    html = client.get("/articles/").content.decode()
    assert '<label for="id_q">Search articles</label>' in html
    assert 'role="search"' in html


def test_topic_page_filters_and_unknown_topic_is_404(client):
    pcos = Topic.objects.create(name="PCOS", slug="pcos")
    make_articles(2, topic=pcos)
    Article.objects.create(
        title="Off topic", slug="off", dek="d", author="a", body="b", status="published"
    )
    html = client.get("/articles/topic/pcos/").content.decode()
    assert "<h1>PCOS</h1>" in html
    assert "/articles/article-0/" in html and "/articles/off/" not in html
    assert client.get("/articles/topic/nope/").status_code == 404


def test_unknown_article_is_404(client):
    assert client.get("/articles/nope/").status_code == 404


def test_article_page_content(client):
    load_articles()
    response = client.get(SEED_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert '<h1 id="article-title">Magnesium and Insulin Resistance: What Studies Show</h1>' in html
    assert "Written by</dt><dd>Oana Health editorial team" in html
    assert re.search(r"\d+ min read", html)
    # Table of contents from the h2s, pointing at the heading ids.
    assert (
        '<a href="#how-magnesium-controls-insulin-function">How Magnesium Controls Insulin Function</a>'
        in html
    )
    assert 'id="how-magnesium-controls-insulin-function"' in html
    assert html.count("<details>") == 3
    assert "<summary>What foods are good sources of magnesium" in html
    assert "Medical disclaimer" in html
    assert '<a class="button" href="/treatments/">See treatments</a>' in html


def test_article_page_seo(client):
    load_articles()
    html = client.get(SEED_URL).content.decode()
    assert (
        "<title>Magnesium and Insulin Resistance: What Studies Show | Oana Health</title>" in html
    )
    assert '<meta name="description" content="What studies show about magnesium' in html
    assert f'<link rel="canonical" href="http://testserver{SEED_URL}">' in html
    assert '<meta property="og:type" content="article">' in html
    assert f'<meta property="og:url" content="http://testserver{SEED_URL}">' in html
    assert '<meta property="og:title" content="Magnesium and Insulin Resistance' in html


def test_json_ld_cannot_break_out_of_its_script(client):
    Article.objects.create(
        title="Evil </script><script>alert(1)</script>",
        slug="evil",
        dek="d",
        author="a",
        body="b",
        status="published",
    )
    html = client.get("/articles/evil/").content.decode()
    assert "<script>alert(1)" not in html
    assert "\\u003C/script\\u003E" in html


def json_ld(html):
    blocks = re.findall(
        r'<script type="application/ld\+json" nonce="[^"]+">(.*?)</script>', html, re.S
    )
    return [json.loads(block) for block in blocks]


def test_medical_review_is_on_the_page_and_in_its_json_ld(client):
    reviewed, unreviewed = make_articles(2)
    Article.objects.filter(pk=reviewed.pk).update(
        medical_reviewer="Dr. Ana Ruiz, MD", last_reviewed=date(2026, 2, 3)
    )
    html = client.get(reviewed.get_absolute_url()).content.decode()
    assert (
        "Medically reviewed by</dt><dd>Dr. Ana Ruiz, MD on "
        '<time datetime="2026-02-03">February 3, 2026</time></dd>'
    ) in html
    (page,) = json_ld(html)
    assert page["reviewedBy"] == {"@type": "Person", "name": "Dr. Ana Ruiz, MD"}
    assert page["lastReviewed"] == "2026-02-03"

    (page,) = json_ld(client.get(unreviewed.get_absolute_url()).content.decode())
    assert "reviewedBy" not in page and "lastReviewed" not in page


def test_related_articles_share_a_topic(client):
    pcos = Topic.objects.create(name="PCOS", slug="pcos")
    first, second, *_ = make_articles(3, topic=pcos)
    unrelated = make_articles(1, prefix="unrelated")[0]
    html = client.get(first.get_absolute_url()).content.decode()
    assert "Keep reading" in html
    assert second.get_absolute_url() in html
    assert unrelated.get_absolute_url() not in html


def test_home_features_the_latest_published_article(client):
    load_articles()
    html = client.get("/").content.decode()
    assert 'href="/articles/magnesium-and-insulin-resistance/"' in html
    assert "Featured article" in html


def test_home_without_articles_still_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Featured article" not in response.content.decode()


def test_related_treatments_link_only_to_public_treatments(client):
    """Public = active with an active plan: every link the article shows opens (no 404)."""
    from treatments.models import Category, Plan, Treatment

    category = Category.objects.create(name="Topical Treatments", slug="topical-treatments")
    lotion = Treatment.objects.create(
        category=category, name="Metformin HCL Lotion 20%", slug="metformin-hcl-lotion-20"
    )
    Plan.objects.create(treatment=lotion, amount_cents=4300)
    retired = Treatment.objects.create(
        category=category, name="Retired cream", slug="retired-cream", is_active=False
    )
    Plan.objects.create(treatment=retired, amount_cents=1000)
    planless = Treatment.objects.create(category=category, name="Planless gel", slug="planless-gel")
    Plan.objects.create(treatment=planless, amount_cents=1000, is_active=False)
    load_articles()
    article = Article.objects.get()
    assert list(article.related_treatments.all()) == [lotion]  # matched by name on load
    article.related_treatments.add(retired, planless)
    html = client.get(SEED_URL).content.decode()
    assert 'href="/treatments/topical-treatments/metformin-hcl-lotion-20/"' in html
    assert client.get("/treatments/topical-treatments/metformin-hcl-lotion-20/").status_code == 200
    assert "Retired cream" not in html
    assert "Planless gel" not in html
    assert client.get("/treatments/topical-treatments/planless-gel/").status_code == 404
