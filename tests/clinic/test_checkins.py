"""Check-ins: asked on the right dates, once; answered on her order page (911 first, a side
effect holds her boxes, pregnancy stops an unsafe medicine); reviewed by a clinician on the
sign-off page; a titration step waits for that review; left unanswered, reminded once, then
her boxes wait."""

from dataclasses import replace
from datetime import datetime, time, timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from clinic.checkin import CheckInForm, open_checkin
from clinic.renewal import EMERGENCY
from clinic.services.checkins import (
    add_months,
    answer_checkin,
    follow_up_checkins,
    review_checkin,
    schedule_checkins,
    step_renewal,
)
from clinic.services.prescriptions import drafts_for
from clinic.services.reports import follow_up_silent
from clinic.services.review import approve_order
from clinic.services.signoff import flag_id
from orders.models import AdverseEvent, CheckIn, Hold, Order, OrderLine, Prescription, Shipment
from orders.services import OrderError
from orders.services.fulfilment import mark_shipped
from orders.tasks import checkins as checkins_task
from payments.services.subscriptions import clinic_pause
from tests.support.checkins import ask_checkin, checkin_post, reviewed_checkin
from tests.support.factories import make_paid_order, make_plan
from tests.support.patients import sign_in_patient
from tests.support.staff import staff

pytestmark = pytest.mark.django_db
GLP1_PACK = "Oral GLP-1 & Metformin pack"


@pytest.fixture
def clinician():
    return staff("clinician", "dr_lee")


def ship(order):
    shipment = order.shipments.filter(status="pending").first() or Shipment.objects.create(
        order=order, kind=Shipment.Kind.REFILL, **order.address_dict()
    )
    picked = Shipment.objects.for_packing().get(pk=shipment.pk).pick_list
    mark_shipped(
        shipment, by=staff("fulfillment", f"p-{shipment.pk}"), carrier="USPS", tracking_number="94"
    )
    return picked


def running(name, clinician, *, shipped_days_ago=0, email="jane@example.com", **plan):
    """An approved order of ``name`` whose first box shipped ``shipped_days_ago``."""
    order = make_paid_order(make_plan(name, 9900, **plan), email=email)
    drafts = [replace(draft, refills=11) for draft in drafts_for(order)]
    approve_order(order, by=clinician, prescriptions=drafts, attested=True)
    ship(order)
    shipped = timezone.now() - timedelta(days=shipped_days_ago)
    order.shipments.update(shipped_at=shipped)
    return Order.objects.get(pk=order.pk)


def semaglutide():
    return Prescription.objects.get(medicine__slug="semaglutide-oral", replaced_at=None)


