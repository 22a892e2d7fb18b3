"""Orders in any lifecycle state, reached the way real orders get there: through the services.

``Order.LIFECYCLE`` is the map; ``DRIVERS`` performs each action of it with the service a
patient, Stripe or a staff member would trigger. ``order_in(status)`` finds the shortest
path from where the order is and drives it there; ``every_transition()`` yields one order
per row of the table (a new state or action is crawled without editing any test, and a
row without a driver fails loudly here).
"""

from collections import deque

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import F
from django.test import TestCase

from clinic.services.changes import change_prescription
from clinic.services.prescriptions import (
    current,
    draft_from,
    end_treatment,
    flags_to_renew,
    renew_prescriptions,
    submit_renewal,
)
from clinic.services.review import approve_order, decline_order
from oana.roles import GROUP_NAMES
from orders.models import Order
from orders.services.fulfilment import mark_shipped
from patients.services.messages import ask_patient, post_patient_message
from payments.gateways.facts import SubscriptionState, SubscriptionStatus
from payments.services.payments import (
    cancel_order,
    mark_past_due,
    record_renewal_payment,
    update_subscription,
)
from payments.services.refunds import refund_order
from tests.support.clinic import considered
from tests.support.factories import licensed_clinician, make_order, paid_invoice_for, pay
from tests.support.pharmacy import verified

S = Order.Status


def _staff(role):
    user, created = get_user_model().objects.get_or_create(
        username=f"lifecycle-{role}", defaults={"is_staff": True}
    )
    if created:
        user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
        if role == "clinician":  # licensed where the test patients live
            licensed_clinician(username=user.username, npi="1000000099")
    return user


def _pay(order, to):
    pay(order)


def _approve(order, to):
    approve_order(
        order, by=_staff("clinician"), note="", considered=considered(order), attested=True
    )


def _decline(order, to):
    decline_order(order, by=_staff("clinician"), reason="Not suitable for you.")


def _ship(order, to):
    shipment = order.shipments.filter(status="pending").first()
    if shipment is None:
        # Nothing pending after the first box: the next one is a refill for a renewal.
        renew(order)
        shipment = order.shipments.get(status="pending")
    verified(order)
    mark_shipped(shipment, by=_staff("fulfillment"), carrier="USPS", tracking_number="9400TEST")


def renew(order):
    """A month later: the renewal invoice is paid (a refill, once approved)."""
    number = order.payments.count()
    record_renewal_payment(
        order, invoice=paid_invoice_for(order, invoice_id=f"in_renewal_{order.pk}_{number}")
    )


def _fail_payment(order, to):
    mark_past_due(order, reason="Your card was declined.")


def _recover_payment(order, to):
    update_subscription(
        order,
        subscription=SubscriptionState(
            status=SubscriptionStatus.ACTIVE, subscription_id=order.stripe_subscription_id
        ),
    )


def _cancel(order, to):
    cancel_order(order, actor_label="patient", reason="Changed her mind.")


def _refund(order, to):
    # Support refunds a month at a time (the most recent one with that much left).
    while left := [p.refundable_cents() for p in order.payments.all() if p.refundable_cents()]:
        refund_order(
            order,
            by=_staff("support"),
            amount_cents=left[0],
            reason="Goodwill refund.",
        )


def _ask(order, to):
    ask_patient(order, by=_staff("clinician"), question="How is your blood pressure lately?")


def _answer(order, to):
    thread = order.threads.get(topic="medical")
    post_patient_message(thread, body="It was 118/76 last week.", by=order.patient)


def _renewal_due(order, to):
    """Refills run out: the last one ships (she had one left)."""
    order.prescriptions.update(refills_used=F("refills") - 1)
    _ship(order, to)


def _answer_renewal(order, to):
    submit_renewal(order, RENEWAL_ANSWERS, by=order.patient)


def _renew(order, to):
    renew_prescriptions(
        order,
        by=_staff("clinician"),
        considered=considered(order, flags_to_renew(order)),
        attested=True,
    )


def _change_prescription(order, to):
    drafts = [draft_from(rx, refills=rx.refills_left) for rx in current(order)]
    change_prescription(order, by=_staff("clinician"), prescriptions=drafts, attested=True)


def _end_treatment(order, to):
    end_treatment(order, by=_staff("clinician"), reason="Not a good fit any more.")


RENEWAL_ANSWERS = {
    "new_medicines": "none",
    "pregnant": "no",
    "breastfeeding": "no",
    "trying_to_conceive": "no",
    "side_effects": "none",
}

DRIVERS = {
    "renewal_due": _renewal_due,
    "answer_renewal": _answer_renewal,
    "renew": _renew,
    "end_treatment": _end_treatment,
    "change_prescription": _change_prescription,
    "ask": _ask,
    "answer": _answer,
    "pay": _pay,
    "approve": _approve,
    "decline": _decline,
    "ship": _ship,
    "fail_payment": _fail_payment,
    "recover_payment": _recover_payment,
    "cancel": _cancel,
    "refund": _refund,
}


def _path(start, goal, via=None):
    """The shortest list of (action, to) steps from ``start`` to ``goal`` (through the action
    ``via`` when given), or None. "recover_payment" goes back where the order came from, so
    it is never a step on the way somewhere new."""
    first = (start, via is None)
    paths, queue = {first: []}, deque([first])
    while queue:
        status, passed = queue.popleft()
        if status == goal and passed:
            return paths[(status, passed)]
        for action, before, after in Order.LIFECYCLE:
            state = (after, passed or action == via)
            if before == status and state not in paths and action != "recover_payment":
                paths[state] = [*paths[(status, passed)], (action, after)]
                queue.append(state)
    return None


def perform(order, action, to=None):
    """Do ``action`` to ``order`` through its service, and what follows its commit (the
    refund tasks, with the test-mode gateway); return the fresh order.

    One exception: cancelling before review refunds her at once, which would take the
    order on to "refunded"; here that refund is left unsent (as if Stripe had not answered
    yet), so the order stays "cancelled", in the review queue.
    """
    order = Order.objects.get(pk=order.pk)
    settle = not (action == "cancel" and order.reviewed_at is None)
    with TestCase.captureOnCommitCallbacks(execute=settle):
        DRIVERS[action](order, to)
    return Order.objects.get(pk=order.pk)


def order_in(status, *, order=None, via=None, **order_options):
    """An order (``order``, or a new pending one) driven through the services to ``status``,
    passing through the action ``via`` if given (e.g. cancelled ``via="approve"``)."""
    order = order or make_order(**order_options)
    path = _path(order.status, status, via)
    if path is None:
        raise AssertionError(f"No path in Order.LIFECYCLE from {order.status} to {status}")
    for action, to in path:
        order = perform(order, action, to)
    assert order.status == status, (order.status, status)
    return order


def every_transition():
    """Yield ((action, before, after), order) for each row of ``Order.LIFECYCLE``: an order
    that has just made that move, reached the way that move needs (shipping needs an
    approval; resuming needs the status it resumes to)."""
    for action, before, after in Order.LIFECYCLE:
        if action == "recover_payment":
            order = perform(order_in(after), "fail_payment")
        else:
            # Shipping needs an approval; so does refunding a cancelled order by hand (one
            # cancelled before review is already being refunded automatically).
            needs_approval = action == "ship" or (action, before) == ("refund", S.CANCELLED)
            order = order_in(before, via="approve" if needs_approval else None)
        yield (action, before, after), perform(order, action, after)
