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

from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clinic.clinicians import check_licensed
from clinic.flags import Grade, make_flag
from clinic.labs import lab_flags
from clinic.services.signoff import questionnaire_flags, sign_off
from orders.emails import queue_order_email
from orders.models import ClinicianProfile, Prescription, RenewalResponse, Shipment
from orders.services import OrderError, lock_order, record_event, refuse_unless, transition
from payments.services.refunds import cancel_subscription_later
from payments.services.subscriptions import sync_billing_later
from treatments.dosing import Dosing
from treatments.models import MAX_REFILLS

ATTESTATION = (
    "I have reviewed this patient's answers and attest that this prescription is appropriate "
    "for her and that I am licensed to prescribe it in her state."
)


def require_attestation(attested):
    """Nothing is signed without the attestation (``ATTESTATION``): Approve, Renew and Change
    prescription each refuse before they touch the order when she has not ticked it."""
    if not attested:
        raise OrderError(
            "Tick the attestation to sign: you have reviewed her answers.", code="not_attested"
        )


@dataclass
class Draft:
    """A prescription as the clinician confirms it: a strength, a dose per administration
    (tablets, or mL/g per use) and a frequency, or a ``step`` of the medicine's titration
    schedule (which sets all three). Everything else follows (``Dosing.dose``)."""

    line: object
    medicine: object
    strength: Decimal | None
    count: Decimal | None
    frequency: str
    refills: int
    step: int | None = None
    extra_directions: str = ""
    dosing: object = field(default=None, repr=False)

    def __post_init__(self):
        if self.dosing is None:
            self.dosing = Dosing.of(self.medicine)

    @property
    def key(self):
        return f"{self.line.pk}-{self.medicine.pk}"

    def dose(self):
        """The ``Dose`` it prescribes (``None`` without a valid step); only for a draft with
        prescribing data (``check_draft`` says so first)."""
        if self.dosing.titration:
            if self.step is None or not 1 <= self.step <= len(self.dosing.titration):
                return None
            step = self.dosing.titration[self.step - 1]
            return self.dosing.dose(step.strength, step.count, step.frequency)
        if self.strength is None or self.count is None:
            return None
        return self.dosing.dose(self.strength, self.count, self.frequency)


def starting_draft(line, medicine):
    """A new prescription's starting point: the medicine's starting dose (the first step of
    its schedule) and its default refills."""
    dosing = Dosing.of(medicine)
    strength, count, frequency = dosing.start if dosing else (None, None, "")
    return Draft(
        line=line,
        medicine=medicine,
        strength=strength,
        count=count,
        frequency=frequency,
        refills=medicine.default_refills,
        step=1 if dosing and dosing.titration else None,
        dosing=dosing,
    )


def drafts_for(order):
    """One draft per medicine of each line of ``order``, from the medicine's starting dose."""
    lines = order.lines.select_related("plan__treatment").prefetch_related(
        "plan__treatment__medicines"
    )
    return [
        starting_draft(line, medicine)
        for line in lines
        for medicine in line.plan.treatment.medicines.all()
    ]


def draft_from(rx, *, refills):
    """A draft repeating the prescription ``rx`` (a legacy one starts from the medicine's
    starting dose: its text could not be read as a dose)."""
    if rx.legacy:
        return replace(starting_draft(rx.line, rx.medicine), refills=refills)
    return Draft(
        line=rx.line,
        medicine=rx.medicine,
        strength=rx.strength_value,
        count=rx.dose_count,
        frequency=rx.frequency,
        refills=refills,
        step=rx.titration_step,
        extra_directions=rx.extra_directions,
    )


def prescriber_name(user):
    """As on a prescription: her clinician profile's name and credentials ("Dr. Ana Lee,
    MD"); a superuser without a profile by the name of her account."""
    profile = ClinicianProfile.objects.filter(user=user).first()
    if profile is None:
        return user.get_full_name() or user.get_username()
    return f"{profile.display_name}, {profile.credentials}"


