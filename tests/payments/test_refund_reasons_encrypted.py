"""What Support types as a refund's reason is encrypted at rest, in the refund and in the
timeline (issue 19, item 13), and still reads back where staff need it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TestCase

from orders.models import OrderEvent, Refund
from payments.services.refunds import refund_order
from tests.support.clinic import order_to_review
from tests.support.lifecycle import perform
from tests.support.staff import sign_in, staff

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]
REASON = "She told us the spironolactone made her dizzy and she stopped it"


def raw(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_a_refund_reason_is_encrypted_in_the_refund_and_the_timeline(client):
    order = perform(order_to_review(), "approve")
    with TestCase.captureOnCommitCallbacks(execute=True):
        refund = refund_order(order, by=staff("support", "sue"), amount_cents=1000, reason=REASON)
    assert Refund.objects.get(pk=refund.pk).reason == REASON
    assert raw("orders_refund", "reason", refund.pk).startswith("gAAAAA")
    noted = [e for e in OrderEvent.objects.filter(order=order) if e.note == REASON]
    assert {e.kind for e in noted} == {"refund_requested", "refund"}
    for event in OrderEvent.objects.filter(order=order):
        assert "reason" not in event.data
        assert "dizzy" not in raw("orders_orderevent", "data", event.pk)
    for event in noted:
        assert raw("orders_orderevent", "note", event.pk).startswith("gAAAAA")
    # Staff still read it on the order's timeline.
    sign_in(client, staff("support", "sam"))
    assert REASON in client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses an open transaction
def test_the_migration_encrypts_existing_reasons_and_the_way_back_decrypts():
    before = ("orders", "0018_hold_release_roles")
    after = ("orders", "0019_refund_reason_and_timeline_note_encrypted")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        old = executor.loader.project_state([before]).apps
        order = old.get_model("orders", "Order").objects.create(email="a@example.com")
        refund = old.get_model("orders", "Refund").objects.create(
            order=order, amount_cents=500, reason=REASON
        )
        event = old.get_model("orders", "OrderEvent").objects.create(
            order=order, kind="refund_requested", data={"refund": refund.pk, "reason": REASON}
        )
        untouched = old.get_model("orders", "OrderEvent").objects.create(
            order=order, kind="paid", data={"amount": 500}
        )

        MigrationExecutor(connection).migrate([after])
        new = MigrationExecutor(connection).loader.project_state([after]).apps
        assert new.get_model("orders", "Refund").objects.get(pk=refund.pk).reason == REASON
        assert raw("orders_refund", "reason", refund.pk).startswith("gAAAAA")
        moved = new.get_model("orders", "OrderEvent").objects.get(pk=event.pk)
        assert (moved.note, moved.data) == (REASON, {"refund": refund.pk})
        kept = new.get_model("orders", "OrderEvent").objects.get(pk=untouched.pk)
        assert (kept.note, kept.data) == ("", {"amount": 500})

        executor = MigrationExecutor(connection)
        executor.migrate([before])
        assert raw("orders_refund", "reason", refund.pk) == REASON
        back = executor.loader.project_state([before]).apps
        assert back.get_model("orders", "OrderEvent").objects.get(pk=event.pk).data == {
            "refund": refund.pk,
            "reason": REASON,
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
