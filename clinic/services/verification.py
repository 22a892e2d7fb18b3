"""A pharmacist between the clinician's click and the box: every new or changed prescription
(an approval, a renewal, a changed prescription, a titration step) waits in the verification
queue until a pharmacist verifies it or sends it back to the clinician with a reason.

A sent-back prescription puts the order back in the clinicians' review queue, marked
(``Order.is_sent_back``); the clinician changes it (``clinic.services.changes``: a new
version, verified in turn) or stops it (``stop_sent_back``). Until every current prescription
of an order is verified, none of its boxes ships (``Shipment.can_ship``).
"""

from django.utils import timezone

from clinic.clinicians import check_licensed
from clinic.services.prescriptions import current
from clinic.services.stopping import stop_lines
from core.us_states import STATE_NAMES
from orders.emails import queue_order_email
from orders.models import PharmacistProfile
from orders.services import OrderError, lock_order, record_event, refuse_unless, transaction
from treatments.dosing import Dosing


def pharmacist_state(order):
    """Where the box goes (the state a pharmacist must be licensed in): the shipping address,
    or where she lives when no address is on file yet."""
    return order.ship_state or order.residence_state


def check_pharmacist(order, user):
    """Only an active pharmacist with a current licence in the state the box goes to may
    verify, send back or dispense. Raises ``OrderError`` saying which."""
    profile = PharmacistProfile.objects.active().filter(user_id=getattr(user, "pk", None)).first()
    if profile is None:
        raise OrderError(
            "Only a pharmacist (with a pharmacist profile) can verify or dispense a prescription.",
            code="not_pharmacist",
        )
    state = pharmacist_state(order)
    if state and not profile.is_licensed_in(state):
        name = STATE_NAMES.get(state, state)
        raise OrderError(
            f"Her box goes to {name}: only a pharmacist licensed in {name} can verify or "
            "dispense it. Leave it for a colleague licensed there.",
            code="not_licensed",
        )
    return profile


def to_verify(order):
    """The current prescriptions of ``order`` that no pharmacist has verified or sent back."""
    return current(order).filter(verified_at=None, sent_back_at=None)


def confirmed_next_step(rx):
    """What the next refill carries when a clinician confirmed the next step of ``rx``'s
    titration ("7 mg tablet: Take 1 tablet ..."), else "" (the pharmacist verifies it)."""
    if rx.step_up_confirmed_at is None or not rx.has_next_step():
        return ""
    dosing = Dosing.of(rx.medicine)
    step = dosing.titration[rx.titration_step]
    dose = dosing.dose(step.strength, step.count, step.frequency)
    return f"{dosing.strength_label(dose.strength)}: {dose.directions}"


def verify_prescriptions(order, *, by):
    """A pharmacist verifies every prescription of ``order`` waiting for her: its boxes may
    ship. Returns the number verified."""
    with transaction.atomic():
        order = lock_order(order)
        refuse_unless(
            order.awaits_verification(),
            order,
            "ship",
            doing="verified by a pharmacist (no prescription waits for verification)",
        )
        check_pharmacist(order, by)
        waiting = list(to_verify(order).values_list("pk", flat=True))
        to_verify(order).filter(pk__in=waiting).update(verified_at=timezone.now(), verified_by=by)
        record_event(
            order,
            "prescriptions_verified",
            message="A pharmacist checked your prescription.",
            actor=by,
            data={"prescriptions": waiting},
        )
    return len(waiting)


def send_back(order, *, by, reason):
    """A pharmacist sends the prescriptions waiting for her back to the clinician with
    ``reason`` (kept encrypted): nothing of them ships, and the order goes back to the
    clinicians' review queue, marked, until one changes or stops them."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(
            "Write why you send it back: the clinician reads it.", code="reason_required"
        )
    with transaction.atomic():
        order = lock_order(order)
        refuse_unless(
            order.awaits_verification(),
            order,
            "ship",
            doing="sent back to the clinician (no prescription waits for verification)",
        )
        check_pharmacist(order, by)
        waiting = list(to_verify(order).values_list("pk", flat=True))
        to_verify(order).filter(pk__in=waiting).update(
            sent_back_at=timezone.now(), sent_back_by=by, sent_back_reason=reason
        )
        # The reason stays with the prescriptions (encrypted, shown to clinicians on the
        # sign-off page), not in the timeline every staff role reads.
        record_event(order, "prescriptions_sent_back", actor=by, data={"prescriptions": waiting})
    return len(waiting)


def sent_back_prescriptions(order):
    """The current prescriptions a pharmacist sent back, with her reason (for the clinician)."""
    return list(
        current(order)
        .filter(verified_at=None)
        .exclude(sent_back_at=None)
        .select_related("sent_back_by", "line")
    )


def stop_sent_back(order, *, lines, reason, by):
    """The clinician agrees with the pharmacist and stops the treatments sent back (licensed
    in her state, as for any prescribing decision): she is emailed to stop, their unshipped
    boxes are refunded (``stopping.stop_lines``)."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError("Please give a reason: it is sent to the patient.", code="reason_required")
    with transaction.atomic():
        order = lock_order(order)
        refuse_unless(
            order.is_sent_back(),
            order,
            "change_prescription",
            doing="stopped after the pharmacist's check (nothing was sent back)",
        )
        check_licensed(order, by, to="stop her treatment")
        sent_back_lines = {rx.line_id for rx in sent_back_prescriptions(order)}
        chosen = [line for line in lines if line.pk in sent_back_lines]
        if not chosen:
            raise OrderError("Choose a treatment the pharmacist sent back.", code="not_sent_back")
        stop_lines(
            order,
            chosen,
            reason=reason,
            message="Your clinician stopped a treatment after the pharmacist's check: do not "
            "start it. Anything you paid for it that has not shipped is refunded.",
            by=by,
        )
        queue_order_email(order, "stop_medicine", lines=[line.pk for line in chosen])
    return order
