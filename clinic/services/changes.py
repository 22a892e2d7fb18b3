"""Between renewals: a clinician changes a prescription, or confirms that a titration moves
to its next step at the next refill.

Both are clinical decisions on an approved order, so both check what Approve checks: the
lifecycle (``Order.can_change_prescription``), her licence in the patient's state
(``check_licensed``) and the dose (``check_draft``, through ``write_prescriptions``).
"""

from django.utils import timezone

from clinic.clinicians import check_licensed
from clinic.services.prescriptions import (
    current,
    flags_to_renew,
    require_attestation,
    write_prescriptions,
)
from clinic.services.signoff import sign_off
from orders.emails import queue_order_email
from orders.services import (
    OrderError,
    lock_order,
    record_event,
    refuse_unless,
    transaction,
    transition,
)


def change_prescription(order, *, by, prescriptions, attested, considered=None):
    """Replace the current prescriptions of the medicines in ``prescriptions`` (drafts) with
    new ones. A change never adds refills: each keeps at most the refills left on the one it
    replaces (more is a renewal, with its questions). The clinician must have ticked the
    attestation (``attested``) and considered every flag, as for a renewal (``considered``,
    ``clinic.services.signoff``)."""
    require_attestation(attested)
    with transaction.atomic():
        order = lock_order(order)
        refuse_unless(order.can_change_prescription(), order, "change_prescription")
        check_licensed(order, by, to="change her prescription")
        sign_off(order, by=by, action="change", considered=considered, flags=flags_to_renew(order))
        now_current = {(rx.line_id, rx.medicine_id): rx for rx in current(order)}
        replaced = []
        for draft in prescriptions:
            rx = now_current.get((draft.line.pk, draft.medicine.pk))
            if rx is None:
                raise OrderError(
                    f"{draft.medicine.name} has no current prescription to change.",
                    code="bad_line",
                )
            replaced.append(rx)
            write_prescriptions(
                order, [draft], by=by, attested=attested, refills_at_most=rx.refills_left
            )
        for rx in replaced:
            rx.replaced_at = timezone.now()
            rx.save(update_fields=["replaced_at"])
        transition(
            order,
            "change_prescription",
            "prescription_changed",
            message="Your clinician changed your prescription: your treatment plan shows how "
            "to take it now.",
            actor=by,
        )
        queue_order_email(order, "prescription_changed")
    return order


def confirm_step_up(order, *, by, prescription_ids):
    """A clinician confirms that each of these prescriptions moves to the next step of its
    titration schedule at the next refill (``prescriptions._step_up``). Until then it stays
    on its current step. Each needs a check-in reviewed since its step started
    (``Prescription.may_step_up``)."""
    with transaction.atomic():
        order = lock_order(order)
        if order.can_change_prescription() and not order.can_confirm_step_up():
            if any(rx.has_next_step() for rx in current(order).select_related("medicine")):
                raise OrderError(
                    "The next step waits for a reviewed check-in: review her check-in first.",
                    code="checkin_not_reviewed",
                )
        refuse_unless(order.can_confirm_step_up(), order, "change_prescription", doing="stepped up")
        check_licensed(order, by)
        chosen = list(current(order).filter(pk__in=prescription_ids).select_related("medicine"))
        if not chosen or any(not rx.has_next_step() for rx in chosen):
            raise OrderError(
                "Choose a prescription whose schedule has a next step.", code="no_next_step"
            )
        if any(not rx.may_step_up() for rx in chosen):  # a step started after her check-in
            raise OrderError(
                "The next step waits for a reviewed check-in: review her check-in first.",
                code="checkin_not_reviewed",
            )
        now = timezone.now()
        for rx in chosen:
            rx.step_up_confirmed_at, rx.step_up_confirmed_by = now, by
            rx.save(update_fields=["step_up_confirmed_at", "step_up_confirmed_by"])
            record_event(
                order,
                "step_up_confirmed",
                message=f"Your clinician confirmed the next step of {rx.medicine_name}: it "
                "starts with your next refill.",
                actor=by,
                data={"prescription": rx.pk, "step": rx.titration_step + 1},
            )
    return order
