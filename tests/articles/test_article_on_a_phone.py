"""The article on a phone (issue 21, item 12): a treatment card right after the introduction,
"Back to contents" that stays at hand, and the options table whose cells carry their column's
name for the stacked cards (the browser test checks the layout at 375 px). The text stays word
for word: the body is only cut at its first heading."""

import re

import pytest

from articles.models import Article
from articles.rendering import Segment, render_markdown, split_catalog_regions, split_intro
from tests.articles.test_catalog_table import ARTICLE, seeded  # noqa: F401  (fixture)


def test_the_intro_is_what_comes_before_the_first_heading():
    body = render_markdown("Intro **one**.\n\nIntro two.\n\n## First\n\nText.\n\n## Second\n").html
    intro, rest = split_intro(split_catalog_regions(body))
    assert "".join(s.html for s in intro) + "".join(s.html for s in rest) == body
    assert "Intro two" in intro[-1].html and rest[0].html.startswith('<h2 id="first">')


def test_a_body_that_opens_with_a_heading_has_no_intro():
    segments = [Segment(html='<h2 id="a">A</h2><p>x</p>')]
    assert split_intro(segments) == ([], segments)


def test_a_catalog_region_before_the_first_heading_stays_in_the_intro():
    segments = [
        Segment(html="<p>Intro</p>"),
        Segment(catalog="treatment-options"),
        Segment(html='<p>More</p><h2 id="a">A</h2>'),
    ]
    intro, rest = split_intro(segments)
    assert intro == [*segments[:2], Segment(html="<p>More</p>")]
    assert rest == [Segment(html='<h2 id="a">A</h2>')]


def test_a_body_without_headings_is_all_intro():
    segments = [Segment(html="<p>Only</p>")]
    assert split_intro(segments) == (segments, [])


@pytest.mark.django_db
def test_the_seed_article_shows_a_treatment_card_after_its_introduction(client, seeded):  # noqa: F811
    page = client.get(ARTICLE).content.decode()
    article = Article.objects.get(slug="magnesium-and-insulin-resistance")
    first_heading = page.index(f'<h2 id="{article.toc[0]["id"]}"')
    card = page.index('class="card treatment-card"')
    intro_end = page.index("</div>", page.index('class="prose article-body"'))
    assert intro_end < card < first_heading
    assert "Treatments for this, reviewed by a licensed clinician" in page
    assert re.search(r'<p class="price-tag">(from )?\$\d+<small>/month</small></p>', page)
    # Word for word: the body is the stored one, only cut in two.
    intro, rest = article.body_parts
    cut = [(s.html, s.catalog) for s in [*intro, *rest]]
    assert "".join(h or f"[{c}]" for h, c in cut) == "".join(
        s.html or f"[{s.catalog}]" for s in article.body_segments
    )


@pytest.mark.django_db
def test_back_to_contents_and_the_labelled_price_cells(client, seeded):  # noqa: F811
    page = client.get(ARTICLE).content.decode()
    assert '<a class="to-contents" href="#toc-title">Back to contents</a>' in page
    assert 'id="toc-title"' in page
    assert page.count('data-label="From"') == 4 and page.count('data-label="Options"') == 4


@pytest.mark.django_db
def test_an_article_without_headings_or_treatments_has_neither(client):
    from django.utils import timezone

    article = Article.objects.create(
        title="Short",
        slug="short",
        dek="Summary",
        author="A",
        body="Just a paragraph.",
        status=Article.Status.PUBLISHED,
        publish_at=timezone.now(),
    )
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Back to contents" not in page and "treatment-card" not in page
    assert "Just a paragraph." in page
