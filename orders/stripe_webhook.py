"""The Stripe webhook endpoint: verify, then hand over to ``services.stripe_events``."""

import json
import logging

import stripe
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .services.stripe_events import receive_event

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
def stripe_webhook(request):
    """Stripe signs each event with the endpoint secret; anything unsigned is refused."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        logger.error("Stripe webhook received but STRIPE_WEBHOOK_SECRET is not set")
        return HttpResponse("Webhook secret not configured.", status=400, content_type="text/plain")
    payload = request.body
    try:
        event = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return HttpResponse("Invalid payload.", status=400, content_type="text/plain")
    if not _looks_like_an_event(event):
        return HttpResponse("Not a Stripe event.", status=400, content_type="text/plain")
    try:
        stripe.Webhook.construct_event(payload, request.headers.get("Stripe-Signature", ""), secret)
    except (stripe.SignatureVerificationError, ValueError):
        logger.warning("Stripe webhook with a bad or stale signature refused")
        return HttpResponse("Invalid signature.", status=400, content_type="text/plain")
    result = receive_event(_without_nul(event))
    return JsonResponse({"received": True, "result": result})
