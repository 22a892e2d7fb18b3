"""Prescriptions: written by the clinician who approves an order, one per medicine; refills
counted as boxes ship; renewed by a clinician when they run out.

A routine approval stays fast: each medicine of each approved line starts from the defaults of
the catalog's medicine (``treatments.Medicine``: strength, directions, quantity per month,
refills), and the clinician confirms or edits them on the Approve page. ``drafts_for`` makes
those starting points; ``write_prescriptions`` checks and records them inside the approval.

Each refill that ships uses one refill (``use_refill``). When the last one ships, or a
prescription is about to expire (a year), collection pauses at once (the clinic's pause, which
her own "resume" cannot lift) and she answers a few renewal questions; a clinician renews
(new prescriptions, collection resumes) or ends the treatment (the subscription is cancelled).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clinic.clinicians import check_licensed
from clinic.flags import Grade, make_flag
from clinic.services.signoff import questionnaire_flags, sign_off
from orders.emails import queue_order_email
from orders.models import ClinicianProfile, Prescription, RenewalResponse, Shipment
from orders.services import OrderError, lock_order, refuse_unless, transition
from payments.services.refunds import cancel_subscription_later
from payments.services.subscriptions import sync_billing_later
from treatments.models import MAX_REFILLS


@dataclass
class Draft:
    """A prescription as the clinician confirms it on the Approve page."""

    line: object
    medicine: object
    strength: str
    directions: str
    quantity: int
    refills: int

    @property
    def key(self):
        return f"{self.line.pk}-{self.medicine.pk}"


def drafts_for(order):
    """One draft per medicine of each line of ``order``, from the medicine's defaults."""
    lines = order.lines.select_related("plan__treatment").prefetch_related(
        "plan__treatment__medicines"
    )
    return [
        Draft(
            line=line,
            medicine=medicine,
            strength=medicine.default_strength,
            directions=medicine.default_directions,
            quantity=medicine.default_quantity,
            refills=medicine.default_refills,
        )
        for line in lines
        for medicine in line.plan.treatment.medicines.all()
    ]


def prescriber_name(user):
    """As on a prescription: her clinician profile's name and credentials ("Dr. Ana Lee,
    MD"); a superuser without a profile by the name of her account."""
    profile = ClinicianProfile.objects.filter(user=user).first()
    if profile is None:
        return user.get_full_name() or user.get_username()
    return f"{profile.display_name}, {profile.credentials}"


def write_prescriptions(order, drafts, *, by):
    """Record ``drafts`` (of the approved lines of the locked ``order``). Returns them.

    Each must have a strength, directions, at least one unit a month and at most
    ``MAX_REFILLS`` refills (a year).
    """
    now = timezone.now()
    written = []
    for draft in drafts:
        if draft.line.order_id != order.pk:
            raise OrderError("That treatment is not part of this order.", code="bad_line")
        _check(draft)
        written.append(
            Prescription(
                order=order,
                line=draft.line,
                medicine=draft.medicine,
                medicine_name=draft.medicine.name,
                strength=draft.strength.strip(),
                directions=draft.directions.strip(),
                quantity=draft.quantity,
                quantity_unit=draft.medicine.quantity_unit,
                refills=draft.refills,
                prescriber=by,
                prescriber_name=prescriber_name(by),
                written_at=now,
            )
        )
    return Prescription.objects.bulk_create(written)


def _check(draft):
    name = draft.medicine.name
    if not draft.strength.strip() or not draft.directions.strip():
        raise OrderError(
            f"Give the strength and directions for {name}.", code="prescription_incomplete"
        )
    if draft.quantity < 1:
        raise OrderError(f"The quantity of {name} must be at least 1.", code="bad_quantity")
    if not 0 <= draft.refills <= MAX_REFILLS:
        raise OrderError(
            f"{name}: at most {MAX_REFILLS} refills (a prescription lasts a year).",
            code="too_many_refills",
        )


# --- refills and renewal -------------------------------------------------------------------

# A prescription this close to its end is renewed now: the next month would ship after it.
RENEW_BEFORE = timedelta(days=31)


def current(order):
    return order.prescriptions.filter(replaced_at=None)


def use_refill(order, shipment):
    """A box of ``order`` shipped (inside ``mark_shipped``, order locked): a refill uses one
    refill of each current prescription (the first box is the first fill). Then, if any has
    none left or is about to expire, collection pauses for a renewal."""
    if shipment.kind == Shipment.Kind.REFILL:
        current(order).filter(refills_used__lt=F("refills")).update(
            refills_used=F("refills_used") + 1
        )
    if any(_ends_soon(rx) for rx in current(order)):
        start_renewal(order)


def _ends_soon(prescription):
    return prescription.refills_left == 0 or (
        prescription.expires_at - RENEW_BEFORE <= timezone.now()
    )


def start_renewal(order):
    """Pause collection at once and ask her the renewal questions (waiting on her answers
    since now: ``asked_at``, as for a clinician's question)."""
    order.asked_at, order.reminded_at = timezone.now(), None
    transition(
        order,
        "renewal_due",
        "renewal_due",
        message="Your prescription has no refills left. Answer a few questions so your "
        "clinician can renew it; nothing is charged until then.",
        actor_label="Oana",
    )
    sync_billing_later(order)  # a shipped order has its subscription
    queue_order_email(order, "renewal_due")


