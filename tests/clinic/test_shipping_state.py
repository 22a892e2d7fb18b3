"""The address Stripe collects must be in the state she lives in, or the order is held."""

import pytest
from django.core.exceptions import PermissionDenied

from clinic.services.review import approve_order
from orders.models import Hold, Order, Shipment
from orders.services.holds import open_hold, release_hold
from tests.support.clinic import considered
from tests.support.factories import answers, make_plan, ready_for_review
from tests.support.staff import sign_in, staff

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
    ready_for_review(order)
    order = approve_order(
        order, considered=considered(order), by=staff("clinician", "dr_lee"), attested=True
    )
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


def release(client, hold, outcome="Called her: she moved to California last month."):
    return client.post(
        "/admin/orders/hold/",
        {
            "action": "release_selected",
            "_selected_action": [hold.pk],
            "apply": "1",
            "outcome": outcome,
        },
        follow=True,
    )


def test_only_a_clinician_releases_a_state_of_treatment_hold(client):
    """Where she is treated decides whose licence applies: Support may not wave it through."""
    order = order_paid_shipping_to(client, "CA")
    [hold] = order.holds.open()
    assert hold.releaser == Hold.Releaser.CLINICIAN

    support = staff("support", "sue")
    client.logout()
    sign_in(client, support)
    response = release(client, hold)
    assert "only a clinician may release it" in response.content.decode()
    hold.refresh_from_db()
    assert hold.is_open
    with pytest.raises(PermissionDenied):
        release_hold(hold, outcome="waved through", by=support)

    client.logout()
    sign_in(client, staff("clinician", "dr_lee"))
    response = release(client, hold)
    assert "1 hold(s) released." in response.content.decode()
    hold.refresh_from_db()
    assert not hold.is_open and hold.released_by.username == "dr_lee"


def test_a_clinician_does_not_release_a_money_hold(client):
    order = order_paid_shipping_to(client, "NY")
    dispute = open_hold(order, Hold.Kind.DISPUTE, "Disputed.", stripe_object_id="dp_1")
    clinician = staff("clinician", "dr_lee")
    with pytest.raises(PermissionDenied):
        release_hold(dispute, outcome="fine", by=clinician)
    client.logout()
    sign_in(client, clinician)
    assert "only Support may release it" in release(client, dispute).content.decode()
    # The system settling the dispute (a webhook) needs no person.
    assert release_hold(dispute, outcome="Dispute won.")


def test_every_kind_of_hold_names_who_releases_it():
    assert set(Hold.RELEASED_BY) == set(Hold.Kind)
    assert set(Hold.RELEASE_PERMISSION) == set(Hold.Releaser)
