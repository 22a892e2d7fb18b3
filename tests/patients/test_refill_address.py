"""Finding 8: moving her refills to another state holds the order for a clinician (the
licence follows where she is treated); to a state no clinician of ours is licensed in, the
move is refused with a clear message."""

import html

import pytest
from django.core.exceptions import PermissionDenied
from django.test import TestCase

from orders.models import Hold, Order
from orders.services.holds import release_hold
from tests.support.clinic import order_to_review
from tests.support.lifecycle import perform
from tests.support.patients import sign_in_patient
from tests.support.staff import staff

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]
S = Order.Status


def address_in(state, city="Albany", postal_code="12207"):
    return {
        "name": "Jane Patient",
        "line1": "9 Oak St",
        "city": city,
        "state": state,
        "postal_code": postal_code,
    }


def move(client, order, state, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            f"/orders/{order.public_id}/address/", address_in(state, **kwargs), follow=True
        )
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture
def new_yorker(client):
    """Approved (a clinician licensed in New York, California and Texas exists), living in
    New York by her answers, signed in."""
    order = perform(order_to_review(), "approve")
    Order.objects.filter(pk=order.pk).update(residence_state="NY")
    sign_in_patient(client, order)
    return Order.objects.get(pk=order.pk)


def test_a_move_to_another_served_state_is_held_for_a_clinician(client, new_yorker):
    page = move(client, new_yorker, "ca", city="Los Angeles", postal_code="90001")
    order = Order.objects.get(pk=new_yorker.pk)
    assert (order.ship_state, order.ship_city) == ("CA", "Los Angeles")
    [hold] = order.holds.open()
    assert hold.kind == Hold.Kind.STATE_MISMATCH
    assert "moved her refills to California but lives in New York" in hold.reason
    assert not order.can_ship()
    assert "a clinician confirms where you are treated before your next box ships" in page
    # Support may not wave it through; a clinician may.
    with pytest.raises(PermissionDenied, match="Only a clinician may release this hold"):
        release_hold(hold, outcome="Looks fine.", by=staff("support", "sue"))
    assert release_hold(
        hold, outcome="She moved to LA; I am licensed in CA.", by=staff("clinician")
    )
    assert Order.objects.get(pk=order.pk).can_ship()

    # Moving again after the release holds it again: each move is confirmed.
    move(client, order, "TX", city="Austin", postal_code="73301")
    assert order.holds.open().get().kind == Hold.Kind.STATE_MISMATCH
    assert order.holds.count() == 2


def test_a_move_to_a_state_we_do_not_serve_is_refused(client, new_yorker):
    page = move(client, new_yorker, "OH", city="Columbus", postal_code="43004")
    assert (
        "We cannot send refills to Ohio: none of our clinicians is licensed there, so we "
        "cannot treat you there. Your address is unchanged" in page
    )
    order = Order.objects.get(pk=new_yorker.pk)
    assert order.ship_state != "OH"
    assert order.shipments.get().ship_state != "OH"
    assert not order.holds.exists()
    assert not order.events.filter(kind="address_changed").exists()
    # A code that is no state at all is refused by the form, as at checkout.
    assert "State: Enter the two-letter code of a US state, e.g. NY." in move(client, order, "ZZ")


@pytest.mark.parametrize("postal_code", ["١٢٢٠٧", "12207-١٢٣٤", "1220", "ABCDE"])
def test_a_zip_code_is_five_ascii_digits(client, new_yorker, postal_code):
    """Issue 19, item 8: Arabic-Indic digits matched \\d and reached the label."""
    page = move(client, new_yorker, "NY", postal_code=postal_code)
    assert "ZIP code: Enter a 5-digit ZIP code." in page
    assert Order.objects.get(pk=new_yorker.pk).ship_postal_code != postal_code


def test_a_move_within_her_state_is_not_held(client, new_yorker):
    page = move(client, new_yorker, "NY", city="Buffalo", postal_code="14201")
    order = Order.objects.get(pk=new_yorker.pk)
    assert order.ship_city == "Buffalo" and not order.holds.exists()
    assert "Your refills will go to the new address." in page


def test_an_order_from_before_the_state_was_asked_is_not_held(client):
    order = perform(order_to_review(), "approve")
    assert order.residence_state == ""
    sign_in_patient(client, order)
    move(client, order, "CA", city="Los Angeles", postal_code="90001")
    order = Order.objects.get(pk=order.pk)
    assert order.ship_state == "CA" and not order.holds.exists()


def test_a_blank_field_says_what_to_type(client, new_yorker):
    """Issue 21, item 7: a specific message, not "This field is required"."""
    page = move(client, new_yorker, "NY", city="", postal_code="")
    assert "City: Enter the city." in page
    assert "ZIP code: Enter the 5-digit ZIP code, e.g. 11201." in page
