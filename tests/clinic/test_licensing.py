"""A clinician signs only for patients of the states where she holds a current licence:
approve, renew and end a treatment alike (``clinic.clinicians.check_licensed``)."""

from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages

from clinic.services.prescriptions import end_treatment, renew_prescriptions
from clinic.services.review import approve_order
from orders.models import ClinicianProfile, Order, Prescription
from orders.services import OrderError
from tests.support.clinic import approve_form, considered, order_to_review
from tests.support.factories import license_in, licensed_clinician
from tests.support.lifecycle import order_in
from tests.support.staff import sign_in, staff

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]
S = Order.Status


def from_state(state, order=None):
    order = order or order_to_review()
    Order.objects.filter(pk=order.pk).update(residence_state=state)
    return Order.objects.get(pk=order.pk)


def clinician_in(*states, username="dr_lee", expires_on=None):
    user = staff("clinician", username)
    license_in(ClinicianProfile.objects.get(user=user), states, expires_on=expires_on)
    return user


def test_a_clinician_licensed_in_her_state_approves():
    order = from_state("NY")
    approved = approve_order(
        order, considered=considered(order), by=clinician_in("NY", "NJ"), attested=True
    )
    assert approved.status == S.APPROVED


def test_a_clinician_licensed_elsewhere_cannot_approve():
    order = from_state("NY")
    with pytest.raises(OrderError, match="only a clinician licensed in New York") as error:
        approve_order(order, considered=considered(order), by=clinician_in("CA"), attested=True)
    assert error.value.code == "not_licensed"
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_REVIEW


def test_an_expired_licence_no_longer_counts():
    order = from_state("NY")
    lapsed = clinician_in("NY", expires_on=date.today() - timedelta(days=1))
    with pytest.raises(OrderError, match="only a clinician licensed in New York"):
        approve_order(order, considered=considered(order), by=lapsed, attested=True)
    license_in(ClinicianProfile.objects.get(user=lapsed), ["NY"], expires_on=date.today())
    assert (
        approve_order(order, considered=considered(order), by=lapsed, attested=True).status
        == S.APPROVED
    )


def test_staff_without_an_active_profile_cannot_approve_an_order_with_a_state():
    order = from_state("TX")
    with pytest.raises(OrderError, match="licensed in Texas"):
        approve_order(
            order, considered=considered(order), by=staff("superuser", "root"), attested=True
        )
    inactive = clinician_in("TX")
    ClinicianProfile.objects.filter(user=inactive).update(is_active=False)
    with pytest.raises(OrderError, match="licensed in Texas"):
        approve_order(order, considered=considered(order), by=inactive, attested=True)


def test_orders_from_before_the_state_was_asked_are_approved_as_before():
    order = order_to_review()
    assert order.residence_state == ""
    approver = staff("superuser", "root")  # no profile at all
    assert (
        approve_order(order, considered=considered(order), by=approver, attested=True).status
        == S.APPROVED
    )


def test_the_admin_says_why_and_leaves_the_order_waiting(client):
    licensed_clinician(["CA"])
    order = from_state("CA")
    sign_in(client, clinician_in("NY"))
    response = client.post(f"/admin/orders/order/{order.pk}/approve/", approve_form(order))
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("only a clinician licensed in California can approve" in m for m in messages)
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_REVIEW


def test_refused_on_approve_for_ohio_means_refused_on_renew_and_end_too():
    """Finding 4: the clinician not licensed in Ohio could renew (her prescriptions then
    carried his name) and end the treatment."""
    ohio_only = clinician_in("OH", username="dr_ohio")
    not_ohio = clinician_in("NY", "CA", username="dr_elsewhere")
    waiting = from_state("OH")
    with pytest.raises(OrderError, match="only a clinician licensed in Ohio can approve"):
        approve_order(waiting, considered=considered(waiting), by=not_ohio, attested=True)

    order = from_state("OH", order_in(S.RENEWAL_REVIEW))
    before = list(Prescription.objects.filter(order=order).values_list("pk", "prescriber"))
    with pytest.raises(OrderError, match="only a clinician licensed in Ohio can renew her") as e:
        renew_prescriptions(order, by=not_ohio, considered=considered(order), attested=True)
    assert e.value.code == "not_licensed"
    with pytest.raises(OrderError, match="only a clinician licensed in Ohio can end her treat"):
        end_treatment(order, by=not_ohio, reason="Not a good fit.")
    order.refresh_from_db()
    assert order.status == S.RENEWAL_REVIEW
    assert list(Prescription.objects.filter(order=order).values_list("pk", "prescriber")) == before

    renewed = renew_prescriptions(order, by=ohio_only, considered=considered(order), attested=True)
    assert renewed.status == S.SHIPPED
    assert set(
        renewed.prescriptions.filter(replaced_at=None).values_list("prescriber", flat=True)
    ) == {ohio_only.pk}


def test_a_clinician_licensed_in_ohio_ends_the_treatment():
    order = from_state("OH", order_in(S.RENEWAL_REVIEW))
    ended = end_treatment(order, by=clinician_in("OH"), reason="Her potassium was high.")
    assert ended.status == S.CANCELLED
