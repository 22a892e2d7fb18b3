"""Check-ins: after the first box, she is asked how she is doing, and a clinician reviews it.

When (``due_dates``), for an order that was approved, has shipped and is still running:

- a medicine with a titration schedule (the GLP-1) that has a next step: ``TITRATION_LEAD``
  (10 days) before the renewal that would carry that step (the first monthly renewal on or
  after the day the current step has lasted its minimum days). The step waits for a check-in
  reviewed since the current step started (``Prescription.may_step_up``): without one, the
  refill ships the current dose;
- otherwise: ``FIRST_ROUTINE`` (four weeks) after the first box shipped;
- then every ``EVERY_MONTHS`` (three) months after the last check-in.

``schedule_checkins`` (the worker, hourly) creates each check-in once per due date (a unique
constraint: a second run finds it made), emails her a link to her order page (the email says
nothing clinical), reminds her once after ``QUESTION_REMINDER_DAYS`` and, as long again after
the reminder, holds her boxes (``Hold.Kind.CHECKIN``: collection pauses; after
``QUESTION_DECLINE_DAYS`` more the held treatments are declined and refunded by
``reports.follow_up_silent``). Answering releases that hold.

Her answers (``clinic.checkin.CheckInForm``) are encrypted and go to the review queue; an
emergency sign, a triage "yes" or a side effect that stops her daily life also holds her boxes
as "report a problem" does (urgent, first in the queue) and is kept as an adverse event;
pregnant (or trying) with a medicine unsafe in pregnancy stops that medicine, as at renewal.
"""

import calendar
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.clinicians import check_licensed
from clinic.renewal import EMERGENCY_SIGNS
from clinic.services.adverse_events import record_adverse_events, severity_of
from clinic.services.changes import confirm_step_up
from clinic.services.prescriptions import current
from clinic.services.reports import open_clinical_hold
from clinic.services.signoff import sign_off
from clinic.services.stopping import stop_lines
from orders.emails import queue_order_email
from orders.models import AdverseEvent, CheckIn, Hold, Order, OrderLine, Shipment
from orders.services import OrderError, lock_order, record_event
from orders.services.holds import open_hold, release_hold
from payments.services.subscriptions import sync_billing_later
from treatments.dosing import Dosing

TITRATION_LEAD = timedelta(days=10)
FIRST_ROUTINE = timedelta(weeks=4)
EVERY_MONTHS = 3
# Plain text (Support sees holds): her answers are in the check-in, encrypted.
SIDE_EFFECT_REASON = "Her check-in needs a clinician: review it before anything more ships."
CHECKIN_HOLD_REASON = (
    "Her check-in is unanswered after a reminder: nothing ships until she answers."
)
PREGNANCY_STOP = (
    "You told us you are pregnant, could be, or are trying to conceive: stop taking {names} "
    "now, as it is not safe in pregnancy. Nothing more of it ships, and what you paid for it "
    "and did not receive is refunded. Talk to your obstetrician or doctor."
)


def add_months(moment, months):
    """``moment`` (a date or datetime) ``months`` calendar months later (the 31st becomes the
    month's last day)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


def step_renewal(order, rx):
    """The monthly renewal that would carry ``rx``'s next step."""
    dosing = Dosing.of(rx.medicine)
    ready = rx.step_started_at + timedelta(days=dosing.titration[rx.titration_step - 1].min_days)
    renewal = order.current_period_end or ready
    while renewal < ready:
        renewal = add_months(renewal, 1)
    return renewal


def due_dates(order, prescriptions, first_shipped, last_checkin):
    """(kind, due date, prescription) of the next check-in of ``order`` (``None``: none due).
    ``prescriptions``: her current ones (with their medicines)."""
    stepping = [rx for rx in prescriptions if rx.has_next_step()]
    for rx in stepping:
        if not rx.checkins.filter(asked_at__gte=rx.step_started_at).exists():
            due = timezone.localdate(step_renewal(order, rx) - TITRATION_LEAD)
            return CheckIn.Kind.TITRATION, due, rx
    if last_checkin is not None:
        return CheckIn.Kind.ROUTINE, add_months(last_checkin.due_on, EVERY_MONTHS), None
    if len(stepping) < len(prescriptions):  # a medicine that does not step up
        return CheckIn.Kind.ROUTINE, timezone.localdate(first_shipped + FIRST_ROUTINE), None
    return None


