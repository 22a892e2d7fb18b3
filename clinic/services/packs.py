"""Declining one medicine of a pack: the pack becomes the single treatment she keeps.

On the sign-off page a clinician may decline one (or more) of a pack's medicines, with a
reason. If a treatment we sell on its own (public, with an active monthly plan, not already in
her order) contains exactly the medicines she keeps, and costs no more than the pack she
agreed to pay for, the line becomes that treatment at its own current price
(``convert_line``, inside ``approve_order``): the old and new treatment and price are recorded
on the line and in her timeline, prescriptions are written only for what she keeps, the
difference for every month she paid is refunded (pending ``Refund`` rows, asked of Stripe
after the commit like every refund), her monthly total drops by it, and after the commit her
subscription item moves to the new price (``change_subscription_item``). Otherwise the pack
is declined whole, the existing whole-line decline; the page tells the clinician so before
she confirms (``PackDecline.outcome``).

``pack_declines`` is the one rule the page and the verb both ask.
"""

import logging
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from core.money import format_money_exact
from orders.models import Order, OrderLine
from orders.services import OrderError, record_event
from payments.gateways import PaymentProviderError, PaymentProviderUnreachable, gateway_for
from payments.gateways.facts import ItemChange
from payments.services.refunds import request_refund
from treatments.models import Plan, Treatment

logger = logging.getLogger(__name__)


def is_pack(line):
    return line.plan.treatment.form == Treatment.Form.PACK


def _names(medicines):
    return ", ".join(medicine.name for medicine in medicines)


@dataclass(frozen=True)
class PackDecline:
    """What declining ``declined`` of the pack ``line`` leads to: the single product she
    keeps (``plan``), or, with ``plan`` None, the whole pack declined (``why``)."""

    line: OrderLine
    declined: tuple
    kept: tuple
    plan: Plan | None = None
    why: str = ""

    @property
    def converts(self):
        return self.plan is not None

    @property
    def monthly_refund_cents(self):
        """What she paid each month for the pack beyond the single product's price."""
        return (self.line.unit_amount_cents - self.plan.amount_cents) * self.line.quantity

    def outcome(self):
        """What it does, in the clinician's words (shown before she confirms)."""
        pack = self.line.treatment_name
        if not self.converts:
            return f"{pack} is declined whole: {self.why}"
        refund = self.monthly_refund_cents
        money = (
            f"{format_money_exact(refund)} refunded for each month she paid"
            if refund
            else "nothing to refund"
        )
        return (
            f"{pack} becomes {self.plan.treatment.name} at "
            f"{format_money_exact(self.plan.amount_cents)}/month ({money})."
        )


def sold_alone(order):
    """What she could keep instead of a pack: the set of medicine ids of each treatment sold
    on its own (public, an active monthly plan) -> its plans, cheapest first, the treatments
    in catalog order. A treatment already in ``order`` is left out (she has it). Three
    queries, however many medicines the packs hold."""
    in_order = order.lines.values("plan__treatment_id")
    plans = (
        Plan.objects.active()
        .filter(interval=Plan.Interval.MONTH)
        .exclude(treatment__in=in_order)
        .select_related("treatment")
        .prefetch_related("treatment__medicines")
        .order_by(
            "treatment__category__order",
            "treatment__display_order",
            "treatment__name",
            "treatment_id",
            "amount_cents",
            "pk",
        )
    )
    catalog = {}
    for plan in plans:
        same = catalog.setdefault(frozenset(m.pk for m in plan.treatment.medicines.all()), [])
        if not same or same[-1].treatment_id != plan.treatment_id:
            same.append(plan)  # each treatment's cheapest plan, in catalog order
    return catalog


def _single_product(kept, pack_price_cents, catalog):
    """(the plan she keeps, or None; why none)."""
    plans = catalog.get(frozenset(medicine.pk for medicine in kept), [])
    for plan in plans:
        if plan.amount_cents <= pack_price_cents:
            return plan, ""
    if plans:
        dearer = plans[0]
        return None, (
            f"{dearer.treatment.name} costs {format_money_exact(dearer.amount_cents)}/month, "
            "more than the pack she agreed to pay for."
        )
    return None, f"no treatment we sell contains just {_names(kept)}."


def pack_decline(line, declined_ids, *, catalog):
    """The ``PackDecline`` of declining the medicines ``declined_ids`` of the pack ``line``
    (``catalog``: ``sold_alone`` of its order)."""
    if not is_pack(line):
        raise OrderError(
            f"{line.treatment_name} is not a pack: decline the treatment itself.",
            code="not_a_pack",
        )
    medicines = list(line.plan.treatment.medicines.all())
    if set(declined_ids) - {medicine.pk for medicine in medicines}:
        raise OrderError(
            f"That medicine is not part of {line.treatment_name}.", code="bad_medicine"
        )
    declined = tuple(m for m in medicines if m.pk in declined_ids)
    kept = tuple(m for m in medicines if m.pk not in declined_ids)
    if not kept:
        return PackDecline(line, declined, kept, why="every medicine of it is declined.")
    plan, why = _single_product(kept, line.unit_amount_cents, catalog)
    return PackDecline(line, declined, kept, plan=plan, why=why)


