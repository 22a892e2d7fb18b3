"""What she tells us between reviews, and how every wait on her ends.

- ``answer_renewal``: her renewal answers (``clinic.renewal.RenewalForm``) go to the review
  with their flags and stops; a treatment a stop rules out (pregnant with spironolactone) is
  stopped at once (``stopping.stop_lines``), she is emailed to stop it, and the order is held
  for a clinician, urgent.
- ``report_problem``: "I'm pregnant or planning to be" or "I have a side effect", from her
  order page, any time. An urgent clinical hold (``Hold.URGENT``) stops every box and pauses
  collection at once (``sync_billing_later``: Stripe is told after the commit); the order tops
  the review queue marked urgent; her report goes to her clinicians as a medical message and
  is kept as an adverse event per treatment (``clinic.services.adverse_events``).
- ``follow_up_silent`` (daily, with "ask the patient"'s ``follow_up_questions``): a renewal
  unanswered for ``QUESTION_DECLINE_DAYS``, or a report her clinician wrote to her about with no
  answer for as long, ends: the treatments concerned are declined and their unshipped months
  refunded.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinic.renewal import EMERGENCY_SIGNS
from clinic.services.adverse_events import record_adverse_events, severity_of
from clinic.services.prescriptions import submit_renewal
from clinic.services.review import check_licensed
from clinic.services.stopping import stop_lines
from orders.emails import queue_order_email
from orders.models import AdverseEvent, Hold, Order, OrderLine, Thread
from orders.services import OrderError, lock_order, record_event, transition
from orders.services.holds import open_hold, release_hold
from patients.services.messages import post_patient_message, start_thread
from payments.services.subscriptions import sync_billing_later

PREGNANT, SIDE_EFFECT = "pregnancy", "side_effect"
REPORT_KINDS = [
    (PREGNANT, "I'm pregnant or planning to be"),
    (SIDE_EFFECT, "I have a side effect"),
]
PREGNANCY_KEYS = ("pregnant", "breastfeeding", "trying_to_conceive")
HOLD_FOR = {PREGNANT: Hold.Kind.PREGNANCY, SIDE_EFFECT: Hold.Kind.PATIENT_REPORT}
# Plain text (Support sees holds): the report itself is in her medical messages, encrypted.
HOLD_REASON = "She reported a problem: read her medical messages before anything more ships."
STOPPED_AT_RENEWAL = "Her renewal answers rule this treatment out (see her renewal answers)."
NO_ANSWER = (
    "We did not hear back from you for {days} days, so we stopped this treatment. What you "
    "paid for boxes that had not shipped is refunded. You are welcome to order again."
)


def answer_renewal(order, form, *, by):
    """Her valid renewal answers: stored with their flags and stops, sent for review. Returns
    the stopped lines (she is told on the page and by email to stop them)."""
    with transaction.atomic():
        order = lock_order(order)
        if not order.can_answer_renewal():  # before reading the answers: none may be valid
            raise OrderError(
                "This order has no renewal waiting for your answers.", code="wrong_status"
            )
        order = submit_renewal(order, form.answers(), by=by, flags=form.flags, stops=form.stops)
        ruled_out = {pk for stop in form.stops for pk in stop["treatment_ids"]}
        lines = [
            line
            for line in order.lines.select_related("plan")
            if line.plan.treatment_id in ruled_out and not line.is_declined
        ]
        if lines:
            stop_lines(
                order,
                lines,
                reason=" ".join(stop["why"] for stop in form.stops),
                message="Your answers mean a treatment cannot be renewed: stop taking it. "
                "Nothing more of it ships, and what you paid for it and did not receive is "
                "refunded.",
                by=by,
            )
            queue_order_email(order, "stop_medicine", lines=[line.pk for line in lines])
        if lines or form.emergency:
            pregnant = any(form.cleaned_data.get(k) == "yes" for k in PREGNANCY_KEYS)
            kind = Hold.Kind.PREGNANCY if lines and pregnant else Hold.Kind.PATIENT_REPORT
            hold = open_clinical_hold(order, kind, STOPPED_AT_RENEWAL, "Renewal answers")
            hold.lines.add(*lines)
    return lines


def open_clinical_hold(order, kind, reason, actor_label):
    """The open hold of ``kind`` on the locked ``order``, or a new one (a second report adds
    to the first until a clinician releases it)."""
    hold = order.holds.open().filter(kind=kind).first()
    if hold is None:
        hold = open_hold(order, kind, reason, actor_label=actor_label)
    return hold


def report_problem(order, *, kind, lines, body, by, signs=(), severe=False, onset=""):
    """She reports ``kind`` about ``lines`` (approved lines of ``order``; none: all of them).
    Nothing more ships and nothing is collected until a clinician has looked. Each treatment
    concerned gets an ``AdverseEvent`` (its severity from the emergency ``signs`` and whether
    it stops her daily life, ``severe``). Returns the hold."""
    if kind not in HOLD_FOR:
        raise OrderError("Please choose what you want to tell us.", code="kind")
    with transaction.atomic():
        order = lock_order(order)
        approved = list(order.lines.filter(decision=OrderLine.Decision.APPROVED))
        if not (order.was_approved and approved) or order.is_closed():
            raise OrderError(
                "This order has no treatment running: write to your care team instead.",
                code="wrong_status",
            )
        chosen = [line for line in approved if line in lines] or approved
        hold = open_clinical_hold(order, HOLD_FOR[kind], HOLD_REASON, "Her report")
        hold.lines.add(*chosen)
        record_adverse_events(
            order,
            chosen,
            source=AdverseEvent.Source.REPORT,
            kind=AdverseEvent.Kind.PREGNANCY if kind == PREGNANT else AdverseEvent.Kind.SIDE_EFFECT,
            description=body,
            onset=onset,
            severity=severity_of(emergency=bool(signs), severe=severe, concern=False),
        )
        thread = order.threads.filter(topic=Thread.Topic.MEDICAL).first()
        if thread is None:
            start_thread(order, topic=Thread.Topic.MEDICAL, body=body, by=by)
        else:  # one conversation with her clinicians about this order
            post_patient_message(thread, body=body, by=by)
        record_event(
            order,
            "reported",
            message="You told us about a problem. Nothing more ships and nothing is charged "
            "until your clinician has looked at it.",
            actor=by,
            data={"hold": hold.pk, "lines": [line.pk for line in chosen]},
        )
        sync_billing_later(order)
    return hold


def stop_treatment(order, *, lines, reason, by):
    """A clinician, after her report, stops ``lines`` (licensed in her state, as for any
    prescribing decision): she is emailed to stop taking them, their unshipped boxes are
    refunded, and her report is closed (collection resumes for what is left)."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError("Please give a reason: it is sent to the patient.", code="reason_required")
    with transaction.atomic():
        order = lock_order(order)
        if not order.holds.urgent().exists():
            raise OrderError(
                "She has no report open on this order: nothing was stopped.", code="no_report"
            )
        check_licensed(order, by)
        stop_lines(
            order,
            lines,
            reason=reason,
            message="Your clinician stopped a treatment after your report: stop taking it. "
            "Anything you paid for it that has not shipped is refunded.",
            by=by,
        )
        for hold in order.holds.urgent():
            release_hold(hold, outcome=f"Stopped: {reason}", by=by)
        queue_order_email(order, "stop_medicine", lines=[line.pk for line in lines])
    return order


