"""Labs: a clinician requests them, she enters her results and uploads the report, a
clinician (or a pharmacist) confirms each value against the report, and a result that falls
due holds her next box.

- ``request_labs`` (sign-off page): which tests, why, by when. She sees it on her order page
  (with a printable requisition) and by email; the order waits on her (a labs hold: nothing
  more ships, collection paused, reminded at ``QUESTION_REMINDER_DAYS``, the treatments
  concerned declined and refunded at ``QUESTION_DECLINE_DAYS``: ``clinic.services.reports``).
- ``upload_report`` and ``enter_result`` (her order page): a value she types counts for a
  requirement only once ``confirm_result`` checked it against her report.
- ``hold_refills_for_labs`` (hourly, with ``follow_up_questions``): a running treatment whose
  required result falls due is held, and she is told why.

A labs hold is released once no lab flag holds the order (``confirm_result``), or when the
clinician signs with the lab flags considered (``clinic.services.signoff``).
"""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from clinic.labs import holding_flags, requirements_for
from clinic.uploads import clean_upload
from orders.emails import queue_order_email
from orders.models import HealthFile, Hold, LabRequest, LabResult, Order
from orders.services import OrderError, lock_order, record_event
from orders.services.holds import open_hold, release_hold
from payments.services.subscriptions import sync_billing_later
from treatments.labs import LAB_TESTS

LABS_HOLD_REASON = "Waiting for her lab results (see the lab flags on the sign-off page)."
OLDEST_RESULT_DAYS = 2 * 365
CONFIRM_PERMISSION = "orders.confirm_lab_result"
RUNNING = (Order.Status.APPROVED, Order.Status.SHIPPED)


def test_names(tests):
    return ", ".join(LAB_TESTS[test][0] for test in tests if test in LAB_TESTS)


def _wait_on_her(order, lines, *, actor_label):
    """The open labs hold of the locked ``order`` (or a new one), waiting on her now."""
    hold = order.holds.open().filter(kind=Hold.Kind.LABS).first() or open_hold(
        order, Hold.Kind.LABS, LABS_HOLD_REASON, actor_label=actor_label
    )
    hold.awaits_patient_since = hold.awaits_patient_since or timezone.now()
    hold.save(update_fields=["awaits_patient_since"])
    hold.lines.add(*lines)
    sync_billing_later(order)
    return hold


def request_labs(order, *, tests, why, due_by, by):
    """A clinician asks her for ``tests`` (keys of ``LAB_TESTS``) by ``due_by``, for ``why``.
    Returns the ``LabRequest``."""
    tests = list(dict.fromkeys(tests or ()))
    why = (why or "").strip()
    if not tests or any(test not in LAB_TESTS for test in tests):
        raise OrderError("Choose the lab tests she should have.", code="tests")
    if not why:
        raise OrderError("Say why: she reads it on her requisition.", code="reason_required")
    if due_by < timezone.localdate():
        raise OrderError("The date to have them by cannot be in the past.", code="due_by")
    with transaction.atomic():
        order = lock_order(order)
        if order.is_closed():
            raise OrderError("This order is closed: no labs can be requested.", code="closed")
        request = LabRequest.objects.create(
            order=order, tests=tests, why=why, due_by=due_by, requested_by=by
        )
        _wait_on_her(order, list(order.lines.all()), actor_label="Lab request")
        record_event(
            order,
            "labs_requested",
            message=f"Your clinician asked for lab tests by {due_by:%b %d, %Y}: print the "
            "requisition below, then enter your results and upload the report.",
            actor=by,
            data={"request": request.pk},
        )
        queue_order_email(
            order, "labs_requested", tests=test_names(tests), due_by=f"{due_by:%b %d, %Y}"
        )
    return request


def upload_report(order, uploaded, *, by, kind=HealthFile.Kind.LAB_REPORT):
    """Store her file (checked by content, images without metadata; ``clinic.uploads``),
    encrypted. Raises ``ValidationError``. Returns the ``HealthFile``."""
    data, content_type = clean_upload(uploaded)
    stored = HealthFile(order=order, kind=kind, content_type=content_type, uploaded_by=by)
    stored.file.save("upload", ContentFile(data), save=False)
    stored.save()
    record_event(order, "file_uploaded", actor=by, data={"file": stored.pk, "kind": kind})
    return stored


def parse_value(value):
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number < 0 or number > 100000:
        raise ValidationError({"value": "Enter the number as printed on the report."})
    return number


