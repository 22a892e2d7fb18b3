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


def address_in(state, city="Albany", postal_code="12207", line2=""):
    return {
        "name": "Jane Patient",
        "line1": "9 Oak St",
        "line2": line2,
        "city": city,
        "state": state,
        "postal_code": postal_code,
    }


def move(client, order, state, *, status=200, **kwargs):
    """Her address form posted; a mistake answers 400 with the form as she typed it."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            f"/orders/{order.public_id}/address/", address_in(state, **kwargs), follow=True
        )
    assert response.status_code == status
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
    page = move(client, new_yorker, "OH", status=400, city="Columbus", postal_code="43004")
    assert (
        "We cannot send refills to Ohio: our clinicians and our pharmacy are not both "
        "licensed there, so we cannot treat you there. Your address is unchanged" in page
    )
    order = Order.objects.get(pk=new_yorker.pk)
    assert order.ship_state != "OH"
    assert order.shipments.get().ship_state != "OH"
    assert not order.holds.exists()
    assert not order.events.filter(kind="address_changed").exists()
    # A code that is no state at all is refused by the form, as at checkout.
    assert "Choose a US state from the list." in move(client, order, "ZZ", status=400)


@pytest.mark.parametrize("postal_code", ["١٢٢٠٧", "12207-١٢٣٤", "1220", "ABCDE"])
def test_a_zip_code_is_five_ascii_digits(client, new_yorker, postal_code):
    """Issue 19, item 8: Arabic-Indic digits matched \\d and reached the label."""
    page = move(client, new_yorker, "NY", status=400, postal_code=postal_code)
    assert "Enter a 5-digit ZIP code." in page
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


def test_a_bad_zip_keeps_what_she_typed_beside_the_error(client, new_yorker):
    """Issue 21, item 10: the form comes back as she typed it, the error beside the ZIP, and
    the error summary above it takes focus; nothing changed."""
    page = move(
        client, new_yorker, "TX", status=400, city="Austin", postal_code="7870", line2="Apt 4"
    )
    assert 'value="9 Oak St"' in page and 'value="Austin"' in page and 'value="Apt 4"' in page
    assert '<option value="TX" selected>Texas</option>' in page
    assert 'value="7870"' in page
    zip_field = page[page.index('id="field-postal_code"') :]
    assert zip_field.index("Enter a 5-digit ZIP code.") < zip_field.index('name="postal_code"')
    assert (
        'id="errors" class="alert alert--error error-summary" tabindex="-1" role="alert" autofocus'
        in page
    )
    assert f'action="/orders/{new_yorker.public_id}/address/#errors"' in page
    assert Order.objects.get(pk=new_yorker.pk).ship_city != "Austin"


def test_the_address_form_helps_autofill_and_the_phone_keyboard(client, new_yorker):
    page = client.get(new_yorker.get_absolute_url()).content.decode()
    for token in ("name", "address-line1", "address-line2", "address-level2", "postal-code"):
        assert f'autocomplete="{token}"' in page, token
    assert 'name="postal_code"' in page and 'inputmode="numeric"' in page
    # The questionnaire's state picker: every state by name, posting its code.
    assert '<select name="state" autocomplete="address-level1"' in page
    assert '<option value="NY" selected>New York</option>' in page
    assert "Two letters" not in page


def test_a_state_we_do_not_serve_is_said_beside_the_state(client, new_yorker):
    page = move(client, new_yorker, "OH", status=400, city="Columbus", postal_code="43004")
    state_field = page[page.index('id="field-state"') :]
    assert state_field.index("We cannot send refills to Ohio") < state_field.index("<select")
    assert 'value="Columbus"' in page


def test_a_closed_order_takes_no_address_whatever_was_typed(client, new_yorker):
    Order.objects.filter(pk=new_yorker.pk).update(status=S.REFUNDED)
    page = move(client, new_yorker, "NY", postal_code="bad")
    assert "This order has no more refills to send." in page
    assert "Address for refills" not in page


def test_the_service_refuses_a_closed_order_too(new_yorker):
    """The page asks first; an order closed a moment before the service runs is refused."""
    from orders.services import OrderError
    from patients.services.address import move_refills

    Order.objects.filter(pk=new_yorker.pk).update(status=S.REFUNDED)
    fields = {"ship_state": "NY", "ship_city": "Buffalo"}
    with pytest.raises(OrderError, match="no more refills"):
        move_refills(Order.objects.get(pk=new_yorker.pk), address=fields, by=None)


def test_a_blank_field_says_what_to_type(client, new_yorker):
    """Issue 21, item 7: a specific message, not "This field is required"."""
    page = move(client, new_yorker, "NY", status=400, city="", postal_code="")
    assert '<a href="#id_city">Enter the city.</a>' in page  # the summary links to the field
    assert '<a href="#id_postal_code">Enter the 5-digit ZIP code, e.g. 11201.</a>' in page