def pack_declines(order, declined_medicines):
    """The ``PackDecline`` of each pack line of ``order`` in ``declined_medicines`` (line id
    -> ids of its medicines declined; lines with none are left out). Raises ``OrderError``
    for a line of another order, a line that is not a pack or a medicine not in it."""
    wanted = {int(pk): {int(m) for m in ids} for pk, ids in declined_medicines.items() if ids}
    if not wanted:
        return []
    lines = {
        line.pk: line
        for line in order.lines.filter(pk__in=wanted)
        .select_related("plan__treatment")
        .prefetch_related("plan__treatment__medicines")
    }
    if set(wanted) - set(lines):
        raise OrderError("That treatment is not part of this order.", code="bad_line")
    catalog = sold_alone(order)
    return [pack_decline(lines[pk], ids, catalog=catalog) for pk, ids in sorted(wanted.items())]


CONVERSION_FIELDS = [
    "converted_from_plan",
    "converted_from_name",
    "converted_from_amount_cents",
    "declined_medicines",
    "converted_at",
    "decline_reason",
    "plan",
    "treatment_name",
    "treatment_slug",
    "plan_name",
    "unit_amount_cents",
    "currency",
    "interval",
]


def convert_line(order, decision, *, reason, by):
    """Approve the pack of ``decision`` (a converting ``PackDecline``) as the single treatment
    she keeps, in the caller's transaction (``order`` locked, lines decided): the line, her
    monthly total, a refund of the difference for each month paid, her timeline; her Stripe
    item after the commit. Returns the Refunds."""
    line, plan = decision.line, decision.plan
    share = decision.monthly_refund_cents
    before = f"{line.treatment_name} ({line.plan_name})"
    refunds = [
        request_refund(
            order,
            payment,
            amount_cents=min(share, payment.refundable_cents()),
            reason=f"Pack changed by clinician: {line.treatment_name} to {plan.treatment.name}",
            by=by,
            email_patient=False,
        )
        for payment in order.payments.for_months().order_by("paid_at", "id")
        if share and payment.refundable_cents() > 0
    ]
    old_plan_id, old_cents = line.plan_id, line.unit_amount_cents
    line.converted_from_plan_id = old_plan_id
    line.converted_from_name = before
    line.converted_from_amount_cents = old_cents
    line.declined_medicines = [medicine.name for medicine in decision.declined]
    line.converted_at = timezone.now()
    line.decline_reason = reason
    line.plan = plan
    line.treatment_name, line.treatment_slug = plan.treatment.name, plan.treatment.slug
    line.plan_name, line.unit_amount_cents = plan.name, plan.amount_cents
    line.currency, line.interval = plan.currency, plan.interval
    line.save(update_fields=CONVERSION_FIELDS)
    order.subtotal_cents -= share
    order.total_cents -= share
    order.save(update_fields=["subtotal_cents", "total_cents"])
    back = sum(refund.amount_cents for refund in refunds)
    record_event(
        order,
        "pack_changed",
        message=(
            f"Your clinician approved {plan.treatment.name} instead of {line.converted_from_name}"
            f", without {_names(decision.declined)}: it costs "
            f"{format_money_exact(line.line_total_cents)} a month"
            + (f", and {format_money_exact(back)} is being refunded." if back else ".")
        ),
        actor=by,
        data={
            "line": line.pk,
            "from_plan": old_plan_id,
            "from_amount": old_cents,
            "to_plan": plan.pk,
            "to_amount": plan.amount_cents,
            "declined_medicines": [medicine.pk for medicine in decision.declined],
            "refunds": [refund.pk for refund in refunds],
        },
    )
    transaction.on_commit(partial(change_subscription_item.enqueue, line.pk))
    return refunds


@task
def change_subscription_item(line_id):
    """Move her Stripe subscription item from the pack to the single treatment she keeps.

    Safe to run again: the adapter reads the subscription first (an item already on the new
    plan is done). No answer (a timeout): raised, and retried with the same key, so Stripe
    returns what it did. An error answer (Stripe saves it for the key): recorded, raised,
    and the next attempt takes the next key. The hourly reconciliation sends what is still
    waiting."""
    line = OrderLine.objects.select_related("order").filter(pk=line_id).first()
    if line is None or line.converted_at is None or line.item_changed_at is not None:
        return "nothing to do"
    order = line.order
    if order.is_closed():  # declined, refunded or cancelled since: nothing is charged
        return "nothing to do"
    refused = order.events.filter(kind="subscription_item_not_changed", data__line=line.pk)
    change = ItemChange(
        from_plan_id=line.converted_from_plan_id,
        to_plan_id=line.plan_id,
        name=f"{line.treatment_name} ({line.plan_name})",
        unit_amount_cents=line.unit_amount_cents,
        currency=line.currency,
        interval=line.interval,
    )
    try:
        gateway_for(order).change_subscription_item(
            order.stripe_subscription_id,
            change,
            idempotency_key=f"change-item-{line.pk}-{refused.count() + 1}",
        )
    except PaymentProviderUnreachable:
        logger.warning("Line %s: no answer from Stripe on its item; retried", line.pk)
        raise
    except PaymentProviderError as error:
        logger.error("Order %s: subscription item not changed: %s", order.pk, error)
        record_event(
            order,
            "subscription_item_not_changed",
            actor_label="Stripe",
            data={"line": line.pk, "error": error.message},
        )
        raise
    OrderLine.objects.filter(pk=line.pk).update(item_changed_at=timezone.now())
    record_event(
        order,
        "subscription_item_changed",
        actor_label="Stripe",
        data={"line": line.pk, "plan": line.plan_id, "amount": line.unit_amount_cents},
    )
    return "changed"


def items_waiting():
    """Converted lines whose Stripe item has not followed yet, of orders still open."""
    return (
        OrderLine.objects.filter(converted_at__isnull=False, item_changed_at__isnull=True)
        .exclude(order__status__in=Order.CLOSED)
        .select_related("order")
        .order_by("pk")
    )
