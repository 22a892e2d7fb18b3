"""Markdown is rendered once on save and sanitized against an allow-list."""

import pytest

from articles.models import Article, FaqItem
from articles.rendering import TABLE_WRAP, render_markdown


def test_script_tags_are_removed_with_their_content():
    html = render_markdown("Hello\n\n<script>alert('x')</script>\n\nworld").html
    assert "<script" not in html
    assert "alert" not in html
    assert "Hello" in html and "world" in html


def test_event_handler_attributes_are_removed():
    html = render_markdown('<p onclick="steal()">Hi <img src="/a.png" onerror="steal()"></p>').html
    assert "onclick" not in html
    assert "onerror" not in html
    assert "steal" not in html
    assert '<img src="/a.png">' in html


def test_javascript_urls_are_removed():
    html = render_markdown("[click](javascript:alert(1)) and <a href='JaVaScRiPt:x()'>raw</a>").html
    assert "javascript" not in html.lower()
    assert "click" in html and "raw" in html


def test_links_keep_href_and_get_rel():
    html = render_markdown("[NIH](https://www.nih.gov/)").html
    assert '<a href="https://www.nih.gov/" rel="noopener noreferrer">NIH</a>' in html


def test_inline_styles_and_iframes_are_removed():
    html = render_markdown(
        '<div style="position:fixed">x</div><iframe src="https://e.com"></iframe>'
    ).html
    assert "style" not in html
    assert "iframe" not in html


def test_tables_have_header_rows_and_scroll_wrappers():
    html = render_markdown("| A | B |\n| --- | --- |\n| 1 | 2 |\n").html
    assert TABLE_WRAP + "<table>" in html
    assert "<thead>" in html and "<th>A</th>" in html
    assert "<td>2</td>" in html


def test_headings_get_ids_and_h2s_make_the_table_of_contents():
    rendered = render_markdown("## First part\n\ntext\n\n### Detail\n\n## Second & last\n")
    assert '<h2 id="first-part">First part</h2>' in rendered.html
    assert '<h3 id="detail">Detail</h3>' in rendered.html
    assert rendered.toc == [
        {"id": "first-part", "title": "First part"},
        {"id": "second-last", "title": "Second & last"},
    ]


def test_catalog_region_becomes_a_placeholder_element():
    text = (
        "Intro\n\n<!-- catalog:treatment-options -->\n\n| A |\n| --- |\n| 1 |\n\n"
        "<!-- /catalog:treatment-options -->\n\nAfter\n"
    )
    html = "".join(render_markdown(text).html.split())
    assert '<divdata-catalog="treatment-options"><divclass="table-wrap"' in html
    assert "</table></div></div><p>After</p>" in html
    assert "<!--" not in html


@pytest.mark.django_db
def test_html_is_cached_on_save_with_word_count_and_reading_time():
    article = Article.objects.create(
        title="T", slug="t", dek="d", author="A", body="## Part\n\n" + "word " * 660
    )
    article.refresh_from_db()
    assert article.body_html.startswith('<h2 id="part">Part</h2>')
    assert article.toc == [{"id": "part", "title": "Part"}]
    assert article.word_count == 661
    assert article.reading_time == 3
    article.body = "Short <script>x()</script>"
    article.references = "1. Someone et al. <b onmouseover='x()'>2020</b>"
    article.save()
    article.refresh_from_db()
    assert article.body_html == "<p>Short </p>"
    assert article.reading_time == 1
    assert "onmouseover" not in article.references_html
    assert "<ol>" in article.references_html


@pytest.mark.django_db
def test_faq_answers_are_rendered_and_sanitized():
    article = Article.objects.create(title="T", slug="t", dek="d", author="A", body="b")
    item = FaqItem.objects.create(
        article=article, question="Q?", answer="- one\n- <script>x</script>two"
    )
    assert item.answer_html == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
