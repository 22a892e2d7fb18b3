"""The public catalog pages: what a patient sees, and what they must not see."""

import html as htmllib
import json
import re

import pytest
from django.template import Context, Template
from django.urls import reverse

from treatments.models import Category, Plan, Treatment
from treatments.seed import load_catalog

pytestmark = pytest.mark.django_db

HAIRLESS_HYPE = "/treatments/unwanted-hair/hairless-hype/"


@pytest.fixture
def catalog():
    load_catalog()


def text_of(response):
    """The page's visible text, tags stripped and whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return strip_tags(html)


def strip_tags(html):
    """Inline tags vanish ("$69<small>/month</small>" reads "$69/month"), others separate."""
    html = re.sub(r"</?(small|span|strong|em|a)\b[^>]*>", "", html)
    return htmllib.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


def test_catalog_lists_every_category_in_order_with_ranges(client, catalog):
    response = client.get("/treatments/")
    assert response.status_code == 200
    text = text_of(response)
    positions = [
        text.index(f"{name} $")
        for name in ("Insulin Sensitizers", "Topical Treatments", "Unwanted Hair", "Hair Loss")
    ]
    assert positions == sorted(positions)
    for expected in ("$22-$199/month", "$43/month", "$14-$69/month", "$25-$43/month"):
        assert expected in text
    for name, price in [
        ("Hairless Hype", "$69/month"),
        ("Oral GLP-1 & Metformin pack", "$199/month"),
    ]:
        assert f"{name}" in text and price in text
    assert "Free shipping" in text
    assert text.count("Free shipping") >= 10


def test_url_names_match_the_models():
    assert reverse("treatments:catalog") == "/treatments/"
    assert reverse("treatments:category", kwargs={"category_slug": "hair-loss"}) == (
        "/treatments/hair-loss/"
    )


def test_category_page(client, catalog):
    response = client.get("/treatments/unwanted-hair/")
    assert response.status_code == 200
    text = text_of(response)
    assert "Unwanted Hair" in text
    assert "$14-$69/month" in text
    assert "Hirsutism" in text  # what it helps with
    for name in ("Spironolactone", "Eflornithine 12%", "Hairless Hype"):
        assert name in text
    assert "Oral Minoxidil" not in text
    assert '<link rel="canonical" href="http://127.0.0.1:8000/treatments/unwanted-hair/">' in (
        response.content.decode()
    )


def test_treatment_page(client, catalog):
    response = client.get(HAIRLESS_HYPE)
    assert response.status_code == 200
    text = text_of(response)
    assert "$69/month" in text
    assert "Free shipping" in text
    assert (
        "Prescription required: a licensed clinician reviews your answers before anything ships"
        in text
    )
    for heading in (
        "How it works",
        "How to use it",
        "Common side effects",
        "Who should not use it",
    ):
        assert heading in text
    assert "Eflornithine, Metformin lotion, Azelaic Acid" in text
    assert "Not for use if you are pregnant" in text
    # Its components link to their own pages.
    html = response.content.decode()
    assert 'href="/treatments/unwanted-hair/eflornithine-12/"' in html
    assert 'href="/treatments/topical-treatments/metformin-hcl-lotion-20/"' in html
    # Only this treatment's testimonials.
    assert "Allison L." in text
    assert "Carrie S." not in text


def test_start_your_visit_posts_the_plan_to_the_cart(client, catalog):
    html = client.get(HAIRLESS_HYPE).content.decode()
    plan = Plan.objects.get(treatment__slug="hairless-hype")
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    assert form.group(1) == reverse("orders:cart_add")
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    assert f'<input type="hidden" name="plan" value="{plan.pk}">' in form.group(2)
    assert "Start your visit" in form.group(2)


def test_one_form_per_active_plan(client, catalog):
    treatment = Treatment.objects.get(slug="hairless-hype")
    Plan.objects.create(treatment=treatment, name="Three months", amount_cents=18000)
    Plan.objects.create(treatment=treatment, name="Retired", amount_cents=5000, is_active=False)
    response = client.get(HAIRLESS_HYPE)
    assert response.content.decode().count('name="plan"') == 2
    text = text_of(response)
    assert "Three months plan $180/month" in text
    assert "Retired" not in text and "$50/month" not in text


def test_json_ld_is_a_product_with_offers(client, catalog):
    html = client.get(HAIRLESS_HYPE).content.decode()
    match = re.search(
        r'<script type="application/ld\+json" nonce="([^"]+)">(.*?)</script>', html, re.S
    )
    assert match.group(1)  # the CSP nonce is filled in
    data = json.loads(match.group(2))
    assert data["@type"] == "Product"
    assert data["name"] == "Hairless Hype"
    assert data["url"] == "http://testserver" + HAIRLESS_HYPE
    assert [(o["price"], o["priceCurrency"]) for o in data["offers"]] == [("69.00", "USD")]


def test_json_ld_cannot_close_its_script_element(client, catalog):
    Treatment.objects.filter(slug="hairless-hype").update(
        tagline="</script><script>alert(1)</script> & more"
    )
    html = client.get(HAIRLESS_HYPE).content.decode()
    script = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    assert "<" not in script.group(1)
    assert json.loads(script.group(1))["description"].startswith("</script>")


def test_treatment_page_has_canonical_url_and_breadcrumbs(client, catalog):
    html = client.get(HAIRLESS_HYPE).content.decode()
    assert f'<link rel="canonical" href="http://127.0.0.1:8000{HAIRLESS_HYPE}">' in html
    crumbs = re.search(r'<nav class="breadcrumbs" aria-label="Breadcrumb">(.*?)</nav>', html, re.S)
    assert [a for a in re.findall(r'href="([^"]+)"', crumbs.group(1))] == [
        "/",
        "/treatments/",
        "/treatments/unwanted-hair/",
        HAIRLESS_HYPE,
    ]


def test_treatment_under_the_wrong_category_redirects_to_its_url(client, catalog):
    response = client.get("/treatments/hair-loss/hairless-hype/")
    assert response.status_code == 301
    assert response["Location"] == HAIRLESS_HYPE


@pytest.mark.parametrize(
    "url",
    [
        "/treatments/no-such-category/",
        "/treatments/unwanted-hair/no-such-treatment/",
        "/treatments/no-such-category/no-such-treatment/",
    ],
)
def test_unknown_slugs_are_404(client, catalog, url):
    assert client.get(url).status_code == 404


def test_inactive_treatment_is_404_and_gone_from_every_list(client, catalog):
    Treatment.objects.filter(slug="hairless-hype").update(is_active=False)
    assert client.get(HAIRLESS_HYPE).status_code == 404
    for url in ("/treatments/", "/treatments/unwanted-hair/", "/"):
        assert "Hairless Hype" not in text_of(client.get(url)), url
    # The category's range follows: $14-$39 without the $69 pack.
    assert "$14-$39/month" in text_of(client.get("/treatments/"))
    assert "Hairless Hype" not in client.get("/sitemap.xml").content.decode()
    # Still in the admin's data.
    assert Treatment.objects.filter(slug="hairless-hype").exists()


def test_treatment_without_an_active_plan_is_404_and_unlisted(client, catalog):
    Plan.objects.filter(treatment__slug="hairless-hype").update(is_active=False)
    assert client.get(HAIRLESS_HYPE).status_code == 404
    assert "Hairless Hype" not in text_of(client.get("/treatments/"))
    assert "$14-$39/month" in text_of(client.get("/treatments/unwanted-hair/"))


def test_category_without_public_treatments_is_404_and_unlisted(client, catalog):
    Treatment.objects.filter(category__slug="topical-treatments").update(is_active=False)
    assert client.get("/treatments/topical-treatments/").status_code == 404
    assert "Topical Treatments" not in text_of(client.get("/treatments/"))


def test_empty_catalog_says_so(client):
    response = client.get("/treatments/")
    assert response.status_code == 200
    assert "No treatments are available right now" in text_of(response)


def test_sitemap_lists_categories_and_treatments(client, catalog):
    body = client.get("/sitemap.xml").content.decode()
    assert "<loc>http://testserver/treatments/unwanted-hair/</loc>" in body
    assert f"<loc>http://testserver{HAIRLESS_HYPE}</loc>" in body
    assert body.count("<loc>http://testserver/treatments/") == 1 + 4 + 10


def test_home_page_shows_categories_treatments_and_testimonials(client, catalog):
    text = text_of(client.get("/"))
    for name, start in [
        ("Insulin Sensitizers", "from $22/month"),
        ("Topical Treatments", "from $43/month"),
        ("Unwanted Hair", "from $14/month"),
        ("Hair Loss", "from $25/month"),
    ]:
        assert f"{name}" in text and start in text
    assert "Popular treatments" in text
    assert "Oral Metformin ER" in text
    for patient in ("Carrie S.", "Allison L.", "Victoria A.", "Margaret K."):
        assert patient in text


def test_unpublished_testimonial_is_hidden(client, catalog):
    from treatments.models import Testimonial as PatientQuote

    PatientQuote.objects.filter(patient_name="Allison L.").update(is_published=False)
    assert "Allison L." not in text_of(client.get("/"))
    assert "Allison L." not in text_of(client.get(HAIRLESS_HYPE))


def test_options_table_tag_renders_the_live_catalog(catalog):
    Plan.objects.filter(treatment__slug="hairless-hype").update(amount_cents=7550)
    html = Template("{% load catalog %}{% treatment_options_table %}").render(Context())
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    cells = [
        [strip_tags(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]
    assert cells == [
        ["Treatment Category", "Options Available", "Starting Price"],
        [
            "Insulin Sensitizers",
            "Oral Metformin ER, Metformin & Spironolactone pack, Oral GLP-1 & Metformin pack",
            "$22-$199/month",
        ],
        ["Topical Treatments", "Metformin HCL Lotion 20%", "$43/month"],
        ["Unwanted Hair", "Spironolactone, Eflornithine 12%, Hairless Hype", "$14-$75.50/month"],
        ["Hair Loss", "Oral Minoxidil, Topical Spironolactone, Hair Plus Plus", "$25-$43/month"],
    ]


def test_category_model_url_is_the_category_page(catalog):
    category = Category.objects.get(slug="hair-loss")
    assert category.get_absolute_url() == "/treatments/hair-loss/"
    treatment = Treatment.objects.get(slug="oral-minoxidil")
    assert treatment.get_absolute_url() == "/treatments/hair-loss/oral-minoxidil/"
