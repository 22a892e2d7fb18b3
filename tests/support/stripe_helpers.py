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
    """A paid ``checkout.session`` for ``order``'s live session (Stripe's shape)."""
    session = stripe_object(
        "checkout_session",
        id=order.stripe_checkout_session_id or f"cs_oana_{order.pk}",
        status="complete",
        payment_status="paid",
        url=None,
        client_reference_id=str(order.pk),
        metadata={"order_id": str(order.pk), "order_reference": order.reference},
        customer=f"cus_oana_{order.pk}",
        customer_email=order.email,
        subscription="sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
        invoice=f"in_oana_first_{order.pk}",
        amount_subtotal=order.total_cents,
        amount_total=order.total_cents,
        collected_information={
            "business_name": None,
            "individual_name": None,
            "shipping_details": {
                "name": "Jane Patient",
                "address": {
                    "city": "Brooklyn",
                    "country": "US",
                    "line1": "45 Maple Avenue",
                    "line2": "Apt 3B",
                    "postal_code": "11201",
                    "state": "NY",
                },
            },
        },
    )
    session.update(changes)
    return session
