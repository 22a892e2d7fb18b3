"""Renewal is a real re-review; she can report a problem any time; every wait on her ends.

The patients a physician worries about: pregnant at renewal of spironolactone, lisinopril
started since the first order, orthostatic symptoms on oral minoxidil, an emergency sign in a
report, and a patient who goes silent."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from clinic.renewal import EMERGENCY, RenewalForm
from clinic.services.prescriptions import drafts_for, renew_prescriptions, submit_renewal
from clinic.services.reports import follow_up_silent, report_problem, stop_treatment
from clinic.services.review import approve_order
from clinic.services.stopping import stop_lines
from orders.models import (
    ClinicianProfile,
    Hold,
    Order,
    OrderLine,
    Refund,
    RenewalResponse,
    Shipment,
)
from orders.services import OrderError
from orders.services.fulfilment import mark_shipped
from patients.services.messages import post_staff_message
from payments.services.subscriptions import sync_billing
from tests.support.factories import make_plan
from tests.support.lifecycle import RENEWAL_ANSWERS
from tests.support.patients import sign_in_patient
from tests.support.pharmacy import verified
from tests.support.renewal import renewal_post
from tests.support.staff import sign_in, staff
from tests.support.stripe_world import paid_order, send

pytestmark = pytest.mark.django_db(transaction=True)
S = Order.Status
SUBSCRIPTION_UPDATE = r"^/v1/subscriptions/sub_"


def ship_next(order):
    shipment = order.shipments.get(status="pending")
    verified(order)
    mark_shipped(
        shipment,
        by=staff("fulfillment", f"p-{shipment.pk}"),
        carrier="USPS",
        tracking_number="9400",
    )
    return Order.objects.get(pk=order.pk)


def approved(client, fake, name, refills):
    order = paid_order(client, fake, make_plan(name, 3000))
    drafts = [type(d)(**{**d.__dict__, "refills": refills}) for d in drafts_for(order)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        approve_order(order, by=staff("clinician", "dr_first"), prescriptions=drafts, attested=True)
        order = ship_next(order)
    return order


def post(client, url, data):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data)


def said(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_pregnant_at_renewal_of_spironolactone_stops_it_tells_her_and_cancels_her_box(
    client, fake_stripe
):
    order = approved(client, fake_stripe, "Spironolactone", refills=0)
    assert order.status == S.RENEWAL_DUE
    # A box already waiting for her (a month paid before the renewal came due).
    box = Shipment.objects.create(order=order, kind=Shipment.Kind.REFILL, **order.address_dict())
    sign_in_patient(client, order)
    mail.outbox.clear()
    response = post(
        client, f"/orders/{order.public_id}/renewal/", renewal_post(order, pregnant="yes")
    )
    assert response.status_code == 302
    shown = said(response)
    assert any("Spironolactone is not safe during pregnancy" in m for m in shown)
    assert any("Stop taking Spironolactone now" in m for m in shown)
    [email] = [m for m in mail.outbox if "stop taking a treatment" in m.subject]
    assert "Please stop taking Spironolactone now" in email.body
    assert "obstetrician" in email.body

    order = Order.objects.get(pk=order.pk)
    assert order.status == S.RENEWAL_REVIEW
    box.refresh_from_db()
    assert box.status == Shipment.Status.CANCELLED
    assert order.lines.get().decision == OrderLine.Decision.DECLINED
    assert not order.prescriptions.filter(replaced_at=None).exists()  # nothing to renew
    renewal = RenewalResponse.objects.get()
    assert renewal.stops[0]["treatment"] == "Spironolactone"
    assert order.holds.open().get().kind == Hold.Kind.PREGNANCY
    # Billing is not resumed: the subscription is cancelled, nothing is left to charge for.
    assert fake_stripe.objects[order.stripe_subscription_id]["status"] == "canceled"
    assert order.awaits_clinician()


def test_lisinopril_typed_at_renewal_with_spironolactone_is_flagged_for_the_clinician(
    client, fake_stripe
):
    order = approved(client, fake_stripe, "Spironolactone", refills=0)
    sign_in_patient(client, order)
    data = renewal_post(order, medicine_1_name="Lisinopril", medicine_1_dose="20 mg daily")
    post(client, f"/orders/{order.public_id}/renewal/", data)
    [flag] = RenewalResponse.objects.get().flags
    assert flag["grade"] == "interaction"
    assert "ACE inhibitor or ARB with spironolactone" in flag["message"]
    sign_in(client, staff("clinician", "dr_read"))
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert (
        "<strong>Interaction:</strong> At renewal: Interaction: takes Lisinopril 20 mg daily."
        in page
    )


def test_dizzy_on_standing_with_a_pounding_heart_is_flagged_for_oral_minoxidil(db):
    treatment = make_plan("Oral Minoxidil", 2500).treatment
    blank = RenewalForm(treatments=[treatment])
    assert "triage_orthostatic" in blank.fields
    assert "triage_potassium" not in blank.fields  # a spironolactone question
    data = {
        name: "no" for name, f in blank.fields.items() if "no" in dict(getattr(f, "choices", []))
    }
    data |= {
        "contraception": "copper_iud",
        "height_feet": "5",
        "height_inches": "4",
        "weight_lb": "140",
        "no_medicines": "on",
        "no_allergies": "on",
        "side_effects": "Dizzy when I stand up, heart pounding",
        "triage_orthostatic": "yes",
        "kidney": "60_plus",
        "kidney_measured": "12_months",
        "liver": "no",
    }
    form = RenewalForm(data, treatments=[treatment])
    assert form.is_valid(), form.errors
    assert {
        "key": "triage_orthostatic",
        "grade": "contraindication",
        "message": "Dizzy on standing or heart pounding (low blood pressure or a fast heart "
        "rate): Oral Minoxidil.",
    } in form.flags
    assert form.answers()["side_effects"]["answer"] == "Dizzy when I stand up, heart pounding"


def test_a_report_with_an_emergency_sign_says_911_first_holds_boxes_and_pauses_billing(
    client, fake_stripe
):
    order = approved(client, fake_stripe, "Oral Minoxidil", refills=3)
    send(client, "invoice.paid", fake_stripe.renew(order.stripe_subscription_id))
    assert order.shipments.filter(status="pending").exists()
    sign_in_patient(client, order)
    page = client.get(order.get_absolute_url()).content.decode()
    assert page.index("call 911 now") < page.index("What do you want to tell us?")

    fake_stripe.fail_next("POST", SUBSCRIPTION_UPDATE, 500)
    response = post(
        client,
        f"/orders/{order.public_id}/report/",
        {"kind": "side_effect", "emergency_signs": ["chest_pain"], "details": "Tight chest."},
    )
    shown = said(response)
    assert shown[0] == EMERGENCY
    assert "Nothing more ships and nothing is charged" in shown[-1]
    order = Order.objects.get(pk=order.pk)
    assert order.holds.open().get().kind == Hold.Kind.PATIENT_REPORT
    assert not order.can_ship()
    assert not Shipment.objects.to_ship().exists()
    # Stripe answered 500 after the commit: the pause stays recorded and is sent again.
    assert order.billing_sync_requested_at is not None
    assert fake_stripe.objects[order.stripe_subscription_id].get("pause_collection") is None
    sync_billing.call(order.pk)
    assert fake_stripe.objects[order.stripe_subscription_id]["pause_collection"] == {
        "behavior": "void"
    }
    thread = order.threads.get()
    assert "Chest pain or pressure" in thread.messages.get().body

    sign_in(client, staff("clinician", "dr_queue"))
    queue = client.get("/admin/orders/reviewqueueorder/").content.decode()
    assert "Urgent: she reported a problem" in queue
    assert "Read her report" in queue


def test_a_report_nobody_answers_for_14_days_is_declined_and_refunded(client, fake_stripe):
    order = approved(client, fake_stripe, "Oral Minoxidil", refills=3)
    send(client, "invoice.paid", fake_stripe.renew(order.stripe_subscription_id))
    sign_in_patient(client, order)
    post(client, f"/orders/{order.public_id}/report/", {"kind": "pregnancy"})
    hold = Hold.objects.get()
    assert hold.awaits_patient_since is None  # it waits on the clinician first
    with TestCase.captureOnCommitCallbacks(execute=True):
        post_staff_message(
            order.threads.get(), body="How many weeks?", by=staff("clinician", "dr_q")
        )
    hold.refresh_from_db()
    assert hold.awaits_patient_since is not None
    assert follow_up_silent() == ([], [])  # not yet
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert follow_up_silent(timezone.now() + timedelta(days=15)) == ([], [hold.pk])
    hold.refresh_from_db()
    assert not hold.is_open
    order = Order.objects.get(pk=order.pk)
    assert order.lines.get().decision == OrderLine.Decision.DECLINED
    [refund] = Refund.objects.all()
    assert refund.amount_cents == 3000  # the month paid whose box did not ship
    assert order.shipments.get(status__in=["pending", "cancelled"]).status == "cancelled"


def test_her_answer_keeps_a_report_waiting_on_the_clinician(client, fake_stripe):
    order = approved(client, fake_stripe, "Oral Minoxidil", refills=3)
    sign_in_patient(client, order)
    post(client, f"/orders/{order.public_id}/report/", {"kind": "side_effect"})
    thread = order.threads.get()
    post_staff_message(thread, body="Since when?", by=staff("clinician", "dr_r"))
    post(client, f"/orders/{order.public_id}/messages/{thread.pk}/", {"body": "Two days."})
    assert Hold.objects.get().awaits_patient_since is None
    assert follow_up_silent(timezone.now() + timedelta(days=30)) == ([], [])


def test_a_renewal_unanswered_for_14_days_ends_the_subscription(client, fake_stripe):
    order = approved(client, fake_stripe, "Oral Metformin ER", refills=0)
    assert order.status == S.RENEWAL_DUE and order.asked_at is not None
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert follow_up_silent(timezone.now() + timedelta(days=15)) == ([order.pk], [])
    order = Order.objects.get(pk=order.pk)
    assert order.status == S.CANCELLED
    assert fake_stripe.objects[order.stripe_subscription_id]["status"] == "canceled"
    assert any("we did not hear back" in m.subject for m in mail.outbox)


def test_a_report_is_refused_on_an_order_with_nothing_running(client, fake_stripe):
    order = paid_order(client, fake_stripe, make_plan("Oral Minoxidil", 2500))
    sign_in_patient(client, order)
    assert "Report a problem" not in client.get(order.get_absolute_url()).content.decode()
    response = client.post(f"/orders/{order.public_id}/report/", {"kind": "side_effect"})
    assert "no treatment running" in said(response)[-1]
    assert not Hold.objects.exists()


def test_nothing_is_renewed_once_her_answers_ruled_every_treatment_out(client, fake_stripe):
    order = approved(client, fake_stripe, "Spironolactone", refills=0)
    sign_in_patient(client, order)
    # Trying to conceive rules spironolactone out (breastfeeding is a caution for it: its
    # lactation section).
    post(
        client,
        f"/orders/{order.public_id}/renewal/",
        renewal_post(order, trying_to_conceive="yes"),
    )
    clinician = staff("clinician", "dr_renews")
    with pytest.raises(OrderError, match="Nothing is left to renew"):
        renew_prescriptions(order, by=clinician, attested=True)
    assert Order.objects.get(pk=order.pk).status == S.RENEWAL_REVIEW


def test_the_clinician_stops_the_treatment_she_reported_about(client, fake_stripe):
    order = paid_order(
        client,
        fake_stripe,
        make_plan("Oral Minoxidil", 2500),
        make_plan("Oral Metformin ER", 2200),
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        approve_order(order, by=staff("clinician", "dr_first"), attested=True)
        order = ship_next(order)
    send(client, "invoice.paid", fake_stripe.renew(order.stripe_subscription_id))
    minoxidil = order.lines.get(treatment_name="Oral Minoxidil")
    metformin = order.lines.get(treatment_name="Oral Metformin ER")
    sign_in_patient(client, order)
    post(
        client,
        f"/orders/{order.public_id}/report/",
        {"kind": "side_effect", "lines": [str(minoxidil.pk)], "severe": "yes"},
    )
    hold = Hold.objects.get()
    assert list(hold.lines.all()) == [minoxidil]
    assert "Does it stop you doing your usual daily activities? yes" in (
        order.threads.get().messages.get().body
    )

    clinician = staff("clinician", "dr_stop")
    sign_in(client, clinician)
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert f"/admin/orders/order/{order.pk}/stop/" in page
    assert client.post(f"/admin/orders/order/{order.pk}/stop/", {}).status_code == 400
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            f"/admin/orders/order/{order.pk}/stop/",
            {"lines": [str(minoxidil.pk)], "reason": "Your heart rate is too fast on it."},
        )
    assert response.status_code == 302
    minoxidil.refresh_from_db()
    assert minoxidil.decision == OrderLine.Decision.DECLINED
    assert Refund.objects.get().amount_cents == 2500  # its share of the box not shipped
    hold.refresh_from_db()
    assert not hold.is_open
    order = Order.objects.get(pk=order.pk)
    assert order.total_cents == 2200 and order.can_ship()  # metformin ships on
    [box] = Shipment.objects.for_packing().filter(order=order, status="pending")
    assert [item.split(" ")[0] for item in box.pick_list] == ["Metformin"]
    assert any("Please stop taking Oral Minoxidil now" in m.body for m in mail.outbox)
    with pytest.raises(OrderError, match="give a reason"):
        stop_treatment(order, lines=[metformin], reason=" ", by=clinician)


def test_only_a_clinician_licensed_in_her_state_stops_a_treatment(client, fake_stripe):
    order = approved(client, fake_stripe, "Oral Minoxidil", refills=3)
    sign_in_patient(client, order)
    post(client, f"/orders/{order.public_id}/report/", {"kind": "side_effect"})
    unlicensed = staff("clinician", "dr_elsewhere")
    ClinicianProfile.objects.filter(user=unlicensed).delete()
    with pytest.raises(OrderError, match="only a clinician licensed"):
        stop_treatment(order, lines=list(order.lines.all()), reason="No.", by=unlicensed)
    assert Hold.objects.get().is_open


def test_a_report_form_with_no_choice_comes_back_with_what_to_fix(client, fake_stripe):
    order = approved(client, fake_stripe, "Oral Minoxidil", refills=3)
    sign_in_patient(client, order)
    response = client.post(f"/orders/{order.public_id}/report/", {"kind": "maybe"})
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    with pytest.raises(OrderError, match="choose what you want to tell us"):
        report_problem(order, kind="maybe", lines=[], body="x", by=None)


def test_an_emergency_sign_at_renewal_says_911_first_and_tops_the_queue(client, fake_stripe):
    order = approved(client, fake_stripe, "Oral Metformin ER", refills=0)
    sign_in_patient(client, order)
    client.get(order.get_absolute_url())  # what checkout said is read
    response = post(
        client,
        f"/orders/{order.public_id}/renewal/",
        renewal_post(order, emergency_signs=["fainting", "breathing"], triage_stomach="yes"),
    )
    assert said(response)[0] == EMERGENCY
    flags = RenewalResponse.objects.get().flags
    assert flags[0]["message"] == (
        "Emergency signs reported: trouble breathing, fainting or nearly fainting. "
        "Told to call 911."
    )
    assert flags[1]["key"] == "triage_stomach"
    assert Hold.objects.get().kind == Hold.Kind.PATIENT_REPORT
    sign_in(client, staff("clinician", "dr_urgent"))
    queue = client.get("/admin/orders/reviewqueueorder/").content.decode()
    assert "Urgent: she reported a problem" in queue
    assert "Read her renewal answers" in queue


def test_renewal_answers_from_before_the_questionnaire_still_read(client, fake_stripe):
    order = approved(client, fake_stripe, "Oral Metformin ER", refills=0)
    submit_renewal(order, {**RENEWAL_ANSWERS, "pregnant": "yes"}, by=None)
    sign_in(client, staff("clinician", "dr_old"))
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "<strong>Contraindication:</strong> At renewal: Are you pregnant? Yes." in page


def test_a_second_report_adds_to_the_open_one_and_nothing_is_stopped_twice(client, fake_stripe):
    order = approved(client, fake_stripe, "Oral Minoxidil", refills=3)
    sign_in_patient(client, order)
    post(client, f"/orders/{order.public_id}/report/", {"kind": "side_effect"})
    post(client, f"/orders/{order.public_id}/report/", {"kind": "side_effect"})
    assert Hold.objects.count() == 1
    assert order.threads.get().messages.count() == 2
    clinician = staff("clinician", "dr_twice")
    stop_treatment(order, lines=list(order.lines.all()), reason="Too dizzy.", by=clinician)
    with pytest.raises(OrderError, match="no report open"):
        stop_treatment(order, lines=list(order.lines.all()), reason="Again.", by=clinician)
    with transaction.atomic():
        assert stop_lines(Order.objects.get(pk=order.pk), [], reason="-", message="-") == []
    with pytest.raises(OrderError, match="no treatment running"):
        report_problem(order, kind="side_effect", lines=[], body="x", by=None)


@pytest.mark.parametrize(
    "names", [("Spironolactone",), ("Oral Minoxidil", "Oral Metformin ER"), ("Oral Semaglutide",)]
)
def test_every_question_of_the_renewal_form_is_on_its_page(db, names):
    """A question the first order added (the eGFR date, the risk acknowledgement) must be
    shown at renewal too, or she could never send the form."""
    treatments = [make_plan(name, 2500).treatment for name in names]
    form = RenewalForm(treatments=treatments)
    shown = {field.name for _title, _note, fields in form.sections for field in fields}
    assert {"kidney_measured", "side_effects"} <= shown
    assert set(form.fields) <= shown | {"emergency_signs"} | {t.key for t, _ in form.triage}
