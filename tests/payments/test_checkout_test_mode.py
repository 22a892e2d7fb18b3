"""Local test mode: the TEST MODE page drives the same service functions as the webhook."""

import pytest
from django.core import mail

from orders.models import Order, WebhookEvent
from tests.support.factories import answers, make_plan

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]
ADDRESS = {
    "name": "Jane Patient",
    "line1": "9 Elm St",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78701",
}


def checkout(client, amount_cents=2200):
    plan = make_plan("Oral Metformin ER", amount_cents)
    client.post("/cart/add/", {"plan": plan.pk})
    # She lives where the test-mode address ships: Austin, Texas.
    response = client.post("/checkout/", answers(biguanide_alcohol="yes", state="TX"))
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/checkout/test-mode/{order.public_id}/"
    return order


def test_test_mode_page_is_clearly_marked(client):
    order = checkout(client)
    html = client.get(f"/checkout/test-mode/{order.public_id}/").content.decode()
    assert "TEST MODE" in html
    assert "Pay (test) $22.00" in html and "Decline card (test)" in html
    assert "Free" in html


def test_pay_runs_the_checkout_completed_handler(client, django_capture_on_commit_callbacks):
    order = checkout(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/checkout/test-mode/{order.public_id}/", {"action": "pay", **ADDRESS}
        )
    assert response.status_code == 302
    assert response["Location"] == f"/checkout/success/?order={order.public_id}"
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_REVIEW
    assert order.is_test_mode
    assert order.address_lines == ["Jane Patient", "9 Elm St", "Austin, TX 78701", "US"]
    assert order.events.get(kind="paid").actor_label == "Test-mode checkout"
    assert order.payments.get().amount_cents == 2200
    assert order.questionnaire.flags == [
        {
            "key": "biguanide_alcohol",
            "message": "Heavy alcohol use (metformin requested).",
            "grade": "caution",
        }
    ]
    assert [m.subject for m in mail.outbox] == [f"We received your order {order.reference}"]
    assert WebhookEvent.objects.count() == 0  # no Stripe involved

    # Success page empties the cart and points at the order.
    success = client.get(response["Location"])
    assert success.status_code == 200
    assert order.get_absolute_url() in success.content.decode()
    assert client.session.get("cart") == {}
    # Paying again is refused quietly: the order is already paid.
    again = client.post(f"/checkout/test-mode/{order.public_id}/", {"action": "pay", **ADDRESS})
    assert again.status_code == 302 and again["Location"] == order.get_absolute_url()


def test_decline_keeps_the_order_pending_and_says_nothing_was_charged(client):
    order = checkout(client)
    response = client.post(
        f"/checkout/test-mode/{order.public_id}/", {"action": "decline"}, follow=True
    )
    assert "Your card was declined (test). Nothing was charged" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.events.filter(kind="payment_declined").count() == 1
    assert client.session["cart"]  # cart kept
    assert mail.outbox == []


@pytest.mark.parametrize(
    "data",
    [
        {"action": "pay"},
        {"action": "pay", **ADDRESS, "postal_code": "ABC"},
        {"action": "steal", **ADDRESS},
        {},
    ],
)
def test_bad_test_payment_input_is_400(client, data):
    order = checkout(client)
    response = client.post(f"/checkout/test-mode/{order.public_id}/", data)
    assert response.status_code == 400
    assert Order.objects.get().status == Order.Status.PENDING_PAYMENT


def test_test_mode_page_does_not_exist_outside_test_mode(client, settings):
    order = checkout(client)
    settings.STRIPE_TEST_MODE = False
    assert client.get(f"/checkout/test-mode/{order.public_id}/").status_code == 404
    response = client.post(f"/checkout/test-mode/{order.public_id}/", {"action": "pay", **ADDRESS})
    assert response.status_code == 404
    assert Order.objects.get().status == Order.Status.PENDING_PAYMENT


def test_unknown_order_in_test_mode_is_404(client):
    assert client.get("/checkout/test-mode/nope/").status_code == 404
