"""Staff find an order by its reference as she reads it out, her email or her name, and by
the Stripe subscription or public id exactly; health data is never searched."""

import pytest

from orders.models import Order
from tests.support.factories import make_order

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]


@pytest.mark.parametrize(
    ("text", "number"),
    [("OA-000123", 123), ("oa-123", 123), (" OA 42 ", 42), ("OA000007", 7)],
)
def test_a_reference_as_typed_is_the_order_number(text, number):
    assert Order.pk_from_reference(text) == number


@pytest.mark.parametrize("text", ["", "OA-", "123", "OA-12a", "BOA-1", "jane@example.com"])
def test_anything_else_is_not_a_reference(text):
    assert Order.pk_from_reference(text) is None


def found(client, term):
    response = client.get("/admin/orders/order/", {"q": term})
    assert response.status_code == 200
    return {order.pk for order in response.context["cl"].result_list}


def test_staff_find_an_order_by_reference_email_name_or_stripe_id(admin_client):
    jane = make_order(email="jane.doe@example.com")
    other = make_order(email="ann.lee@example.com")
    Order.objects.filter(pk=jane.pk).update(full_name="Jane Doe", stripe_subscription_id="sub_J1")
    Order.objects.filter(pk=other.pk).update(full_name="Ann Lee", stripe_subscription_id="sub_A2")
    assert found(admin_client, jane.reference) == {jane.pk}
    assert found(admin_client, jane.reference.lower()) == {jane.pk}
    Order.objects.filter(pk=other.pk).update(email=f"ann{jane.pk}@example.com")
    assert found(admin_client, jane.reference) == {jane.pk}  # not her digits in an email
    assert found(admin_client, str(jane.pk)) == {jane.pk, other.pk}  # the number alone: both
    assert found(admin_client, "jane.doe@") == {jane.pk}
    assert found(admin_client, "DOE") == {jane.pk}
    assert found(admin_client, "sub_A2") == {other.pk}
    assert found(admin_client, "sub_A") == set()  # Stripe ids only exactly
    assert found(admin_client, jane.public_id) == {jane.pk}
    assert found(admin_client, jane.public_id[:-1]) == set()


@pytest.mark.postgres_only
def test_an_unfiltered_list_of_a_large_table_shows_the_estimate(monkeypatch):
    """Above ``ESTIMATE_ABOVE`` rows (PostgreSQL's statistics) the count is the estimate; below
    it, or filtered, the exact count."""
    from django.db import connection

    from core import admin as core_admin
    from core.admin import EstimatedCountPaginator

    for n in range(3):
        make_order(email=f"p{n}@example.com")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")  # the statistics say 3 orders
    make_order(email="later@example.com")  # not in the statistics yet
    assert EstimatedCountPaginator(Order.objects.all(), 100).count == 4  # small: exact
    monkeypatch.setattr(core_admin, "ESTIMATE_ABOVE", 2)
    assert EstimatedCountPaginator(Order.objects.all(), 100).count == 3  # the estimate
    filtered = Order.objects.filter(email__startswith="later")
    assert EstimatedCountPaginator(filtered, 100).count == 1  # filtered: exact
