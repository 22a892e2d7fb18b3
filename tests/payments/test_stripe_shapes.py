"""Every Stripe object in the test data has Stripe's shape (see tests/support/stripe_shapes.py)."""

import json
from pathlib import Path

import pytest

from tests.support.stripe_shapes import examples, unknown_keys

DATA = Path(__file__).resolve().parents[1] / "data" / "stripe"
FIXTURES = sorted(p for p in DATA.glob("*.json") if p.name != "examples.json")


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_has_only_keys_stripe_sends(path):
    assert unknown_keys(json.loads(path.read_text()), path.name) == []


def test_the_checker_refuses_what_stripe_never_sends():
    invoice = {**examples()["invoice"], "payments": {"object": "list", "data": []}}
    assert unknown_keys(invoice) == ["$: 'payments' is not in Stripe's example of invoice"]
    charge = {"object": "charge", "id": "ch_1", "refunds": {"object": "list", "data": []}}
    assert unknown_keys(charge) == ["$: 'refunds' is not in Stripe's example of charge"]
    session = {
        "object": "checkout.session",
        "collected_information": {"shipping_details": {"name": "J", "phone": "1"}},
    }
    assert unknown_keys(session) == [
        "$.collected_information.shipping_details: 'phone' is not in Stripe's example of "
        "checkout.session.collected_information.shipping_details"
    ]


def test_the_documented_exceptions_pass():
    payment = {
        "object": "invoice_payment",
        "payment": {"type": "payment_intent", "payment_intent": "pi_1"},
    }
    assert unknown_keys(payment) == []
    event = {"object": "event", "data": {"object": {}, "previous_attributes": {"status": "x"}}}
    assert unknown_keys(event) == []
