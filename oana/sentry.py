"""Error reports to Sentry, without health data.

``init_sentry`` runs from settings and does nothing unless ``SENTRY_DSN`` is set. Reports are
sent without default PII (``send_default_pii`` left False: no user, cookies or client
address), no request bodies
and no local variables of stack frames (they hold questionnaire answers and addresses), and
``scrub_event`` takes out whatever else could carry them before anything leaves the server:
request bodies, query strings, cookies and headers other than a few harmless ones; values
under keys that name health or contact data; and order ids and email addresses in messages,
exception values and breadcrumbs (``oana.logging.redact``), and client addresses (IPv4 and
IPv6) wherever they appear in text: sign-in lockout logs name the address that tried.
"""

import re

from .logging import redact as _redact_log_text

IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
# A run of hex digits and colons with "::" in it, or with at least five colons (a time such
# as 12:30:05 has two).
IPV6 = re.compile(
    r"(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:)*[0-9A-Fa-f]*::[0-9A-Fa-f:]*|(?:[0-9A-Fa-f]{1,4}:){5,7}[0-9A-Fa-f]{1,4})(?![\w:])"
)


def redact(text):
    """What ``oana.logging.redact`` takes out, and client addresses too."""
    text = _redact_log_text(text)
    text = IPV4.sub("[address]", text)
    return IPV6.sub("[address]", text)


# Keys whose values never leave the server, wherever they appear in an event.
SENSITIVE_KEY = re.compile(
    r"answer|flag|questionnaire|note|reason|message_body|address|ship_|line1|line2|postal|"
    r"city|state|zip|phone|email|name|birth|dob|pregnan|medic|allerg|password|secret|token|"
    r"key|cookie|session|csrf|authorization|signature",
    re.IGNORECASE,
)
FILTERED = "[Filtered]"
# Contexts the SDK fills in about the machine, never about a patient.
SDK_CONTEXTS = {"runtime", "os", "trace"}
SAFE_HEADERS = {"accept", "accept-encoding", "accept-language", "content-type", "user-agent"}


def _scrub(value, depth=0):
    """Sensitive keys blanked and strings redacted, all the way down."""
    if depth > 20:
        return FILTERED
    if isinstance(value, dict):
        return {
            key: FILTERED
            if isinstance(key, str) and SENSITIVE_KEY.search(key)
            else _scrub(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_scrub(item, depth + 1) for item in value]
    if isinstance(value, str):
        return redact(value)
    return value


def _scrub_request(request):
    url = request.get("url", "")
    headers = request.get("headers") or {}
    return {
        "method": request.get("method"),
        "url": redact(url.split("?", 1)[0]),
        "headers": {name: value for name, value in headers.items() if name.lower() in SAFE_HEADERS},
    }


def scrub_event(event, hint=None):
    """Sentry's ``before_send``: the event without anything that could be health data."""
    if "request" in event:
        event["request"] = _scrub_request(event["request"])
    event.pop("user", None)
    event.pop("server_name", None)
    for container in ("exception", "threads"):
        for entry in (event.get(container) or {}).get("values", []):
            if "value" in entry:
                entry["value"] = redact(str(entry["value"]))
            for frame in (entry.get("stacktrace") or {}).get("frames", []):
                frame.pop("vars", None)
    logentry = event.get("logentry")
    if logentry:
        event["logentry"] = {
            key: redact(str(logentry[key])) for key in ("message", "formatted") if key in logentry
        }
    if "message" in event:
        event["message"] = redact(str(event["message"]))
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        crumb.pop("data", None)
        if "message" in crumb:
            crumb["message"] = redact(str(crumb["message"]))
    for section in ("extra", "tags"):
        if section in event:
            event[section] = _scrub(event[section])
    contexts = event.get("contexts") or {}
    for name in contexts:
        if name not in SDK_CONTEXTS:
            contexts[name] = _scrub(contexts[name])
    return event


def init_sentry(dsn, *, environment="production", release=None):
    """Start the Sentry client when ``dsn`` is set; returns whether it was started."""
    if not dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        # No send_default_pii: unset is False, and sentry-sdk 2.75 deprecates setting it
        # (it warns) in favour of data_collection, whose defaults follow it.
        max_request_body_size="never",
        include_local_variables=False,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        traces_sample_rate=0.0,
    )
    return True