def said(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- when -------------------------------------------------------------------------------------


def test_a_glp1_check_in_is_asked_ten_days_before_the_renewal_that_carries_its_next_step(
    clinician,
):
    order = running(GLP1_PACK, clinician)
    started = timezone.now() - timedelta(days=5)
    Prescription.objects.update(step_started_at=started)
    # Metformin ER on its last step: only the GLP-1 steps up.
    Prescription.objects.filter(medicine__slug="metformin-er").update(titration_step=4)
    # Her month renews in 20 days: 3 mg's 30 days are not up then, so the renewal after
    # carries 7 mg; the check-in is due ten days before it.
    renews = timezone.now() + timedelta(days=20)
    Order.objects.filter(pk=order.pk).update(current_period_end=renews)
    due = timezone.localdate(add_months(renews, 1) - timedelta(days=10))

    assert schedule_checkins(now=timezone.now()) == []
    due_day = timezone.make_aware(datetime.combine(due, time(12)))
    assert schedule_checkins(now=due_day - timedelta(days=1)) == []
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        [made] = schedule_checkins(now=due_day)
    checkin = CheckIn.objects.get(pk=made)
    assert (checkin.kind, checkin.due_on, checkin.prescription) == ("titration", due, semaglutide())
    assert str(checkin) == f"Check-in of {due:%b %d, %Y} for order {order.pk}"
    # Twice the same day (or a second worker): still one.
    assert schedule_checkins(now=due_day) == []
    assert CheckIn.objects.count() == 1
    [email] = mail.outbox
    assert "check-in" in email.subject
    assert order.get_absolute_url() in email.body
    for clinical in ("Semaglutide", "7 mg", "dose", "side effect"):
        assert clinical not in email.body  # the email says nothing clinical


def test_a_check_in_already_made_for_that_day_is_not_made_twice(clinician):
    """Two due the same day (a routine one answered, the titration one): once per due date."""
    order = running(GLP1_PACK, clinician)
    Prescription.objects.filter(medicine__slug="metformin-er").update(titration_step=4)
    Order.objects.filter(pk=order.pk).update(current_period_end=timezone.now())
    order = Order.objects.get(pk=order.pk)
    due = timezone.localdate(step_renewal(order, semaglutide()) - timedelta(days=10))
    CheckIn.objects.create(order=order, kind="routine", due_on=due, answered_at=timezone.now())
    later = timezone.now() + timedelta(days=40)
    assert schedule_checkins(now=later) == []


def test_other_medicines_four_weeks_after_the_first_box_then_every_three_months(clinician):
    order = running("Spironolactone", clinician, shipped_days_ago=27)
    assert schedule_checkins() == []
    [first] = schedule_checkins(now=timezone.now() + timedelta(days=1))
    first = CheckIn.objects.get(pk=first)
    assert first.kind == "routine"
    assert first.due_on == timezone.localdate(order.shipments.get().shipped_at + timedelta(weeks=4))
    # While it waits for her, no other is asked.
    assert schedule_checkins(now=timezone.now() + timedelta(days=200)) == []
    CheckIn.objects.filter(pk=first.pk).update(answered_at=timezone.now())
    three_months = add_months(first.due_on, 3)
    eve = timezone.now() + (three_months - timezone.localdate() - timedelta(days=1))
    assert schedule_checkins(now=eve) == []
    [second] = schedule_checkins(now=eve + timedelta(days=1))
    assert CheckIn.objects.get(pk=second).due_on == three_months


def test_no_check_in_for_an_order_not_running(clinician):
    order = running("Spironolactone", clinician, shipped_days_ago=60)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    assert schedule_checkins() == []


def test_a_glp1_alone_waits_for_its_step_then_every_three_months(clinician):
    done = running("Semaglutide", clinician, shipped_days_ago=60, medicines=["semaglutide-oral"])
    Prescription.objects.update(titration_step=3)  # on its last step: the four-week rule
    stepping = running(
        "Semaglutide", clinician, email="b@example.com", medicines=["semaglutide-oral"]
    )
    Order.objects.filter(pk=stepping.pk).update(current_period_end=timezone.now())
    order_shipments = Shipment.objects.filter(order=stepping)
    order_shipments.update(shipped_at=timezone.now() - timedelta(days=60))
    # The one stepping up is asked only ten days before the renewal that carries its step.
    [made] = schedule_checkins()
    assert (CheckIn.objects.get(pk=made).order, CheckIn.objects.get(pk=made).kind) == (
        done,
        "routine",
    )


def test_add_months_keeps_the_day_or_the_months_last():
    from datetime import date

    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 1, 15), 1) == date(2026, 2, 15)


def test_the_worker_runs_it_on_its_schedule(settings, clinician):
    assert ("orders.tasks.checkins", 3600) in settings.PERIODIC_TASKS
    running("Spironolactone", clinician, shipped_days_ago=30)
    result = checkins_task.call()
    assert len(result["asked"]) == 1
    assert (result["reminded"], result["held"]) == ([], [])


# --- her answers ------------------------------------------------------------------------------