def running_orders():
    """Orders a check-in may be asked about: approved, collecting, a box shipped."""
    return (
        Order.objects.filter(status__in=Order.COLLECTING, reviewed_at__isnull=False)
        .filter(pk__in=Shipment.objects.filter(status=Shipment.Status.SHIPPED).values("order_id"))
        .exclude(pk__in=CheckIn.objects.unanswered().values("order_id"))  # one open at a time
    )


def schedule_checkins(now=None):
    """Create the check-ins that are due (once per due date) and email her. Returns their
    ids."""
    today = timezone.localdate(now or timezone.now())
    created = []
    for order in running_orders():
        prescriptions = list(current(order).select_related("medicine"))
        first = order.shipments.filter(status=Shipment.Status.SHIPPED).order_by("shipped_at")[0]
        due = due_dates(order, prescriptions, first.shipped_at, order.checkins.first())
        if due is None or due[1] > today:
            continue
        kind, due_on, rx = due
        try:
            with transaction.atomic():
                checkin = CheckIn.objects.create(
                    order=order, kind=kind, due_on=due_on, prescription=rx
                )
                record_event(
                    order,
                    "checkin_asked",
                    message="How are you doing? Your care team asks a few questions: answer "
                    "them on this page.",
                    actor_label="Oana",
                    data={"checkin": checkin.pk},
                )
                queue_order_email(order, "checkin")
        except IntegrityError:  # another run made it: once per due date
            continue
        created.append(checkin.pk)
    return created


def follow_up_checkins(now=None):
    """Remind her once of a check-in left unanswered, then hold her boxes. Returns (reminded,
    held): check-in ids."""
    now = now or timezone.now()
    wait = timedelta(days=settings.QUESTION_REMINDER_DAYS)
    reminded = []
    for checkin in CheckIn.objects.unanswered().filter(reminded_at=None, asked_at__lte=now - wait):
        checkin.reminded_at = now
        checkin.save(update_fields=["reminded_at"])
        queue_order_email(checkin.order, "checkin_reminder")
        reminded.append(checkin.pk)
    held = []
    for checkin in CheckIn.objects.unanswered().filter(hold=None, reminded_at__lte=now - wait):
        with transaction.atomic():
            order = lock_order(checkin.order)
            if order.is_closed():
                continue
            hold = open_hold(order, Hold.Kind.CHECKIN, CHECKIN_HOLD_REASON, actor_label="Oana")
            hold.awaits_patient_since = now
            hold.save(update_fields=["awaits_patient_since"])
            hold.lines.add(*order.lines.filter(decision=OrderLine.Decision.APPROVED))
            checkin.hold = hold
            checkin.save(update_fields=["hold"])
            record_event(
                order,
                "checkin_hold",
                message="We have not heard back about your check-in, so your next box waits "
                "and nothing is charged until you answer.",
                actor_label="Oana",
                data={"checkin": checkin.pk, "hold": hold.pk},
            )
            sync_billing_later(order)
            queue_order_email(order, "checkin_hold")
        held.append(checkin.pk)
    return reminded, held


def lines_of(order, names=None):
    """Her approved lines (those of the treatments ``names``, when given)."""
    lines = order.lines.filter(decision=OrderLine.Decision.APPROVED)
    return [line for line in lines if names is None or line.treatment_name in names]


