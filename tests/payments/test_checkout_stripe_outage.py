"""Stripe unreachable, and the success page that must not take Stripe's word for granted."""

import socket

import pytest

from orders.models import Order, OrderEvent
from tests.support.factories import answers, make_plan

pytestmark = pytest.mark.django_db


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_keeps_everything_and_the_retry_makes_one_order(
    client, fake_stripe, settings
):
    working_base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port()}"
    plan = make_plan("Oral Metformin ER", 2200)
    client.post("/cart/add/", {"plan": plan.pk})
    data = answers(biguanide_alcohol="yes", medicine_1_name="Levothyroxine 50 mcg", no_medicines="")

    response = client.post("/checkout/", data)
    html = response.content.decode()
    assert response.status_code == 503
    assert "We could not reach our payment provider, so nothing was charged." in html
    assert "Levothyroxine 50 mcg" in html
    assert 'value="yes" id="id_biguanide_alcohol_1" required checked' in html
    assert client.session["cart"] == {str(plan.pk): 1}
    order = Order.objects.get()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.stripe_checkout_session_id == ""

    # A second failure, then Stripe is back: still one order, one session.
    client.post("/checkout/", data)
    settings.STRIPE_API_BASE = working_base
    response = client.post("/checkout/", data)
    session_id = Order.objects.get().stripe_checkout_session_id
    assert response["Location"] == fake_stripe.objects[session_id]["url"]
    assert Order.objects.count() == 1
    assert OrderEvent.objects.filter(kind="created").count() == 1
    # The key is kept across requests that never reached Stripe.
    assert [key for *_, key in fake_stripe.calls("POST")] == [
        f"checkout-{Order.objects.get().public_id}-1"
    ]


def test_the_success_page_does_not_mark_the_order_paid(client, fake_stripe):
    client.post("/cart/add/", {"plan": make_plan("Oral Metformin ER", 2200).pk})
    client.post("/checkout/", answers(biguanide_alcohol="no"))
    order = Order.objects.get()

    # Anyone can type the success URL: only the signed webhook may say the order is paid.
    response = client.get(f"/checkout/success/?order={order.public_id}&paid=1")
    html = response.content.decode()
    assert response.status_code == 200
    assert "We are confirming your payment" in html
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.paid_at is None
    assert not order.events.filter(kind="paid").exists()
    assert client.session.get("cart") == {}  # she finished checkout: the cart is emptied