def test_her_calm_check_in_goes_to_the_review_queue_encrypted(client, clinician):
    order = running("Spironolactone", clinician)
    checkin = ask_checkin(order)
    sign_in_patient(client, order)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "How are you doing? Your check-in" in page
    assert "Your weight today" not in page  # not a GLP-1
    data = checkin_post(order, systolic="150", diastolic="85", feeling="worse")
    response = client.post(f"/orders/{order.public_id}/checkins/{checkin.pk}/", data)
    assert response.status_code == 302
    assert said(response) == ["Thank you: your clinician reviews your check-in."]
    checkin.refresh_from_db()
    assert checkin.answers["feeling"]["answer"] == "Worse"
    assert {flag["key"] for flag in checkin.flags} == {"feeling", "blood_pressure"}
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT answers FROM orders_checkin WHERE id = %s", [checkin.pk])
        assert "Worse" not in cursor.fetchone()[0]
    order = Order.objects.get(pk=order.pk)
    assert order.awaits_clinician()
    assert Order.objects.review_queue().filter(pk=order.pk).exists()
    assert not order.holds.exists()  # nothing worrying: her boxes go on
    assert not AdverseEvent.objects.exists()
    # Sent again (or an old tab): answered already, so no such check-in to answer.
    again = client.post(f"/orders/{order.public_id}/checkins/{checkin.pk}/", data)
    assert again.status_code == 404


def test_an_emergency_sign_says_911_first_and_tops_the_queue_as_a_serious_event(client, clinician):
    order = running("Spironolactone", clinician)
    calm = running("Spironolactone", clinician, email="calm@example.com")
    reviewed_checkin(calm, clinician)  # reviewed: not in the queue
    ask_checkin(calm, due_on=timezone.localdate() + timedelta(days=1))
    checkin = ask_checkin(order)
    sign_in_patient(client, order)
    response = client.post(
        f"/orders/{order.public_id}/checkins/{checkin.pk}/",
        checkin_post(order, emergency_signs=["breathing"], onset="this morning"),
    )
    assert said(response)[0] == EMERGENCY
    order = Order.objects.get(pk=order.pk)
    assert order.holds.open().get().kind == Hold.Kind.PATIENT_REPORT
    assert not order.can_ship()
    assert clinic_pause(order)
    [event] = AdverseEvent.objects.all()
    assert (event.severity, event.source, event.medicine) == (
        "serious",
        "checkin",
        "Spironolactone",
    )
    assert event.needs_follow_up and "Trouble breathing" in event.description
    assert event.onset == "this morning"


def test_dizziness_at_a_check_in_holds_her_boxes_and_tops_the_queue(client, clinician):
    # An older order waiting for its first review would come first otherwise.
    first = make_paid_order(make_plan("Spironolactone", 3000), email="first@example.com")
    order = running("Spironolactone", clinician)
    checkin = ask_checkin(order)
    sign_in_patient(client, order)
    response = client.post(
        f"/orders/{order.public_id}/checkins/{checkin.pk}/",
        checkin_post(order, triage_orthostatic="yes", severe="no"),
    )
    assert "holds your next box" in said(response)[0]
    [event] = AdverseEvent.objects.all()
    assert (event.severity, event.needs_follow_up) == ("moderate", False)
    assert "Dizzy on standing" in event.description
    client.logout()
    from tests.support.staff import sign_in

    sign_in(client, clinician)
    queue = client.get("/admin/orders/reviewqueueorder/")
    rows = queue.context_data["cl"].result_list
    assert [o.pk for o in rows][:2] == [order.pk, first.pk]
    html = queue.content.decode()
    assert "Check-in to review" in html
    assert f"/admin/orders/order/{order.pk}/review_checkin/" in html


def test_pregnant_at_a_check_in_stops_spironolactone(client, clinician):
    order = running("Spironolactone", clinician)
    checkin = ask_checkin(order)
    sign_in_patient(client, order)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            f"/orders/{order.public_id}/checkins/{checkin.pk}/",
            checkin_post(order, pregnant="yes"),
        )
    assert any("Stop taking Spironolactone now" in m for m in said(response))
    order = Order.objects.get(pk=order.pk)
    assert order.lines.get().decision == OrderLine.Decision.DECLINED
    assert order.holds.open().get().kind == Hold.Kind.PREGNANCY
    [event] = AdverseEvent.objects.all()
    assert (event.kind, event.needs_follow_up) == ("pregnancy", True)
    assert any("stop taking a treatment" in m.subject for m in mail.outbox)


