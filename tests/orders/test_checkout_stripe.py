"""Checkout through the real ``stripe`` library, against a local HTTP server standing in for Stripe."""

import json
import time

import pytest
from werkzeug import Response

from orders.models import Order, OrderLine
from tests.orders.factories import answers, make_plan
from tests.orders.stripe_helpers import stripe_object
from treatments.models import Plan

pytestmark = pytest.mark.django_db

SESSIONS = "/v1/checkout/sessions"


def session_response(**changes):
    return stripe_object(
        "checkout_session_created",
        id="cs_test_a1oana",
        url="https://checkout.stripe.com/c/pay/cs_test_a1oana",
        **changes,
    )


def start(client, *plans, **extra_answers):
    for plan in plans:
        client.post("/cart/add/", {"plan": plan.pk})
    return client.post("/checkout/", answers(metformin_alcohol="no", **extra_answers))


def test_checkout_session_parameters_sent_by_the_stripe_library(client, stripe_api):
    stripe_api.expect_oneshot_request(SESSIONS, method="POST").respond_with_json(session_response())
    metformin = make_plan("Oral Metformin ER", 2200)
    lotion = make_plan("Metformin HCL Lotion 20%", 4300, form="topical")
    response = start(client, metformin, lotion)

    assert response.status_code == 302
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_a1oana"
    order = Order.objects.get()
    request, _ = stripe_api.log[0]
    form = request.form
    lines = {
        form["line_items[0][price_data][product_data][name]"]: 0,
        form["line_items[1][price_data][product_data][name]"]: 1,
    }
    i = lines["Oral Metformin ER (Monthly)"]
    assert form["mode"] == "subscription"
    assert form[f"line_items[{i}][price_data][unit_amount]"] == "2200"
    assert form[f"line_items[{1 - i}][price_data][unit_amount]"] == "4300"
    assert form[f"line_items[{i}][price_data][currency]"] == "usd"
    assert form[f"line_items[{i}][price_data][recurring][interval]"] == "month"
    assert form[f"line_items[{i}][quantity]"] == "1"
    assert "line_items[2][quantity]" not in form
    assert form["client_reference_id"] == str(order.pk)
    assert form["metadata[order_id]"] == str(order.pk)
    assert form["subscription_data[metadata][order_id]"] == str(order.pk)
    assert form["customer_email"] == "jane@example.com"
    assert form["shipping_address_collection[allowed_countries][0]"] == "US"
    assert "Free shipping" in form["custom_text[submit][message]"]
    assert "Free shipping" in form["custom_text[shipping_address][message]"]
    assert form["success_url"] == f"https://oana.example/checkout/success/?order={order.public_id}"
    assert form["cancel_url"] == "https://oana.example/checkout/"
    assert request.headers["Idempotency-Key"].startswith(f"checkout-{order.public_id}-")
    assert request.headers["Authorization"] == "Bearer sk_test_oana_local"

    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.stripe_checkout_session_id == "cs_test_a1oana"
    assert (order.subtotal_cents, order.shipping_cents, order.total_cents) == (6500, 0, 6500)
    assert sorted(order.lines.values_list("unit_amount_cents", flat=True)) == [2200, 4300]
    assert order.questionnaire.answers["pregnancy"]["answer"] == "None of these"
    assert order.events.get().kind == "created"


def test_tampered_amounts_and_plan_ids_in_the_post_change_nothing(client, stripe_api):
    stripe_api.expect_oneshot_request(SESSIONS, method="POST").respond_with_json(session_response())
    plan = make_plan("Oral Metformin ER", 2200)
    expensive = make_plan("Oral GLP-1 & Metformin pack", 19900)
    client.post("/cart/add/", {"plan": plan.pk})
    response = client.post(
        "/checkout/",
        answers(
            metformin_alcohol="no",
            amount_cents="1",
            unit_amount="1",
            total_cents="1",
            plan=str(expensive.pk),
            price="0.01",
        ),
    )
    assert response.status_code == 302
    form = stripe_api.log[0][0].form
    assert form["line_items[0][price_data][unit_amount]"] == "2200"
    assert "line_items[1][quantity]" not in form
    order = Order.objects.get()
    assert order.total_cents == 2200
    assert list(order.lines.values_list("plan_id", flat=True)) == [plan.pk]


def test_price_is_taken_when_the_order_is_placed_and_snapshotted(client, stripe_api):
    stripe_api.expect_oneshot_request(SESSIONS, method="POST").respond_with_json(session_response())
    plan = make_plan("Oral Metformin ER", 2200)
    client.post("/cart/add/", {"plan": plan.pk})
    Plan.objects.filter(pk=plan.pk).update(amount_cents=2500)  # staff edit after "add"
    client.post("/checkout/", answers(metformin_alcohol="no"))
    assert stripe_api.log[0][0].form["line_items[0][price_data][unit_amount]"] == "2500"
    Plan.objects.filter(pk=plan.pk).update(amount_cents=9900)  # later edit
    assert OrderLine.objects.get().unit_amount_cents == 2500


