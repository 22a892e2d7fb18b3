"""Emails to patients about their orders: plain text plus HTML, sent after the commit.

``queue_order_email(order, kind)`` is what services call: it waits for the surrounding
transaction to commit (no email about a change that was rolled back), then enqueues a
Django task, which the immediate backend runs at once and a queue backend runs in a worker.

A task's arguments are stored as they are by a queue backend (and shown to Support when the
task fails), so they never carry health data: the clinician's approval note or decline reason
is read from the order (where it is encrypted) when the email is rendered.

An email that carries the clinician's words or the prescription (``PRIVATE``) goes out as
"your order was reviewed, sign in to read it" (``emails/reviewed.*``) until she has proven the
address by signing in with a code sent to it (``has_proven_email``): an address typed at
checkout may be wrong, or someone else's.

Each kind has a subject below and two templates, ``emails/<kind>.txt`` and
``emails/<kind>.html``. Adding a kind (e.g. ``approved``, ``shipped``) is adding a subject
and its two templates.
"""

import logging
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string

from orders.models import Order, has_proven_email

logger = logging.getLogger(__name__)

SUBJECTS = {
    "order_received": "We received your order {reference}",
    "payment_failed": "Your payment for order {reference} did not go through",
    "cancelled": "Your subscription for order {reference} is cancelled",
    "refunded": "We refunded your payment for order {reference}",
    "approved": "Your order {reference} is approved",
    "declined": "Your order {reference} was not approved: everything you paid is refunded",
    "shipped": "Your order {reference} has shipped",
    "paused": "Your refills for order {reference} are paused",
    "resumed": "Your refills for order {reference} are running again",
    "cancel_requested": "Your subscription for order {reference} ends after this month",
    "address_changed": "Your shipping address for order {reference} changed",
    "new_message": "New message from your care team about order {reference}",
    "question": "Your clinician has a question about order {reference}",
    "question_reminder": "Reminder: your clinician is waiting for your answer ({reference})",
    "renewal_due": "Time to renew your prescription (order {reference})",
    "renewed": "Your prescription is renewed (order {reference})",
    "renewal_declined": "Your prescription was not renewed (order {reference})",
    "stop_medicine": "Important: stop taking a treatment (order {reference})",
    "renewal_unanswered": "Your subscription ended: we did not hear back (order {reference})",
    "prescription_changed": "Your clinician changed your prescription (order {reference})",
    "checkin": "How are you doing? A check-in from your care team (order {reference})",
    "checkin_reminder": "Reminder: your care team is waiting for your check-in ({reference})",
    "checkin_hold": "Your next box waits for your check-in (order {reference})",
}

# Kinds that carry the clinician's words or the prescription: until the address is proven,
# "reviewed" is sent instead (True: about a prescription rather than a new order).
PRIVATE = {
    "approved": False,
    "declined": False,
    "renewal_declined": True,
    "prescription_changed": True,
}
REVIEWED_SUBJECT = "Your order {reference} was reviewed: sign in to read it"

# Kinds that quote the clinician: the context name of the text, read from order.review_note.
CLINICIAN_TEXT = {"approved": "note", "declined": "reason", "renewal_declined": "reason"}


def queue_order_email(order, kind, **extra):
    """Send email ``kind`` about ``order`` once the current transaction commits."""
    if kind not in SUBJECTS:
        raise ValueError(f"Unknown order email {kind!r}")
    transaction.on_commit(partial(send_order_email.enqueue, order.pk, kind, extra))


@task
def send_order_email(order_id, kind, extra=None):
    """Render and send one order email (runs as a background task)."""
    order = (
        Order.objects.prefetch_related("lines", "shipments", "refunds", "prescriptions")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        logger.warning("Order %s vanished before its %s email was sent", order_id, kind)
        return
    context = {
        "order": order,
        "order_url": f"{settings.SITE_URL}{order.get_absolute_url()}",
        "support_email": settings.SUPPORT_EMAIL,
        "support_phone": settings.SUPPORT_PHONE,
        "care_team_reply": settings.CARE_TEAM_REPLY,
        "site_url": settings.SITE_URL,
        **(extra or {}),
    }
    subject = SUBJECTS[kind]
    if kind in PRIVATE and not has_proven_email(order.email):
        context["about_prescription"] = PRIVATE[kind]
        kind, subject = "reviewed", REVIEWED_SUBJECT
    elif kind in CLINICIAN_TEXT:
        context[CLINICIAN_TEXT[kind]] = order.review_note
    message = EmailMultiAlternatives(
        subject=subject.format(reference=order.reference),
        body=render_to_string(f"emails/{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[order.email],
        reply_to=[settings.SUPPORT_EMAIL],
    )
    message.attach_alternative(render_to_string(f"emails/{kind}.html", context), "text/html")
    message.send()