def test_pregnant_on_a_medicine_safe_in_pregnancy_stops_nothing(clinician):
    order = running("Metformin HCL Lotion 20%", clinician)
    checkin = ask_checkin(order)
    form = CheckInForm(
        {k.removeprefix("checkin-"): v for k, v in checkin_post(order, pregnant="yes").items()},
        treatments=[line.plan.treatment for line in order.lines.all()],
    )
    assert form.is_valid(), form.errors
    assert answer_checkin(checkin, form, by=order.patient) == []
    assert order.lines.get().decision == OrderLine.Decision.APPROVED
    assert form.flags[0]["key"] == "pregnancy"


def test_a_glp1_check_in_asks_her_weight_and_a_half_blood_pressure_is_refused(client, clinician):
    order = running(GLP1_PACK, clinician)
    checkin = ask_checkin(order)
    sign_in_patient(client, order)
    data = checkin_post(order, weight="", systolic="120")
    response = client.post(f"/orders/{order.public_id}/checkins/{checkin.pk}/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="checkin-errors"' in html and "autofocus" in html
    assert "Give both numbers of your blood pressure" in html
    assert "Your weight today (pounds): This field is required." in html
    assert CheckIn.objects.get().awaits_answer()


def test_another_patients_check_in_or_a_made_up_one_is_a_404(client, clinician):
    mine = running("Spironolactone", clinician)
    theirs = running("Spironolactone", clinician, email="other@example.com")
    their_checkin = ask_checkin(theirs)
    ask_checkin(mine)
    sign_in_patient(client, mine)
    for url in (
        f"/orders/{mine.public_id}/checkins/{their_checkin.pk}/",
        f"/orders/{theirs.public_id}/checkins/{their_checkin.pk}/",
        f"/orders/{mine.public_id}/checkins/999999/",
        f"/orders/{mine.public_id}/checkins/99999999999999999999999/",
    ):
        assert client.post(url, checkin_post(mine)).status_code == 404, url
    assert client.get(f"/orders/{mine.public_id}/checkins/{their_checkin.pk}/").status_code == 405
    assert CheckIn.objects.get(pk=their_checkin.pk).awaits_answer()


def test_a_check_in_answered_meanwhile_is_refused_with_a_message(clinician):
    order = running("Spironolactone", clinician)
    checkin = ask_checkin(order)
    _open, form = open_checkin(order, checkin_post(order))
    assert form.is_valid()
    CheckIn.objects.filter(pk=checkin.pk).update(answered_at=timezone.now())
    with pytest.raises(OrderError, match="already answered"):
        answer_checkin(checkin, form, by=order.patient)


def test_an_order_closed_meanwhile_shows_her_the_refusal(client, clinician, monkeypatch):
    order = running("Spironolactone", clinician)
    checkin = ask_checkin(order)
    sign_in_patient(client, order)
    import patients.checkins as views

    real = views.open_checkin

    def closes_first(order, data=None):
        found = real(order, data)
        Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
        return found

    monkeypatch.setattr(views, "open_checkin", closes_first)
    response = client.post(f"/orders/{order.public_id}/checkins/{checkin.pk}/", checkin_post(order))
    assert response.status_code == 302
    assert said(response) == ["This check-in is already answered."]


# --- unanswered -------------------------------------------------------------------------------


def test_unanswered_it_is_reminded_once_then_holds_her_boxes_then_stops(client, clinician):
    order = running("Spironolactone", clinician)
    checkin = ask_checkin(order)
    asked = timezone.now()
    mail.outbox.clear()
    assert follow_up_checkins(asked + timedelta(days=6)) == ([], [])
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert follow_up_checkins(asked + timedelta(days=7, minutes=1)) == ([checkin.pk], [])
    assert [m.subject for m in mail.outbox] == [
        f"Reminder: your care team is waiting for your check-in ({order.reference})"
    ]
    assert follow_up_checkins(asked + timedelta(days=8)) == ([], [])  # once
    with TestCase.captureOnCommitCallbacks(execute=True):
        _none, held = follow_up_checkins(asked + timedelta(days=14, minutes=2))
    assert held == [checkin.pk]
    order = Order.objects.get(pk=order.pk)
    hold = order.holds.open().get()
    assert hold.kind == Hold.Kind.CHECKIN
    assert not order.can_ship() and clinic_pause(order)
    assert not order.awaits_clinician()  # it waits on her, not on a clinician
    assert "Your next box waits for your check-in" in mail.outbox[-1].subject
    assert follow_up_checkins(asked + timedelta(days=20)) == ([], [])  # held once
    # 14 days on hold: the treatment is declined and her unshipped months refunded.
    with TestCase.captureOnCommitCallbacks(execute=True):
        _renewals, holds = follow_up_silent(asked + timedelta(days=14 + 15))
    assert holds == [hold.pk]
    assert order.lines.get().decision == OrderLine.Decision.DECLINED


def test_answering_releases_the_check_in_hold(client, clinician):
    order = running("Spironolactone", clinician)
    checkin = ask_checkin(order)
    follow_up_checkins(timezone.now() + timedelta(days=8))
    follow_up_checkins(timezone.now() + timedelta(days=16))
    assert Order.objects.get(pk=order.pk).holds.open().exists()
    sign_in_patient(client, order)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "your next box waits, and nothing is charged, until you answer" in page
    client.post(f"/orders/{order.public_id}/checkins/{checkin.pk}/", checkin_post(order))
    order = Order.objects.get(pk=order.pk)
    assert not order.holds.open().exists()
    assert order.can_ship() or not order.shipments.filter(status="pending").exists()


def test_no_hold_on_an_order_closed_meanwhile(clinician):
    order = running("Spironolactone", clinician)
    ask_checkin(order)
    follow_up_checkins(timezone.now() + timedelta(days=8))
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    assert follow_up_checkins(timezone.now() + timedelta(days=16)) == ([], [])


# --- the review, and the titration step that waits for it -------------------------------------


def answered(order, **answers):
    checkin = ask_checkin(order, kind=CheckIn.Kind.TITRATION)
    _open, form = open_checkin(order, checkin_post(order, **answers))
    assert form.is_valid(), form.errors
    answer_checkin(checkin, form, by=order.patient)
    return checkin


def test_a_titration_step_waits_for_the_reviewed_check_in(client, clinician):
    from tests.support.staff import sign_in

    order = running(GLP1_PACK, clinician)
    Prescription.objects.update(step_started_at=timezone.now() - timedelta(days=30))
    answered(order, feeling="better")
    assert not Order.objects.get(pk=order.pk).can_confirm_step_up()
    # Not reviewed before her refill: it ships the current dose.
    assert "Semaglutide (oral GLP-1) 3 mg tablet: 30 tablets" in ship(order)
    assert semaglutide().titration_step == 1

    Prescription.objects.update(step_started_at=timezone.now() - timedelta(days=30))
    sign_in(client, clinician)
    url = f"/admin/orders/order/{order.pk}/review_checkin/"
    page = client.get(url).content.decode()
    assert "Her check-in" in page and "Better" in page
    assert "from Step 1: 3 mg/day" in page
    response = client.post(url, {"step_up": [semaglutide().pk], "note": "Tolerating well."})
    assert response.status_code == 302
    checkin = CheckIn.objects.get()
    assert (checkin.reviewed_by, checkin.review_note) == (clinician, "Tolerating well.")
    assert semaglutide().step_up_confirmed_by == clinician
    assert not Order.objects.get(pk=order.pk).awaits_clinician()
    # Reviewed and confirmed: the next refill carries 7 mg.
    assert any("Semaglutide (oral GLP-1) 7 mg tablet" in line for line in ship(order))
    assert semaglutide().titration_step == 2
    # The next step needs a check-in reviewed since 7 mg started.
    assert semaglutide().has_next_step() and not semaglutide().may_step_up()


def test_a_check_in_reviewed_before_a_step_started_does_not_count(clinician):
    from clinic.services.changes import confirm_step_up

    order = running(GLP1_PACK, clinician)
    reviewed_checkin(order, clinician, at=timezone.now() - timedelta(days=3))
    rxs = list(Prescription.objects.filter(replaced_at=None))
    Prescription.objects.filter(medicine__slug="semaglutide-oral").update(
        step_started_at=timezone.now() - timedelta(days=5)
    )  # the metformin step started after the check-in, semaglutide's before
    assert Order.objects.get(pk=order.pk).can_confirm_step_up()
    with pytest.raises(OrderError, match="review her check-in first"):
        confirm_step_up(order, by=clinician, prescription_ids=[rx.pk for rx in rxs])


def test_the_review_asks_each_flag_considered(client, clinician):
    from tests.support.staff import sign_in

    order = running("Spironolactone", clinician)
    answered(order, triage_potassium="yes")
    sign_in(client, clinician)
    url = f"/admin/orders/order/{order.pk}/review_checkin/"
    response = client.post(url, {"note": ""})
    assert response.status_code == 400
    assert "Tick \u201cConsidered\u201d" in response.content.decode()
    assert CheckIn.objects.get().awaits_review()
    with pytest.raises(OrderError, match="Tick each flag"):
        review_checkin(order, by=clinician, considered={})
    checkin = CheckIn.objects.get()
    considered = {flag_id(flag): "Potassium checked last week." for flag in checkin.flags}
    review_checkin(order, by=clinician, considered=considered)
    checkin.refresh_from_db()
    assert checkin.reviewed_by == clinician and not checkin.awaits_review()
    assert order.flag_reviews.filter(action="checkin").count() == len(considered)


def test_review_without_a_check_in_is_refused(clinician):
    order = running("Spironolactone", clinician)
    with pytest.raises(OrderError, match="no check-in waiting"):
        review_checkin(order, by=clinician, considered={})


def test_the_command_runs_it_by_hand(clinician):
    from io import StringIO

    from django.core.management import call_command

    running("Spironolactone", clinician, shipped_days_ago=30)
    out = StringIO()
    call_command("checkins", stdout=out)
    assert out.getvalue().strip() == "Asked 1, reminded 0, held 0."


def test_after_its_step_check_in_a_glp1_is_asked_again_three_months_on(clinician):
    order = running("Semaglutide", clinician, medicines=["semaglutide-oral"])
    Order.objects.filter(pk=order.pk).update(current_period_end=timezone.now())
    [made] = schedule_checkins(now=timezone.now() + timedelta(days=25))
    step = CheckIn.objects.get(pk=made)
    CheckIn.objects.filter(pk=made).update(answered_at=timezone.now())
    # Her dose stays (nobody stepped her up): next, a routine check-in three months on.
    later = timezone.now() + (add_months(step.due_on, 3) - timezone.localdate())
    [routine] = schedule_checkins(now=later)
    assert CheckIn.objects.get(pk=routine).kind == "routine"


def test_no_check_in_without_a_current_prescription(clinician):
    order = running("Spironolactone", clinician, shipped_days_ago=60)
    order.prescriptions.update(replaced_at=timezone.now())
    assert schedule_checkins() == []


def test_a_side_effect_that_stops_her_daily_life_is_severe_and_holds_her_boxes(clinician):
    order = running("Spironolactone", clinician)
    checkin = answered(order, severe="yes", side_effects="Headaches all day.")
    [event] = AdverseEvent.objects.all()
    assert (event.severity, event.checkin) == ("severe", checkin)
    assert Order.objects.get(pk=order.pk).holds.urgent().exists()
    assert "A side effect stops her usual daily activities." in str(CheckIn.objects.get().flags)
