"""Fulfilment: first shipments and refills, marking them shipped, the tracking email and page."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail

from clinic.services.review import approve_order, decline_order
from orders.models import Order, Shipment
from orders.services import OrderError
from orders.services.fulfilment import mark_shipped
from payments.services.payments import record_renewal_payment
from tests.support.clinic import considered, order_to_review
from tests.support.factories import paid_invoice_for
from tests.support.patients import sign_in_patient
from tests.support.pharmacy import verified
from tests.support.staff import sign_in, staff

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]
S = Order.Status


@pytest.fixture
def fulfillment():
    return staff("fulfillment", "sam")


def approved_order(email="jane@example.com"):
    order = order_to_review(email=email)
    approve_order(
        order, considered=considered(order), by=staff("clinician", f"dr-{email}"), attested=True
    )
    return verified(Order.objects.get(pk=order.pk))


def test_mark_shipped_emails_the_tracking_link_and_the_order_page_shows_it(
    client, fulfillment, django_capture_on_commit_callbacks
):
    order = approved_order()
    shipment = order.shipments.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        mark_shipped(
            shipment, by=fulfillment, carrier="USPS", tracking_number="9400 1000 0000 0000 0000 01"
        )
    order.refresh_from_db()
    shipment.refresh_from_db()
    assert order.status == S.SHIPPED
    assert (shipment.status, shipment.carrier, shipment.shipped_by) == (
        "shipped",
        "USPS",
        fulfillment,
    )
    event = order.events.get(kind="shipped")
    assert (event.actor, event.to_status) == (fulfillment, S.SHIPPED)
    link = (
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400%201000%200000%200000%200000%2001"
    )
    [email] = mail.outbox
    assert email.to == ["jane@example.com"]
    assert "has shipped" in email.subject
    assert link in email.body
    html = email.alternatives[0][0]
    assert f'href="{link}"' in html

    sign_in_patient(client, order)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "USPS" in page
    assert "9400 1000 0000 0000 0000 01" in page
    assert f'href="{link}"' in page.replace("&amp;", "&")


def test_ship_before_approval_and_twice_are_refused(fulfillment):
    order = order_to_review()
    early = Shipment.objects.create(order=order, kind="initial", **order.address_dict())
    with pytest.raises(OrderError, match="Only approved orders can ship"):
        mark_shipped(early, by=fulfillment, carrier="UPS", tracking_number="1Z999")
    early.refresh_from_db()
    assert early.status == "pending"

    shipment = approved_order("ann@example.com").shipments.get()
    mark_shipped(shipment, by=fulfillment, carrier="UPS", tracking_number="1Z1")
    with pytest.raises(OrderError, match="already marked shipped"):
        mark_shipped(shipment, by=fulfillment, carrier="UPS", tracking_number="1Z2")
    shipment.refresh_from_db()
    assert shipment.tracking_number == "1Z1"
    with pytest.raises(OrderError, match="tracking number are required"):
        mark_shipped(shipment, by=fulfillment, carrier="UPS", tracking_number=" ")


def test_declined_orders_never_get_a_shipment():
    order = order_to_review()
    decline_order(order, by=staff("clinician"), reason="No")
    assert not Shipment.objects.filter(order=order).exists()


def test_a_paid_renewal_creates_a_refill_for_an_approved_order(client, fulfillment):
    order = approved_order()
    mark_shipped(order.shipments.get(), by=fulfillment, carrier="UPS", tracking_number="1Z1")
    renewal = paid_invoice_for(order, invoice_id="in_renewal_2")
    record_renewal_payment(order, invoice=renewal)
    record_renewal_payment(order, invoice=renewal)  # the same invoice, another event
    refill = Shipment.objects.get(order=order, kind="refill")
    assert refill.status == "pending"
    assert refill.payment.stripe_invoice_id == "in_renewal_2"
    assert refill.ship_line1 == "45 Maple Avenue"
    mark_shipped(refill, by=fulfillment, carrier="FedEx", tracking_number="7700")
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert order.events.filter(kind="shipped").count() == 2


def test_unapproved_orders_make_no_refill(client):
    order = order_to_review()
    record_renewal_payment(order, invoice=paid_invoice_for(order, invoice_id="in_cycle_x"))
    assert not Shipment.objects.filter(order=order).exists()


# --- the shipments queue in the admin -------------------------------------------------------


def test_queue_shows_pending_shipments_with_addresses_and_ships_one(
    client, fulfillment, django_capture_on_commit_callbacks
):
    order = approved_order()
    shipment = order.shipments.get()
    sign_in(client, fulfillment)
    queue = client.get("/admin/orders/shipment/?queue=to_ship").content.decode()
    assert order.reference in queue and "45 Maple Avenue" in queue and "Brooklyn, NY 11201" in queue
    form = client.get(f"/admin/orders/shipment/{shipment.pk}/ship/")
    assert form.status_code == 200
    missing = client.post(f"/admin/orders/shipment/{shipment.pk}/ship/", {"carrier": "UPS"})
    assert missing.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/orders/shipment/{shipment.pk}/ship/",
            {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"},
        )
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.tracking_number == "1Z999AA10123456784"
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in mail.outbox[-1].body


def test_bulk_mark_shipped(client, fulfillment):
    first = approved_order("a@example.com").shipments.get()
    second = approved_order("b@example.com").shipments.get()
    third = approved_order("c@example.com").shipments.get()
    sign_in(client, fulfillment)
    selected = {
        "action": "mark_selected_shipped",
        "_selected_action": [first.pk, second.pk, third.pk],
    }
    confirm = client.post("/admin/orders/shipment/", {**selected, "index": "0"})
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert f'name="tracking_{second.pk}"' in html and 'name="apply"' in html

    response = client.post(
        "/admin/orders/shipment/",
        {
            **selected,
            "apply": "1",
            "carrier": "USPS",
            f"tracking_{first.pk}": "9400A",
            f"tracking_{second.pk}": "9400B",
            f"tracking_{third.pk}": "",
        },
    )
    assert response.status_code == 302
    shipped = dict(Shipment.objects.filter(status="shipped").values_list("pk", "tracking_number"))
    assert shipped == {first.pk: "9400A", second.pk: "9400B"}
    assert Order.objects.filter(status=S.SHIPPED).count() == 2
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("2 shipment(s) marked shipped" in t for t in texts)
    assert any("tracking number are required" in t for t in texts)


def test_admin_ship_before_approval_is_a_message_not_a_500(client, fulfillment):
    order = order_to_review()
    early = Shipment.objects.create(order=order, kind="initial", **order.address_dict())
    sign_in(client, fulfillment)
    response = client.post(
        f"/admin/orders/shipment/{early.pk}/ship/", {"carrier": "UPS", "tracking_number": "1Z"}
    )
    assert response.status_code == 302
    assert any(
        "Only approved orders can ship" in str(m) for m in get_messages(response.wsgi_request)
    )


def test_bulk_mark_shipped_with_every_shipment_refused_reports_only_refusals(client, fulfillment):
    shipment = approved_order().shipments.get()
    sign_in(client, fulfillment)
    response = client.post(
        "/admin/orders/shipment/",
        {
            "action": "mark_selected_shipped",
            "_selected_action": [shipment.pk],
            "apply": "1",
            "carrier": "USPS",
            f"tracking_{shipment.pk}": "",
        },
    )
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == [f"{shipment}: A carrier and a tracking number are required."]
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PENDING
