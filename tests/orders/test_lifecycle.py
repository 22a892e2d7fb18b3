"""The order lifecycle table (``Order.LIFECYCLE``): every row can be driven through the
services, the predicates read it, and anything else is refused with the domain error."""

import pytest

from orders.models import Hold, Order, OrderQuerySet, Shipment
from orders.services import OrderError, transition
from tests.support.lifecycle import DRIVERS, every_transition, order_in, perform
from tests.support.pharmacy import pharmacist, verified

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]
S = Order.Status


def test_every_action_of_the_table_has_a_driver():
    assert {action for action, _, _ in Order.LIFECYCLE} == set(DRIVERS)


def test_every_status_is_reachable():
    statuses = {S.PENDING_PAYMENT} | {after for _, _, after in Order.LIFECYCLE}
    assert statuses == set(S.values)


def test_every_row_of_the_table_happens_through_the_services():
    done = []
    for (action, before, after), order in every_transition():
        assert order.status == after, (action, before)
        done.append((action, before, after))
    assert done == list(Order.LIFECYCLE)


def test_a_move_the_table_does_not_list_is_the_domain_error():
    order = order_in(S.AWAITING_REVIEW)
    with pytest.raises(OrderError, match="cannot be shipped now: it is awaiting clinician review"):
        transition(order, "ship", "shipped")
    with pytest.raises(OrderError, match="cannot be resumed now"):
        transition(order, "recover_payment", "payment_recovered", to=S.APPROVED)
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW


def test_predicates_follow_the_table():
    pending = order_in(S.PENDING_PAYMENT)
    assert not (pending.can_approve() or pending.can_decline() or pending.can_refund())
    waiting = order_in(S.AWAITING_REVIEW)
    assert waiting.can_approve() and waiting.can_decline() and waiting.can_refund()
    assert not waiting.can_ship()
    approved = order_in(S.APPROVED)
    assert approved.can_ship() and not approved.can_approve() and not approved.can_decline()
    declined = order_in(S.DECLINED)
    assert not (declined.can_ship() or declined.can_refund() or declined.can_decline())


def test_a_patient_who_cancels_after_approval_still_gets_the_month_she_paid_for():
    """Defect: cancel moved APPROVED to CANCELLED and mark_shipped refused it."""
    order = verified(order_in(S.CANCELLED, via="approve"))
    assert order.was_approved and order.can_ship()
    assert list(Shipment.objects.to_ship()) == list(order.shipments.all())
    order = perform(order, "ship")
    shipment = order.shipments.get()
    assert shipment.status == Shipment.Status.SHIPPED
    assert order.status == S.CANCELLED
    assert not Shipment.objects.to_ship().exists()


def test_cancelled_before_review_never_ships():
    order = order_in(S.CANCELLED)
    assert order.cancelled_before_review and not order.can_ship() and order.can_decline()


def test_every_action_reads_well_in_the_domain_error():
    from orders.services import ACTION_WORDS

    assert set(ACTION_WORDS) == {action for action, _, _ in Order.LIFECYCLE}


def orders_in_every_state():
    """One order per row of the table (just moved by it), and one held approved order."""
    orders = [order for _, order in every_transition()]
    held = order_in(S.APPROVED)
    Hold.objects.create(order=held, kind=Hold.Kind.DISPUTE, reason="Disputed")
    return [*orders, Order.objects.get(pk=held.pk)]


def test_each_queryset_twin_agrees_with_its_predicate_in_every_state():
    """The filters the queue, the fulfilment page and the reminders use say what the
    predicates say, for an order in every state of the table."""
    orders = orders_in_every_state()
    assert {order.status for order in orders} == set(S.values) - {S.PENDING_PAYMENT}
    shippable = set(Order.objects.filter(OrderQuerySet.shippable()).values_list("pk", flat=True))
    in_queue = set(Order.objects.review_queue().values_list("pk", flat=True))
    for order in orders:
        assert (order.pk in shippable) == order.can_ship(), order.status
        assert (order.pk in in_queue) == order.awaits_clinician(), order.status
    assert shippable and in_queue  # both answers occur
    assert any(not order.can_ship() for order in orders if order.was_approved)  # the hold


def test_the_pharmacists_queues_agree_with_their_predicates_in_every_state():
    """The verification queue, the clinicians' sent-back mark and "every prescription
    verified" (the shipping queue's part) say what the predicates say, for an order in every
    state, one verified and one sent back."""
    from clinic.services.verification import send_back

    orders = orders_in_every_state()
    sent_back = order_in(S.APPROVED)
    send_back(sent_back, by=pharmacist(username="pharm-twins"), reason="Dose too high.")
    orders += [verified(order_in(S.APPROVED)), Order.objects.get(pk=sent_back.pk)]
    to_verify = set(Order.objects.verification_queue().values_list("pk", flat=True))
    marked = set(Order.objects.filter(OrderQuerySet.sent_back()).values_list("pk", flat=True))
    checked = set(
        Order.objects.filter(OrderQuerySet.prescriptions_verified()).values_list("pk", flat=True)
    )
    for order in orders:
        assert (order.pk in to_verify) == order.awaits_verification(), order.status
        assert (order.pk in marked) == order.is_sent_back(), order.status
        assert (order.pk in checked) == order.prescriptions_verified(), order.status
    assert to_verify and marked == {sent_back.pk} and checked
    # A sent-back order is back in the clinicians' review queue, marked.
    in_queue = set(Order.objects.review_queue().values_list("pk", flat=True))
    for order in orders:
        assert (order.pk in in_queue) == order.awaits_clinician(), order.status
    assert sent_back.pk in in_queue
    assert len(checked) < len(orders)


def test_her_billing_controls_and_the_service_agree_in_every_state():
    """Her order page offers pause and cancel exactly when the service accepts them (they
    used to disagree while a clinician's question or a renewal held her billing)."""
    from django.db import transaction

    from payments.services.subscriptions import cancel_at_period_end, pause_refills

    for order in orders_in_every_state():
        for change in (
            lambda o: pause_refills(o, months=1, by=None),
            lambda o: cancel_at_period_end(o, by=None),
        ):
            try:
                with transaction.atomic():
                    change(order)
                    transaction.set_rollback(True)
                accepted = True
            except OrderError:
                accepted = False
            assert accepted == order.can_change_billing(), order.status


def test_a_box_to_ship_is_shipped_or_cancelled_and_stays_so():
    """The shipment's own lifecycle (``Shipment.NEXT``), and the fulfilment queue is its
    twin: every shipment in every order state is in ``to_ship()`` exactly when it
    ``can_ship()``."""
    boxes = []
    for order in orders_in_every_state():
        for status in Shipment.Status.values:
            boxes.append(Shipment.objects.create(order=order, kind="refill", status=status))
    queued = set(Shipment.objects.to_ship().values_list("pk", flat=True))
    for box in boxes:
        assert (box.pk in queued) == box.can_ship(), (box.order.status, box.status)
    assert queued and len(queued) < len(boxes)
    pending = Shipment(status=Shipment.Status.PENDING)
    assert pending.can_become(Shipment.Status.SHIPPED)
    assert pending.can_become(Shipment.Status.CANCELLED)
    for done in (Shipment.Status.SHIPPED, Shipment.Status.CANCELLED):
        assert not any(Shipment(status=done).can_become(s) for s in Shipment.Status.values)
