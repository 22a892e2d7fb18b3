"""Query counts of the patient's pages: pinned, and the same for 1 line as for 5."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import CheckIn, Order, Shipment
from tests.support.factories import answers, make_paid_order, make_plan
from tests.support.lifecycle import order_in
from tests.support.patients import sign_in_patient

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]


def queries_for(client, path):
    client.get(path)  # warm up anything loaded once per process
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return [q["sql"] for q in queries]


def fill_cart(client, lines):
    plans = [make_plan(f"Treatment {n}", 1000 + n) for n in range(lines)]
    for plan in plans:
        client.post("/cart/add/", {"plan": plan.pk})
    return plans


@pytest.mark.parametrize("lines", [1, 5])
def test_cart_page(client, lines):
    fill_cart(client, lines)
    # session, plans with treatment and category
    assert len(queries_for(client, "/cart/")) == 2


@pytest.mark.parametrize("lines", [1, 5])
def test_questionnaire_page(client, lines):
    fill_cart(client, lines)
    # session, plans with treatment and category, their medicines, the states we serve
    assert len(queries_for(client, "/checkout/")) == 4
    client.post("/checkout/", {"step": "1"})  # a draft: the last step can be opened
    # and on the last step, the legal documents she agrees to
    assert len(queries_for(client, "/checkout/?step=5")) == 5


@pytest.mark.parametrize("lines", [1, 5])
def test_questionnaire_post_with_errors(client, lines):
    fill_cart(client, lines)
    client.post("/checkout/", {})
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/checkout/", {"email": "jane@example.com"})
    assert response.status_code == 400
    # session, plans, medicines, states served, the interaction rules (read once, however many
    # medicines she typed), every medicine's clinical data for the rules version (one query),
    # session saved in a savepoint (the answers kept for the re-render); the errors are on
    # the first step, which has no legal documents to agree to
    assert len(queries) == 9, [q["sql"] for q in queries]


@pytest.mark.parametrize("lines", [1, 5])
def test_each_step_posted(client, lines):
    fill_cart(client, lines)
    client.post("/checkout/", {**answers(), "step": "1"})
    for step in (2, 3, 4):
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/checkout/", {**answers(), "step": str(step)})
        assert response.status_code == 302, step
        # session, plans, medicines, states served, the interaction rules, the clinical data,
        # her earlier stop records (none), the session saved (in a savepoint): the same each step
        assert len(queries) == 10, [q["sql"] for q in queries]


@pytest.mark.parametrize("lines", [1, 5])
def test_placing_the_order(client, lines):
    """Lines are inserted in one statement, however many there are."""
    fill_cart(client, lines)
    data = answers(biguanide_alcohol="no")
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/checkout/", data)
    assert response.status_code == 302
    assert Order.objects.get().lines.count() == lines
    # session, plans, medicines, states served, legal documents, the interaction rules, every
    # medicine's clinical data for the rules version, her earlier stop records (clinic.stop_records); the order, its event, lines, consents and
    # answers; the checkout attempt taken under the order's row lock; the live session
    # stored; the session saved.
    assert len(queries) == 29, "\n".join(q["sql"][:90] for q in queries)
    assert len([q for q in queries if 'INSERT INTO "orders_orderline"' in q["sql"]]) == 1


@pytest.mark.parametrize("lines", [1, 5])
def test_test_mode_payment_page(client, lines):
    fill_cart(client, lines)
    client.post("/checkout/", answers(biguanide_alcohol="no"))
    order = Order.objects.get()
    # session, order, lines
    assert len(queries_for(client, f"/checkout/test-mode/{order.public_id}/")) == 3


@pytest.mark.parametrize("lines", [1, 5])
def test_order_page(client, lines):
    order = make_paid_order(*(make_plan(f"Treatment {n}", 1000 + n) for n in range(lines)))
    order_in(Order.Status.APPROVED, order=order)
    for _ in range(lines):
        Shipment.objects.create(order=order, kind="refill")
    sign_in_patient(client, order)
    # session and user; the order; then her order with lines, shipments, threads and
    # prescriptions (one per line here); timeline (with actors); her patient account (is she
    # a patient?) and her unread messages for the header; her lab requests, her lab results,
    # her identity checks and whether a labs hold waits (patients/labs_views.py); a check-in
    # waiting for her
    assert order.prescriptions.count() == lines
    assert len(queries_for(client, order.get_absolute_url())) == 16


@pytest.mark.parametrize("lines", [1, 5])
def test_order_page_with_a_checkin(client, lines):
    """Her check-in form: its treatments and their medicines in two more queries."""
    order = make_paid_order(*(make_plan(f"Treatment {n}", 1000 + n) for n in range(lines)))
    order_in(Order.Status.SHIPPED, order=order)
    CheckIn.objects.create(order=order, kind="routine", due_on=timezone.localdate())
    sign_in_patient(client, order)
    response = client.get(order.get_absolute_url())
    assert 'data-testid="checkin"' in response.content.decode()
    # the 16 above, then her approved lines with their treatments, and their medicines
    assert len(queries_for(client, order.get_absolute_url())) == 18


@pytest.mark.parametrize("lines", [1, 5])
def test_success_page(client, lines):
    order = make_paid_order(*(make_plan(f"Treatment {n}", 1000 + n) for n in range(lines)))
    # the order
    assert len(queries_for(client, f"/checkout/success/?order={order.public_id}")) == 1