def enter_result(order, *, test, value, unit, taken_on, by, report=None):
    """She (or a clinician) enters a result; it counts once confirmed. Returns it."""
    if test not in LAB_TESTS:
        raise ValidationError({"test": "Choose the test from the list."})
    number = parse_value(value)
    today = timezone.localdate()
    if not isinstance(taken_on, date) or taken_on > today:
        raise ValidationError({"taken_on": "The date the sample was taken cannot be later."})
    if taken_on < today - timedelta(days=OLDEST_RESULT_DAYS):
        raise ValidationError({"taken_on": "Only results from the last two years count."})
    if report is not None and report.order_id != order.pk:
        raise ValidationError({"report": "Choose a report uploaded on this order."})
    with transaction.atomic():
        order = lock_order(order)
        result = LabResult.objects.create(
            order=order,
            test=test,
            value=str(number),
            unit=(unit or LAB_TESTS[test][1]).strip()[:40],
            taken_on=taken_on,
            report=report,
            entered_by=by,
        )
        # She answered: the labs hold now waits on a clinician, not on her.
        order.holds.open().filter(kind=Hold.Kind.LABS).update(awaits_patient_since=None)
        record_event(
            order,
            "lab_result_entered",
            message="Your result is in: a clinician checks it against your report.",
            actor=by,
            data={"result": result.pk},
        )
    return result


def confirm_result(result, *, by):
    """A clinician or pharmacist confirms ``result`` against its report: it now counts. A
    labs hold with no lab flag left is released. Returns the result."""
    if not by.has_perm(CONFIRM_PERMISSION):
        raise PermissionDenied("Only a clinician or a pharmacist may confirm a lab result.")
    with transaction.atomic():
        order = lock_order(result.order)
        result = LabResult.objects.select_for_update().get(pk=result.pk)
        if result.report_id is None:
            raise OrderError(
                "Confirm a result only against its report: ask her to upload it.",
                code="no_report",
            )
        if result.confirmed:
            return result
        result.confirmed_by, result.confirmed_at = by, timezone.now()
        result.save(update_fields=["confirmed_by", "confirmed_at"])
        record_event(order, "lab_result_confirmed", actor=by, data={"result": result.pk})
        if not holding_flags(order):
            for hold in order.holds.open().filter(kind=Hold.Kind.LABS):
                release_hold(hold, outcome="Her lab results are in and confirmed.", by=by)
    return result


def release_lab_holds(order, *, by, action):
    """The clinician signed ``action`` with the lab flags considered (results or a written
    override): the labs hold of the locked ``order`` no longer stops it."""
    for hold in order.holds.open().filter(kind=Hold.Kind.LABS):
        release_hold(hold, outcome=f"Signed off ({action}) with the lab flags considered.", by=by)


def hold_refills_for_labs(today=None):
    """Hold each running order whose required result has fallen due (once: an order with a
    labs hold is skipped). Returns the held order ids."""
    today = today or timezone.localdate()
    held = []
    running = Order.objects.filter(status__in=RUNNING).exclude(
        holds__in=Hold.objects.open().filter(kind=Hold.Kind.LABS)
    )
    for order in running.select_related("questionnaire"):
        flags = holding_flags(order, today)
        if not flags:
            continue
        with transaction.atomic():
            order = lock_order(order)
            medicines = {medicine.pk for medicine, _ in requirements_for(order, today)}
            lines = [
                line
                for line in order.lines.prefetch_related("plan__treatment__medicines")
                if {m.pk for m in line.plan.treatment.medicines.all()} & medicines
            ]
            _wait_on_her(order, lines, actor_label="Labs due")
            tests = test_names([flag["key"].removeprefix("lab_") for flag in flags])
            record_event(
                order,
                "labs_due",
                message=f"A lab result is due ({tests}): your next box waits for it and you "
                "are not charged meanwhile. Enter your result and upload the report below.",
                actor_label="Labs due",
            )
            queue_order_email(order, "labs_due", tests=tests)
        held.append(order.pk)
    return held


def remind_waiting(now=None):
    """Remind her, once, of a labs or identity hold that waited on her
    ``QUESTION_REMINDER_DAYS``. Returns the hold ids."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.QUESTION_REMINDER_DAYS)
    reminded = []
    holds = Hold.objects.waiting_on_her().filter(
        awaits_patient_since__lte=before, reminded_at__isnull=True
    )
    for hold in holds.select_related("order"):
        Hold.objects.filter(pk=hold.pk).update(reminded_at=now)
        waiting_for = "your lab results" if hold.kind == Hold.Kind.LABS else "your identity"
        with transaction.atomic():
            queue_order_email(hold.order, "waiting_reminder", waiting_for=waiting_for)
        reminded.append(hold.pk)
    return reminded
