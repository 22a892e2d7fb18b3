"""The address Stripe collects must be in the state she lives in, or the order is held."""

import pytest

from clinic.services.review import approve_order
from orders.models import Hold, Order, Shipment
from tests.support.factories import answers, make_plan
from tests.support.staff import staff

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]


def order_paid_shipping_to(client, state, *, lives_in="NY"):
    client.post("/cart/add/", {"plan": make_plan().pk})
    response = client.post("/checkout/", answers(state=lives_in))
    client.post(
        response["Location"],
        {
            "action": "pay",
            "name": "Jane Patient",
            "line1": "1 Main St",
            "city": "Somewhere",
            "state": state,
            "postal_code": "90001",
        },
    )
    return Order.objects.get()


def test_shipping_to_another_state_holds_the_order_and_flags_it_first(client):
    order = order_paid_shipping_to(client, "CA")
    assert order.status == Order.Status.AWAITING_REVIEW
    [hold] = order.holds.open()
    assert hold.kind == Hold.Kind.STATE_MISMATCH
    assert "She lives in New York (her answers) but asked to ship to California" in hold.reason
    # Even approved, nothing ships while it is held.
    order = approve_order(order, by=staff("clinician", "dr_lee"))
    assert order.status == Order.Status.APPROVED and not order.can_ship()
    assert not Shipment.objects.to_ship().filter(order=order).exists()
    flags = order.questionnaire.flags
    assert flags[0]["key"] == "shipping_state"
    assert "ship to California" in flags[0]["message"]
    assert order.events.filter(kind="hold").exists()


@pytest.mark.parametrize("state", ["NY", "ny", "New York"])
def test_shipping_to_her_state_is_not_held(client, state):
    order = order_paid_shipping_to(client, state)
    assert not order.holds.exists()
    assert order.questionnaire.flags == []
