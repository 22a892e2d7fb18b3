"""A pharmacist between the clinician's click and the box (issue 20): every new or changed
prescription waits for her verification; she verifies it from a page showing what the
clinician saw, or sends it back with a reason; nothing ships before every prescription in the
box is verified."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from clinic.services.changes import change_prescription, confirm_step_up
from clinic.services.prescriptions import current, draft_from
from clinic.services.review import approve_order
from clinic.services.verification import send_back, stop_sent_back, verify_prescriptions
from orders.models import (
    Order,
    OrderLine,
    PharmacistProfile,
    QuestionnaireAccess,
    Shipment,
)
from orders.services import OrderError
from orders.services.fulfilment import mark_shipped
from tests.support.checkins import reviewed_checkin
from tests.support.clinic import considered, order_to_review
from tests.support.factories import make_paid_order, make_plan
from tests.support.pharmacy import pharmacist
from tests.support.staff import sign_in, staff

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]


@pytest.fixture
def clinician():
    return staff("clinician", "dr_lee")


@pytest.fixture
def approved(clinician):
    """A spironolactone order (she takes lisinopril: a flag), approved and waiting."""
    order = order_to_review()
    approve_order(order, by=clinician, considered=considered(order), attested=True)
    return Order.objects.get(pk=order.pk)


def ship(shipment):
    from django.contrib.auth import get_user_model

    packer = get_user_model().objects.filter(username="packer").first() or staff(
        "fulfillment", "packer"
    )
    return mark_shipped(shipment, by=packer, carrier="USPS", tracking_number="9400")


def test_an_approved_prescription_waits_for_a_pharmacist_and_nothing_ships_before(approved):
    box = approved.shipments.get()
    assert approved.awaits_verification() and not approved.prescriptions_verified()
    assert list(Order.objects.verification_queue()) == [approved]
    assert approved.can_ship()  # the order may ship; its box may not, yet
    assert not box.can_ship() and not Shipment.objects.to_ship().exists()
    with pytest.raises(OrderError, match="A pharmacist has not verified every prescription"):
        ship(box)
    box.refresh_from_db()
    assert box.status == Shipment.Status.PENDING

    assert verify_prescriptions(approved, by=pharmacist()) == 1
    approved.refresh_from_db()
    [rx] = current(approved)
    assert rx.verified_by.username == "pharmacist" and rx.verified_at is not None
    assert not approved.awaits_verification() and approved.prescriptions_verified()
    assert not Order.objects.verification_queue().exists()
    assert box.can_ship() and list(Shipment.objects.to_ship()) == [box]
    event = approved.events.get(kind="prescriptions_verified")
    assert event.message == "A pharmacist checked your prescription."
    ship(box)
    assert Order.objects.get(pk=approved.pk).status == Order.Status.SHIPPED


def test_fulfillment_cannot_ship_an_unverified_box_from_the_admin(client, approved):
    box = approved.shipments.get()
    sign_in(client, staff("fulfillment"))
    listing = client.get("/admin/orders/shipment/").content.decode()
    assert "Mark shipped" not in listing
    response = client.post(
        f"/admin/orders/shipment/{box.pk}/ship/", {"carrier": "USPS", "tracking_number": "94"}
    )
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("A pharmacist has not verified every prescription in this box")
    box.refresh_from_db()
    assert box.status == Shipment.Status.PENDING
    # The bulk action refuses it the same way.
    response = client.post(
        "/admin/orders/shipment/",
        {
            "action": "mark_selected_shipped",
            "_selected_action": [box.pk],
            "apply": "1",
            "carrier": "USPS",
            f"tracking_{box.pk}": "94",
        },
    )
    box.refresh_from_db()
    assert box.status == Shipment.Status.PENDING


def test_the_pharmacist_verifies_from_a_page_with_the_clinicians_summary(client, approved):
    user = pharmacist()
    sign_in(client, user)
    index = client.get("/admin/").content.decode()
    assert 'data-testid="to-verify"><strong>1</strong>to verify (pharmacist)' in index
    queue = client.get("/admin/orders/verificationqueueorder/").content.decode()
    assert approved.reference in queue and "Spironolactone" in queue
    url = reverse("admin:orders_order_verify", args=[approved.pk])
    page = client.get(url).content.decode()
    # The clinical summary the clinician signed against: flags, medicines, allergies...
    assert "Takes a potassium-raising medicine" in page
    assert "Lisinopril 10 mg" in page and "Penicillin" in page
    # ...and the structured prescription.
    [rx] = current(approved)
    assert rx.strength in page and rx.directions in page and rx.prescriber_name in page
    assert set(QuestionnaireAccess.objects.values_list("where", flat=True)) == {
        "verification queue",
        "verification page",
    }
    refused = client.post(url, {"checked": ""})
    assert refused.status_code == 400
    assert "Tick that you checked each prescription" in refused.content.decode()
    assert approved.awaits_verification()
    response = client.post(url, {"checked": "on"})
    assert response.status_code == 302
    assert Order.objects.get(pk=approved.pk).prescriptions_verified()
    page = client.get(reverse("admin:orders_order_change", args=[approved.pk])).content.decode()
    assert "Verified by pharmacist, " in page


def test_fulfillment_and_clinicians_cannot_verify(client, approved):
    for role in ("fulfillment", "clinician", "support"):
        sign_in(client, staff(role, f"{role}-v"))
        url = reverse("admin:orders_order_verify", args=[approved.pk])
        assert client.get(url).status_code == 403, role
        assert client.post(url, {"checked": "on"}).status_code == 403, role
        client.logout()
    assert approved.awaits_verification()
    # Fulfillment's order page does not show the clinical summary either.
    sign_in(client, staff("fulfillment", "packer"))
    page = client.get(reverse("admin:orders_order_change", args=[approved.pk])).content.decode()
    assert "Penicillin" not in page and "Verify prescription" not in page
    assert "Waiting for a pharmacist" in page


def test_only_a_pharmacist_licensed_where_the_box_goes_verifies(approved):
    with pytest.raises(OrderError, match="Only a pharmacist"):
        verify_prescriptions(approved, by=staff("superuser", "root"))
    assert approved.ship_state == "NY"
    elsewhere = pharmacist(["CA"], username="pharm_ca")
    with pytest.raises(OrderError, match="goes to New York: only a pharmacist licensed"):
        verify_prescriptions(approved, by=elsewhere)
    lapsed = pharmacist(
        ["NY"], username="pharm_lapsed", expires_on=approved.created_at.date().replace(year=2020)
    )
    with pytest.raises(OrderError, match="only a pharmacist licensed in New York"):
        verify_prescriptions(approved, by=lapsed)
    inactive = pharmacist(username="pharm_gone")
    PharmacistProfile.objects.filter(user=inactive).update(is_active=False)
    with pytest.raises(OrderError, match="Only a pharmacist"):
        verify_prescriptions(approved, by=inactive)
    assert Order.objects.get(pk=approved.pk).awaits_verification()


def test_nothing_to_verify_is_refused_with_the_reason(approved):
    verify_prescriptions(approved, by=pharmacist())
    with pytest.raises(OrderError, match="cannot be verified by a pharmacist"):
        verify_prescriptions(approved, by=pharmacist())
    with pytest.raises(OrderError, match="cannot be sent back to the clinician"):
        send_back(approved, by=pharmacist(), reason="Too late")
    waiting = order_to_review(email="ann@example.com")  # not approved: nothing prescribed
    with pytest.raises(OrderError, match="cannot be verified"):
        verify_prescriptions(waiting, by=pharmacist())


def test_sent_back_the_clinician_reads_why_and_changes_it_into_a_new_version(
    client, approved, clinician
):
    with pytest.raises(OrderError, match="Write why you send it back"):
        send_back(approved, by=pharmacist(), reason="   ")
    send_back(approved, by=pharmacist(), reason="Lisinopril and spironolactone: check K+ first.")
    approved.refresh_from_db()
    [rx] = current(approved)
    assert rx.sent_back_reason == "Lisinopril and spironolactone: check K+ first."
    assert not approved.awaits_verification() and approved.is_sent_back()
    assert not approved.shipments.get().can_ship()
    # Back in the clinicians' review queue, marked.
    assert approved.awaits_clinician() and approved in Order.objects.review_queue()
    event = approved.events.get(kind="prescriptions_sent_back")
    assert not event.note and not event.message  # the reason is not in the timeline
    sign_in(client, clinician)
    queue = client.get("/admin/orders/reviewqueueorder/").content.decode()
    assert "Sent back by the pharmacist" in queue and approved.reference in queue
    change = client.get(
        reverse("admin:orders_order_change_prescription", args=[approved.pk])
    ).content.decode()
    assert "Sent back by the pharmacist" in change
    assert "Lisinopril and spironolactone: check K+ first." in change

    change_prescription(
        approved,
        by=clinician,
        prescriptions=[draft_from(rx, refills=2)],
        attested=True,
        considered=considered(approved),
    )
    approved.refresh_from_db()
    [new] = current(approved)
    assert new.pk != rx.pk and new.verified_at is None and new.sent_back_at is None
    assert not approved.is_sent_back() and approved not in Order.objects.review_queue()
    assert approved.awaits_verification()  # the new version waits for a pharmacist


def test_the_clinician_may_stop_what_was_sent_back(client, approved, clinician):
    send_back(approved, by=pharmacist(), reason="Not with her kidney function.")
    line = approved.lines.get()
    with pytest.raises(OrderError, match="Please give a reason"):
        stop_sent_back(approved, lines=[line], reason="", by=clinician)
    with pytest.raises(OrderError, match="Choose a treatment the pharmacist sent back"):
        stop_sent_back(approved, lines=[], reason="Agreed", by=clinician)
    sign_in(client, clinician)
    url = reverse("admin:orders_order_stop_sent_back", args=[approved.pk])
    assert "Spironolactone" in client.get(url).content.decode()
    response = client.post(url, {"lines": [line.pk], "reason": "Agreed with the pharmacist."})
    assert response.status_code == 302
    approved.refresh_from_db()
    line.refresh_from_db()
    assert line.decision == OrderLine.Decision.DECLINED
    assert not current(approved).exists() and not approved.is_sent_back()
    assert approved.events.filter(kind="lines_stopped").exists()
    with pytest.raises(OrderError, match="cannot be stopped after the pharmacist's check"):
        stop_sent_back(approved, lines=[line], reason="Again", by=clinician)


def test_a_confirmed_titration_step_waits_for_verification(client, clinician):
    order = make_paid_order(make_plan("Oral GLP-1 & Metformin pack"))
    approve_order(order, by=clinician, considered=considered(order), attested=True)
    order = Order.objects.get(pk=order.pk)
    verify_prescriptions(order, by=pharmacist())
    ship(order.shipments.get())
    glp1 = current(order).get(medicine__slug="semaglutide-oral")
    reviewed_checkin(
        order, clinician
    )  # what a step waits for first (tests/clinic/test_checkins.py)
    confirm_step_up(order, by=clinician, prescription_ids=[glp1.pk])
    order.refresh_from_db()
    assert order.awaits_verification()
    assert [rx.pk for rx in current(order).filter(verified_at=None)] == [glp1.pk]
    # The verification page names the step the next refill carries.
    sign_in(client, pharmacist())
    page = client.get(reverse("admin:orders_order_verify", args=[order.pk])).content.decode()
    assert "Next step, confirmed by the clinician, from the next refill:</strong> 7 mg" in page


def test_a_renewal_writes_new_prescriptions_that_wait_for_verification():
    from tests.support.lifecycle import order_in, perform

    order = order_in(Order.Status.RENEWAL_REVIEW)
    assert order.prescriptions_verified()  # what shipped so far was verified
    order = perform(order, "renew")
    assert order.status == Order.Status.SHIPPED
    assert order.awaits_verification() and order in Order.objects.verification_queue()


def test_the_pharmacist_sends_back_from_the_admin_with_a_reason(client, approved):
    sign_in(client, pharmacist())
    url = reverse("admin:orders_order_send_back", args=[approved.pk])
    page = client.get(url).content.decode()
    assert "Penicillin" in page and "Why you send it back" in page
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "Dose too high for her kidney function."})
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.endswith(
        "sent back to the clinician; nothing of it ships until she changes or stops it."
    )
    assert Order.objects.get(pk=approved.pk).is_sent_back()
    page = client.get(reverse("admin:orders_order_change", args=[approved.pk])).content.decode()
    assert "Sent back to the clinician" in page
    assert "kidney function" not in page  # her reason is for the clinician's sign-off page


def test_a_verification_queue_row_opens_the_order_page_for_pharmacists_only(
    client, approved, clinician, monkeypatch
):
    url = f"/admin/orders/verificationqueueorder/{approved.pk}/change/"
    sign_in(client, staff("fulfillment"))
    assert client.get(url).status_code == 403
    assert client.get("/admin/orders/verificationqueueorder/").status_code == 403
    sign_in(client, pharmacist())
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/orders/order/{approved.pk}/change/"
    # A page past the end shows (and logs) nothing.
    from orders.admin.pharmacy import VerificationQueueAdmin

    other = order_to_review(email="ann@example.com")
    approve_order(other, by=clinician, considered=considered(other), attested=True)
    monkeypatch.setattr(VerificationQueueAdmin, "list_per_page", 1)
    response = client.get("/admin/orders/verificationqueueorder/", {"p": 99})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
    assert not QuestionnaireAccess.objects.exists()
    queue = client.get("/admin/orders/verificationqueueorder/").content.decode()
    assert "Jane Patient<br><small>age" in queue and '"field-ships_to">NY<' in queue
