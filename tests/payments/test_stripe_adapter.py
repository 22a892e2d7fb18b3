"""The Stripe adapter turns Stripe's published objects (tests/data/stripe/) into our facts:
Stripe's field names and status words stop there."""

from datetime import UTC, datetime

from payments.gateways.facts import (
    BillingReason,
    CompletedCheckout,
    DisputeOutcome,
    RefundStatus,
    SubscriptionStatus,
)
from payments.gateways.stripe import checkout_of, dispute_of, invoice_of, refund_of, subscription_of
from tests.support.stripe_helpers import stripe_object


def test_a_paid_session_becomes_a_completed_checkout_with_the_address_in_our_words():
    session = stripe_object(
        "checkout_session",
        id="cs_test_1",
        payment_status="paid",
        metadata={"order_id": "41"},
        client_reference_id="42",
        customer="cus_1",
        subscription="sub_1",
        invoice="in_1",
        amount_total=4400,
        collected_information={
            "shipping_details": {
                "name": "Maria Lopez",
                "address": {
                    "line1": "12 Elm St",
                    "line2": None,
                    "city": "Austin",
                    "state": "TX",
                    "postal_code": "73301",
                    "country": "US",
                },
            }
        },
    )
    assert checkout_of(session) == CompletedCheckout(
        session_id="cs_test_1",
        order_ids=(41, 42),
        customer_id="cus_1",
        subscription_id="sub_1",
        invoice_id="in_1",
        amount_total_cents=4400,
        currency="usd",
        paid=True,
        shipping={
            "ship_name": "Maria Lopez",
            "ship_line1": "12 Elm St",
            "ship_line2": "",
            "ship_city": "Austin",
            "ship_state": "TX",
            "ship_postal_code": "73301",
            "ship_country": "US",
        },
    )


def test_stripe_s_published_open_session_is_unpaid_and_names_no_order():
    checkout = checkout_of(stripe_object("checkout_session"))
    assert (checkout.paid, checkout.order_ids, checkout.shipping["ship_line1"]) == (False, (), "")


def test_an_invoice_s_billing_reason_and_subscription_are_read_from_where_stripe_keeps_them():
    invoice = stripe_object(
        "invoice",
        id="in_2",
        status="paid",
        billing_reason="subscription_cycle",
        amount_paid=2200,
        status_transitions={"paid_at": 1767225600},
        parent={
            "type": "subscription_details",
            "subscription_details": {"subscription": "sub_2", "metadata": {"order_id": "7"}},
        },
    )
    state = invoice_of(invoice)
    assert (state.subscription_id, state.order_ids, state.paid) == ("sub_2", (7,), True)
    assert (state.billing_reason, state.other_reason) == (BillingReason.RENEWAL, "")
    assert state.paid_at == datetime(2026, 1, 1, tzinfo=UTC)
    manual = invoice_of(stripe_object("invoice", id="in_3", billing_reason="manual"))
    assert (manual.billing_reason, manual.other_reason) == (BillingReason.OTHER, "manual")


def test_a_subscription_s_month_ends_with_its_first_item_to_end():
    subscription = stripe_object(
        "subscription",
        id="sub_3",
        status="past_due",
        items={"data": [{"current_period_end": 1769904000}, {"current_period_end": 1767225600}]},
        pause_collection={"behavior": "void", "resumes_at": 1770000000},
    )
    state = subscription_of(subscription)
    assert state.current_period_end == datetime(2026, 1, 1, tzinfo=UTC)
    assert (state.status, state.behind, state.ended) == (SubscriptionStatus.PAST_DUE, True, False)
    assert (state.paused, state.resumes_at) == (True, 1770000000)


def test_a_subscription_status_new_to_us_is_unknown_not_a_stripe_word():
    state = subscription_of(stripe_object("subscription", status="some_future_status"))
    assert state.status == SubscriptionStatus.UNKNOWN
    assert (state.behind, state.ended) == (False, False)


def test_a_refund_waiting_on_the_customer_is_pending_and_carries_our_row_id():
    refund = stripe_object("refund", status="requires_action", metadata={"refund_id": "12"})
    state = refund_of(refund)
    assert (state.status, state.our_refund_id, state.amount_cents) == (
        RefundStatus.PENDING,
        12,
        100,
    )
    assert refund_of(stripe_object("refund")).our_refund_id is None


def test_a_dispute_closed_with_a_warning_counts_as_won():
    assert dispute_of(stripe_object("dispute", status="warning_closed")).outcome == (
        DisputeOutcome.WON
    )
    assert dispute_of(stripe_object("dispute", status="lost")).outcome == DisputeOutcome.LOST
    assert dispute_of(stripe_object("dispute", status="under_review")).outcome == (
        DisputeOutcome.OPEN
    )
