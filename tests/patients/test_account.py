"""Her area: orders and what only she may see, her subscription, messages with her care team,
and the clinician's question before deciding."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Order, QuestionnaireAccess, Refund, Shipment, Thread
from patients.accounts import link_orders
from patients.services.messages import follow_up_unanswered, post_staff_message
from tests.support.clinic import order_to_review
from tests.support.factories import make_paid_order, make_plan
from tests.support.lifecycle import order_in, perform
from tests.support.patients import sign_in_patient
from tests.support.staff import sign_in, staff
from tests.support.stripe_world import paid_order

pytestmark = pytest.mark.django_db
S = Order.Status


def post(client, url, data=None):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data or {}, follow=True)


def text(response):
    return response.content.decode()


# --- what she sees, and what others do not ---------------------------------------------------


def test_the_order_link_alone_shows_only_the_status(client, test_mode):
    order = perform(order_to_review(), "approve")
    html = text(client.get(order.get_absolute_url()))
    assert 'data-testid="order-status">Approved, preparing to ship<' in html
    assert "Sign in to see details" in html
    for private in ("Jane Patient", "45 Maple Avenue", "Spironolactone", "$22.00", "Cards and"):
        assert private not in html, private
    assert f'action="/orders/{order.public_id}/sign-in-code/"' in html  # one tap


def test_another_patients_pages_are_404(client, test_mode):
    mine = make_paid_order(email="jane@example.com")
    theirs = make_paid_order(email="ann@example.com")
    thread = Thread.objects.create(order=theirs, topic="order")
    sign_in_patient(client, mine)
    assert "45 Maple Avenue" not in text(client.get(theirs.get_absolute_url()))
    for url in (
        f"/orders/{theirs.public_id}/messages/",
        f"/orders/{theirs.public_id}/messages/{thread.pk}/",
        f"/orders/{mine.public_id}/messages/{thread.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    for action in ("pause", "resume", "cancel", "undo-cancel", "address", "cards-and-invoices"):
        assert client.post(f"/orders/{theirs.public_id}/{action}/").status_code == 404
        assert client.post(f"/orders/%00/{action}/").status_code == 404


def test_her_account_lists_every_order_with_what_she_needs(client, test_mode):
    first = perform(perform(order_to_review(), "approve"), "ship")
    second = make_paid_order(make_plan("Oral Metformin ER", 2200))
    sign_in_patient(client, first)
    html = text(client.get("/account/"))
    assert first.reference in html and second.reference in html
    assert "Spironolactone (Monthly): $22.00/month" in html
    assert "USPS 9400TEST" in html  # tracking
    assert "Next charge" in html


def test_staff_and_anonymous_visitors_have_no_account_page(client):
    assert client.get("/account/")["Location"].startswith("/accounts/login/code/")
    sign_in(client, staff("support"))
    assert client.get("/account/").status_code == 404


@pytest.mark.parametrize("orders", [1, 4])
def test_account_pages_take_a_fixed_number_of_queries(client, test_mode, orders):
    made = [perform(order_to_review(), "approve") for _ in range(orders)]
    for order in made:
        thread = Thread.objects.create(order=order, topic="order")
        for n in range(orders):
            post_staff_message(thread, body=f"Reply {n}", by=staff("support", f"s{order.pk}-{n}"))
    sign_in_patient(client, made[0])
    pages = {
        # session, user, her account; orders with unread counts, lines, shipments; header
        "/account/": 7,
        # see tests/orders/test_queries.py (+ prescriptions, is_patient, check-in, labs and ID)
        made[0].get_absolute_url(): 16,
        # session, user, her account; her order; its threads with counts; header
        f"/orders/{made[0].public_id}/messages/": 6,
        # session, user, her account; order; thread; messages with authors; marked read;
        # header
        f"/orders/{made[0].public_id}/messages/{made[0].threads.get().pk}/": 8,
    }
    for url, expected in pages.items():
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) == expected, (url, [q["sql"][:80] for q in queries])


# --- her subscription --------------------------------------------------------------------------


def test_pause_resume_cancel_and_address_in_test_mode(client, test_mode):
    order = perform(order_to_review(), "approve")
    sign_in_patient(client, order)
    mail.outbox.clear()
    html = text(post(client, f"/orders/{order.public_id}/pause/", {"months": "2"}))
    order.refresh_from_db()
    assert order.patient_pause_until is not None
    assert "Paused until" in html and "Paused: next charge" in html
    assert "paused" in mail.outbox[-1].subject

    post(client, f"/orders/{order.public_id}/resume/")
    order.refresh_from_db()
    assert order.patient_pause_until is None

    html = text(
        post(
            client,
            f"/orders/{order.public_id}/address/",
            {
                "name": "Jane P",
                "line1": "9 Oak St",
                "city": "Albany",
                "state": "ny",
                "postal_code": "12207",
            },
        )
    )
    order.refresh_from_db()
    assert (order.ship_line1, order.ship_state) == ("9 Oak St", "NY")
    assert order.shipments.get().ship_line1 == "9 Oak St"  # not sent yet: it follows
    assert "new address" in html

    post(client, f"/orders/{order.public_id}/cancel/")
    order.refresh_from_db()
    assert order.cancel_at_period_end
    html = text(client.get(order.get_absolute_url()))
    assert "Your subscription ends" in html and "Cancel after this month" not in html
    assert [
        e.kind
        for e in order.events.filter(
            kind__in=["paused", "resumed", "address_changed", "cancel_requested"]
        )
    ] == [
        "paused",
        "resumed",
        "address_changed",
        "cancel_requested",
    ]


def test_bad_subscription_requests_are_messages_not_errors(client, test_mode):
    order = perform(order_to_review(), "approve")
    sign_in_patient(client, order)
    for url, data, says in (
        (f"/orders/{order.public_id}/pause/", {"months": "3"}, "one or two months"),
        (f"/orders/{order.public_id}/pause/", {}, "one or two months"),
        (f"/orders/{order.public_id}/resume/", {}, "not paused"),
        (f"/orders/{order.public_id}/cards-and-invoices/", {}, "local test mode"),
    ):
        response = post(client, url, data)
        assert response.status_code == 200 and says in text(response), url
    assert client.get(f"/orders/{order.public_id}/pause/").status_code == 405
    # A bad address is her form again, with its errors (test_refill_address.py).
    response = post(client, f"/orders/{order.public_id}/address/", {"state": "New York"})
    assert response.status_code == 400 and "Choose a US state from the list." in text(response)
    closed = order_in(S.DECLINED)
    sign_in_patient(client, closed)
    assert "cannot be paused" in text(
        post(client, f"/orders/{closed.public_id}/pause/", {"months": "1"})
    )
    assert "no more refills" in text(
        post(
            client,
            f"/orders/{closed.public_id}/address/",
            {"name": "J", "line1": "1", "city": "A", "state": "NY", "postal_code": "12207"},
        )
    )


def test_subscription_control_goes_through_stripe(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    sign_in_patient(client, order)
    period_end = Order.objects.get().current_period_end
    assert period_end is not None  # from her subscription's items, fetched at checkout
    post(client, f"/orders/{order.public_id}/pause/", {"months": "1"})
    subscription = fake_stripe.objects[order.stripe_subscription_id]
    assert subscription["pause_collection"]["behavior"] == "void"
    # One day after the one renewal she skips (issue 18 item 4), not 30 days after it.
    assert int(subscription["pause_collection"]["resumes_at"]) == int(
        (period_end + timedelta(days=1)).timestamp()
    )
    post(client, f"/orders/{order.public_id}/resume/")
    assert fake_stripe.objects[order.stripe_subscription_id]["pause_collection"] is None
    post(client, f"/orders/{order.public_id}/cancel/")
    assert fake_stripe.objects[order.stripe_subscription_id]["cancel_at_period_end"] is True
    response = post(client, f"/orders/{order.public_id}/cards-and-invoices/")
    assert response.redirect_chain[-1][0].startswith("https://billing.stripe.com/")
    [(_, _, params, _)] = fake_stripe.calls("POST", "billing_portal")
    assert params["customer"] == order.stripe_customer_id


def test_her_later_checkouts_reuse_one_stripe_customer(client, fake_stripe):
    from tests.support.stripe_world import pay_checkout, start_checkout

    first = paid_order(client, fake_stripe)
    user = sign_in_patient(client, first)
    link_orders(None, None, user)  # what her sign-in does
    first.refresh_from_db()
    start_checkout(client, make_plan("Spironolactone", 1400))
    second = Order.objects.exclude(pk=first.pk).get()
    assert second.patient == first.patient
    _, _, params, _ = fake_stripe.calls("POST", r"^/v1/checkout/sessions$")[-1]
    assert params["customer"] == first.stripe_customer_id
    assert "customer_email" not in params
    pay_checkout(client, fake_stripe, second)
    assert Order.objects.get(pk=second.pk).stripe_customer_id == first.stripe_customer_id


# --- messages ------------------------------------------------------------------------------------


def test_she_writes_to_her_care_team_and_a_reply_emails_her_a_notice(client, test_mode):
    order = order_to_review()
    sign_in_patient(client, order)
    page = text(client.get(f"/orders/{order.public_id}/messages/"))
    assert "call 911" in page and "within one business day" in page
    response = post(
        client,
        f"/orders/{order.public_id}/messages/",
        {"topic": "order", "body": "When does my box ship?"},
    )
    thread = Thread.objects.get()
    assert response.redirect_chain[-1][0] == f"/orders/{order.public_id}/messages/{thread.pk}/"
    assert "When does my box ship?" in text(response)

    support = staff("support")
    sign_in(client, support)
    inbox = text(client.get("/admin/orders/thread/?unread=yes"))
    assert order.reference in inbox
    mail.outbox.clear()
    post(client, f"/admin/orders/thread/{thread.pk}/change/", {"body": "Tomorrow, by USPS."})
    [notice] = mail.outbox
    assert "New message" in notice.subject and "Tomorrow" not in notice.body
    assert not QuestionnaireAccess.objects.exists()  # an order thread is not health data

    sign_in_patient(client, order)
    assert 'data-testid="unread">1<' in text(client.get("/"))
    assert "Tomorrow, by USPS." in text(
        client.get(f"/orders/{order.public_id}/messages/{thread.pk}/")
    )
    assert 'data-testid="unread"' not in text(client.get("/"))


def test_medical_threads_are_for_clinicians_and_every_read_is_logged(client, test_mode):
    order = order_to_review()
    sign_in_patient(client, order)
    post(
        client,
        f"/orders/{order.public_id}/messages/",
        {"topic": "medical", "body": "Is it safe with my pill?"},
    )
    thread = Thread.objects.get()
    sign_in(client, staff("support"))
    assert order.reference not in text(client.get("/admin/orders/thread/"))
    assert client.get(f"/admin/orders/thread/{thread.pk}/change/").status_code == 403
    clinician = staff("clinician")
    sign_in(client, clinician)
    assert "Is it safe with my pill?" in text(
        client.get(f"/admin/orders/thread/{thread.pk}/change/")
    )
    log = QuestionnaireAccess.objects.get()
    assert (log.user, log.order, log.where) == (clinician, order, "medical messages")
    assert client.get("/admin/orders/thread/999999/change/").status_code == 302


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"topic": "order", "body": ""}, "Write your message to your care team."),
        ({"topic": "order", "body": "   "}, "Write your message to your care team."),
        ({"topic": "order", "body": "x" * 5001}, "at most 5000 characters"),
        ({"topic": "gossip", "body": "Hi"}, "Select a valid choice"),
    ],
)
def test_bad_messages_are_form_errors(client, test_mode, data, error):
    order = order_to_review()
    sign_in_patient(client, order)
    response = client.post(f"/orders/{order.public_id}/messages/", data)
    assert response.status_code == 400 and error in text(response)
    assert not Thread.objects.exists()
    thread = Thread.objects.create(order=order, topic="order")
    response = client.post(f"/orders/{order.public_id}/messages/{thread.pk}/", {"body": ""})
    assert response.status_code == 400


# --- the clinician asks before deciding ---------------------------------------------------------


def test_ask_answer_and_back_to_the_queue(client, fake_stripe):
    order = paid_order(client, fake_stripe)
    clinician = staff("clinician", "dr_lee")
    sign_in(client, clinician)
    assert "Ask the patient" in text(client.get("/admin/orders/reviewqueueorder/"))
    assert client.post(f"/admin/orders/order/{order.pk}/ask/", {"question": ""}).status_code == 400
    mail.outbox.clear()
    post(client, f"/admin/orders/order/{order.pk}/ask/", {"question": "Do you take lisinopril?"})
    order.refresh_from_db()
    assert order.status == S.NEEDS_INFORMATION and order.asked_at
    assert (
        fake_stripe.objects[order.stripe_subscription_id]["pause_collection"]["behavior"] == "void"
    )
    assert "Do you take lisinopril?" not in mail.outbox[0].body
    assert order.reference not in text(client.get("/admin/orders/reviewqueueorder/"))

    sign_in_patient(client, order)
    html = text(client.get(order.get_absolute_url()))
    assert "Your clinician has a question" in html
    thread = order.threads.get()
    assert "Do you take lisinopril?" in text(
        client.get(f"/orders/{order.public_id}/messages/{thread.pk}/")
    )
    # Her own resume never lifts the clinic's pause.
    post(client, f"/orders/{order.public_id}/pause/", {"months": "1"})
    post(client, f"/orders/{order.public_id}/resume/")
    assert (
        fake_stripe.objects[order.stripe_subscription_id]["pause_collection"]["behavior"] == "void"
    )
    post(client, f"/orders/{order.public_id}/messages/{thread.pk}/", {"body": "Yes, 10 mg daily."})
    order.refresh_from_db()
    assert order.status == S.AWAITING_REVIEW and order.asked_at is None
    assert fake_stripe.objects[order.stripe_subscription_id]["pause_collection"] is None

    sign_in(client, clinician)
    queue = text(client.get("/admin/orders/reviewqueueorder/"))
    assert order.reference in queue and "Answered: she replied" in queue


def test_unanswered_questions_are_reminded_then_declined_and_refunded(test_mode):
    order = order_to_review(email="quiet@example.com")
    with TestCase.captureOnCommitCallbacks(execute=True):
        order = perform(order, "ask")
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(asked_at=now - timedelta(days=8))
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert follow_up_unanswered(now) == ([order.pk], [])
        assert follow_up_unanswered(now) == ([], [])  # reminded once
    assert "Reminder" in mail.outbox[0].subject
    Order.objects.filter(pk=order.pk).update(asked_at=now - timedelta(days=15))
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("follow_up_questions", stdout=open("/dev/null", "w"))
    order.refresh_from_db()
    assert order.status == S.DECLINED
    assert "We did not hear back" in order.review_note
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED


def test_support_sees_questions_unanswered_for_a_week(client, test_mode):
    order = perform(order_to_review(), "ask")
    Order.objects.filter(pk=order.pk).update(asked_at=timezone.now() - timedelta(days=8))
    sign_in(client, staff("support"))
    assert order.reference in text(client.get("/admin/orders/order/?unanswered=yes"))
    assert 'data-testid="unanswered"><strong>1</strong>' in text(client.get("/admin/"))


def test_an_answered_or_closed_order_is_not_sent_back(client, test_mode):
    order = order_in(S.APPROVED)
    sign_in_patient(client, order)
    post(
        client,
        f"/orders/{order.public_id}/messages/",
        {"topic": "medical", "body": "Side effects?"},
    )
    assert Order.objects.get(pk=order.pk).status == S.APPROVED
    assert not Shipment.objects.filter(order=order, status="cancelled").exists()


def test_the_services_refuse_what_the_forms_would(test_mode):
    from orders.services import OrderError
    from patients.services.messages import start_thread
    from payments.services.subscriptions import cancel_at_period_end, pause_refills

    order = perform(order_to_review(), "approve")
    with pytest.raises(OrderError, match="choose what your message is about"):
        start_thread(order, topic="gossip", body="Hi", by=None)
    with pytest.raises(OrderError, match="Please write your message"):
        start_thread(order, topic="order", body="  ", by=None)
    with pytest.raises(OrderError, match="at most 5,000 characters"):
        start_thread(order, topic="order", body="x" * 5001, by=None)
    with pytest.raises(OrderError, match="one or two months"):
        pause_refills(order, months=3, by=None)
    cancel_at_period_end(order, by=None)
    with pytest.raises(OrderError, match="already set to end"):
        cancel_at_period_end(order, by=None)
    with pytest.raises(OrderError, match="already set to end"):
        pause_refills(order, months=1, by=None)


def test_who_wrote_a_message_as_she_reads_it(test_mode):
    from orders.models import Message
    from patients.services.messages import post_staff_message, start_thread

    order = order_to_review()
    thread = start_thread(order, topic="order", body="Hello", by=None)
    named = staff("support", "ann")
    named.first_name, named.last_name = "Ann", "Lee"
    named.save()
    post_staff_message(thread, body="Hi", by=named)
    post_staff_message(thread, body="Hi again", by=staff("support", "bob"))
    post_staff_message(thread, body="And again", by=None)
    assert [m.who for m in thread.messages.all()] == [
        "You",
        "Ann Lee",
        "Your care team",
        "Your care team",
    ]
    assert (
        str(Message.objects.first())
        == f"Message {Message.objects.first().pk} in thread {thread.pk}"
    )
    assert str(thread) == f"My order or delivery ({order.reference})"


def test_nothing_to_open_at_stripe_before_the_first_payment(client, test_mode):
    from tests.support.factories import make_order

    order = make_order()
    user = sign_in_patient(client, order)
    assert str(user.patient_account) == "jane@example.com"
    html = text(post(client, f"/orders/{order.public_id}/cards-and-invoices/"))
    assert "appear once your first payment is confirmed" in html


def test_asking_an_order_that_is_not_waiting_is_a_message(client, test_mode):
    order = perform(order_to_review(), "approve")
    sign_in(client, staff("clinician"))
    response = post(client, f"/admin/orders/order/{order.pk}/ask/", {"question": "Anything?"})
    assert "cannot be" in text(response)
    assert Order.objects.get(pk=order.pk).status == S.APPROVED


def test_no_sign_up_step():
    from allauth.account.adapter import get_adapter
    from django.test import RequestFactory

    assert get_adapter().is_open_for_signup(RequestFactory().get("/")) is False


@pytest.mark.django_db(transaction=True)
def test_a_signed_in_patients_first_stripe_checkout_gives_her_account_its_customer(
    client, fake_stripe
):
    from orders.models import PatientAccount
    from tests.support.factories import make_order
    from tests.support.stripe_world import pay_checkout, start_checkout

    sign_in_patient(client, make_order())  # signed in, nothing paid at Stripe yet
    start_checkout(client)
    order = Order.objects.latest("pk")
    assert order.patient is not None
    order = pay_checkout(client, fake_stripe, order)
    assert PatientAccount.objects.get().stripe_customer_id == order.stripe_customer_id != ""


def test_while_a_question_waits_she_is_offered_the_pause_the_service_accepts(client, test_mode):
    order = perform(order_to_review(), "ask")
    sign_in_patient(client, order)
    html = text(client.get(order.get_absolute_url()))
    assert f'action="/orders/{order.public_id}/pause/"' in html
    post(client, f"/orders/{order.public_id}/pause/", {"months": "1"})
    assert Order.objects.get(pk=order.pk).patient_pause_until is not None


def test_a_patient_is_signed_in_not_staff_and_has_an_account():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser

    from orders.models import PatientAccount, is_patient
    from patients.accounts import patient_user_for

    patient = patient_user_for("jane@example.com")
    assert is_patient(patient)
    assert not is_patient(AnonymousUser()) and not is_patient(None)
    assert not is_patient(get_user_model().objects.create_user("no-account"))
    clerk = staff("support", "sue")
    assert not is_patient(clerk)
    # A staff user who somehow has a patient account is still staff.
    PatientAccount.objects.create(user=clerk)
    assert not is_patient(get_user_model().objects.get(pk=clerk.pk))