def write_prescriptions(order, drafts, *, by, attested, refills_at_most=None):
    """Record ``drafts`` (of the approved lines of the locked ``order``). Returns them.

    Each is checked (``check_draft``): a dose the medicine's prescribing data allows, at
    most its maximum daily dose, at most ``MAX_REFILLS`` refills (a year). ``attested``: the
    clinician ticked the attestation (``ATTESTATION``, ``require_attestation``), stored with
    the time.
    """
    require_attestation(attested)
    now = timezone.now()
    profile = ClinicianProfile.objects.filter(user=by).first()
    written = []
    for draft in drafts:
        if draft.line.order_id != order.pk:
            raise OrderError("That treatment is not part of this order.", code="bad_line")
        dose = check_draft(draft, refills_at_most=refills_at_most)
        dosing = draft.dosing
        written.append(
            Prescription(
                order=order,
                line=draft.line,
                medicine=draft.medicine,
                medicine_name=draft.medicine.name,
                strength=dosing.strength_label(dose.strength),
                directions=dose.directions,
                quantity=dose.quantity,
                quantity_unit=dosing.quantity_unit,
                refills=draft.refills,
                strength_value=dose.strength,
                dose_count=dose.count,
                frequency=dose.frequency,
                daily_dose=dose.daily,
                daily_unit=dose.daily_unit,
                extra_directions=(draft.extra_directions or "").strip(),
                titration_step=draft.step if dosing.titration else None,
                step_started_at=now if dosing.titration else None,
                prescriber=by,
                prescriber_name=prescriber_name(by),
                prescriber_credentials=profile.credentials if profile else "",
                prescriber_npi=profile.npi if profile else "",
                indication=dosing.indication,
                patient_name=order.ship_name,
                patient_date_of_birth=order.date_of_birth,
                patient_address="\n".join(order.address_lines),
                attestation=ATTESTATION,
                attested_at=now,
                written_at=now,
            )
        )
    return Prescription.objects.bulk_create(written)


def check_draft(draft, *, refills_at_most=None):
    """The ``Dose`` of ``draft`` if it may be signed; else ``OrderError`` saying why (the
    maximum daily dose named). The one check behind the forms and every service."""
    name = draft.medicine.name
    if draft.dosing is None:
        raise OrderError(
            f"{name} has no prescribing data (strengths, doses, maximum daily dose): a "
            "clinician adds it to the medicine before it can be prescribed.",
            code="no_dosing",
        )
    dose = draft.dose()
    if dose is None:
        steps = len(draft.dosing.titration)
        raise OrderError(
            f"{name}: choose a step of its schedule (1 to {steps})."
            if steps
            else f"{name}: choose a strength, a dose and how often.",
            code="prescription_incomplete",
        )
    if dose.problems:
        raise OrderError(f"{name}: {' '.join(dose.problems)}", code="dose_refused")
    limit = MAX_REFILLS if refills_at_most is None else min(MAX_REFILLS, refills_at_most)
    if not 0 <= draft.refills <= limit:
        raise OrderError(
            f"{name}: at most {MAX_REFILLS} refills (a prescription lasts a year)."
            if limit == MAX_REFILLS
            else f"{name}: at most {limit} refills (what is left of the prescription it "
            "changes; more needs a renewal).",
            code="too_many_refills",
        )
    return dose


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
        for rx in current(order).exclude(step_up_confirmed_at=None):
            if steps_up_now(rx):
                _step_up(order, rx)
    if any(_ends_soon(rx) for rx in current(order)):
        start_renewal(order)


def steps_up_now(rx):
    return rx.next_step_dose() is not None


def _step_up(order, rx):
    """The refill that steps her up shipped: the prescription moves to its next step (the
    clinician's confirmation is used up; the next step needs its own)."""
    dose = rx.next_step_dose()
    dosing = Dosing.of(rx.medicine)
    rx.titration_step += 1
    rx.strength = dosing.strength_label(dose.strength)
    rx.strength_value, rx.dose_count, rx.frequency = dose.strength, dose.count, dose.frequency
    rx.daily_dose, rx.directions, rx.quantity = dose.daily, dose.directions, dose.quantity
    rx.step_started_at = timezone.now()
    confirmed_by = rx.step_up_confirmed_by_id
    rx.step_up_confirmed_at = rx.step_up_confirmed_by = None
    rx.save()
    record_event(
        order,
        "prescription_stepped_up",
        message=f"Your dose of {rx.medicine_name} goes up with this box: {rx.directions}",
        actor_label="Oana",
        data={"prescription": rx.pk, "step": rx.titration_step, "confirmed_by": confirmed_by},
    )


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
    """What the clinician considers before renewing or changing: her questionnaire's flags,
    those of her latest renewal answers and the lab requirements' (``clinic.labs``)."""
    return [
        *questionnaire_flags(order),
        *renewal_flags(order.renewals.first()),
        *lab_flags(order),
    ]


def renewal_drafts(order):
    """Drafts for the renewal: each current prescription again, with a year of refills as
    the medicine allows."""
    return [
        draft_from(rx, refills=rx.medicine.default_refills)
        for rx in current(order).select_related("line", "medicine")
    ]


def renew_prescriptions(order, *, by, prescriptions=None, considered=None, attested=False):
    """A clinician renews: new prescriptions replace the current ones and collection
    resumes (unless she paused it herself). Only a clinician licensed in her state, once she
    has considered every flag (``considered``, as for an approval) and ticked the attestation
    (``attested``, ``require_attestation``)."""
    require_attestation(attested)
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
        write_prescriptions(order, drafts, by=by, attested=attested)
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
