"""Refills end: each shipped refill uses one; when the last one ships (or a year is nearly
up) collection pauses at once and she answers renewal questions; a clinician renews
(collection resumes) or ends the treatment (the subscription is cancelled)."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from clinic.services.prescriptions import (
    drafts_for,
    end_treatment,
    flags_to_renew,
    renew_prescriptions,
)
from clinic.services.review import approve_order
from orders.models import Order, Prescription, RenewalResponse
from orders.services import OrderError
from orders.services.fulfilment import mark_shipped
from payments.services.subscriptions import pause_refills, resume_refills
from tests.support.clinic import ticks
from tests.support.factories import make_plan
from tests.support.lifecycle import RENEWAL_ANSWERS
from tests.support.patients import sign_in_patient
from tests.support.pharmacy import verified
from tests.support.renewal import renewal_post
from tests.support.staff import sign_in, staff
from tests.support.stripe_world import paid_order, send

pytestmark = pytest.mark.django_db(transaction=True)
S = Order.Status


def ship_next(order):
    shipment = order.shipments.get(status="pending")
    verified(order)
    packer = staff("fulfillment", f"packer-{shipment.pk}")
    mark_shipped(shipment, by=packer, carrier="USPS", tracking_number="9400")
    return Order.objects.get(pk=order.pk)


def a_month_later(client, fake, order):
    send(client, "invoice.paid", fake.renew(order.stripe_subscription_id))
    return ship_next(order)


def approved(client, fake, refills=2):
    order = paid_order(client, fake, make_plan("Oral Metformin ER", 2200))
    drafts = [type(draft)(**{**draft.__dict__, "refills": refills}) for draft in drafts_for(order)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        approve_order(order, by=staff("clinician", "dr_first"), prescriptions=drafts, attested=True)
    return ship_next(order)


def pause_at_stripe(fake, order):
    return fake.objects[order.stripe_subscription_id].get("pause_collection")


def test_the_last_refill_pauses_collection_and_asks_her_to_renew(client, fake_stripe):
    order = approved(client, fake_stripe, refills=2)
    rx = Prescription.objects.get()
    assert (order.status, rx.refills_used) == (S.SHIPPED, 0)  # the first fill uses none
    order = a_month_later(client, fake_stripe, order)
    assert (order.status, Prescription.objects.get().refills_used) == (S.SHIPPED, 1)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        order = a_month_later(client, fake_stripe, order)
    assert (order.status, Prescription.objects.get().refills_left) == (S.RENEWAL_DUE, 0)
    assert pause_at_stripe(fake_stripe, order) == {"behavior": "void"}
    assert any("Time to renew your prescription" in m.subject for m in mail.outbox)

    sign_in_patient(client, order)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "Renew your prescription" in page
    assert "Are you trying to conceive?" in page
    assert "0 of 2" in page  # refills left


def test_no_refills_means_renewal_after_the_first_box(client, fake_stripe):
    order = approved(client, fake_stripe, refills=0)
    assert order.status == S.RENEWAL_DUE


def test_a_prescription_near_its_year_is_renewed_even_with_refills_left(client, fake_stripe):
    order = approved(client, fake_stripe, refills=11)
    Prescription.objects.update(written_at=timezone.now() - timedelta(days=340))
    order = a_month_later(client, fake_stripe, order)
    assert order.status == S.RENEWAL_DUE
    assert Prescription.objects.get().refills_left == 10


def test_her_own_resume_cannot_lift_the_renewal_pause(client, fake_stripe):
    order = approved(client, fake_stripe, refills=1)
    patient = sign_in_patient(client, order)
    pause_refills(order, months=1, by=patient)
    order = a_month_later(client, fake_stripe, order)
    assert order.status == S.RENEWAL_DUE
    resume_refills(order, by=patient)
    assert pause_at_stripe(fake_stripe, order) == {"behavior": "void"}


def test_she_answers_the_clinician_renews_and_billing_resumes(client, fake_stripe):
    order = approved(client, fake_stripe, refills=0)
    sign_in_patient(client, order)
    answers = renewal_post(
        order, trying_to_conceive="yes", medicine_1_name="Lisinopril", medicine_1_dose="10 mg"
    )
    response = client.post(f"/orders/{order.public_id}/renewal/", answers)
    assert response.status_code == 302
    assert "your clinician reviews your answers" in str(
        list(get_messages(response.wsgi_request))[-1]
    )
    order = Order.objects.get(pk=order.pk)
    assert order.status == S.RENEWAL_REVIEW
    stored = RenewalResponse.objects.get().answers
    assert stored["trying_to_conceive"]["answer"] == "Yes"
    assert stored["current_medicines"]["answer"] == "Lisinopril, 10 mg"
    assert str(RenewalResponse.objects.get()) == f"Renewal answers for {order.reference}"
    assert "reviewing your renewal answers" in client.get(order.get_absolute_url()).content.decode()

    clinician = staff("clinician", "dr_lee")
    sign_in(client, clinician)
    queue = client.get("/admin/orders/reviewqueueorder/").content.decode()
    assert f"/admin/orders/order/{order.pk}/renew/" in queue
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "<strong>Caution:</strong> At renewal: Are you trying to conceive? Yes." in page
    assert "Lisinopril, 10 mg" in page
    assert f"/admin/orders/order/{order.pk}/end/" in page
    form = client.get(f"/admin/orders/order/{order.pk}/renew/").content.decode()
    assert "Step 1: 500 mg/day, at least 7 days" in form  # her current step, preselected

    old = Prescription.objects.get()
    key = f"{old.line_id}-{old.medicine_id}"
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            f"/admin/orders/order/{order.pk}/renew/",
            {
                f"rx-{key}-step": "2",
                f"rx-{key}-refills": "5",
                "attest": "on",
                **ticks(order, flags_to_renew(order), reason="Uses condoms; pregnancy test due."),
            },
        )
    assert response.status_code == 302
    order = Order.objects.get(pk=order.pk)
    assert order.status == S.SHIPPED
    old.refresh_from_db()
    assert old.replaced_at is not None
    new = Prescription.objects.get(replaced_at=None)
    assert (new.strength, new.refills, new.prescriber) == ("500 mg tablet", 5, clinician)
    assert (new.titration_step, new.daily_dose, new.quantity) == (2, 1000, 60)
    assert pause_at_stripe(fake_stripe, order) is None  # collection resumes
    assert any("Your prescription is renewed" in m.subject for m in mail.outbox)
    # The next month ships and uses a refill of the new prescription.
    order = a_month_later(client, fake_stripe, order)
    assert Prescription.objects.get(replaced_at=None).refills_used == 1


def test_the_clinician_ends_the_treatment(client, fake_stripe):
    order = approved(client, fake_stripe, refills=0)
    sign_in_patient(client, order)
    client.post(f"/orders/{order.public_id}/renewal/", renewal_post(order))
    sign_in(client, staff("clinician"))
    assert client.post(f"/admin/orders/order/{order.pk}/end/", {"reason": ""}).status_code == 400
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            f"/admin/orders/order/{order.pk}/end/", {"reason": "Your blood sugar is normal now."}
        )
    assert response.status_code == 302
    order = Order.objects.get(pk=order.pk)
    assert order.status == S.CANCELLED
    assert fake_stripe.objects[order.stripe_subscription_id]["status"] == "canceled"
    [email] = [m for m in mail.outbox if "not renewed" in m.subject]
    assert "Your blood sugar is normal now." in email.body


def test_unanswered_renewal_questions_are_sent_back(client, fake_stripe):
    order = approved(client, fake_stripe, refills=0)
    sign_in_patient(client, order)
    response = client.post(f"/orders/{order.public_id}/renewal/", {"pregnant": "maybe"})
    assert response.status_code == 400  # the form comes back with what to fix, field by field
    assert "Select a valid choice. maybe is not one of the available choices." in (
        response.content.decode()
    )
    html = response.content.decode()
    assert "Choose an answer to “Are you breastfeeding?”." in html
    assert "Write any side effects or health changes, or write “none”." in html
    assert html.count('<a href="#id_breastfeeding_0">') == 1  # the summary links to it
    assert Order.objects.get(pk=order.pk).status == S.RENEWAL_DUE
    assert not RenewalResponse.objects.exists()


def test_renewal_steps_out_of_turn_are_refused(client, fake_stripe):
    order = approved(client, fake_stripe, refills=3)  # shipped, nothing to renew
    sign_in_patient(client, order)
    response = client.post(f"/orders/{order.public_id}/renewal/", RENEWAL_ANSWERS)
    assert "no renewal waiting" in str(list(get_messages(response.wsgi_request))[-1])
    clinician = staff("clinician")
    with pytest.raises(OrderError, match="cannot be renewed now: it is shipped"):
        renew_prescriptions(order, by=clinician, attested=True)
    with pytest.raises(OrderError, match="cannot be ended now: it is shipped"):
        end_treatment(order, by=clinician, reason="No.")
    with pytest.raises(OrderError, match="give a reason"):
        end_treatment(order, by=clinician, reason=" ")
    sign_in(client, clinician)
    rx = Prescription.objects.get()
    key = f"{rx.line_id}-{rx.medicine_id}"
    renew = {f"rx-{key}-step": "1", f"rx-{key}-refills": "5", "attest": "on"}
    for action, data in [("renew", renew), ("end", {"reason": "No."})]:
        response = client.post(f"/admin/orders/order/{order.pk}/{action}/", data)
        assert response.status_code == 302
        assert "cannot be" in str(list(get_messages(response.wsgi_request))[-1])
        assert Order.objects.get(pk=order.pk).status == S.SHIPPED
    assert client.post(f"/admin/orders/order/{order.pk}/renew/", {}).status_code == 400


def test_clinicians_see_every_prescription_on_the_order_page(client, fake_stripe):
    order = approved(client, fake_stripe, refills=0)
    sign_in(client, staff("clinician"))
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Prescriptions (a renewal replaces them)" in page
    assert "Metformin ER 500 mg" in page  # the row's name


def test_renewal_answers_are_refused_when_no_renewal_waits(db):
    """The service decides, not only the page: an order not due for renewal takes none."""
    from clinic.services.prescriptions import submit_renewal
    from tests.support.clinic import order_to_review
    from tests.support.lifecycle import perform

    order = perform(order_to_review(), "approve")
    with pytest.raises(OrderError, match="no renewal waiting for your answers"):
        submit_renewal(order, RENEWAL_ANSWERS, by=None)
    assert not RenewalResponse.objects.filter(order=order).exists()