def answer_checkin(checkin, form, *, by):
    """Her valid check-in answers: kept for the review, with what they require at once.
    Returns the lines stopped (pregnancy)."""
    with transaction.atomic():
        order = lock_order(checkin.order)
        checkin = order.checkins.select_for_update().get(pk=checkin.pk)
        if not checkin.awaits_answer() or order.is_closed():
            raise OrderError("This check-in is already answered.", code="wrong_status")
        checkin.answers, checkin.flags = form.answers(), form.flags
        checkin.answered_at = timezone.now()
        checkin.save(update_fields=["answers", "flags", "answered_at"])
        if checkin.hold_id:
            release_hold(
                checkin.hold, outcome="She answered her check-in.", actor_label="Her check-in"
            )
        stopped = _stop_if_pregnant(order, checkin, form, by)
        if form.reports_side_effect:
            concerned = lines_of(order, form.concerns or None)
            hold = open_clinical_hold(
                order, Hold.Kind.PATIENT_REPORT, SIDE_EFFECT_REASON, "Her check-in"
            )
            hold.lines.add(*concerned)
            data = form.cleaned_data
            record_adverse_events(
                order,
                concerned,
                source=AdverseEvent.Source.CHECKIN,
                kind=AdverseEvent.Kind.SIDE_EFFECT,
                description=_describe(form),
                onset=data["onset"],
                severity=severity_of(
                    emergency=form.emergency,
                    severe=data["severe"] == "yes",
                    concern=bool(form.concerns),
                ),
                checkin=checkin,
            )
            sync_billing_later(order)
        record_event(
            order,
            "checkin_answered",
            message="Thank you: your clinician reviews your check-in.",
            actor=by,
            data={"checkin": checkin.pk, "flags": len(checkin.flags)},
        )
    return stopped


def _stop_if_pregnant(order, checkin, form, by):
    if not form.may_be_pregnant:
        return []
    unsafe = [line for line in lines_of(order) if line.plan.treatment.unsafe_in_pregnancy]
    if not unsafe:
        return []
    names = ", ".join(line.treatment_name for line in unsafe)
    message = PREGNANCY_STOP.format(names=names)
    stop_lines(order, unsafe, reason=message, message=message, by=by)
    hold = open_clinical_hold(order, Hold.Kind.PREGNANCY, SIDE_EFFECT_REASON, "Her check-in")
    hold.lines.add(*unsafe)
    record_adverse_events(
        order,
        unsafe,
        source=AdverseEvent.Source.CHECKIN,
        kind=AdverseEvent.Kind.PREGNANCY,
        description="Pregnant, could be, or trying to conceive (check-in).",
        severity=severity_of(emergency=form.emergency, severe=False, concern=False),
        checkin=checkin,
    )
    sync_billing_later(order)
    queue_order_email(order, "stop_medicine", lines=[line.pk for line in unsafe])
    return unsafe


def _describe(form):
    """Her side effects as the adverse event keeps them."""
    data = form.cleaned_data
    parts = []
    if data["emergency_signs"]:
        signs = ", ".join(
            label for sign, label in EMERGENCY_SIGNS if sign in data["emergency_signs"]
        )
        parts.append(f"Emergency signs: {signs}.")
    parts += [f"{name}: {'; '.join(flags)}." for name, flags in form.concerns.items()]
    parts.append(data["side_effects"])
    return "\n".join(parts)


def checkin_flags(order):
    """The flags of the check-in waiting for review (none: no check-in waits)."""
    checkin = order.checkins.awaiting_review().first()
    return list(checkin.flags or []) if checkin else []


def review_checkin(order, *, by, considered, note="", step_up=()):
    """A clinician reviewed her check-in (each flag considered, as for a sign-off); ``step_up``:
    the titrations she confirms for the next refill (``confirm_step_up``)."""
    with transaction.atomic():
        order = lock_order(order)
        checkin = order.checkins.awaiting_review().first()
        if checkin is None:
            raise OrderError("She has no check-in waiting for review.", code="no_checkin")
        check_licensed(order, by)
        sign_off(order, by=by, action="checkin", considered=considered, flags=checkin.flags)
        checkin.reviewed_at, checkin.reviewed_by = timezone.now(), by
        checkin.review_note = (note or "").strip()
        checkin.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
        record_event(order, "checkin_reviewed", actor=by, data={"checkin": checkin.pk})
        if step_up:
            confirm_step_up(order, by=by, prescription_ids=list(step_up))
    return checkin
