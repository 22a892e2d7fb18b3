"""Dispensing (issue 20): the pharmacist records what goes into each box and prints the
patient label; Fulfillment's pick list says what to pack and whether the label is attached,
never the directions."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.services.prescriptions import current
from clinic.services.review import approve_order
from orders.models import DispensingRecord, Order, Pharmacy, QuestionnaireAccess, Shipment
from orders.services import OrderError
from orders.services.dispensing import Dispensed, dispense
from tests.support.clinic import considered, order_to_review
from tests.support.factories import make_paid_order, make_plan
from tests.support.pharmacy import pharmacist, verified
from tests.support.staff import sign_in, staff

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]

NEXT_YEAR = timezone.localdate() + timedelta(days=365)


def approve(order):
    from django.contrib.auth import get_user_model

    clinician = get_user_model().objects.filter(username="dr_lee").first()
    approve_order(
        order,
        by=clinician or staff("clinician", "dr_lee"),
        considered=considered(order),
        attested=True,
    )
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def box():
    """The first box of a verified spironolactone order."""
    order = verified(approve(order_to_review()))
    return order.shipments.get()


def entries(order, **changes):
    return [
        Dispensed(
            prescription_id=rx.pk,
            **{"days_supply": 30, "lot": "L2024-17", "expires_on": NEXT_YEAR, **changes},
        )
        for rx in current(order)
    ]


def form_data(order, **changes):
    data = {}
    for rx in current(order):
        values = {"days_supply": "30", "lot": "L2024-17", "expires_on": NEXT_YEAR.isoformat()}
        values.update(changes)
        data.update({f"{rx.pk}-{name}": value for name, value in values.items()})
    return data


def test_a_dispensing_record_holds_what_went_into_the_box(box):
    user = pharmacist()
    [record] = dispense(box, by=user, entries=entries(box.order))
    [rx] = current(box.order)
    assert (record.product, record.strength, record.quantity, record.quantity_unit) == (
        rx.medicine_name,
        rx.strength,
        rx.quantity,
        rx.quantity_unit,
    )
    assert (record.days_supply, record.lot, record.expires_on) == (30, "L2024-17", NEXT_YEAR)
    assert record.pharmacist == user and record.pharmacist_name == "Pharmacist, PharmD"
    assert record.pharmacy == Pharmacy.objects.get() and record.label_printed_at
    assert not record.compounded
    assert str(record) == f"{rx.medicine_name} {rx.strength} x{rx.quantity} (lot L2024-17)"
    assert box.order.events.filter(kind="dispensed").exists()
    # Dispensing again (a lot changed before packing) replaces the record.
    dispense(box, by=user, entries=entries(box.order, lot="L2024-18"))
    assert list(DispensingRecord.objects.values_list("lot", flat=True)) == ["L2024-18"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lot": "  "}, "enter the lot number"),
        ({"expires_on": timezone.localdate()}, "a date after today"),
        ({"expires_on": None}, "a date after today"),
        ({"days_supply": 0}, "the days' supply is 1 to 90"),
        ({"days_supply": 91}, "the days' supply is 1 to 90"),
    ],
)
def test_every_field_of_the_record_is_required(box, changes, message):
    with pytest.raises(OrderError, match=message):
        dispense(box, by=pharmacist(), entries=entries(box.order, **changes))
    assert not DispensingRecord.objects.exists()


def test_dispensing_is_refused_before_verification_and_after_the_box_left():
    order = approve(order_to_review())
    shipment = order.shipments.get()
    with pytest.raises(OrderError, match="not verified yet"):
        dispense(shipment, by=pharmacist(), entries=entries(order))
    verified(order)
    with pytest.raises(OrderError, match="enter what you dispensed"):
        dispense(shipment, by=pharmacist(), entries=[])
    with pytest.raises(OrderError, match="Only a pharmacist"):
        dispense(shipment, by=staff("fulfillment"), entries=entries(order))
    Pharmacy.objects.update(is_active=False)
    with pytest.raises(OrderError, match="No active pharmacy on file holds a current licence"):
        dispense(shipment, by=pharmacist(), entries=entries(order))
    Pharmacy.objects.update(is_active=True)
    Shipment.objects.filter(pk=shipment.pk).update(status=Shipment.Status.CANCELLED)
    with pytest.raises(OrderError, match="was cancelled: nothing to dispense"):
        dispense(shipment, by=pharmacist(), entries=entries(order))


def test_an_order_without_a_prescription_has_nothing_to_dispense(box):
    current(box.order).update(replaced_at=timezone.now())
    with pytest.raises(OrderError, match="no prescription to dispense"):
        dispense(box, by=pharmacist(), entries=[])


def test_the_pharmacist_dispenses_and_prints_the_label_from_the_admin(client, box):
    unverified = approve(order_to_review(email="ann@example.com")).shipments.get()
    sign_in(client, pharmacist())
    listing = client.get("/admin/orders/shipment/").content.decode()
    # Only a verified box is offered for dispensing.
    assert listing.count("Dispense and print label") == 1
    assert reverse("admin:orders_shipment_dispense", args=[box.pk]) in listing
    assert reverse("admin:orders_shipment_dispense", args=[unverified.pk]) not in listing
    url = reverse("admin:orders_shipment_dispense", args=[box.pk])
    page = client.get(url).content.decode()
    assert "lot number" in page and "days&#x27; supply" in page
    assert QuestionnaireAccess.objects.filter(where="dispensing page").count() == 1
    refused = client.post(url, form_data(box.order, lot="", expires_on="next week"))
    assert refused.status_code == 400
    assert "Not dispensed yet: 2 things to fix" in refused.content.decode()
    response = client.post(url, form_data(box.order))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:orders_shipment_label", args=[box.pk])
    assert DispensingRecord.objects.filter(shipment=box).count() == 1
    # A refusal of the service comes back as a message.
    Shipment.objects.filter(pk=box.pk).update(status=Shipment.Status.CANCELLED)
    response = client.post(url, form_data(box.order))
    [message] = [str(m) for m in get_messages(response.wsgi_request)][-1:]
    assert "nothing to dispense" in message


def test_the_label_says_who_what_how_and_where_from(client, box):
    dispense(box, by=pharmacist(), entries=entries(box.order))
    [rx] = current(box.order)
    sign_in(client, pharmacist())
    page = client.get(reverse("admin:orders_shipment_label", args=[box.pk])).content.decode()
    pharmacy = Pharmacy.objects.get()
    for text in (
        "Jane Patient",
        f"{rx.medicine_name} {rx.strength}",
        rx.directions,
        f"Quantity: {rx.quantity} {rx.quantity_unit}",
        f"Refills left: {rx.refills}",
        f"Prescriber: {rx.prescriber_name}",
        pharmacy.name,
        "9 Dispensary Road, Albany, NY 12207",
        "Lot L2024-17",
    ):
        assert text in page, text
    assert "compounded" not in page
    assert QuestionnaireAccess.objects.filter(where="patient label").count() == 1


def test_a_compounded_preparation_is_marked_on_the_record_and_the_label(client):
    order = make_paid_order(make_plan("Metformin HCL Lotion 20%"))
    order = verified(approve(order))
    [rx] = current(order)
    rx.medicine.compounded = True
    rx.medicine.save()
    shipment = order.shipments.get()
    [record] = dispense(shipment, by=pharmacist(), entries=entries(order))
    assert record.compounded
    sign_in(client, pharmacist())
    label = client.get(reverse("admin:orders_shipment_label", args=[shipment.pk]))
    assert "Patient-specific compounded preparation" in label.content.decode()
    verify = client.get(reverse("admin:orders_verificationqueueorder_changelist"))
    assert verify.status_code == 200


def test_a_refill_label_counts_the_refill_it_uses():
    from orders.admin.dispensing import label_rows

    order = verified(approve(order_to_review()))
    refill = Shipment.objects.create(order=order, kind=Shipment.Kind.REFILL, **order.address_dict())
    dispense(refill, by=pharmacist(), entries=entries(order))
    [rx] = current(order)
    [row] = label_rows(refill)
    assert row["refills_left"] == rx.refills_left - 1


def test_the_pick_list_says_what_to_pack_and_if_the_label_is_on_never_the_directions(client, box):
    [rx] = current(box.order)
    rx.extra_directions = "Skip it on days you feel dizzy."
    rx.save()
    sign_in(client, staff("fulfillment"))
    page = client.get(reverse("admin:orders_shipment_change", args=[box.pk])).content.decode()
    expected = f"{rx.medicine_name} {rx.strength}: {rx.quantity} {rx.quantity_unit}"
    assert f"{expected} \u00b7 label attached: no" in page
    assert rx.directions not in page and "dizzy" not in page
    dispense(box, by=pharmacist(), entries=entries(box.order))
    page = client.get(reverse("admin:orders_shipment_change", args=[box.pk])).content.decode()
    assert f"{expected} \u00b7 label attached: yes" in page
    ship_page = client.get(reverse("admin:orders_shipment_ship", args=[box.pk])).content.decode()
    assert "label attached: yes" in ship_page and rx.directions not in ship_page
    # Fulfillment neither dispenses nor prints labels.
    assert "Dispense and print label" not in client.get("/admin/orders/shipment/").content.decode()
    for name in ("dispense", "label"):
        url = reverse(f"admin:orders_shipment_{name}", args=[box.pk])
        assert client.get(url).status_code == 403


def count_queries(client, url):
    client.get(url)  # warm up anything loaded once per process
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("orders", [1, 4])
def test_the_pharmacists_pages_take_constant_queries(client, orders):
    boxes = []
    for n in range(orders):
        order = approve(order_to_review(email=f"p{n}@example.com"))
        boxes.append(order.shipments.get())
    sign_in(client, pharmacist())
    # session, user, her authenticator, her permissions (2), the queue's count (one: the
    # total is estimated, core/admin.py), its page, the prescriptions waiting, the access log
    assert count_queries(client, "/admin/orders/verificationqueueorder/") == 9
    for box in boxes:
        verified(box.order)
        dispense(box, by=pharmacist(), entries=entries(box.order))
    last = boxes[-1]
    # the same five, the box with its order, the access log, the records with their
    # prescriptions, medicines and pharmacy
    assert count_queries(client, reverse("admin:orders_shipment_label", args=[last.pk])) == 8
    # the same five, the box with its order, its prescriptions, the access log, the pharmacy
    assert count_queries(client, reverse("admin:orders_shipment_dispense", args=[last.pk])) == 9
    # the same five, the count, the page with boxes and orders, the date bar (2)
    assert count_queries(client, "/admin/orders/dispensingrecord/") == 9
