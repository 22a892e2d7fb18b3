"""Each product shown (issue 21 item 2): a drawn illustration of its form, or the photo staff
upload in the admin, sized and described, on its page and its cards; and what arrives each
month, from its medicines' data."""

import re

import pytest
from django.urls import reverse

from tests.support.factories import jpeg
from tests.treatments.test_admin_prices import change_url, form_data
from treatments.dosing import what_arrives
from treatments.models import Medicine, Treatment
from treatments.seed import load_catalog

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    load_catalog()


def images(html):
    return re.findall(r'<picture class="product-image">(.*?)</picture>', html, re.S)


def test_the_treatment_page_shows_the_illustration_of_its_form_sized_and_described(client, catalog):
    treatment = Treatment.objects.get(slug="spironolactone")
    html = client.get(treatment.get_absolute_url()).content.decode()
    [image] = images(html)
    assert (
        '<img src="/static/img/products/oral.svg" alt="Illustration of Spironolactone: a bottle '
        'of tablets" width="320" height="240" fetchpriority="high" decoding="async">'
    ) == image  # above the fold: not lazy


def test_cards_show_each_product_lazily(client, catalog):
    html = client.get("/treatments/").content.decode()
    shown = images(html)
    assert len(shown) == Treatment.objects.count()
    assert all('loading="lazy"' in image and 'width="320" height="240"' in image for image in shown)
    assert 'src="/static/img/products/topical.svg"' in html
    assert 'src="/static/img/products/pack.svg"' in html


def test_what_arrives_each_month_comes_from_the_medicine_data(client, catalog):
    metformin = Medicine.objects.get(slug="metformin-er")
    assert what_arrives(metformin) == "about 30 x 500 mg extended-release tablets"
    lotion = Medicine.objects.get(slug="metformin-lotion")
    assert what_arrives(lotion) == "1 bottle of 20% lotion, 60 mL"
    treatment = Treatment.objects.get(slug="spironolactone")
    html = client.get(treatment.get_absolute_url()).content.decode()
    assert '<h2 id="arrives-title">What you get each month</h2>' in html
    assert "<li>Spironolactone: about 30 x 50 mg tablets</li>" in html
    assert "Your clinician sets the dose" in html


def test_a_single_tablet_and_an_already_plural_strength_read_right():
    assert (
        what_arrives(Medicine(route="oral", default_quantity=1, default_strength="5 mg tablet"))
        == "about 1 x 5 mg tablet"
    )
    assert (
        what_arrives(Medicine(route="oral", default_quantity=60, default_strength="2 tablets"))
        == "about 60 x 2 tablets"
    )
    assert (
        what_arrives(
            Medicine(route="topical", default_quantity=2, quantity_unit="", default_strength="gel")
        )
        == "2 pack of gel"
    )


def test_staff_replace_the_illustration_with_a_photo(client, catalog, public_media):
    from tests.support.staff import sign_in, staff

    sign_in(client, staff("superuser", "root"))
    treatment = Treatment.objects.get(slug="spironolactone")
    page = client.get(change_url(treatment))
    assert 'alt="Illustration of Spironolactone' in page.content.decode()
    data = form_data(page)
    data["photo_upload"] = jpeg(1200, 900)
    response = client.post(change_url(treatment), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    treatment.refresh_from_db()
    assert treatment.photo.startswith("products/") and treatment.photo.endswith("640x480")
    client.logout()
    [image] = images(client.get(treatment.get_absolute_url()).content.decode())
    assert image == (
        f'<source srcset="/media/{treatment.photo}.avif" type="image/avif">'
        f'<img src="/media/{treatment.photo}.webp" alt="Photo of Spironolactone" width="320" '
        'height="240" fetchpriority="high" decoding="async">'
    )
    assert reverse("treatments:catalog")
