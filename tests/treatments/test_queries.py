"""Every catalog page runs the same, pinned number of queries with 10 or 50 treatments: cold
(nothing cached, as after any catalog change) and warm (served from the cache: none)."""

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from tests.support.factories import care_team_of
from treatments.models import Category, Plan, Treatment
from treatments.seed import load_catalog

pytestmark = pytest.mark.django_db

# The catalog snapshot (treatments.services.CatalogSnapshot): categories with their ranges,
# treatments with their prices, published testimonials.
SNAPSHOT_QUERIES = 3
# catalog and category pages: the snapshot.
CATALOG_QUERIES = 3
CATEGORY_QUERIES = 3
# treatment: the treatment (with category and price) + its plans, medicines (its pregnancy
# notice), components and testimonials (prefetched) + when the next scheduled article goes
# live + its published related articles + the care team (when its first licence expires, the
# active clinicians, their current licences).
DETAIL_QUERIES = 10
# home, the catalog's share: the snapshot.
HOME_CATALOG_QUERIES = 3
OPTIONS_TABLE_QUERIES = 3
# Any public page once cached.
WARM_QUERIES = 0


def grow_catalog(total):
    """Add treatments (each with two plans, one inactive) until there are `total`."""
    categories = list(Category.objects.all())
    for n in range(Treatment.objects.count(), total):
        treatment = Treatment.objects.create(
            category=categories[n % len(categories)],
            name=f"Extra treatment {n}",
            slug=f"extra-treatment-{n}",
            tagline="An extra row to make the catalog bigger.",
            display_order=100 + n,
        )
        Plan.objects.create(treatment=treatment, amount_cents=1000 + n)
        Plan.objects.create(treatment=treatment, amount_cents=500 + n, is_active=False)
    assert Treatment.objects.count() == total


@pytest.fixture(params=[(10, 1), (50, 6)], ids=["10-treatments", "50-treatments"])
def sized_catalog(request):
    """The catalog at two sizes, with a care team of one, then six, clinicians."""
    treatments, clinicians = request.param
    load_catalog()
    grow_catalog(treatments)
    care_team_of(clinicians)
    return treatments


def get_cold_then_warm(client, url, cold, django_assert_num_queries):
    """The page's response, asserting its query count cold and then warm (same content)."""
    with django_assert_num_queries(cold):
        response = client.get(url)
    assert response.status_code == 200
    with django_assert_num_queries(WARM_QUERIES):
        warm = client.get(url)
    assert warm.status_code == 200
    return warm


def test_catalog_page(client, sized_catalog, django_assert_num_queries):
    response = get_cold_then_warm(
        client, "/treatments/", CATALOG_QUERIES, django_assert_num_queries
    )
    assert response.content.decode().count('class="card treatment-card"') == sized_catalog


def test_category_page(client, sized_catalog, django_assert_num_queries):
    response = get_cold_then_warm(
        client, "/treatments/unwanted-hair/", CATEGORY_QUERIES, django_assert_num_queries
    )
    assert response.content.decode().count('class="card treatment-card"') >= 3


def test_treatment_page(client, sized_catalog, django_assert_num_queries):
    # Give the pack more components, so prefetching (not a query per row) is what is measured.
    pack = Treatment.objects.get(slug="hairless-hype")
    pack.components.add(*Treatment.objects.filter(slug__startswith="extra-")[:20])
    response = get_cold_then_warm(
        client,
        "/treatments/unwanted-hair/hairless-hype/",
        DETAIL_QUERIES,
        django_assert_num_queries,
    )
    assert "$69" in response.content.decode()
    assert response.content.decode().count('class="component-list"') == 1


def test_home_page(client, sized_catalog):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    # The featured article (articles app) adds its own, fixed number of queries; the
    # catalog's part is pinned here, the page's total is compared across sizes below.
    catalog_queries = [q for q in queries if '"treatments_' in q["sql"]]
    assert len(catalog_queries) == HOME_CATALOG_QUERIES, [q["sql"] for q in catalog_queries]


def test_home_page_total_does_not_grow(client):
    load_catalog()
    care_team_of(1)
    with CaptureQueriesContext(connection) as small:
        client.get("/")
    grow_catalog(50)
    care_team_of(6)
    with CaptureQueriesContext(connection) as large:
        client.get("/")
    assert len(small) == len(large)


def test_options_table(sized_catalog, django_assert_num_queries):
    template = Template("{% load catalog %}{% treatment_options_table %}")
    with django_assert_num_queries(OPTIONS_TABLE_QUERIES):
        html = template.render(Context())
    assert "Hairless Hype" in html
    with django_assert_num_queries(WARM_QUERIES):
        assert template.render(Context()) == html