def test_stripe_500_keeps_cart_and_answers_and_retry_reuses_the_order(client, stripe_api):
    plan = make_plan("Oral Metformin ER", 2200)
    stripe_api.expect_oneshot_request(SESSIONS, method="POST").respond_with_json(
        {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}},
        status=500,
    )
    response = start(client, plan, medicines="Vitamin D")
    assert response.status_code == 503
    html = response.content.decode()
    assert "We could not reach our payment provider, so nothing was charged." in html
    assert "Vitamin D" in html  # her answers, shown again from this request
    assert client.session["cart"] == {str(plan.pk): 1}
    # The order holds the answers now; the browser session does not.
    assert "checkout_answers" not in client.session
    assert "Vitamin D" not in client.get("/checkout/").content.decode()
    order = Order.objects.get()
    assert order.status == Order.Status.PENDING_PAYMENT

    stripe_api.expect_oneshot_request(SESSIONS, method="POST").respond_with_json(session_response())
    response = client.post("/checkout/", answers(metformin_alcohol="no", medicines="Vitamin D"))
    assert response.status_code == 302
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 1
    first, second = (request for request, _ in stripe_api.log)
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert Order.objects.get().stripe_checkout_session_id == "cs_test_a1oana"


def test_stripe_timeout_is_reported_and_makes_no_duplicate(client, stripe_api, settings):
    settings.STRIPE_TIMEOUT_SECONDS = 0.3

    def slow(request):
        time.sleep(1)
        return Response(json.dumps(session_response()), content_type="application/json")

    stripe_api.expect_oneshot_request(SESSIONS, method="POST").respond_with_handler(slow)
    plan = make_plan("Oral Metformin ER", 2200)
    response = start(client, plan)
    assert response.status_code == 503
    assert "nothing was charged" in response.content.decode()
    assert client.session["cart"] == {str(plan.pk): 1}
    time.sleep(1)  # the fake Stripe serves one request at a time

    stripe_api.expect_oneshot_request(SESSIONS, method="POST").respond_with_json(session_response())
    response = client.post("/checkout/", answers(metformin_alcohol="no"))
    assert response.status_code == 302
    assert Order.objects.count() == 1


def test_changing_the_cart_after_a_failure_updates_the_same_order(client, stripe_api):
    stripe_api.expect_oneshot_request(SESSIONS, method="POST").respond_with_json(
        {"error": {"type": "api_error"}}, status=500
    )
    first, second = make_plan("Oral Metformin ER", 2200), make_plan("Spironolactone", 1400)
    start(client, first)
    client.post("/cart/add/", {"plan": second.pk})
    stripe_api.expect_oneshot_request(SESSIONS, method="POST").respond_with_json(session_response())
    client.post(
        "/checkout/",
        answers(
            metformin_alcohol="no",
            spironolactone_potassium="no",
            spironolactone_high_potassium="no",
        ),
    )
    order = Order.objects.get()
    assert order.total_cents == 3600 and order.lines.count() == 2
    keys = [request.headers["Idempotency-Key"] for request, _ in stripe_api.log]
    assert keys[0] != keys[1]  # different request, different key (Stripe would refuse reuse)


def test_a_paid_order_is_never_reused_for_a_new_checkout(client, stripe_api):
    stripe_api.expect_request(SESSIONS, method="POST").respond_with_json(session_response())
    plan = make_plan("Oral Metformin ER", 2200)
    start(client, plan)
    Order.objects.update(status=Order.Status.AWAITING_REVIEW)
    client.post("/checkout/", answers(metformin_alcohol="no"))
    assert Order.objects.count() == 2


def test_no_gateway_configured_is_a_clear_503(client, settings):
    settings.STRIPE_TEST_MODE = False
    settings.STRIPE_SECRET_KEY = ""
    client.post("/cart/add/", {"plan": make_plan().pk})
    response = client.post("/checkout/", answers(metformin_alcohol="no"))
    assert response.status_code == 503
    assert "Online payment is not available" in response.content.decode()
    assert Order.objects.count() == 0


def test_checkout_is_csrf_protected_and_get_or_post_only(client):
    client.post("/cart/add/", {"plan": make_plan().pk})
    assert client.put("/checkout/").status_code == 405
    csrf_client = client.__class__(enforce_csrf_checks=True)
    assert csrf_client.post("/checkout/", answers()).status_code == 403
