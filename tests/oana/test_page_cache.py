"""Public pages are cached (core.cache) and always right.

Warm, every anonymous public page runs at most three queries (none, in fact), and a pinned
number cold. Whatever staff save shows at once on every page; a draft, a scheduled article
or a hidden treatment never leaks; what is one visitor's (cart count, CSRF token, the
signed-in header, the CSP nonce) is never served to another.
"""

import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.seed import load_articles
from tests.articles.test_catalog_table import options_table
from tests.support.factories import care_team_of
from tests.treatments.test_admin_prices import post_plan_price, text_of
from treatments.models import Plan, Treatment
from treatments.seed import load_catalog

pytestmark = pytest.mark.django_db

ARTICLE = "/articles/magnesium-and-insulin-resistance/"
TREATMENT = "/treatments/unwanted-hair/spironolactone/"
# page: its queries with nothing cached (pinned; the page's own tests say what they are)
COLD_QUERIES = {
    # the catalog snapshot (3), the featured article and the next scheduled one (2), the care
    # team (3: clinic.care_team)
    "/": 8,
    "/articles/": 5,
    ARTICLE: 9,  # the article (6) and the catalog snapshot for its live options table (3)
    "/treatments/": 3,
    "/treatments/unwanted-hair/": 3,
    TREATMENT: 10,  # tests/treatments/test_queries.py, DETAIL_QUERIES
    "/care-team/": 3,  # the care team
    "/cart/": 0,
}
PAGES = list(COLD_QUERIES)
WARM_LIMIT = 3


@pytest.fixture
def seeded(db):
    load_catalog()
    load_articles()
    care_team_of(2)


@pytest.mark.parametrize("url", PAGES)
def test_each_public_page_is_cheap_warm_and_pinned_cold(
    client, seeded, url, django_assert_num_queries, django_assert_max_num_queries
):
    with django_assert_num_queries(COLD_QUERIES[url]):
        cold = client.get(url)
    assert cold.status_code == 200
    with django_assert_max_num_queries(WARM_LIMIT):
        warm = client.get(url)
    with django_assert_num_queries(0):
        again = client.get(url)
    assert warm.status_code == again.status_code == 200
    assert text_of(warm) == text_of(cold) == text_of(again)


def texts(client):
    return {url: text_of(client.get(url)) for url in PAGES}


def test_a_price_saved_in_the_admin_shows_at_once_on_every_page(client, admin_client, seeded):
    before = texts(client)  # every page cached
    for url in ["/", ARTICLE, "/treatments/", "/treatments/unwanted-hair/", TREATMENT]:
        assert "$14" in before[url], url
        assert "$13.37" not in before[url], url

    response = post_plan_price(admin_client, Treatment.objects.get(slug="spironolactone"), "13.37")
    assert response.status_code == 302
    assert Plan.objects.get(treatment__slug="spironolactone").amount_cents == 1337

    after = texts(client)
    assert "from $13.37/month" in after["/"]
    assert "Spironolactone, Eflornithine 12%, Hairless Hype $13.37-$69/month" in after[ARTICLE]
    assert "$13.37-$69/month" in after["/treatments/"]
    assert "$13.37-$69/month" in after["/treatments/unwanted-hair/"]
    assert "Spironolactone: $13.37/month" in after[TREATMENT]
    assert "Monthly plan $13.37/month" in after[TREATMENT]


def test_a_treatment_hidden_with_the_admin_action_leaves_every_page_at_once(
    client, admin_client, seeded
):
    assert "Hairless Hype" in texts(client)["/treatments/"]  # cached
    assert "Hairless Hype" in options_table(client)
    hype = Treatment.objects.get(slug="hairless-hype")
    response = admin_client.post(
        reverse("admin:treatments_treatment_changelist"),
        {"action": "deactivate", "_selected_action": [hype.pk]},
    )
    assert response.status_code == 302
    after = texts(client)
    for url in ["/treatments/", "/treatments/unwanted-hair/"]:
        assert "Hairless Hype" not in after[url], url
    assert "Hairless Hype" not in options_table(client)
    assert client.get("/treatments/unwanted-hair/hairless-hype/").status_code == 404


