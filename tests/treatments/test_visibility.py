"""What stays public, what disappears, and what old orders keep, as the catalog changes.

Inactive treatments and plans vanish from every public page (and cannot be put in a cart)
but stay in the admin and in old orders; a price change never touches an order already placed.
"""

import json
import re

import pytest
from django.urls import reverse

from articles.seed import load_articles
from orders.models import Order
from tests.support.factories import make_order
from tests.support.patients import sign_in_patient
from tests.support.staff import sign_in
from treatments.models import Plan, Treatment
from treatments.seed import load_catalog
from treatments.services import change_plan_amount

pytestmark = pytest.mark.django_db

HAIRLESS_HYPE = "/treatments/unwanted-hair/hairless-hype/"
ARTICLE = "/articles/magnesium-and-insulin-resistance/"
PUBLIC_PAGES = ["/", "/treatments/", "/treatments/unwanted-hair/", ARTICLE, "/sitemap.xml"]


@pytest.fixture
def catalog():
    load_catalog()
    load_articles()


def text_of(response):
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    html = re.sub(r"</?(small|span|strong|em|a)\b[^>]*>", "", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def hairless_hype_plan():
    return Plan.objects.get(treatment__slug="hairless-hype")


# Orders keep what they were charged --------------------------------------------------------


def test_a_price_change_leaves_existing_orders_alone(client, catalog, django_user_model):
    staff = django_user_model.objects.create_user("pricing", is_staff=True)
    order = make_order(hairless_hype_plan())
    line = order.lines.get()
    assert (line.unit_amount_cents, order.total_cents) == (6900, 6900)

    change_plan_amount(hairless_hype_plan(), 6500, by=staff)

    order.refresh_from_db()
    line = order.lines.get()
    assert (line.unit_amount_cents, order.subtotal_cents, order.total_cents) == (6900, 6900, 6900)
    assert line.plan.amount_cents == 6500  # the plan moved on, the order did not
    sign_in_patient(client, order)
    page = text_of(client.get(order.get_absolute_url()))
    assert "$69.00" in page
    assert "$65" not in page
    # A new order is charged the new price.
    assert make_order(hairless_hype_plan(), email="new@example.com").total_cents == 6500


def test_old_orders_still_show_a_treatment_that_was_withdrawn(client, catalog):
    order = make_order(hairless_hype_plan())
    Treatment.objects.filter(slug="hairless-hype").update(is_active=False)
    Plan.objects.filter(treatment__slug="hairless-hype").update(is_active=False)

    sign_in_patient(client, order)
    response = client.get(order.get_absolute_url())
    assert response.status_code == 200
    assert "Hairless Hype" in text_of(response)
    assert "$69.00" in text_of(response)
    assert Order.objects.get(pk=order.pk).lines.get().treatment_name == "Hairless Hype"


# Inactive treatments and plans ---------------------------------------------------------------


def test_inactive_treatment_is_gone_from_every_public_page(client, catalog):
    Treatment.objects.filter(slug="hairless-hype").update(is_active=False)
    assert client.get(HAIRLESS_HYPE).status_code == 404
    for url in PUBLIC_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "hairless-hype" not in response.content.decode(), url
        if url != ARTICLE:  # the article's prose names it; its links and table must not
            assert "Hairless Hype" not in response.content.decode(), url
    # The article's live options table and the category range follow.
    table = re.search(
        r'<div class="table-wrap options-table"[^>]*>.*?</table>',
        client.get(ARTICLE).content.decode(),
        re.S,
    ).group(0)
    assert "Hairless Hype" not in table
    assert "Spironolactone, Eflornithine 12% $14-$39/month" in text_of(client.get(ARTICLE))


def test_inactive_treatment_stays_in_the_admin(client, catalog, django_user_model):
    Treatment.objects.filter(slug="hairless-hype").update(is_active=False)
    sign_in(client, django_user_model.objects.create_superuser("boss", "b@oana.example", None))
    listing = client.get(reverse("admin:treatments_treatment_changelist"))
    assert "Hairless Hype" in listing.content.decode()
    treatment = Treatment.objects.get(slug="hairless-hype")
    change = client.get(reverse("admin:treatments_treatment_change", args=[treatment.pk]))
    assert change.status_code == 200


def test_inactive_plan_is_gone_but_the_active_one_stays(client, catalog):
    treatment = Treatment.objects.get(slug="hairless-hype")
    retired = Plan.objects.create(
        treatment=treatment, name="Introductory", amount_cents=1100, is_active=False
    )
    response = client.get(HAIRLESS_HYPE)
    html = response.content.decode()
    assert "Introductory" not in html and "$11" not in text_of(response)
    assert f'name="plan" value="{retired.pk}"' not in html
    script = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    assert [o["price"] for o in json.loads(script.group(1))["offers"]] == ["69.00"]
    # The cheap inactive plan must not lower any public "from" price or range.
    assert "$14-$69/month" in text_of(client.get("/treatments/"))
    assert "$11" not in text_of(client.get("/treatments/"))
    assert "$11" not in text_of(client.get("/"))


@pytest.mark.parametrize("what", ["plan", "treatment"])
def test_an_inactive_plan_cannot_be_put_in_the_cart(client, catalog, what):
    plan = hairless_hype_plan()
    if what == "plan":
        Plan.objects.filter(pk=plan.pk).update(is_active=False)
    else:
        Treatment.objects.filter(pk=plan.treatment_id).update(is_active=False)
    response = client.post("/cart/add/", {"plan": plan.pk})
    assert response.status_code == 400
    assert "not available" in response.content.decode()
    assert not client.session.get("cart")
    assert "Hairless Hype" not in text_of(client.get("/cart/"))


def test_the_active_plan_can_be_put_in_the_cart(client, catalog):
    response = client.post("/cart/add/", {"plan": hairless_hype_plan().pk}, follow=True)
    assert response.status_code == 200
    # One item: straight to the first step of the questions, the item named at the top.
    assert "About you: step 1 of 5" in text_of(response) and "Hairless Hype" in text_of(response)
    assert client.session["cart"]


# Unknown and odd slugs -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/treatments/Unwanted-Hair/",
        "/treatments/unwanted-hair/Hairless-Hype/",
        "/treatments/unwanted-hair/hairless_hype/",
        "/treatments/%C3%BCnwanted-hair/",
        "/treatments/unwanted-hair/hairless-h%C3%BFpe/",
        "/treatments/%E2%80%AE/",
        "/treatments/" + "a" * 2000 + "/",
        "/treatments/unwanted-hair/" + "b" * 2000 + "/",
        "/treatments/unwanted-hair/hairless-hype/extra/",
        "/treatments/unwanted-hair/%00/",
        "/treatments/unwanted-hair/hairless-hype%20/",
    ],
)
def test_odd_slugs_are_404_never_500(client, catalog, url):
    assert client.get(url).status_code == 404


