"""A clinician approves only orders from the states she is licensed in."""

import pytest
from django.contrib.messages import get_messages

from clinic.services.review import approve_order
from orders.models import ClinicianProfile, Order
from orders.services import OrderError
from tests.support.clinic import approve_form, order_to_review
from tests.support.factories import licensed_clinician
from tests.support.staff import sign_in, staff

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]


def from_state(state):
    order = order_to_review()
    Order.objects.filter(pk=order.pk).update(residence_state=state)
    return Order.objects.get(pk=order.pk)


def clinician_in(*states, username="dr_lee"):
    user = staff("clinician", username)
    ClinicianProfile.objects.filter(user=user).update(licensed_states=list(states))
    return user


def test_a_clinician_licensed_in_her_state_approves():
    order = approve_order(from_state("NY"), by=clinician_in("NY", "NJ"))
    assert order.status == Order.Status.APPROVED


def test_a_clinician_licensed_elsewhere_cannot_approve():
    order = from_state("NY")
    with pytest.raises(OrderError, match="only a clinician licensed in New York") as error:
        approve_order(order, by=clinician_in("CA"))
    assert error.value.code == "not_licensed"
    assert Order.objects.get(pk=order.pk).status == Order.Status.AWAITING_REVIEW


def test_staff_without_an_active_profile_cannot_approve_an_order_with_a_state():
    order = from_state("TX")
    with pytest.raises(OrderError, match="licensed in Texas"):
        approve_order(order, by=staff("superuser", "root"))
    inactive = clinician_in("TX")
    ClinicianProfile.objects.filter(user=inactive).update(is_active=False)
    with pytest.raises(OrderError, match="licensed in Texas"):
        approve_order(order, by=inactive)


def test_orders_from_before_the_state_was_asked_are_approved_as_before():
    order = order_to_review()
    assert order.residence_state == ""
    approver = staff("superuser", "root")  # no profile at all
    assert approve_order(order, by=approver).status == Order.Status.APPROVED


def test_the_admin_says_why_and_leaves_the_order_waiting(client):
    licensed_clinician(["CA"])
    order = from_state("CA")
    sign_in(client, clinician_in("NY"))
    response = client.post(f"/admin/orders/order/{order.pk}/approve/", approve_form(order))
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("only a clinician licensed in California can approve" in m for m in messages)
    assert Order.objects.get(pk=order.pk).status == Order.Status.AWAITING_REVIEW
