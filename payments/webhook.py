"""The Stripe webhook endpoint: verify, then hand over to ``services.stripe_events``."""

import json
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.ratelimit import rate_limit
from payments.gateways import PaymentProviderError
from payments.gateways.stripe import InvalidSignature, verify_signature
from payments.services.stripe_events import receive_event

logger = logging.getLogger(__name__)


def _looks_like_an_event(event):
    """The envelope every Stripe event has: the handlers rely on these shapes."""
    if not isinstance(event, dict):
        return False
    event_id, event_type, data = event.get("id"), event.get("type", ""), event.get("data", {})
    return (
        isinstance(event_id, str)
        and 0 < len(event_id) <= 255
        and isinstance(event_type, str)
        and len(event_type) <= 100
        and isinstance(data, dict)
        and isinstance(data.get("object", {}), dict)
    )


def _without_nul(value):
    """NUL characters removed from every string: PostgreSQL stores none in text or jsonb."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


@csrf_exempt
@require_POST
@rate_limit("stripe_webhook")
def stripe_webhook(request):
    """Stripe signs each event with the endpoint secret; anything unsigned is refused.

    In this order, so that nobody but Stripe can make the server do work: the body's size
    is capped, the signature is checked over the raw bytes, and only then is the JSON
    parsed (a deeply nested body would otherwise exhaust the parser before anything says
    who sent it).
    """
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        logger.error("Stripe webhook received but STRIPE_WEBHOOK_SECRET is not set")
        return _refuse("Webhook secret not configured.")
    payload = _body_within_cap(request)
    if payload is None:
        return _refuse("Payload too large.", status=413)
    try:
        verify_signature(payload, request.headers.get("Stripe-Signature", ""), secret)
    except InvalidSignature:
        logger.warning("Stripe webhook with a bad or stale signature refused")
        return _refuse("Invalid signature.")
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError):
        return _refuse("Invalid payload.")
    if not _looks_like_an_event(event):
        return _refuse("Not a Stripe event.")
    try:
        result = receive_event(_without_nul(event))
    except PaymentProviderError:
        # The facts could not be fetched: nothing was recorded, so Stripe's retry will be.
        return _refuse("Stripe could not be reached; please retry.", status=503)
    return JsonResponse({"received": True, "result": result})


def _body_within_cap(request):
    """The raw body, or None when it is larger than any Stripe event (without reading it all)."""
    cap = settings.STRIPE_WEBHOOK_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > cap:
        return None
    body = request.read(cap + 1)
    return None if len(body) > cap else body


def _refuse(message, status=400):
    return HttpResponse(message, status=status, content_type="text/plain")