def test_a_treatment_under_another_category_redirects_only_when_it_exists(client, catalog):
    for wrong in ("no-such-category", "UNWANTED-HAIR", "hair-loss"):
        response = client.get(f"/treatments/{wrong}/hairless-hype/")
        assert (response.status_code, response["Location"]) == (301, HAIRLESS_HYPE)
    assert client.get("/treatments/hair-loss/no-such-treatment/").status_code == 404


def test_catalog_pages_refuse_writes(client, catalog):
    for url in ("/treatments/", "/treatments/unwanted-hair/", HAIRLESS_HYPE):
        assert client.post(url).status_code == 405
        assert client.head(url).status_code == 200


# Structured data and sitemap ---------------------------------------------------------------


def test_json_ld_product_offer_has_what_search_engines_need(client, catalog):
    html = client.get(HAIRLESS_HYPE).content.decode()
    scripts = re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    product = next(d for d in map(json.loads, scripts) if d.get("@type") == "Product")
    assert product["@context"] == "https://schema.org"
    assert product["name"] == "Hairless Hype"
    assert product["url"] == "http://testserver" + HAIRLESS_HYPE
    assert product["description"]
    (offer,) = product["offers"]
    assert offer["@type"] == "Offer"
    assert offer["price"] == "69.00" and isinstance(offer["price"], str)
    assert offer["priceCurrency"] == "USD"
    assert offer["availability"] == "https://schema.org/InStock"
    assert offer["url"] == product["url"]
    assert offer["priceSpecification"]["referenceQuantity"]["unitCode"] == "MON"
    assert offer["shippingDetails"]["shippingRate"]["value"] == "0"


def test_json_ld_price_follows_cents_exactly(client, catalog):
    change_plan_amount(hairless_hype_plan(), 6905, by=None)
    html = client.get(HAIRLESS_HYPE).content.decode()
    script = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    assert json.loads(script.group(1))["offers"][0]["price"] == "69.05"
    assert "$69.05" in text_of(client.get(HAIRLESS_HYPE))


def test_sitemap_has_exactly_the_public_catalog(client, catalog):
    Treatment.objects.filter(slug="oral-minoxidil").update(is_active=False)
    Plan.objects.filter(treatment__slug="eflornithine-12").update(is_active=False)
    body = client.get("/sitemap.xml").content.decode()
    urls = set(re.findall(r"<loc>http://testserver(/treatments/[^<]*)</loc>", body))
    expected = {"/treatments/"} | {t.category.get_absolute_url() for t in Treatment.objects.all()}
    expected |= {
        t.get_absolute_url()
        for t in Treatment.objects.exclude(slug__in=["oral-minoxidil", "eflornithine-12"])
    }
    assert urls == expected


def test_every_canonical_url_is_the_page_itself(client, catalog):
    urls = ["/treatments/"]
    for treatment in Treatment.objects.select_related("category"):
        urls += [treatment.category.get_absolute_url(), treatment.get_absolute_url()]
    for url in set(urls):
        html = client.get(url).content.decode()
        canonical = re.findall(r'<link rel="canonical" href="([^"]+)">', html)
        assert canonical == [f"http://127.0.0.1:8000{url}"], url