RENEWAL_QUESTIONS = {
    "new_medicines": "New medicines since your last order (name and dose), or none",
    "pregnant": "Are you pregnant?",
    "breastfeeding": "Are you breastfeeding?",
    "trying_to_conceive": "Are you trying to conceive?",
    "side_effects": "Side effects or health changes since you started, or none",
}
YES_NO = ("pregnant", "breastfeeding", "trying_to_conceive")


def submit_renewal(order, answers, *, by, flags=(), stops=()):
    """She answers the renewal questions: they go to the clinicians' review queue, with the
    flags and stops they raised (``clinic.renewal.RenewalForm``)."""
    with transaction.atomic():
        order = lock_order(order)
        if not order.can_answer_renewal():
            raise OrderError(
                "This order has no renewal waiting for your answers.", code="wrong_status"
            )
        RenewalResponse.objects.create(
            order=order, answers=answers, flags=list(flags), stops=list(stops)
        )
        order.asked_at = order.reminded_at = None  # she answered: no more waiting on her
        transition(
            order,
            "answer_renewal",
            "renewal_answered",
            message="Thank you: your clinician reviews your answers and renews your "
            "prescription, usually within a day.",
            actor=by,
        )
    return order


def is_legacy_renewal(renewal):
    """Answers to the short renewal form of before (``RENEWAL_QUESTIONS``, plain strings),
    not to the renewal questionnaire (``clinic.renewal``: ``{key: {question, answer}}``)."""
    return not any(isinstance(answer, dict) for answer in renewal.answers.values())


def renewal_flags(renewal):
    """The graded flags of her renewal answers, each marked "At renewal": what the
    questionnaire raised, or for the short form of before each "yes" as a contraindication
    (renewing against it needs a written reason)."""
    if renewal is None:
        return []
    if is_legacy_renewal(renewal):
        return [
            make_flag(
                f"renewal_{key}",
                f"At renewal: {RENEWAL_QUESTIONS[key]} Yes.",
                Grade.CONTRAINDICATION,
            )
            for key in YES_NO
            if renewal.answers.get(key) == "yes"
        ]
    return [
        {
            **flag,
            "key": f"renewal_{flag.get('key')}",
            "message": f"At renewal: {flag.get('message')}",
        }
        for flag in renewal.flags or []
    ]


def flags_to_renew(order):
    """What the clinician considers before renewing: her questionnaire's flags and those of
    her latest renewal answers."""
    return [*questionnaire_flags(order), *renewal_flags(order.renewals.first())]


def renewal_drafts(order):
    """Drafts for the renewal: each current prescription again, with a year of refills as
    the medicine allows."""
    return [
        Draft(
            line=rx.line,
            medicine=rx.medicine,
            strength=rx.strength,
            directions=rx.directions,
            quantity=rx.quantity,
            refills=rx.medicine.default_refills,
        )
        for rx in current(order).select_related("line", "medicine")
    ]


def renew_prescriptions(order, *, by, prescriptions=None, considered=None):
    """A clinician renews: new prescriptions replace the current ones and collection
    resumes (unless she paused it herself). Only a clinician licensed in her state, once she
    has considered every flag (``considered``, as for an approval)."""
    with transaction.atomic():
        order = lock_order(order)
        refuse_unless(order.can_renew(), order, "renew")
        check_licensed(order, by, to="renew her prescription")
        sign_off(order, by=by, action="renew", considered=considered, flags=flags_to_renew(order))
        drafts = renewal_drafts(order) if prescriptions is None else prescriptions
        if not drafts:  # every treatment was stopped (``clinic.services.stopping``)
            raise OrderError(
                "Nothing is left to renew: her answers ruled every treatment out. End the "
                "treatment instead.",
                code="nothing_to_renew",
            )
        current(order).update(replaced_at=timezone.now())
        write_prescriptions(order, drafts, by=by)
        transition(
            order,
            "renew",
            "renewed",
            message="Your clinician renewed your prescription: refills continue as before.",
            actor=by,
        )
        sync_billing_later(order)
        queue_order_email(order, "renewed")
    return order


def end_treatment(order, *, by, reason):
    """A clinician does not renew: the subscription ends and she is told why (the reason is
    kept encrypted with the order's clinician note). Only a clinician licensed in her state."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError("Please give a reason: it is sent to the patient.", code="reason_required")
    with transaction.atomic():
        order = lock_order(order)
        refuse_unless(order.can_end_treatment(), order, "end_treatment")
        check_licensed(order, by, to="end her treatment")
        order.review_note = reason
        order.cancelled_at = timezone.now()
        transition(
            order,
            "end_treatment",
            "renewal_declined",
            message="Your clinician did not renew your prescription, so your subscription "
            "has ended: you will not be charged again.",
            actor=by,
        )
        cancel_subscription_later(order, order.stripe_subscription_id)
        queue_order_email(order, "renewal_declined")
    return order
