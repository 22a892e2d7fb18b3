"""Error reports (Sentry) never carry answers, addresses, emails, order ids or query strings."""

import copy

import sentry_sdk

from oana.sentry import FILTERED, init_sentry, scrub_event

PUBLIC_ID = "Xq3v9Lk2-Pz8Rt5Wm1Nb7Yc4Hd6Jf0Ga"

# What sentry-sdk's Django integration sends for an error in the checkout view (shape of
# sentry-sdk 2.x events: request, exception with frames and their local variables,
# breadcrumbs from the logging integration, user, extra and contexts).
EVENT = {
    "event_id": "fc6d8c0c43fc4630ad850ee518f1b9d0",
    "level": "error",
    "platform": "python",
    "server_name": "web-1.oana.internal",
    "request": {
        "url": f"https://oana.example/checkout/success/?order={PUBLIC_ID}",
        "method": "POST",
        "query_string": f"order={PUBLIC_ID}",
        "data": {"email": "jane@example.com", "medicines": "Lisinopril 10 mg"},
        "cookies": {"sessionid": "abc123", "csrftoken": "def456"},
        "headers": {
            "Cookie": "sessionid=abc123",
            "User-Agent": "Mozilla/5.0",
            "Referer": f"https://oana.example/orders/{PUBLIC_ID}/",
            "X-Forwarded-For": "198.51.100.7",
        },
        "env": {"REMOTE_ADDR": "198.51.100.7", "SERVER_NAME": "oana.example"},
    },
    "user": {"id": "7", "email": "jane@example.com", "ip_address": "198.51.100.7"},
    "exception": {
        "values": [
            {
                "type": "IntegrityError",
                "value": "duplicate key (email)=(jane@example.com)",
                "module": "django.db.utils",
                "stacktrace": {
                    "frames": [
                        {
                            "filename": "orders/views.py",
                            "function": "checkout",
                            "lineno": 170,
                            "vars": {
                                "answers": "{'pregnancy': 'Yes', 'allergies': 'Penicillin'}",
                                "address": "45 Maple Avenue",
                            },
                        },
                        {"filename": "orders/services/checkout.py", "function": "place_order"},
                    ]
                },
            },
            {"type": "ValueError", "mechanism": {"type": "django"}},
        ]
    },
    "threads": {"values": [{"id": 1, "stacktrace": {"frames": [{"vars": {"flags": "x"}}]}}]},
    "logentry": {
        "message": "Order %s for %s failed",
        "params": [PUBLIC_ID, "jane@example.com"],
        "formatted": f"Order {PUBLIC_ID} for jane@example.com failed",
    },
    "breadcrumbs": {
        "values": [
            {
                "category": "django.request",
                "message": f"GET /orders/{PUBLIC_ID}/",
                "data": {"url": "/orders/x/"},
            },
            {"category": "query", "data": {"params": ["Penicillin"]}},
        ]
    },
    "extra": {
        "answers": {"allergies": "Penicillin"},
        "order": {"ship_line1": "45 Maple Avenue", "total_cents": 3200},
        "note": "jane@example.com asked",
        "sys.argv": ["gunicorn"],
        "deep": [[[[[[[[[[[[[[[[[[[[[["too deep"]]]]]]]]]]]]]]]]]]]]]],
    },
    "tags": {"order": f"/orders/{PUBLIC_ID}/"},
    "contexts": {
        "runtime": {"name": "CPython", "version": "3.12.1"},
        "questionnaire": {"pregnancy": "Yes"},
        "patient": {"full_name": "Jane Patient", "age": 35},
    },
}


def test_the_scrubber_leaves_no_health_data_in_a_realistic_event():
    event = scrub_event(copy.deepcopy(EVENT), {})
    text = repr(event)
    for secret in (
        "jane",
        "Penicillin",
        "Lisinopril",
        "Maple",
        "'Yes'",
        PUBLIC_ID,
        "abc123",
        "198.51.100.7",
        "web-1",
    ):
        assert secret.lower() not in text.lower(), secret
    assert event["request"] == {
        "method": "POST",
        "url": "https://oana.example/checkout/success/",
        "headers": {"User-Agent": "Mozilla/5.0"},
    }
    frame = event["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert "vars" not in frame and frame["function"] == "checkout"
    assert event["exception"]["values"][0]["value"] == "duplicate key (email)=([email])"
    assert event["logentry"] == {
        "message": "Order %s for %s failed",
        "formatted": "Order [id] for [email] failed",
    }
    assert event["breadcrumbs"]["values"][0] == {
        "category": "django.request",
        "message": "GET /orders/[order]/",
    }
    assert event["extra"]["answers"] == FILTERED
    assert event["extra"]["order"] == {"ship_line1": FILTERED, "total_cents": 3200}
    assert event["extra"]["sys.argv"] == ["gunicorn"]
    assert event["contexts"]["runtime"] == {"name": "CPython", "version": "3.12.1"}
    assert event["contexts"]["questionnaire"] == {"pregnancy": FILTERED}
    assert event["contexts"]["patient"] == {"full_name": FILTERED, "age": 35}
    assert event["tags"] == {"order": "/orders/[order]/"}


def test_a_message_event_is_scrubbed_too():
    assert scrub_event({"message": "Order for jane@example.com"}) == {
        "message": "Order for [email]"
    }
    event = scrub_event({"message": "Refund for jane@example.com", "request": {}})
    assert event == {
        "message": "Refund for [email]",
        "request": {"method": None, "url": "", "headers": {}},
    }


def test_sentry_starts_only_with_a_dsn(settings):
    assert settings.SENTRY_ENABLED is False
    assert init_sentry("") is False
    try:
        assert init_sentry("https://public@o0.ingest.sentry.io/0", environment="test") is True
        client = sentry_sdk.get_client()
        options = client.options
        assert client.should_send_default_pii() is False
        assert options["data_collection"]["user_info"] is False
        assert options["data_collection"]["stack_frame_variables"] is False
        assert options["before_send"] is scrub_event
        assert options["max_request_body_size"] == "never"
        assert options["include_local_variables"] is False
        assert options["environment"] == "test"
    finally:
        sentry_sdk.init()  # no DSN: a client that sends nothing
    assert sentry_sdk.get_client().transport is None


def test_client_addresses_never_reach_sentry():
    """The defect: a lockout's log line, sent as an event, carried the client's address."""
    event = scrub_event(
        {
            "logentry": {
                "message": "AXES: Locked out %s",
                "formatted": "AXES: Locked out {ip_address: '203.0.113.9'} and 2001:db8::7",
            },
            "exception": {"values": [{"value": "from 198.51.100.23 via ::1"}]},
            "breadcrumbs": {"values": [{"message": "login failed for 203.0.113.9"}]},
            "extra": {"client": "203.0.113.9"},
        }
    )
    text = repr(event)
    for address in ("203.0.113.9", "2001:db8::7", "198.51.100.23", "::1"):
        assert address not in text, address
    assert event["logentry"]["formatted"] == (
        "AXES: Locked out {ip_address: '[address]'} and [address]"
    )
    # Version numbers and times are not addresses.
    assert scrub_event({"message": "sentry-sdk 2.75.0 at 12:30:05"})["message"] == (
        "sentry-sdk 2.75.0 at 12:30:05"
    )
