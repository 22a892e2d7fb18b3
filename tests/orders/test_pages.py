"""The success page and the patient's order page."""

import pytest

from orders.models import Order
from tests.support.factories import make_order, make_paid_order, make_plan
from tests.support.lifecycle import order_in
from tests.support.patients import sign_in_patient

pytestmark = pytest.mark.django_db


def test_order_page_shows_items_amounts_free_shipping_status_timeline_and_address(client):
    order = make_paid_order(make_plan("Oral Metformin ER", 2200), make_plan("Spironolactone", 1400))
    sign_in_patient(client, order)
    response = client.get(f"/orders/{order.public_id}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Oral Metformin ER" in html and "Spironolactone" in html
    assert "$22.00" in html and "$14.00" in html and "$36.00" in html
    assert 'data-testid="shipping">Free</dd>' in html and "Free shipping $0.00" not in html
    assert 'data-testid="order-status">Awaiting clinician review<' in html
    assert "Payment received. A clinician will review your answers next." in html
    assert "45 Maple Avenue<br>Apt 3B<br>Brooklyn, NY 11201" in html
    assert order.reference in html


def test_order_page_is_never_cached_and_not_indexed(client):
    order = make_order()
    response = client.get(order.get_absolute_url())
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex">' in response.content.decode()


@pytest.mark.parametrize("public_id", ["nope", "x" * 32, "1"])
def test_wrong_order_id_is_404(client, public_id):
    make_order()
    assert client.get(f"/orders/{public_id}/").status_code == 404


def test_public_ids_are_long_and_random():
    a, b = make_order(), make_order()
    assert len(a.public_id) >= 32 and a.public_id != b.public_id


def test_success_page_explains_next_steps_and_links_to_the_order(client):
    order = order_in(Order.Status.AWAITING_REVIEW, order=make_paid_order())
    response = client.get(f"/checkout/success/?order={order.public_id}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Clinician review" in html and "Free shipping" in html
    assert f'href="/orders/{order.public_id}/"' in html
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("query", ["", "?order=", "?order=unknown"])
def test_success_page_without_a_known_order_is_404(client, query):
    assert client.get(f"/checkout/success/{query}").status_code == 404


def test_the_success_page_names_her_only_in_her_own_browser(client, test_mode):
    order = make_paid_order()
    html = client.get(f"/checkout/success/?order={order.public_id}").content.decode()
    assert "Thank you</h1>" in html and "Jane Patient" not in html and order.email not in html
    from tests.support.patients import sign_in_patient

    sign_in_patient(client, order)
    html = client.get(f"/checkout/success/?order={order.public_id}").content.decode()
    assert "Thank you, Jane Patient" in html and order.email in html
