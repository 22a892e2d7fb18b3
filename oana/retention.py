"""How long we keep what we no longer need: one function, run by ``manage.py prune_retention``
(and, once the task worker exists, on its schedule).

- Expired sessions are deleted (a browser session may hold a cart and, for a few hours,
  checkout answers).
- Stripe webhook payloads are blanked ``WEBHOOK_PAYLOAD_RETENTION_DAYS`` after they arrived
  (they name customers and addresses); the event row and its id stay, so a repeated delivery
  is still recognised and refused.
- The questionnaire access log (who was shown whose answers) is kept
  ``QUESTIONNAIRE_ACCESS_LOG_RETENTION_DAYS`` (six years), then deleted.
- A stop recorded at checkout (``clinic.stop_records``) is kept
  ``STOP_RECORD_RETENTION_DAYS`` (two years), then deleted.
- A photo of her ID is deleted ``IDENTITY_PHOTO_RETENTION_DAYS`` (30) after the clinician's
  match / mismatch decision (``clinic.identity.delete_photos``; the decision stays).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from clinic.identity import delete_photos
from orders.models import QuestionnaireAccess, StopRecord, WebhookEvent


def prune(now=None):
    """Apply every retention period; returns what was done, as counts by kind."""
    now = now or timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    payloads = (
        WebhookEvent.objects.filter(
            received_at__lt=now - timedelta(days=settings.WEBHOOK_PAYLOAD_RETENTION_DAYS)
        )
        .exclude(payload={})
        .update(payload={})
    )
    access_log, _ = QuestionnaireAccess.objects.filter(
        viewed_at__lt=now - timedelta(days=settings.QUESTIONNAIRE_ACCESS_LOG_RETENTION_DAYS)
    ).delete()
    stops, _ = StopRecord.objects.filter(
        created_at__lt=now - timedelta(days=settings.STOP_RECORD_RETENTION_DAYS)
    ).delete()
    return {
        "expired sessions deleted": sessions,
        "webhook payloads blanked": payloads,
        "questionnaire access log rows deleted": access_log,
        "stop records deleted": stops,
        "ID photos deleted": delete_photos(now),
    }
