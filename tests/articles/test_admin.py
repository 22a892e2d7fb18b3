"""Editors' admin pages load and the seed article can be edited."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from articles.seed import load_articles

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    load_articles()
    return Article.objects.get()


def test_changelist_loads_with_search_and_filters(admin_client, article):
    response = admin_client.get(
        "/admin/articles/article/", {"q": "magnesium", "status": "published"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert article.title in html
    assert "Live" in html


def test_change_page_loads_with_faq_inline_and_view_on_site(admin_client, article):
    response = admin_client.get(f"/admin/articles/article/{article.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "faq_items-TOTAL_FORMS" in html
    assert "How does magnesium deficiency impact insulin resistance" in html
    assert "View on site" in html


def test_add_page_loads(admin_client):
    assert admin_client.get("/admin/articles/article/add/").status_code == 200
    assert admin_client.get("/admin/articles/topic/").status_code == 200


def test_editor_saves_a_draft_and_previews_it(admin_client, client):
    response = admin_client.post(
        "/admin/articles/article/add/",
        {
            "title": "Inositol and PCOS",
            "slug": "inositol-and-pcos",
            "dek": "What the trials say.",
            "body": "## Trials\n\nMyo-inositol findings <script>bad()</script>",
            "references": "",
            "status": "draft",
            "publish_at_0": "2026-01-01",
            "publish_at_1": "09:00:00",
            "author": "Oana editors",
            "medical_reviewer": "",
            "last_reviewed": "",
            "seo_title": "",
            "seo_description": "",
            "faq_items-TOTAL_FORMS": "1",
            "faq_items-INITIAL_FORMS": "0",
            "faq_items-MIN_NUM_FORMS": "0",
            "faq_items-MAX_NUM_FORMS": "1000",
            "faq_items-0-order": "1",
            "faq_items-0-question": "Is it safe?",
            "faq_items-0-answer": "Usually, ask your clinician.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = Article.objects.get(slug="inositol-and-pcos")
    assert "bad()" not in draft.body_html
    assert draft.faq_items.get().answer_html == "<p>Usually, ask your clinician.</p>"
    assert client.get("/articles/inositol-and-pcos/").status_code == 404
    preview = admin_client.get("/articles/inositol-and-pcos/")
    assert preview.status_code == 200
    assert "Draft preview." in preview.content.decode()


def test_changelist_says_which_articles_the_public_sees(admin_client):
    now = timezone.now()
    for slug, status, publish_at in (
        ("live-one", "published", now - timedelta(days=1)),
        ("scheduled-one", "published", now + timedelta(days=3)),
        ("draft-one", "draft", now - timedelta(days=1)),
    ):
        Article.objects.create(
            title=f"Title {slug}",
            slug=slug,
            dek="d",
            body="b",
            author="a",
            status=status,
            publish_at=publish_at,
        )
    html = admin_client.get("/admin/articles/article/").content.decode()
    shown = dict(
        re.findall(r'>Title ([a-z-]+)</a></th><td class="field-visibility">(\w+)</td>', html)
    )
    assert shown == {"live-one": "Live", "scheduled-one": "Scheduled", "draft-one": "Draft"}
