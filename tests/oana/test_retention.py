"""Retention: expired sessions go, webhook payloads are blanked after 90 days (the event id
stays, so a repeated delivery is still refused), the access log is kept six years."""

import io
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from oana.retention import prune
from orders.models import QuestionnaireAccess, WebhookEvent
from payments.services.stripe_events import receive_event
from tests.support.clinic import order_to_review
from tests.support.staff import staff

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def session(expires):
    store = SessionStore()
    store["cart"] = {"1": 1}
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=expires)
    return store.session_key


def webhook_event(event_id, received):
    event = WebhookEvent.objects.create(
        stripe_event_id=event_id,
        type="invoice.paid",
        payload={"id": event_id, "data": {"object": {"customer_email": "jane@example.com"}}},
    )
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=received)
    return event


def access(order, user, viewed):
    row = QuestionnaireAccess.objects.create(
        order=order, user=user, username=user.username, where="order page"
    )
    QuestionnaireAccess.objects.filter(pk=row.pk).update(viewed_at=viewed)
    return row


def test_each_period_removes_what_is_older_and_keeps_what_is_younger(settings):
    now = timezone.now()
    expired, live = session(now - timedelta(seconds=1)), session(now + timedelta(seconds=60))
    old_event = webhook_event("evt_old", now - 90 * DAY - timedelta(minutes=1))
    recent_event = webhook_event("evt_recent", now - 90 * DAY + timedelta(minutes=1))
    order, clinician = order_to_review(), staff("clinician")
    six_years = settings.QUESTIONNAIRE_ACCESS_LOG_RETENTION_DAYS * DAY
    old_look = access(order, clinician, now - six_years - timedelta(minutes=1))
    recent_look = access(order, clinician, now - six_years + timedelta(minutes=1))

    assert prune(now) == {
        "expired sessions deleted": 1,
        "webhook payloads blanked": 1,
        "questionnaire access log rows deleted": 1,
        "stop records deleted": 0,  # tests/clinic/test_stops.py
        "ID photos deleted": 0,  # tests/clinic/test_identity.py
    }
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]
    assert not Session.objects.filter(session_key=expired).exists()
    old_event.refresh_from_db()
    recent_event.refresh_from_db()
    assert old_event.payload == {} and old_event.type == "invoice.paid"
    assert recent_event.payload["id"] == "evt_recent"
    assert not QuestionnaireAccess.objects.filter(pk=old_look.pk).exists()
    assert QuestionnaireAccess.objects.filter(pk=recent_look.pk).exists()
    # Again: nothing more to do (a blanked payload is not counted twice).
    assert set(prune(now).values()) == {0}


def test_a_pruned_event_delivered_again_is_still_refused_as_a_duplicate():
    webhook_event("evt_again", timezone.now() - 200 * DAY)
    prune()
    assert receive_event({"id": "evt_again", "type": "invoice.paid", "data": {"object": {}}}) == (
        "duplicate"
    )
    assert WebhookEvent.objects.filter(stripe_event_id="evt_again").count() == 1


def test_the_periods_are_settings(settings):
    settings.WEBHOOK_PAYLOAD_RETENTION_DAYS = 10
    settings.QUESTIONNAIRE_ACCESS_LOG_RETENTION_DAYS = 30
    now = timezone.now()
    event = webhook_event("evt_11_days", now - 11 * DAY)
    look = access(order_to_review(), staff("clinician"), now - 31 * DAY)
    prune(now)
    event.refresh_from_db()
    assert event.payload == {}
    assert not QuestionnaireAccess.objects.filter(pk=look.pk).exists()


def test_the_command_says_what_it_did():
    session(timezone.now() - DAY)
    out = io.StringIO()
    call_command("prune_retention", stdout=out)
    assert out.getvalue().splitlines() == [
        "expired sessions deleted: 1",
        "webhook payloads blanked: 0",
        "questionnaire access log rows deleted: 0",
        "stop records deleted: 0",
        "ID photos deleted: 0",
    ]
