"""Lab requirements hold a start, a renewal or a refill until her confirmed results are in
(or the clinician overrides with a reason); a wait on her labs pauses collection, is
reminded at 7 days and ends at 14 with the line declined and refunded."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clinic.labs import lab_flags, risk_factors
from clinic.services.changes import confirm_step_up
from clinic.services.labs import (
    confirm_result,
    enter_result,
    hold_refills_for_labs,
    remind_waiting,
    request_labs,
    upload_report,
)
from clinic.services.reports import follow_up_silent
from clinic.services.review import approve_order
from clinic.services.signoff import flag_id
from orders.emails import send_order_email
from orders.models import (
    FlagReview,
    Hold,
    LabRequest,
    LabResult,
    Order,
    OrderLine,
    Prescription,
    QuestionnaireResponse,
)
from orders.services import OrderError
from payments.services.subscriptions import clinic_pause
from tests.support.checkins import reviewed_checkin
from tests.support.clinic import considered
from tests.support.factories import make_order, make_plan, pay
from tests.support.files import PDF, upload
from tests.support.staff import staff

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def order_of(name, medicines="None", **answers):
    order = make_order(make_plan(name))
    QuestionnaireResponse.objects.filter(order=order).update(
        answers={
            "current_medicines": {"question": "Medicines", "answer": medicines},
            **{k: {"question": k, "answer": v} for k, v in answers.items()},
        }
    )
    return pay(order, ready=False, identity=True)


def confirmed(order, test, value, *, days_ago=10, by=None):
    report = upload_report(order, upload(PDF), by=None)
    result = enter_result(
        order,
        test=test,
        value=value,
        unit="",
        taken_on=TODAY() - timedelta(days=days_ago),
        report=report,
        by=None,
    )
    return confirm_result(result, by=by or staff("clinician", f"confirmer-{test}-{value}"))


def send_emails(callbacks):
    """Run the emails queued after the commit (Stripe's billing sync is tested elsewhere);
    returns their subjects."""
    for callback in callbacks:
        if getattr(callback, "func", None) == send_order_email.enqueue:
            callback()
    return [message.subject for message in mail.outbox]


def lab_messages(order):
    return [flag["message"] for flag in lab_flags(order)]


def test_a_metformin_start_is_held_for_a_missing_egfr_until_overridden_with_a_reason():
    order = order_of("Oral Metformin ER")
    [flag] = lab_flags(order)
    assert flag["grade"] == "contraindication" and "No confirmed eGFR" in flag["message"]
    assert "Glucophage XR label" in flag["message"]
    clinician = staff("clinician")
    with pytest.raises(OrderError, match="Write why you sign despite"):
        approve_order(order, by=clinician, considered={flag_id(flag): ""}, attested=True)
    with pytest.raises(OrderError, match="Tick each flag"):
        approve_order(order, by=clinician, considered={}, attested=True)
    assert Order.objects.get(pk=order.pk).status == Order.Status.AWAITING_REVIEW

    approve_order(
        order,
        by=clinician,
        considered={flag_id(flag): "eGFR 92 last month at her GP, report seen by phone."},
        attested=True,
    )
    review = FlagReview.objects.get(order=order, flag_key="lab_egfr")
    assert review.reason == "eGFR 92 last month at her GP, report seen by phone."


def test_a_typed_value_counts_only_once_confirmed_against_its_report():
    order = order_of("Oral Metformin ER")
    result = enter_result(
        order, test="egfr", value="88", unit="", taken_on=TODAY(), by=None, report=None
    )
    assert len(lab_flags(order)) == 1  # not confirmed: it does not count
    with pytest.raises(OrderError, match="against its report"):
        confirm_result(result, by=staff("clinician"))
    assert confirmed(order, "egfr", "88").confirmed
    assert lab_flags(order) == []
    approve_order(order, by=staff("clinician", "second"), considered={}, attested=True)


def test_only_a_clinician_or_pharmacist_confirms():
    order = order_of("Oral Metformin ER")
    report = upload_report(order, upload(PDF), by=None)
    result = enter_result(order, test="egfr", value="88", unit="", taken_on=TODAY(), by=None)
    result.report = report
    result.save()
    with pytest.raises(PermissionDenied):
        confirm_result(result, by=staff("support"))


def test_old_and_out_of_range_results_are_flagged_with_the_value_and_range():
    order = order_of("Oral Metformin ER")
    confirmed(order, "egfr", "90", days_ago=400)
    assert "too old" in lab_messages(order)[0]
    confirmed(order, "egfr", "38")
    [message] = lab_messages(order)
    assert "eGFR 38" in message and "at least 45 mL/min/1.73m\u00b2" in message


def test_spironolactone_needs_labs_only_with_a_risk_factor():
    assert lab_flags(order_of("Spironolactone")) == []
    order = order_of("Spironolactone", medicines="Lisinopril, 10 mg daily")
    assert risk_factors(order) == ["takes an ACE inhibitor"]
    assert {f["key"] for f in lab_flags(order)} == {"lab_potassium", "lab_creatinine"}


@pytest.mark.parametrize(
    ("answers", "why"),
    [
        ({"contraception": "A pill with drospirenone (e.g. Yasmin, Yaz, Slynd)"}, "drospirenone"),
        ({"antiandrogen_potassium_medicines": "Yes"}, "raise potassium"),
        ({"kidney": "30 to 44"}, "kidney function"),
    ],
)
def test_each_risk_factor_counts(answers, why):
    order = order_of("Spironolactone", **answers)
    assert why in risk_factors(order)[0]


def test_over_45_is_a_risk_factor():
    order = order_of("Spironolactone")
    Order.objects.filter(pk=order.pk).update(date_of_birth=TODAY() - timedelta(days=365 * 50))
    assert risk_factors(Order.objects.get(pk=order.pk)) == ["over 45"]


def test_out_of_range_potassium_is_flagged():
    order = order_of("Spironolactone", medicines="Losartan, 50 mg")
    confirmed(order, "creatinine", "0.8")
    confirmed(order, "potassium", "5.6")
    [flag] = lab_flags(order)
    assert flag["key"] == "lab_potassium" and flag["grade"] == "contraindication"
    assert "Potassium 5.6" in flag["message"] and "at most 5.0 mmol/L" in flag["message"]


def test_a_recheck_falling_due_holds_the_next_refill_pauses_collection_and_tells_her(
    django_capture_on_commit_callbacks,
):
    order = order_of("Spironolactone", medicines="Lisinopril")
    confirmed(order, "creatinine", "0.8")
    confirmed(order, "potassium", "4.1")
    approve_order(order, by=staff("clinician"), considered={}, attested=True)
    order.refresh_from_db()
    assert hold_refills_for_labs() == []  # day 0: nothing due
    day_28 = TODAY() + timedelta(days=28)
    with django_capture_on_commit_callbacks() as callbacks:
        assert hold_refills_for_labs(day_28) == [order.pk]
    assert any("Lab results are due" in subject for subject in send_emails(callbacks))
    assert hold_refills_for_labs(day_28) == []  # once
    hold = order.holds.open().get(kind=Hold.Kind.LABS)
    assert hold.awaits_patient_since is not None and list(hold.lines.all())
    assert not Order.objects.get(pk=order.pk).can_ship() and clinic_pause(order)
    event = order.events.get(kind="labs_due")
    assert "Potassium" in event.message and "not charged" in event.message

    recheck = confirmed(order, "potassium", "4.4", days_ago=0)
    hold.refresh_from_db()
    assert not hold.is_open and not clinic_pause(order)  # nothing holds her today
    LabResult.objects.filter(pk=recheck.pk).update(taken_on=day_28 - timedelta(days=2))
    assert lab_flags(order, day_28) == []  # taken in the week before its day: it counts


def test_a_lab_request_waits_on_her_is_reminded_at_7_days_and_ends_at_14(
    django_capture_on_commit_callbacks,
):
    order = order_of("Oral Metformin ER")
    with django_capture_on_commit_callbacks() as callbacks:
        request = request_labs(
            order, tests=["egfr"], why="Before metformin.", due_by=TODAY(), by=staff("clinician")
        )
    [subject] = send_emails(callbacks)
    assert "asked for lab tests" in subject
    assert "eGFR, by" in mail.outbox[0].body and "Before metformin" not in mail.outbox[0].body
    assert LabRequest.objects.get(pk=request.pk).why == "Before metformin."
    hold = order.holds.open().get(kind=Hold.Kind.LABS)
    assert clinic_pause(order)
    now = timezone.now()
    assert remind_waiting(now + timedelta(days=6)) == []
    with django_capture_on_commit_callbacks() as callbacks:
        assert remind_waiting(now + timedelta(days=7, minutes=1)) == [hold.pk]
    assert "Reminder: we are waiting for you" in send_emails(callbacks)[-1]
    assert remind_waiting(now + timedelta(days=8)) == []  # once
    assert follow_up_silent(now + timedelta(days=15)) == ([], [hold.pk])
    order.refresh_from_db()
    assert order.status == Order.Status.DECLINED and order.refunds.exists()


def test_her_answer_stops_the_wait_on_her():
    order = order_of("Oral Metformin ER")
    request_labs(order, tests=["egfr"], why="Before.", due_by=TODAY(), by=staff("clinician"))
    enter_result(order, test="egfr", value="90", unit="", taken_on=TODAY(), by=None)
    assert order.holds.open().get(kind=Hold.Kind.LABS).awaits_patient_since is None


def test_a_running_line_ends_at_14_days_without_her_results():
    order = order_of("Oral Metformin ER")
    approve_order(order, by=staff("clinician"), considered=considered(order), attested=True)
    # Her clinician signed past the missing eGFR: not held again until the yearly one is due.
    assert hold_refills_for_labs(TODAY() + timedelta(days=1)) == []
    assert hold_refills_for_labs(TODAY() + timedelta(days=366)) == [order.pk]
    [hold] = order.holds.open().filter(kind=Hold.Kind.LABS)
    assert follow_up_silent(timezone.now() + timedelta(days=15)) == ([], [hold.pk])
    line = order.lines.get()
    assert line.decision == OrderLine.Decision.DECLINED and order.refunds.exists()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"test": "glucose"}, "test"),
        ({"value": "high"}, "value"),
        ({"value": "NaN"}, "value"),
        ({"taken_on": TODAY() + timedelta(days=1)}, "taken_on"),
        ({"taken_on": TODAY() - timedelta(days=800)}, "taken_on"),
    ],
)
def test_bad_results_are_refused(fields, error):
    order = order_of("Oral Metformin ER")
    data = {"test": "egfr", "value": "80", "unit": "", "taken_on": TODAY(), **fields}
    with pytest.raises(ValidationError) as raised:
        enter_result(order, by=None, **data)
    assert error in raised.value.error_dict


def test_a_report_of_another_order_is_refused():
    order, other = order_of("Oral Metformin ER"), order_of("Oral Metformin ER")
    report = upload_report(other, upload(PDF), by=None)
    with pytest.raises(ValidationError):
        enter_result(
            order, test="egfr", value="80", unit="", taken_on=TODAY(), by=None, report=report
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tests": []}, "Choose the lab tests"),
        ({"tests": ["egfr", "sodium"]}, "Choose the lab tests"),
        ({"why": " "}, "Say why"),
        ({"due_by": TODAY() - timedelta(days=1)}, "in the past"),
    ],
)
def test_bad_lab_requests_are_refused(fields, message):
    order = order_of("Oral Metformin ER")
    data = {"tests": ["egfr"], "why": "Before.", "due_by": TODAY(), **fields}
    with pytest.raises(OrderError, match=message):
        request_labs(order, by=staff("clinician"), **data)


def test_no_labs_are_requested_on_a_closed_order():
    order = order_of("Oral Metformin ER")
    Order.objects.filter(pk=order.pk).update(status=Order.Status.DECLINED)
    with pytest.raises(OrderError, match="closed"):
        request_labs(order, tests=["egfr"], why="x", due_by=TODAY(), by=staff("clinician"))


def test_b12_is_a_reminder_on_long_metformin_use_not_a_hold():
    order = order_of("Oral Metformin ER")
    confirmed(order, "egfr", "90")
    approve_order(order, by=staff("clinician"), considered={}, attested=True)
    order.refresh_from_db()
    two_years = TODAY() + timedelta(days=730)
    flags = lab_flags(order, two_years)
    assert [(f["key"], f["grade"]) for f in flags] == [
        ("lab_egfr", "contraindication"),  # the yearly eGFR
        ("lab_b12", "caution"),
    ]
    b12 = confirmed(order, "b12", "400", days_ago=0)  # a B12 since the start: no reminder
    LabResult.objects.filter(pk=b12.pk).update(taken_on=TODAY() + timedelta(days=700))
    assert [f["key"] for f in lab_flags(order, two_years)] == ["lab_egfr"]


def test_a_titration_step_up_is_held_while_a_lab_result_is_missing():
    order = order_of("Oral Metformin ER")
    confirmed(order, "egfr", "90", days_ago=300)
    clinician = staff("clinician")
    approve_order(order, by=clinician, considered={}, attested=True)
    rx = Prescription.objects.get(order=order, replaced_at=None)
    LabResult.objects.filter(order=order).update(taken_on=TODAY() - timedelta(days=400))
    reviewed_checkin(order, clinician)  # a step waits for it first (test_checkins.py)
    order.refresh_from_db()
    with pytest.raises(OrderError, match="Held for her labs: eGFR result is too old"):
        confirm_step_up(order, by=clinician, prescription_ids=[rx.pk])
    confirmed(order, "egfr", "85", days_ago=1)
    confirm_step_up(order, by=clinician, prescription_ids=[rx.pk])


def test_confirming_twice_changes_nothing():
    order = order_of("Oral Metformin ER")
    result = confirmed(order, "egfr", "90")
    at = result.confirmed_at
    assert confirm_result(result, by=staff("clinician", "other")).confirmed_at == at


def test_signing_with_the_lab_flags_considered_releases_the_labs_hold():
    order = order_of("Oral Metformin ER")
    clinician = staff("clinician")
    request_labs(order, tests=["egfr"], why="Before.", due_by=TODAY(), by=clinician)
    hold = order.holds.open().get(kind=Hold.Kind.LABS)
    approve_order(order, by=clinician, considered=considered(order), attested=True)
    hold.refresh_from_db()
    assert not hold.is_open and "lab flags considered" in hold.outcome
    assert Order.objects.get(pk=order.pk).can_ship()


def test_her_results_on_another_order_of_her_account_count():
    earlier = order_of("Oral Metformin ER")
    confirmed(earlier, "egfr", "90")
    order = make_order(make_plan("Oral Metformin ER"), email="new-address@example.com")
    assert len(lab_flags(order)) == 1  # another email, no account: not hers as far as we know
    Order.objects.filter(pk__in=[earlier.pk, order.pk]).update(patient=staff("support", "her"))
    assert lab_flags(Order.objects.get(pk=order.pk)) == []


def test_every_lab_record_names_itself_without_health_data():
    order = order_of("Oral Metformin ER")
    result = confirmed(order, "egfr", "90")
    request = request_labs(order, tests=["egfr"], why="x", due_by=TODAY(), by=staff("clinician"))
    assert (
        str(result) == f"Lab result #{result.pk}" and str(request) == f"Lab request #{request.pk}"
    )
    assert str(result.report) == f"Lab report #{result.report.pk}"


def test_an_accepted_out_of_range_value_is_not_flagged_again_until_a_new_one():
    order = order_of("Spironolactone", medicines="Lisinopril")
    confirmed(order, "creatinine", "0.8")
    confirmed(order, "potassium", "5.2")
    approve_order(order, by=staff("clinician"), considered=considered(order), attested=True)
    order.refresh_from_db()
    assert lab_flags(order) == []  # she signed past 5.2 with her reason
    confirmed(order, "potassium", "5.4", days_ago=0)  # a newer value: flagged again
    assert [f["key"] for f in lab_flags(order)] == ["lab_potassium"]
