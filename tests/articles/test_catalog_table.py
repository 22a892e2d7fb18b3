"""The seed article's "quick look at their treatment options" table comes from the live catalog."""

import html
import re

import pytest

from articles.models import Article
from articles.rendering import Segment, render_markdown, split_catalog_regions
from articles.seed import load_articles
from treatments.models import Category, Plan, Treatment
from treatments.seed import load_catalog
from treatments.services import change_plan_amount

ARTICLE = "/articles/magnesium-and-insulin-resistance/"


def options_table(client):
    page = client.get(ARTICLE).content.decode()
    tables = re.findall(r'<div class="table-wrap options-table"[^>]*>.*?</table>', page, re.S)
    assert len(tables) == 1, "the article shows exactly one options table"
    inline_free = re.sub(r"</?a\b[^>]*>", "", tables[0])
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", inline_free).split()))


@pytest.fixture
def seeded(db):
    load_catalog()
    load_articles()


def test_table_matches_the_source_text_for_the_seed_catalog(client, seeded):
    text = options_table(client)
    assert text.startswith("Treatment Category Options Available Starting Price")
    for row in (
        "Insulin Sensitizers Oral Metformin ER, Metformin & Spironolactone pack, "
        "Oral GLP-1 & Metformin pack $22-$199/month",
        "Topical Treatments Metformin HCL Lotion 20% $43/month",
        "Unwanted Hair Spironolactone, Eflornithine 12%, Hairless Hype $14-$69/month",
        "Hair Loss Oral Minoxidil, Topical Spironolactone, Hair Plus Plus $25-$43/month",
    ):
        assert row in text


def test_static_fallback_is_not_shown_beside_the_live_table(client, seeded):
    html = client.get(ARTICLE).content.decode()
    assert 'data-catalog="treatment-options"' not in html
    assert html.count('<th scope="col">Treatment Category</th>') == 1


def test_price_change_and_deactivation_show_in_the_article(client, seeded):
    hype = Plan.objects.get(treatment__slug="hairless-hype")
    change_plan_amount(hype, 5900, by=None)
    Treatment.objects.filter(slug="hair-plus-plus").update(is_active=False)

    text = options_table(client)
    assert "Spironolactone, Eflornithine 12%, Hairless Hype $14-$59/month" in text
    assert "Hair Plus Plus" not in text
    assert "Hair Loss Oral Minoxidil, Topical Spironolactone $25-$29/month" in text


def test_article_page_queries_stay_constant_as_the_catalog_grows(
    client, seeded, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Cold: nothing cached yet. Every treatment added below retires the cache, so the second
    # request is cold too, and must cost the same with 40 more treatments.
    with CaptureQueriesContext(connection) as small:
        assert client.get(ARTICLE).status_code == 200
    category = Category.objects.get(slug="hair-loss")
    for number in range(40):
        treatment = Treatment.objects.create(
            category=category, name=f"Extra {number}", slug=f"extra-{number}"
        )
        Plan.objects.create(treatment=treatment, amount_cents=3000 + number)
    with django_assert_num_queries(len(small)):
        response = client.get(ARTICLE)
    assert "Extra 39" in response.content.decode()


def test_split_keeps_html_without_regions_whole():
    fragment = "<p>One</p><div><p>Two</p></div>"
    assert split_catalog_regions(fragment) == [Segment(html=fragment)]


def test_split_finds_the_matching_end_of_a_region_with_nested_divs():
    rendered = render_markdown(
        "Before\n\n<!-- catalog:treatment-options -->\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "<!-- /catalog:treatment-options -->\n\nAfter"
    ).html
    segments = split_catalog_regions(rendered)
    assert [s.catalog for s in segments] == ["", "treatment-options", ""]
    assert "Before" in segments[0].html and "<table>" not in segments[0].html
    assert "After" in segments[2].html and "<table>" not in segments[2].html


def test_split_keeps_the_static_fallback_when_markup_is_unbalanced():
    fragment = '<p>x</p><div data-catalog="treatment-options"><table></table>'
    assert split_catalog_regions(fragment) == [Segment(html=fragment)]


def test_seed_article_keeps_its_static_table_for_feeds(seeded):
    body = Article.objects.get(slug="magnesium-and-insulin-resistance").body_html
    assert 'data-catalog="treatment-options"' in body
    assert "$14-$69/month" in body


def test_a_region_nested_in_another_is_replaced_with_it_once():
    fragment = (
        '<p>Before</p><div data-catalog="treatment-options"><p>Static</p>'
        '<div data-catalog="treatment-options"><table></table></div></div><p>After</p>'
    )
    assert split_catalog_regions(fragment) == [
        Segment(html="<p>Before</p>"),
        Segment(catalog="treatment-options"),
        Segment(html="<p>After</p>"),
    ]
