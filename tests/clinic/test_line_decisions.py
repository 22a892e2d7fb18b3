"""A clinician decides per order line: approve metformin, decline spironolactone. The declined
line's share of every month paid is refunded, its item leaves the subscription at Stripe
without proration, and her monthly total follows."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import TestCase

from clinic.services.review import approve_order, remove_declined_items
from orders.models import Order, OrderLine, Refund
from orders.services import OrderError
from tests.support.clinic import approve_form
from tests.support.factories import make_paid_order, make_plan
from tests.support.patients import prove_email, sign_in_patient
from tests.support.staff import sign_in, staff
from tests.support.stripe_world import paid_order, send

pytestmark = pytest.mark.django_db(transaction=True)
S = Order.Status
REASON = "Spironolactone with lisinopril can raise your potassium."


def two_line_order(client, fake):
    metformin = make_plan("Oral Metformin ER", 2200)
    spironolactone = make_plan("Spironolactone", 3000)
    return paid_order(client, fake, metformin, spironolactone)


def line(order, name):
    return order.lines.get(treatment_name=name)


def post_approve(client, order, **data):
    sign_in(client, staff("clinician", "dr_lee"))
    return client.post(f"/admin/orders/order/{order.pk}/approve/", approve_form(order, **data))


def items_at_stripe(fake, order):
    subscription = fake.objects[order.stripe_subscription_id]
    return [
        fake.objects[item["price"]["product"]]["name"] for item in subscription["items"]["data"]
    ]


def test_approve_one_line_decline_the_other(client, fake_stripe):
    order = two_line_order(client, fake_stripe)
    spironolactone = line(order, "Spironolactone")
    prove_email(order.email)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = post_approve(
            client,
            order,
            declined_lines=[spironolactone.pk],
            decline_reason=REASON,
            note="Take metformin with dinner.",
        )
    assert response.status_code == 302
    assert "1 treatment(s) declined" in str(list(get_messages(response.wsgi_request))[0])

    order = Order.objects.get(pk=order.pk)
    assert order.status == S.APPROVED
    assert {line.treatment_name: line.decision for line in order.lines.all()} == {
        "Oral Metformin ER": "approved",
        "Spironolactone": "declined",
    }
    assert (order.subtotal_cents, order.total_cents) == (2200, 2200)
    # Her money back: the declined line's share of the month she paid, at Stripe.
    [refund] = Refund.objects.all()
    assert (refund.amount_cents, refund.status) == (3000, "succeeded")
    [stripe_refund] = [o for o in fake_stripe.objects.values() if o["object"] == "refund"]
    assert stripe_refund["amount"] == 3000
    # Its item left the subscription, without proration; metformin stays.
    assert items_at_stripe(fake_stripe, order) == ["Oral Metformin ER (Monthly)"]
    [(_, _, params, _)] = fake_stripe.calls("POST", r"^/v1/subscriptions/")
    assert params["proration_behavior"] == "none"
    assert order.events.filter(kind="subscription_items_removed").exists()
    # The approved treatment ships.
    assert order.shipments.count() == 1

    [email] = mail.outbox
    assert "Not approved: Spironolactone (Monthly) x1." in email.body
    assert REASON in email.body and "$30.00" in email.body
    assert "Oral Metformin ER (Monthly): $22.00/month" in email.body
    assert "Spironolactone (Monthly): $30.00/month" not in email.body
    assert "Total per month: $22.00" in email.body

    # The next month charges metformin only, and the order takes it as its expected amount.
    renewal = fake_stripe.renew(order.stripe_subscription_id)
    assert renewal["amount_paid"] == 2200
    send(client, "invoice.paid", renewal)
    order = Order.objects.get(pk=order.pk)
    assert order.payments.count() == 2
    assert not order.holds.exists()


def test_she_sees_what_was_not_approved_on_her_order_page(client, fake_stripe):
    order = two_line_order(client, fake_stripe)
    with TestCase.captureOnCommitCallbacks(execute=True):
        approve_order(
            order,
            by=staff("clinician"),
            declined_lines=[line(order, "Spironolactone")],
            decline_reason=REASON,
            attested=True,
        )
    sign_in_patient(client, order)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "Not approved by your clinician: refunded, never charged again" in page
    assert "<s>$30.00</s>" in page
    account = client.get("/account/").content.decode()
    assert "Spironolactone (Monthly): not approved by your clinician, refunded" in account


def test_a_month_paid_while_waiting_is_refunded_for_the_declined_line_too(client, fake_stripe):
    order = two_line_order(client, fake_stripe)
    send(client, "invoice.paid", fake_stripe.renew(order.stripe_subscription_id))
    with TestCase.captureOnCommitCallbacks(execute=True):
        approve_order(
            order,
            by=staff("clinician"),
            declined_lines=[line(order, "Spironolactone")],
            decline_reason=REASON,
            attested=True,
        )
    assert sorted(Refund.objects.values_list("amount_cents", flat=True)) == [3000, 3000]


def test_a_single_line_order_has_no_line_choice(client, fake_stripe):
    order = paid_order(client, fake_stripe, make_plan("Oral Metformin ER", 2200))
    sign_in(client, staff("clinician"))
    page = client.get(f"/admin/orders/order/{order.pk}/approve/").content.decode()
    assert "Decline some treatments" not in page


def test_the_approve_page_lists_each_line_with_its_price(client, fake_stripe):
    order = two_line_order(client, fake_stripe)
    sign_in(client, staff("clinician"))
    page = client.get(f"/admin/orders/order/{order.pk}/approve/").content.decode()
    assert "<legend>Decline some treatments (optional)</legend>" in page
    assert "Spironolactone (Monthly) x1 - $30.00/month" in page


def test_declining_a_line_needs_a_reason(client, fake_stripe):
    order = two_line_order(client, fake_stripe)
    response = post_approve(client, order, declined_lines=[line(order, "Spironolactone").pk])
    assert response.status_code == 400
    assert "Give the patient a reason" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_REVIEW
    with pytest.raises(OrderError, match="reason"):
        approve_order(
            order,
            by=staff("clinician"),
            declined_lines=[line(order, "Spironolactone")],
            attested=True,
        )


def test_declining_every_line_is_the_decline_button(client, fake_stripe):
    order = two_line_order(client, fake_stripe)
    response = post_approve(
        client,
        order,
        declined_lines=list(order.lines.values_list("pk", flat=True)),
        decline_reason=REASON,
    )
    assert "decline the order instead" in str(list(get_messages(response.wsgi_request))[0])
    order = Order.objects.get(pk=order.pk)
    assert order.status == S.AWAITING_REVIEW
    assert set(order.lines.values_list("decision", flat=True)) == {"pending"}
    assert not Refund.objects.exists()


def test_a_line_of_another_order_is_refused(client, fake_stripe):
    order = two_line_order(client, fake_stripe)
    other = make_paid_order(make_plan("Hairless Hype", 4900), email="other@example.com")
    with pytest.raises(OrderError, match="not part of this order"):
        approve_order(
            order,
            by=staff("clinician"),
            declined_lines=other.lines.all(),
            decline_reason=REASON,
            attested=True,
        )
    # Through the form the choice is not even offered.
    response = post_approve(
        client, order, declined_lines=[other.lines.get().pk], decline_reason=REASON
    )
    assert response.status_code == 400


def test_a_decided_line_is_not_decided_again():
    order = make_paid_order(make_plan("Oral Metformin ER", 2200))
    approve_order(order, by=staff("clinician"), attested=True)
    decided = order.lines.get()
    assert decided.decision == OrderLine.Decision.APPROVED
    with pytest.raises(ValueError, match="approved cannot be declined"):
        decided.decide("decline")


def test_removing_items_again_finds_none_left_and_does_nothing_more(client, fake_stripe):
    order = two_line_order(client, fake_stripe)
    spironolactone = line(order, "Spironolactone")
    with TestCase.captureOnCommitCallbacks(execute=True):
        approve_order(
            order,
            by=staff("clinician"),
            declined_lines=[spironolactone],
            decline_reason=REASON,
            attested=True,
        )
    updates = len(fake_stripe.calls("POST", r"^/v1/subscriptions/"))
    assert (
        remove_declined_items.call(order.pk, order.stripe_subscription_id, [spironolactone.plan_id])
        == "removed"
    )
    assert len(fake_stripe.calls("POST", r"^/v1/subscriptions/")) == updates
    assert items_at_stripe(fake_stripe, order) == ["Oral Metformin ER (Monthly)"]


def test_a_refusal_at_stripe_is_recorded_and_the_approval_stands(client, fake_stripe, caplog):
    order = two_line_order(client, fake_stripe)
    fake_stripe.fail_next("POST", r"^/v1/subscriptions/", 400)
    with TestCase.captureOnCommitCallbacks(execute=True):
        approve_order(
            order,
            by=staff("clinician"),
            declined_lines=[line(order, "Spironolactone")],
            decline_reason=REASON,
            attested=True,
        )
    order = Order.objects.get(pk=order.pk)
    assert order.status == S.APPROVED
    assert order.events.filter(kind="subscription_items_not_removed").exists()
    assert "declined items not removed at Stripe" in caplog.text


def test_test_mode_orders_decide_lines_without_stripe(client, test_mode):
    order = make_paid_order(make_plan("Oral Metformin ER", 2200), make_plan("Spironolactone", 3000))
    with TestCase.captureOnCommitCallbacks(execute=True):
        approve_order(
            order,
            by=staff("clinician"),
            declined_lines=[line(order, "Spironolactone")],
            decline_reason=REASON,
            attested=True,
        )
    order = Order.objects.get(pk=order.pk)
    assert order.total_cents == 2200
    assert order.events.filter(kind="subscription_items_removed").exists()


@pytest.mark.django_db(transaction=True)
def test_lines_of_orders_decided_before_the_migration_take_their_orders_decision():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = ("orders", "0008_drop_plain_health_data"), ("orders", "0009_line_decisions")
    plan = make_plan("Oral Metformin ER", 2200)  # with today's tables (a clinician profile)
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        old = executor.loader.project_state([before]).apps
        OldOrder, OldLine = old.get_model("orders", "Order"), old.get_model("orders", "OrderLine")
        now = "2026-01-01T00:00:00Z"
        orders = {
            "approved": OldOrder.objects.create(status="shipped", reviewed_at=now),
            "declined": OldOrder.objects.create(status="declined", reviewed_at=now),
            "pending": OldOrder.objects.create(status="awaiting_review"),
        }
        for order in orders.values():
            OldLine.objects.create(
                order=order,
                plan_id=plan.pk,
                treatment_name="M",
                plan_name="Monthly",
                unit_amount_cents=2200,
            )
        executor = MigrationExecutor(connection)
        executor.migrate([after])
        # Only the column this migration filled: later migrations add others to the line.
        assert {
            name: OrderLine.objects.filter(order_id=order.pk)
            .values_list("decision", flat=True)
            .get()
            for name, order in orders.items()
        } == {"approved": "approved", "declined": "declined", "pending": "pending"}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