def test_an_article_back_to_draft_leaves_every_page_at_once(client, admin_client, seeded):
    article = Article.objects.get()
    assert article.title in texts(client)["/"]  # featured, and every page cached
    assert client.get("/articles/").content.decode().count(article.get_absolute_url()) == 1

    data = {
        "title": article.title,
        "slug": article.slug,
        "dek": article.dek,
        "body": article.body,
        "references": article.references,
        "author": article.author,
        "medical_reviewer": article.medical_reviewer,
        "status": "draft",
        "publish_at_0": timezone.localtime(article.publish_at).strftime("%Y-%m-%d"),
        "publish_at_1": timezone.localtime(article.publish_at).strftime("%H:%M:%S"),
        "faq_items-TOTAL_FORMS": "0",
        "faq_items-INITIAL_FORMS": "0",
    }
    if article.last_reviewed:
        data["last_reviewed"] = article.last_reviewed.isoformat()
    response = admin_client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert Article.objects.get().status == "draft"

    assert client.get(ARTICLE).status_code == 404
    assert article.get_absolute_url() not in client.get("/articles/").content.decode()
    assert article.get_absolute_url() not in client.get("/").content.decode()
    # Staff still preview it, and their preview is never what the public is served.
    assert "Draft preview" in admin_client.get(ARTICLE).content.decode()
    assert client.get(ARTICLE).status_code == 404


def test_a_staff_preview_of_a_draft_never_reaches_the_public(client, admin_client, seeded):
    draft = Article.objects.create(
        title="Unreleased findings",
        slug="unreleased-findings",
        dek="Not yet.",
        body="## Secret\n\nNot for the public yet.",
        author="A",
    )
    assert "Draft preview" in admin_client.get(draft.get_absolute_url()).content.decode()
    assert client.get(draft.get_absolute_url()).status_code == 404
    for url in PAGES:
        assert "Unreleased findings" not in client.get(url).content.decode(), url


def test_a_scheduled_article_appears_by_itself_when_its_time_comes(client, seeded):
    go_live = timezone.now() + timedelta(seconds=1.5)
    scheduled = Article.objects.create(
        title="Scheduled findings",
        slug="scheduled-findings",
        dek="Soon.",
        body="## Soon\n\nText.",
        author="A",
        status=Article.Status.PUBLISHED,
        publish_at=go_live,
    )
    scheduled.related_treatments.add(Treatment.objects.get(slug="spironolactone"))
    for url in ["/", "/articles/", TREATMENT]:  # cached while it is still scheduled
        assert "Scheduled findings" not in client.get(url).content.decode(), url
    assert client.get(scheduled.get_absolute_url()).status_code == 404

    time.sleep(max(0, (go_live - timezone.now()).total_seconds()) + 0.05)
    for url in ["/", "/articles/", TREATMENT]:
        assert "Scheduled findings" in client.get(url).content.decode(), url
    assert client.get(scheduled.get_absolute_url()).status_code == 200


def csrf_field(response):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[1]


def test_cart_count_and_csrf_token_stay_with_their_visitor(seeded):
    alice, bob = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page = alice.get(TREATMENT)
    plan = Plan.objects.get(treatment__slug="spironolactone")
    added = alice.post(
        reverse("orders:cart_add"), {"plan": plan.pk, "csrfmiddlewaretoken": csrf_field(page)}
    )
    assert added.status_code == 302

    alice_page, bob_page = alice.get(TREATMENT), bob.get(TREATMENT)  # both served warm
    assert 'data-testid="cart-count">1<' in alice_page.content.decode()
    assert 'data-testid="cart-count">0<' in bob_page.content.decode()
    alice_token, bob_token = csrf_field(alice_page), csrf_field(bob_page)
    assert alice_token != bob_token
    # Each token is her own: Alice's is refused with Bob's cookie, Bob's own is accepted.
    refused = bob.post(
        reverse("orders:cart_add"), {"plan": plan.pk, "csrfmiddlewaretoken": alice_token}
    )
    assert refused.status_code == 403
    accepted = bob.post(
        reverse("orders:cart_add"), {"plan": plan.pk, "csrfmiddlewaretoken": bob_token}
    )
    assert accepted.status_code == 302


