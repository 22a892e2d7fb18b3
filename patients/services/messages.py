"""Messages between a patient and her care team, and the clinician's question before deciding.

A thread belongs to one order and has a topic she picks: "A medical question" (health data:
clinicians only, every staff read logged) or "My order or delivery" (Support and
clinicians). Staff replies email her a notice without the message itself.

``ask_patient`` is the third review action: the order moves to "needs information" (a row of
``Order.LIFECYCLE``), the question goes to her as a medical message, and collection pauses so
she is not charged while she has not answered. Her reply (``post_patient_message`` on that
order's medical thread) moves the order back to the review queue. ``follow_up_unanswered``
(run daily by the task worker, or ``manage.py follow_up_questions``) reminds her after
``QUESTION_REMINDER_DAYS`` and declines the order, refunding it like any decline, after
``QUESTION_DECLINE_DAYS``.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinic.services.review import decline_order
from orders.emails import queue_order_email
from orders.models import Message, Order, Thread
from orders.services import OrderError, lock_order, record_event, refuse_unless, transition
from payments.services.subscriptions import sync_billing_later

S = Order.Status
MAX_LENGTH = 5000
NO_ANSWER = (
    "We did not hear back from you about your clinician's question, so we could not approve "
    "this treatment. You are refunded in full. You are welcome to order again at any time."
)


def _clean(body):
    body = (body or "").strip()
    if not body:
        raise OrderError("Please write your message.", code="empty")
    if len(body) > MAX_LENGTH:
        raise OrderError(
            f"Messages are at most {MAX_LENGTH:,} characters: please shorten it.", code="long"
        )
    return body


def _add(thread, body, *, by, from_patient):
    now = timezone.now()
    message = Message.objects.create(thread=thread, author=by, from_patient=from_patient, body=body)
    if from_patient:
        thread.last_patient_message_at = now
        thread.patient_read_at = now
    else:
        thread.last_staff_message_at = now
        thread.care_team_read_at = now
    thread.save()
    return message


def start_thread(order, *, topic, body, by):
    """She writes to her care team about ``order``; returns the new thread."""
    if topic not in Thread.Topic.values:
        raise OrderError("Please choose what your message is about.", code="topic")
    body = _clean(body)
    with transaction.atomic():
        thread = Thread.objects.create(order=order, topic=topic)
        _add(thread, body, by=by, from_patient=True)
        _answered_if_asked(thread, by)
    return thread


def post_patient_message(thread, *, body, by):
    """She writes in ``thread``; a reply to a clinician's question sends the order back."""
    body = _clean(body)
    with transaction.atomic():
        _add(thread, body, by=by, from_patient=True)
        _answered_if_asked(thread, by)


def post_staff_message(thread, *, body, by):
    """A care-team member answers; she is emailed a notice (not the message itself)."""
    body = _clean(body)
    with transaction.atomic():
        _add(thread, body, by=by, from_patient=False)
        if thread.topic == Thread.Topic.MEDICAL:  # a problem she reported now waits on her
            thread.order.holds.urgent().filter(awaits_patient_since=None).update(
                awaits_patient_since=timezone.now()
            )
        queue_order_email(thread.order, "new_message", topic=thread.get_topic_display())


def _answered_if_asked(thread, by):
    if thread.topic != Thread.Topic.MEDICAL:
        return
    thread.order.holds.urgent().update(awaits_patient_since=None)
    order = lock_order(thread.order)
    if not order.allows("answer"):
        return
    order.asked_at = None
    order.reminded_at = None
    transition(
        order,
        "answer",
        "answered",
        message="Thank you: your answer is with your clinician, who reviews your order next.",
        actor=by,
    )
    sync_billing_later(order)


def ask_patient(order, *, by, question):
    """A clinician asks her before deciding: the order waits, unbilled, for her answer."""
    question = _clean(question)
    with transaction.atomic():
        order = lock_order(order)
        refuse_unless(order.can_ask(), order, "ask")
        order.asked_at = timezone.now()
        order.reminded_at = None
        transition(
            order,
            "ask",
            "asked",
            message="Your clinician has a question before deciding. Please answer it from "
            "your account: nothing is charged or ships until you do.",
            actor=by,  # the question itself is in the medical thread, encrypted
        )
        thread = order.threads.filter(topic=Thread.Topic.MEDICAL).first() or Thread.objects.create(
            order=order, topic=Thread.Topic.MEDICAL
        )
        _add(thread, question, by=by, from_patient=False)
        sync_billing_later(order)
        queue_order_email(order, "question")
    return order


def follow_up_unanswered(now=None):
    """Remind her after a while, then decline. Returns (reminded, declined) order ids."""
    now = now or timezone.now()
    waiting = Order.objects.filter(
        status__in=Order.statuses_allowing("answer"), asked_at__isnull=False
    )
    decline_before = now - timedelta(days=settings.QUESTION_DECLINE_DAYS)
    remind_before = now - timedelta(days=settings.QUESTION_REMINDER_DAYS)
    declined = []
    for order in waiting.filter(asked_at__lte=decline_before):
        asker = order.events.filter(kind="asked").order_by("-created_at").first()
        decline_order(order, by=asker.actor if asker else None, reason=NO_ANSWER)
        declined.append(order.pk)
    reminded = []
    for order in waiting.filter(asked_at__lte=remind_before, reminded_at__isnull=True).exclude(
        pk__in=declined
    ):
        with transaction.atomic():
            Order.objects.filter(pk=order.pk).update(reminded_at=now)
            record_event(order, "reminded", actor_label="Automatic reminder")
            queue_order_email(order, "question_reminder")
        reminded.append(order.pk)
    return reminded, declined


def mark_read_by_patient(thread):
    Thread.objects.filter(pk=thread.pk).update(patient_read_at=timezone.now())


def mark_read_by_care_team(thread):
    Thread.objects.filter(pk=thread.pk).update(care_team_read_at=timezone.now())
