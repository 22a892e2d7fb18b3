"""A failed payment and its recovery: the order remembers where it goes back to on itself
(``Order.status_before_past_due``), never by reading its own timeline back."""

import pytest

from orders.models import Order, OrderEvent
from tests.support.lifecycle import order_in, perform

S = Order.Status


@pytest.mark.django_db
@pytest.mark.usefixtures("test_mode")
def test_recovery_goes_back_to_the_status_before_without_the_timeline():
    order = perform(order_in(S.SHIPPED), "fail_payment")
    assert (order.status, order.status_before_past_due) == (S.PAST_DUE, S.SHIPPED)
    OrderEvent.objects.filter(order=order).delete()  # the timeline is a record, not state
    order = perform(order, "recover_payment", S.SHIPPED)
    assert (order.status, order.status_before_past_due) == (S.SHIPPED, "")


@pytest.mark.django_db(transaction=True)
def test_orders_already_past_due_take_their_status_before_from_the_timeline_once():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = ("orders", "0016_billing_sync"), ("orders", "0017_status_before_past_due")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        old = executor.loader.project_state([before]).apps
        OldOrder, OldEvent = old.get_model("orders", "Order"), old.get_model("orders", "OrderEvent")
        shipped = OldOrder.objects.create(status="past_due")
        OldEvent.objects.create(order=shipped, kind="approved", to_status="approved")
        OldEvent.objects.create(
            order=shipped, kind="payment_failed", from_status="shipped", to_status="past_due"
        )
        untold = OldOrder.objects.create(status="past_due")
        running = OldOrder.objects.create(status="shipped")
        executor = MigrationExecutor(connection)
        executor.migrate([after])
        # The model as of that migration: columns added later do not exist yet.
        AfterOrder = executor.loader.project_state([after]).apps.get_model("orders", "Order")
        assert {
            order.pk: order.status_before_past_due
            for order in AfterOrder.objects.filter(pk__in=[shipped.pk, untold.pk, running.pk])
        } == {shipped.pk: "shipped", untold.pk: "", running.pk: ""}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
