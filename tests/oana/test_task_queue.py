"""Production's task queue: emails and refunds leave the web request.

With the database queue (django-tasks-db, what DEBUG off uses), a service only writes a row
when its transaction commits; the worker (`make worker`) sends the email or asks Stripe. A
change that rolls back leaves nothing in the queue, so nothing runs.
"""

import sys

import pytest
from django.core import mail
from django.db import transaction
from django.tasks import task_backends
from django.test import TestCase
from django_tasks_db.backend import DatabaseBackend

from clinic.services.review import approve_order
from orders.emails import send_order_email
from orders.models import Refund
from payments.services.refunds import refund_order, submit_refund
from tests.support.clinic import considered, order_to_review
from tests.support.patients import prove_email
from tests.support.staff import staff
from tests.support.tasks import queued, run_worker

pytestmark = pytest.mark.usefixtures("test_mode", "task_queue")


def test_production_defaults_to_the_database_queue_and_local_runs_to_the_immediate_backend():
    from tests.support.commands import run

    code = "from django.conf import settings; print(settings.TASKS['default']['BACKEND'])"
    local = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "oana.settings", "DEBUG": "true"}
    production = {
        **local,
        "DEBUG": "false",
        "OANA_PRODUCTION": "1",  # .env is not read
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "oana.example",
        "ADMIN_URL": "staff/",
    }
    dummy = "django.tasks.backends.dummy.DummyBackend"
    for env, expected in [
        (production, "django_tasks_db.DatabaseBackend"),
        ({**production, "TASKS_BACKEND": dummy}, dummy),
        (local, "django.tasks.backends.immediate.ImmediateBackend"),
    ]:
        python = [
            sys.executable,
            "-c",
            f"import django; django.setup(); {code}",
        ]
        result = run(python, env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == expected


@pytest.mark.django_db(transaction=True)  # real commits and rollbacks, as in production
def test_an_email_enqueued_in_a_transaction_that_rolls_back_never_runs():
    assert isinstance(task_backends["default"], DatabaseBackend)
    order = order_to_review()
    run_worker()  # the "order received" email
    mail.outbox.clear()
    clinician = staff("clinician")
    with pytest.raises(RuntimeError), transaction.atomic():
        approve_order(
            order,
            considered=considered(order),
            by=clinician,
            note="Take it with food.",
            attested=True,
        )
        raise RuntimeError("something after the approval failed")
    assert [row.status for row in queued()] == ["SUCCESSFUL"]
    assert run_worker() == 0
    order.refresh_from_db()
    assert order.status == "awaiting_review"
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_committed_email_waits_for_the_worker_and_carries_no_health_data():
    order = order_to_review()
    prove_email(order.email)  # the email itself carries the note
    run_worker()
    mail.outbox.clear()
    approve_order(
        order,
        considered=considered(order),
        by=staff("clinician"),
        note="Take it with food.",
        attested=True,
    )
    [row] = [r for r in queued(send_order_email) if r.status == "READY"]
    assert row.args_kwargs["args"][:2] == [order.pk, "approved"]
    assert "food" not in str(row.args_kwargs)  # the note is read from the order, encrypted
    assert mail.outbox == []  # nothing was sent during the "request"
    assert run_worker() == 1
    [message] = mail.outbox
    assert "approved" in message.subject
    assert "Take it with food." in message.body


@pytest.mark.django_db
def test_a_refund_is_asked_of_the_payment_provider_by_the_worker_not_the_request():
    order = order_to_review()
    support = staff("support")
    with TestCase.captureOnCommitCallbacks(execute=True):
        refund = refund_order(order, by=support, amount_cents=1000, reason="Goodwill")
    assert refund.status == Refund.Status.PENDING and not refund.stripe_refund_id
    assert [row.args_kwargs["args"] for row in queued(submit_refund)] == [[refund.pk]]
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        run_worker()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    run_worker()  # the "refunded" email the settlement enqueued
    assert [m.subject for m in mail.outbox] == [
        f"We refunded your payment for order {order.reference}"
    ]
