"""Stripe objects and webhook deliveries for tests, built from tests/data/stripe/.

``signed_header`` signs a payload exactly as Stripe does: ``t=<unix time>,v1=<hex
HMAC-SHA256 of "<t>.<raw body>" keyed with the endpoint secret>``.
"""

import copy
import hashlib
import hmac
import json
import time
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "stripe"
WEBHOOK_SECRET = "whsec_test_0a1b2c3d4e5f"


@cache
def _load(name):
    return json.loads((DATA / f"{name}.json").read_text())


def stripe_object(name, **changes):
    """A fresh copy of tests/data/stripe/<name>.json with top-level keys changed."""
    obj = copy.deepcopy(_load(name))
    obj.update(changes)
    return obj


def signed_header(payload, secret=WEBHOOK_SECRET, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    body = payload.decode() if isinstance(payload, bytes) else payload
    signature = hmac.new(
        secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={signature}"


_counter = iter(range(1, 10**9))


def event(event_type, obj, *, event_id=None):
    """A Stripe event envelope around ``obj``."""
    envelope = stripe_object("event")
    envelope.update(
        id=event_id or f"evt_test_{next(_counter):08d}{int(time.time())}",
        type=event_type,
        created=int(time.time()),
        data={"object": obj},
    )
    return envelope


def deliver(client, payload, *, secret=WEBHOOK_SECRET, timestamp=None, header=None):
    """POST an event (dict or raw body) to the webhook endpoint, signed unless told otherwise."""
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    headers = {}
    signature = header if header is not None else signed_header(body, secret, timestamp)
    if signature:
        headers["Stripe-Signature"] = signature
    return client.post(
        "/stripe/webhook/", data=body, content_type="application/json", headers=headers
    )


def completed_session(order, **changes):
    """``checkout.session.completed`` data for ``order``."""
    return stripe_object(
        "checkout_session_completed",
        client_reference_id=str(order.pk),
        metadata={"order_id": str(order.pk), "order_reference": order.reference},
        customer_email=order.email,
        amount_subtotal=order.total_cents,
        amount_total=order.total_cents,
        **changes,
    )


def invoice_for(order, *, billing_reason, invoice_id, amount=None, subscription=None):
    invoice = stripe_object("invoice", id=invoice_id, billing_reason=billing_reason)
    amount = order.total_cents if amount is None else amount
    invoice.update(amount_due=amount, amount_paid=amount, subtotal=amount, total=amount)
    invoice["parent"]["subscription_details"] = {
        "metadata": {"order_id": str(order.pk), "order_reference": order.reference},
        "subscription": subscription or "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
    }
    invoice["payments"]["data"][0]["invoice"] = invoice_id
    invoice["payments"]["data"][0]["payment"]["payment_intent"] = f"pi_{invoice_id}"
    return invoice


def subscription_for(order, *, status, subscription_id="sub_1Pgc6rB7WZ01zgkWNy0Cn5nw"):
    return stripe_object(
        "subscription",
        id=subscription_id,
        status=status,
        metadata={"order_id": str(order.pk), "order_reference": order.reference},
    )