def report_body(kind, lines, answers, details, signs):
    """Her report as her clinicians read it in the medical thread."""
    shown = dict(REPORT_KINDS)[kind]
    names = ", ".join(line.treatment_name for line in lines) or "all my treatments"
    parts = [f"Report: {shown} (about {names})."]
    if signs:
        parts.append(
            "Emergency signs: " + ", ".join(x for s, x in EMERGENCY_SIGNS if s in signs) + "."
        )
    parts += [f"{question} {answer}" for question, answer in answers]
    if details:
        parts.append(details)
    return "\n".join(parts)


def follow_up_silent(now=None):
    """End the waits on her that lasted ``QUESTION_DECLINE_DAYS``. Returns (renewals ended,
    holds ended): the order ids and hold ids."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.QUESTION_DECLINE_DAYS)
    message = NO_ANSWER.format(days=settings.QUESTION_DECLINE_DAYS)
    ended = []
    for order in Order.objects.filter(status=Order.Status.RENEWAL_DUE, asked_at__lte=before):
        with transaction.atomic():
            order = lock_order(order)
            stop_lines(
                order,
                list(order.lines.all()),
                reason=message,
                message=message,
                actor_label="No answer",
            )
            order.cancelled_at = now
            transition(order, "cancel", "renewal_unanswered", actor_label="No answer")
            queue_order_email(order, "renewal_unanswered")
        ended.append(order.pk)
    holds = []
    for hold in Hold.objects.pausing().filter(awaits_patient_since__lte=before):
        with transaction.atomic():
            order = lock_order(hold.order)
            lines = list(hold.lines.all()) or list(order.lines.all())
            stop_lines(order, lines, reason=message, message=message, actor_label="No answer")
            release_hold(hold, outcome=message, actor_label="No answer")
            sync_billing_later(order)
            queue_order_email(order, "stop_medicine", lines=[line.pk for line in lines])
        holds.append(hold.pk)
    return ended, holds
