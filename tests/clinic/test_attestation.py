"""Nothing is signed without the attestation: Approve and Renew refuse, as Change
prescription does, when the clinician has not ticked it, and write nothing."""

import pytest

from clinic.services.prescriptions import flags_to_renew, renew_prescriptions
from clinic.services.review import approve_order
from orders.models import Order, OrderEvent, Prescription, Shipment
from orders.services import OrderError
from tests.support.clinic import considered
from tests.support.factories import licensed_clinician
from tests.support.lifecycle import order_in

pytestmark = pytest.mark.django_db(transaction=True)
S = Order.Status


def test_approve_without_the_attestation_is_refused_and_nothing_is_written():
    order = order_in(S.AWAITING_REVIEW)
    clinician = licensed_clinician(username="dr_unticked", npi="1000000123")
    events = OrderEvent.objects.filter(order=order).count()
    with pytest.raises(OrderError, match="Tick the attestation to sign") as refused:
        approve_order(order, by=clinician, considered=considered(order))
    assert refused.value.code == "not_attested"
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW
    assert order.reviewed_at is None and order.reviewed_by is None
    assert not Prescription.objects.filter(order=order).exists()
    assert not Shipment.objects.filter(order=order).exists()
    assert OrderEvent.objects.filter(order=order).count() == events


def test_renew_without_the_attestation_is_refused_and_the_old_prescriptions_stay():
    order = order_in(S.RENEWAL_REVIEW)
    clinician = licensed_clinician(username="dr_unticked", npi="1000000123")
    before = list(Prescription.objects.filter(order=order).values_list("pk", "replaced_at"))
    events = OrderEvent.objects.filter(order=order).count()
    with pytest.raises(OrderError, match="Tick the attestation to sign") as refused:
        renew_prescriptions(
            order, by=clinician, considered=considered(order, flags_to_renew(order))
        )
    assert refused.value.code == "not_attested"
    order.refresh_from_db()
    assert order.status == S.RENEWAL_REVIEW
    assert list(Prescription.objects.filter(order=order).values_list("pk", "replaced_at")) == (
        before
    )
    assert all(replaced_at is None for _, replaced_at in before) and len(before) == 1
    assert OrderEvent.objects.filter(order=order).count() == events


def test_every_prescription_written_carries_the_attestation_and_its_time():
    order = order_in(S.APPROVED)
    [rx] = Prescription.objects.filter(order=order)
    assert rx.attestation.startswith("I have reviewed this patient's answers and attest")
    assert rx.attested_at is not None
