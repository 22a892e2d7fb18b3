"""Tampered requests to the clinic's admin verbs are refused and change nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from clinic.services.review import approve_order
from orders.models import Order, Shipment
from tests.support.clinic import approve_form, considered, order_to_review
from tests.support.lifecycle import order_in
from tests.support.pharmacy import verified
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db
S = Order.Status


def test_a_post_without_csrf_token_is_refused(settings):
    settings.STRIPE_TEST_MODE = True
    order = order_to_review()
    client = Client(enforce_csrf_checks=True)
    sign_in(client, staff("clinician"))
    response = client.post(f"/admin/orders/order/{order.pk}/approve/", approve_form(order))
    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_REVIEW


def test_get_shows_the_form_and_changes_nothing_and_a_wrong_id_is_404(client):
    order = order_to_review()
    sign_in(client, staff("clinician"))
    assert client.get(f"/admin/orders/order/{order.pk}/approve/?note=x").status_code == 200
    assert client.get(f"/admin/orders/order/{order.pk}/decline/?reason=x").status_code == 200
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_REVIEW
    assert client.post("/admin/orders/order/999999/approve/", {"note": ""}).status_code == 404
    assert client.post("/admin/orders/order/abc/approve/").status_code == 302  # admin catch-all


def test_posting_a_changed_status_to_the_change_page_changes_nothing(client):
    order = order_to_review()
    sign_in(client, staff("superuser", "root"))
    response = client.post(
        f"/admin/orders/order/{order.pk}/change/",
        {"status": "shipped", "total_cents": "1", "stripe_subscription_id": "sub_x"},
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert (order.status, order.total_cents) == (S.AWAITING_REVIEW, 2200)
    assert (
        client.post(f"/admin/orders/order/{order.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert Order.objects.filter(pk=order.pk).exists()


def test_staff_cannot_grant_themselves_permissions(client):
    clinician = staff("clinician")
    sign_in(client, clinician)
    for url in (
        f"/admin/auth/user/{clinician.pk}/change/",
        "/admin/auth/group/",
        "/admin/auth/group/add/",
        "/admin/auth/user/add/",
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        f"/admin/auth/user/{clinician.pk}/change/",
        {"username": "clinician", "is_superuser": "on", "is_staff": "on"},
    )
    assert response.status_code == 403
    clinician.refresh_from_db()
    assert not clinician.is_superuser


def test_ship_form_trims_whitespace_and_refuses_unknown_carriers(client, settings):
    settings.STRIPE_TEST_MODE = True
    order = order_to_review()
    approve_order(order, considered=considered(order), by=staff("clinician"), attested=True)
    verified(order)
    shipment = Shipment.objects.get(order=order)
    sign_in(client, staff("fulfillment"))
    url = f"/admin/orders/shipment/{shipment.pk}/ship/"
    for data in (
        {"carrier": "Pigeon", "tracking_number": "1Z999"},
        {"carrier": "UPS", "tracking_number": "   "},
    ):
        response = client.post(url, data)
        assert response.status_code == 400
        assert b"errorlist" in response.content
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PENDING
    response = client.post(url, {"carrier": "UPS", "tracking_number": "  1Z999AA10123456784  "})
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert (shipment.carrier, shipment.tracking_number) == ("UPS", "1Z999AA10123456784")
    assert shipment.tracking_url.endswith("1Z999AA10123456784")


def test_create_staff_user_rejects_an_unknown_role_clearly():
    with pytest.raises(CommandError, match="invalid choice: 'doctor'.*clinician"):
        call_command("create_staff_user", "x", "--role", "doctor", "--no-input")


@pytest.mark.parametrize(
    ("role", "group"),
    [
        ("content-editor", "Content editors"),
        ("catalog-manager", "Catalog managers"),
        ("clinician", "Clinicians"),
        ("fulfillment", "Fulfillment"),
        ("support", "Support"),
    ],
)
def test_create_staff_user_in_each_role_can_log_in(client, role, group):
    call_command(
        "create_staff_user", f"u-{role}", "--role", role, "--password", "a-long-staff-password-42"
    )
    user = get_user_model().objects.get(username=f"u-{role}")
    sign_in(client, user, password="a-long-staff-password-42")
    response = client.get("/admin/")
    assert response.status_code == 200
    assert response.wsgi_request.user.groups.get().name == group


def test_bulk_ship_with_an_overlong_tracking_number_is_a_form_error_and_ships_nothing(
    client, test_mode
):
    orders = [order_in(S.APPROVED) for _ in range(2)]
    shipments = [order.shipments.get() for order in orders]
    sign_in(client, staff("fulfillment"))
    response = client.post(
        "/admin/orders/shipment/",
        {
            "action": "mark_selected_shipped",
            "_selected_action": [s.pk for s in shipments],
            "apply": "1",
            "carrier": "USPS",
            f"tracking_{shipments[0].pk}": "9400A",
            f"tracking_{shipments[1].pk}": "9" * 101,
        },
    )
    assert response.status_code == 400
    assert "at most 100 characters" in response.content.decode()
    assert not Shipment.objects.filter(status="shipped").exists()


@pytest.mark.parametrize("amount", ["1e2", "\uff19\uff19", "NaN", "1_000", "$20", "20,00"])
def test_refund_amount_takes_ascii_digits_and_one_decimal_point_only(client, test_mode, amount):
    order = order_to_review()
    sign_in(client, staff("support"))
    response = client.post(
        f"/admin/orders/order/{order.pk}/refund/",
        {"amount": amount, "reason": "Goodwill", "token": "t1"},
    )
    assert response.status_code == 400
    assert "digits and a decimal point only" in response.content.decode()
    assert not order.refunds.exists()


def test_a_plain_refund_amount_is_taken_in_cents(client, test_mode):
    order = order_to_review(2200)
    sign_in(client, staff("support"))
    response = client.post(
        f"/admin/orders/order/{order.pk}/refund/",
        {"amount": "10.50", "reason": "Goodwill", "token": "t2"},
    )
    assert response.status_code == 302
    assert order.refunds.get().amount_cents == 1050
