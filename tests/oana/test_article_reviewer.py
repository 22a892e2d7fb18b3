"""An article's medical reviewer is one of our clinicians (issue 21 item 1): staff choose her
in the article's admin; in development the seed names the demo clinician, and the seed
article's text stays word for word as its source."""

from io import StringIO

import pytest
from django.core.management import call_command

from articles.models import Article
from articles.seed import load_articles
from clinic.clinicians import seed_demo_clinician
from oana.article_reviewer import reviewer_choices, seed_demo_reviewer
from tests.support.factories import licensed_clinician

pytestmark = pytest.mark.django_db
SEED_SLUG = "magnesium-and-insulin-resistance"


def test_staff_choose_the_reviewer_among_the_active_clinicians(admin_client, client):
    licensed_clinician(["NY"])  # Dr. Ana Lee, MD
    load_articles()
    article = Article.objects.get(slug=SEED_SLUG)
    url = f"/admin/articles/article/{article.pk}/change/"
    form = admin_client.get(url).content.decode()
    assert '<option value="Dr. Ana Lee, MD">Dr. Ana Lee, MD</option>' in form
    assert '<option value="" selected>No medical reviewer yet</option>' in form
    body = article.body

    data = admin_client.get(url).context["adminform"].form.initial
    post = {
        key: value
        for key, value in data.items()
        if key not in ("topics", "related_treatments") and value is not None
    }
    post |= {
        "publish_at_0": article.publish_at.strftime("%Y-%m-%d"),
        "publish_at_1": article.publish_at.strftime("%H:%M:%S"),
        "medical_reviewer": "Dr. Ana Lee, MD",
        "last_reviewed": "2026-11-20",
        "faq_items-TOTAL_FORMS": "0",
        "faq_items-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, post)
    assert response.status_code == 302, response.context and response.context["errors"]
    article.refresh_from_db()
    assert article.medical_reviewer == "Dr. Ana Lee, MD"
    assert article.body.strip() == body.strip()  # word for word (the form trims the end)
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Medically reviewed by</dt><dd>Dr. Ana Lee, MD on " in html
    assert "November 20, 2026" in html

    refused = admin_client.post(url, {**post, "medical_reviewer": "Dr. Made Up"})
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()


def test_a_reviewer_who_left_stays_offered_on_her_articles():
    assert reviewer_choices("Dr. Former, MD")[-1] == ("Dr. Former, MD", "Dr. Former, MD")
    assert ("Dr. Former, MD", "Dr. Former, MD") not in reviewer_choices("")


def test_in_development_the_seed_names_the_demo_clinician(settings):
    load_articles()
    assert seed_demo_reviewer() == 0  # no demo clinician yet
    settings.DEBUG = True
    out = StringIO()
    call_command("seed", stdout=out)
    assert "the demo clinician reviews the seed articles" in out.getvalue()
    article = Article.objects.get(slug=SEED_SLUG)
    assert article.medical_reviewer.startswith("Dr. Demo Clinician")
    assert article.last_reviewed is not None
    assert seed_demo_reviewer() == 0  # only articles without a reviewer
    assert not seed_demo_clinician()