def test_the_signed_in_header_stays_with_its_visitor(client, seeded, django_user_model):
    patient = django_user_model.objects.create_user("pat", "pat@example.com")
    signed_in = Client()
    signed_in.force_login(patient, backend="django.contrib.auth.backends.ModelBackend")
    for url in PAGES:
        assert 'class="nav-label">Account<' in signed_in.get(url).content.decode(), url
        assert 'class="nav-label">Sign in<' in client.get(url).content.decode(), url


@pytest.mark.parametrize("url", [ARTICLE, TREATMENT])
def test_the_csp_nonce_differs_per_response_and_matches_its_header(client, seeded, url):
    nonces = []
    for _ in range(3):
        response = client.get(url)
        header = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])[1]
        scripts = re.findall(
            r'<script type="application/ld\+json" nonce="([^"]*)"', response.content.decode()
        )
        assert scripts and set(scripts) == {header}
        nonces.append(header)
    assert len(set(nonces)) == 3


def test_a_visitor_without_a_session_gets_the_stored_page_with_her_own_token(seeded):
    first, second = Client(), Client()
    rendered = first.get(TREATMENT)
    assert rendered.templates  # rendered once, for the first visitor
    stored = second.get(TREATMENT)
    assert not stored.templates  # the same page, from this process's memory
    assert stored["Vary"] == "Cookie"
    # Her own CSRF cookie comes with it, and the token in the page belongs to it.
    assert "csrftoken" in stored.cookies
    plan = Plan.objects.get(treatment__slug="spironolactone")
    second_client = Client(enforce_csrf_checks=True)
    second_client.cookies = second.cookies
    added = second_client.post(
        reverse("orders:cart_add"), {"plan": plan.pk, "csrfmiddlewaretoken": csrf_field(stored)}
    )
    assert added.status_code == 302
    # Now she has a session (a cart): her pages are rendered for her again.
    assert second_client.get(TREATMENT).templates


@pytest.mark.parametrize("query", ["?page=1", "?q=magnesium", "?utm_source=x"])
def test_a_query_string_is_always_rendered(client, seeded, query):
    client.get("/articles/")
    assert client.get("/articles/" + query).templates


def test_the_stored_pages_are_bounded(client, seeded, monkeypatch):
    from core import cache as public_cache

    monkeypatch.setattr(public_cache, "MAX_PAGES", 2)
    monkeypatch.setattr(public_cache, "_pages", {})
    for url in ["/", "/articles/", "/treatments/"]:
        client.get(url)
    assert len(public_cache._pages) == 1  # full at the third: emptied, then the third stored
    assert not client.get("/treatments/").templates
    assert client.get("/").templates


def test_only_a_plain_200_page_is_stored(client, seeded):
    moved = "/treatments/hair-loss/hairless-hype/"  # the wrong category: a redirect
    for _ in range(2):
        response = client.get(moved)
        assert response.status_code == 301
        assert response["Location"] == "/treatments/unwanted-hair/hairless-hype/"


@pytest.fixture
def cache_down(settings):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/5",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }


def test_a_change_the_cache_cannot_hear_of_is_refused(client, admin_client, seeded, cache_down):
    import redis

    for url in PAGES:  # served from the database, nothing stored
        assert client.get(url).status_code == 200, url
    treatment = Treatment.objects.get(slug="spironolactone")
    with pytest.raises(redis.exceptions.ConnectionError):
        post_plan_price(admin_client, treatment, "13.37")
    # The admin's transaction rolled back: no price nobody could see the cache retire.
    assert Plan.objects.get(treatment=treatment).amount_cents == 1400
