"""Clinician review: approve and decline, in test mode (no Stripe), through services and the admin."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail

from clinic.services.review import approve_order, decline_order
from orders.models import Order, OrderEvent, QuestionnaireResponse, Refund, Shipment
from orders.services import OrderError
from tests.support.clinic import approve_form, considered, order_to_review
from tests.support.factories import make_order
from tests.support.lifecycle import order_in
from tests.support.patients import prove_email
from tests.support.staff import sign_in, staff

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]
S = Order.Status


@pytest.fixture
def clinician():
    return staff("clinician", "dr_lee")


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_approve_creates_the_first_shipment_and_emails_the_patient(
    clinician, django_capture_on_commit_callbacks
):
    order = order_to_review()
    prove_email(order.email)  # unproven: tests/orders/test_emails.py
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approve_order(
            order,
            considered=considered(order),
            by=clinician,
            note="Take it with dinner.",
            attested=True,
        )
    order.refresh_from_db()
    assert order.status == S.APPROVED
    assert (order.reviewed_by, order.review_note) == (clinician, "Take it with dinner.")
    shipment = Shipment.objects.get(order=order)
    assert (shipment.kind, shipment.status) == ("initial", "pending")
    assert shipment.address_lines == order.address_lines
    assert shipment.ship_line1 == "45 Maple Avenue"
    event = order.events.get(kind="approved")
    assert (event.actor, event.from_status, event.to_status) == (
        clinician,
        S.AWAITING_REVIEW,
        S.APPROVED,
    )
    # That there is a note, not the note: it is kept encrypted on the order.
    assert event.data == {"note": True}
    assert order.review_note == "Take it with dinner."
    [email] = mail.outbox
    assert email.to == ["jane@example.com"]
    assert "is approved" in email.subject
    assert "Take it with dinner." in email.body
    assert order.get_absolute_url() in email.body


def test_approve_twice_or_after_decline_is_refused(clinician):
    order = order_to_review()
    approve_order(order, considered=considered(order), by=clinician, attested=True)
    with pytest.raises(OrderError, match="already approved"):
        approve_order(order, considered=considered(order), by=clinician, attested=True)
    assert Shipment.objects.filter(order=order).count() == 1

    other = order_to_review(email="ann@example.com")
    decline_order(other, by=clinician, reason="Not safe with your medicines.")
    with pytest.raises(OrderError, match="cannot be approved"):
        approve_order(other, considered=considered(other), by=clinician, attested=True)
    assert not Shipment.objects.filter(order=other).exists()


def test_unpaid_orders_cannot_be_reviewed(clinician):
    order = make_order()
    with pytest.raises(OrderError, match="waiting for payment"):
        approve_order(order, considered=considered(order), by=clinician, attested=True)
    with pytest.raises(OrderError, match="waiting for payment"):
        decline_order(order, by=clinician, reason="No")


def test_decline_refunds_in_full_cancels_and_emails_once(
    clinician, django_capture_on_commit_callbacks
):
    order = order_to_review(3200)
    prove_email(order.email)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decline_order(order, by=clinician, reason="Your potassium needs checking first.")
    order.refresh_from_db()
    assert order.status == S.DECLINED
    assert order.subscription_status == "canceled"
    assert order.cancelled_at is not None
    refund = Refund.objects.get(order=order)
    assert (refund.amount_cents, refund.status, refund.created_by) == (3200, "succeeded", clinician)
    assert refund.stripe_refund_id.startswith("re_test_")
    assert refund.payment == order.payments.get()
    event = order.events.get(kind="declined")
    assert event.actor == clinician
    # The reason is kept encrypted on the order, never copied into the plain timeline.
    assert "reason" not in event.data
    assert order.review_note == "Your potassium needs checking first."
    [email] = mail.outbox
    assert "everything you paid is refunded" in email.subject
    assert "$32.00" in email.body
    assert "nothing will ship" in email.body
    assert "Your potassium needs checking first." in email.body
    assert not Shipment.objects.filter(order=order).exists()


def test_decline_needs_a_reason(clinician):
    order = order_to_review()
    with pytest.raises(OrderError, match="reason"):
        decline_order(order, by=clinician, reason="   ")
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW
    assert not Refund.objects.exists()


def test_decline_twice_refunds_once(clinician):
    order = order_to_review()
    decline_order(order, by=clinician, reason="No")
    with pytest.raises(OrderError, match="already declined"):
        decline_order(order, by=clinician, reason="No")
    assert Refund.objects.filter(order=order).count() == 1
    assert order.events.filter(kind="declined").count() == 1


# --- through the admin ------------------------------------------------------------------


def test_clinician_approves_from_the_queue_with_a_note(client, clinician):
    order = order_to_review()
    sign_in(client, clinician)
    queue = client.get("/admin/orders/reviewqueueorder/")
    assert order.reference in queue.content.decode()
    form = client.get(
        f"/admin/orders/order/{order.pk}/approve/?next=/admin/orders/reviewqueueorder/"
    )
    assert form.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in form.content.decode()
    response = client.post(
        f"/admin/orders/order/{order.pk}/approve/",
        approve_form(
            order, note="Start with half a tablet.", next="/admin/orders/reviewqueueorder/"
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/orders/reviewqueueorder/"
    order.refresh_from_db()
    assert order.status == S.APPROVED and order.review_note == "Start with half a tablet."
    assert any("approved" in m for m in messages_of(response))
    assert (
        f">{order.reference}</a>"
        not in client.get("/admin/orders/reviewqueueorder/").content.decode()
    )


def test_admin_refuses_illegal_transitions_with_a_message_not_a_500(client, clinician):
    order = order_to_review()
    sign_in(client, clinician)
    client.post(f"/admin/orders/order/{order.pk}/approve/", approve_form(order))
    again = client.post(f"/admin/orders/order/{order.pk}/approve/", approve_form(order))
    assert again.status_code == 302
    assert any("already approved" in m for m in messages_of(again))
    decline = client.post(f"/admin/orders/order/{order.pk}/decline/", {"reason": "Changed my mind"})
    assert decline.status_code == 302
    assert any("cannot be declined" in m for m in messages_of(decline))
    order.refresh_from_db()
    assert order.status == S.APPROVED
    assert not Refund.objects.exists()


def test_decline_form_requires_a_reason_and_is_safe_to_submit_twice(client, clinician):
    order = order_to_review()
    sign_in(client, clinician)
    empty = client.post(f"/admin/orders/order/{order.pk}/decline/", {"reason": ""})
    assert empty.status_code == 400
    assert "This field is required" in empty.content.decode()
    first = client.post(f"/admin/orders/order/{order.pk}/decline/", {"reason": "Pregnancy"})
    second = client.post(f"/admin/orders/order/{order.pk}/decline/", {"reason": "Pregnancy"})
    assert (first.status_code, second.status_code) == (302, 302)
    assert any("everything she paid is being refunded" in m for m in messages_of(first))
    assert any("already declined and refunded" in m for m in messages_of(second))
    assert Refund.objects.filter(order=order).count() == 1


def test_order_page_shows_review_buttons_only_while_awaiting_review(client, clinician):
    order = order_to_review()
    sign_in(client, clinician)
    url = f"/admin/orders/order/{order.pk}/change/"
    html = client.get(url).content.decode()
    assert f"/admin/orders/order/{order.pk}/approve/" in html
    assert f"/admin/orders/order/{order.pk}/decline/" in html
    approve_order(order, considered=considered(order), by=clinician, attested=True)
    html = client.get(url).content.decode()
    assert f"/admin/orders/order/{order.pk}/approve/" not in html


def test_status_and_money_are_not_editable_in_the_admin(admin_client):
    order = order_to_review()
    response = admin_client.post(
        f"/admin/orders/order/{order.pk}/change/",
        {"status": "shipped", "total_cents": "1", "subtotal_cents": "1"},
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert (order.status, order.total_cents) == (S.AWAITING_REVIEW, 2200)
    html = admin_client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert 'name="status"' not in html and 'name="total_cents"' not in html


def test_review_queue_lists_oldest_first_with_red_flags_and_answers(client, clinician):
    from datetime import timedelta

    from django.utils import timezone

    newer = order_to_review(email="new@example.com")
    older = order_to_review(email="old@example.com")
    Order.objects.filter(pk=older.pk).update(paid_at=timezone.now() - timedelta(days=2))
    shipped = order_to_review(email="done@example.com")
    order_in(S.SHIPPED, order=shipped)
    sign_in(client, clinician)
    html = client.get("/admin/orders/reviewqueueorder/").content.decode()
    assert html.index(older.reference) < html.index(newer.reference)
    assert shipped.reference not in html
    assert "Caution:</strong> Takes a potassium-raising" in html
    assert "Penicillin" in html and "Lisinopril 10 mg" in html
    assert "clinic-late" in html  # the two-day-old order stands out
    assert "2\xa0days" in html


def test_every_review_writes_the_timeline_with_the_actor(clinician):
    order = order_to_review()
    approve_order(order, considered=considered(order), by=clinician, attested=True)
    kinds = list(
        OrderEvent.objects.filter(order=order, actor=clinician).values_list("kind", flat=True)
    )
    # The sign-off (flags considered) is recorded first, with the decision.
    assert kinds == ["flags_considered", "approved", "shipment_created"]


def test_an_order_without_red_flags_opens_everywhere_a_clinician_looks(client, clinician):
    """Defect: format_html() without arguments raised TypeError for every flag-free order."""
    order = order_to_review()
    QuestionnaireResponse.objects.filter(order=order).update(flags=[])
    sign_in(client, clinician)
    for url in (
        "/admin/orders/reviewqueueorder/",
        f"/admin/orders/order/{order.pk}/change/",
        f"/admin/orders/questionnaireresponse/{order.questionnaire.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "No red flags" in response.content.decode(), url
