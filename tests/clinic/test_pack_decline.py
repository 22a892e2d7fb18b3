"""Within a pack a clinician declines one medicine: the line becomes the single treatment she
keeps, at its own price; the difference for every month paid is refunded once, her Stripe
subscription item moves to the new price (no proration), and she is emailed what changed.
Where no such treatment is sold, the pack is declined whole, and the page says so first."""

import time
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from clinic.services.packs import change_subscription_item
from clinic.services.review import approve_order
from orders.models import Hold, Order, Refund
from orders.services import OrderError
from payments.gateways import get_gateway
from payments.services.reconcile import reconcile
from payments.services.refunds import retry_unsent_refunds
from tests.support.clinic import approve_form
from tests.support.factories import make_paid_order, make_plan, medicine
from tests.support.patients import prove_email
from tests.support.staff import sign_in, staff
from tests.support.stripe_world import paid_order, send
from treatments.models import Treatment

pytestmark = pytest.mark.django_db(transaction=True)
S = Order.Status
PACK = "Metformin & Spironolactone pack"
REASON = "Spironolactone with your lisinopril can raise your potassium."
ITEM_UPDATE = r"^/v1/subscription_items/"


def pack_plan(amount_cents=3200):
    return make_plan(PACK, amount_cents, form=Treatment.Form.PACK)


def pack_order(client, fake, *others, single_cents=2200):
    """A paid order of the pack (metformin ER and spironolactone), with metformin ER sold
    alone at ``single_cents`` (None: not sold)."""
    pack = pack_plan()
    if single_cents is not None:
        make_plan("Oral Metformin ER", single_cents)
    return paid_order(client, fake, pack, *others)


def decline_spironolactone(order, **kwargs):
    line = order.lines.get(treatment_name=PACK)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return approve_order(
            order,
            by=staff("clinician"),
            declined_medicines={line.pk: [medicine("spironolactone-oral").pk]},
            decline_reason=REASON,
            attested=True,
            **kwargs,
        )


def items_at_stripe(fake, order):
    subscription = fake.objects[order.stripe_subscription_id]
    return [
        (fake.objects[item["price"]["product"]]["name"], item["price"]["unit_amount"])
        for item in subscription["items"]["data"]
    ]


def refunds_at_stripe(fake):
    return [o["amount"] for o in fake.objects.values() if o["object"] == "refund"]


def test_declining_one_medicine_keeps_the_other_as_the_treatment_sold_alone(client, fake_stripe):
    order = pack_order(client, fake_stripe)
    line = order.lines.get()
    prove_email(order.email)  # the email may carry the change: tests/orders/test_private_emails.py
    mail.outbox.clear()
    decline_spironolactone(order)

    order = Order.objects.get(pk=order.pk)
    assert order.status == S.APPROVED
    line.refresh_from_db()
    # The line is the single treatment, at its own price; the pack it was is recorded.
    assert (line.treatment_name, line.plan.treatment.name, line.unit_amount_cents) == (
        "Oral Metformin ER",
        "Oral Metformin ER",
        2200,
    )
    assert line.decision == "approved" and line.was_converted
    assert line.converted_from_plan.treatment.name == PACK
    assert (line.converted_from_name, line.converted_from_amount_cents) == (
        f"{PACK} (Monthly)",
        3200,
    )
    assert line.declined_medicines == ["Spironolactone"]
    assert line.decline_reason == REASON
    assert (order.subtotal_cents, order.total_cents) == (2200, 2200)
    # Prescriptions only for what she keeps.
    assert [rx.medicine.slug for rx in order.prescriptions.all()] == ["metformin-er"]
    # The difference for the month she paid, exactly once, at Stripe.
    [refund] = Refund.objects.all()
    assert (refund.amount_cents, refund.status) == (1000, "succeeded")
    assert refunds_at_stripe(fake_stripe) == [1000]
    # The timeline says what changed, in plain words (the reason stays encrypted).
    changed = order.events.get(kind="pack_changed")
    assert changed.data["from_amount"] == 3200 and changed.data["to_amount"] == 2200
    assert changed.data["from_plan"] == line.converted_from_plan_id
    assert changed.data["to_plan"] == line.plan_id
    assert REASON not in str(changed.data) and REASON not in changed.message
    assert "Oral Metformin ER instead of" in changed.message and "$10.00" in changed.message
    # Her subscription item: the new treatment at its price, without proration.
    assert items_at_stripe(fake_stripe, order) == [("Oral Metformin ER (Monthly)", 2200)]
    [(_, _, params, key)] = fake_stripe.calls("POST", ITEM_UPDATE)
    assert params["proration_behavior"] == "none"
    assert key == f"change-item-{line.pk}-1-item"
    assert line.item_changed_at is not None
    assert order.events.filter(kind="subscription_item_changed").count() == 1
    assert not fake_stripe.shape_problems

    [email] = mail.outbox
    assert f"instead of {PACK} (Monthly), without Spironolactone" in email.body
    assert REASON in email.body
    assert "It costs $22.00 a month instead of $32.00." in email.body
    assert "$10.00, is being refunded" in email.body
    assert "From your next payment you will be charged $22.00 a month." in email.body

    # The next month charges the single treatment, which the order expects: no hold.
    renewal = fake_stripe.renew(order.stripe_subscription_id)
    assert renewal["amount_paid"] == 2200
    send(client, "invoice.paid", renewal)
    order = Order.objects.get(pk=order.pk)
    assert order.payments.count() == 2 and not order.holds.exists()
    # Nothing more to do, ever: running the task again sends nothing.
    assert change_subscription_item.call(line.pk) == "nothing to do"
    assert len(fake_stripe.calls("POST", ITEM_UPDATE)) == 1


def test_each_month_paid_while_waiting_gets_the_difference_back(client, fake_stripe):
    order = pack_order(client, fake_stripe)
    send(client, "invoice.paid", fake_stripe.renew(order.stripe_subscription_id))
    decline_spironolactone(order)
    assert sorted(Refund.objects.values_list("amount_cents", flat=True)) == [1000, 1000]
    assert sorted(refunds_at_stripe(fake_stripe)) == [1000, 1000]


def test_the_same_price_changes_the_item_and_refunds_nothing(client, fake_stripe):
    order = pack_order(client, fake_stripe, single_cents=3200)
    decline_spironolactone(order)
    assert not Refund.objects.exists()
    assert items_at_stripe(fake_stripe, order) == [("Oral Metformin ER (Monthly)", 3200)]


def test_the_single_treatments_cheapest_active_plan_is_kept(client, fake_stripe):
    order = pack_order(client, fake_stripe)
    single = Treatment.objects.get(name="Oral Metformin ER")
    single.plans.create(name="Monthly, new price", amount_cents=2000)
    single.plans.create(name="Monthly, withdrawn", amount_cents=1500, is_active=False)
    decline_spironolactone(order)
    line = order.lines.get()
    assert (line.plan_name, line.unit_amount_cents) == ("Monthly, new price", 2000)
    assert list(Refund.objects.values_list("amount_cents", flat=True)) == [1200]


@pytest.mark.parametrize(
    ("single_cents", "why"),
    [
        (None, "no treatment we sell contains just Metformin ER"),
        (4000, "Oral Metformin ER costs $40.00/month, more than the pack"),
    ],
)
def test_with_no_single_product_to_keep_the_pack_is_declined_whole(
    client, fake_stripe, single_cents, why
):
    order = pack_order(
        client, fake_stripe, make_plan("Oral Minoxidil", 2500), single_cents=single_cents
    )
    other = make_paid_order(pack_plan(), make_plan("Oral Minoxidil", 2500), email="o@example.com")
    pack = order.lines.get(treatment_name=PACK)
    decline_spironolactone(order)
    pack.refresh_from_db()
    assert pack.decision == "declined" and not pack.was_converted
    order = Order.objects.get(pk=order.pk)
    assert order.total_cents == 2500
    [refund] = Refund.objects.all()
    assert refund.amount_cents == 3200  # the existing whole-line decline: its whole share
    assert items_at_stripe(fake_stripe, order) == [("Oral Minoxidil (Monthly)", 2500)]
    assert not fake_stripe.calls("POST", ITEM_UPDATE)
    assert [rx.medicine.slug for rx in order.prescriptions.all()] == ["minoxidil-oral"]

    # The page said so before she confirmed, and waits for her to confirm.
    sign_in(client, staff("clinician", "dr_page"))
    page = client.get(f"/admin/orders/order/{other.pk}/approve/").content.decode()
    assert escape(f"Spironolactone: {PACK} is declined whole: {why}") in page


def test_an_inactive_single_product_is_not_sold(client, fake_stripe):
    order = pack_order(client, fake_stripe, make_plan("Oral Minoxidil", 2500))
    Treatment.objects.filter(name="Oral Metformin ER").update(is_active=False)
    decline_spironolactone(order)
    assert order.lines.get(plan__treatment__name=PACK).decision == "declined"


def test_a_pack_alone_with_nothing_sold_to_keep_is_the_decline_button(client, fake_stripe):
    order = pack_order(client, fake_stripe, single_cents=None)
    with pytest.raises(OrderError, match="decline the order instead"):
        decline_spironolactone(order)
    order = Order.objects.get(pk=order.pk)
    assert order.status == S.AWAITING_REVIEW and not Refund.objects.exists()


def test_declining_every_medicine_of_a_pack_declines_it_whole(client, fake_stripe):
    order = pack_order(client, fake_stripe, make_plan("Oral Minoxidil", 2500))
    pack = order.lines.get(treatment_name=PACK)
    with TestCase.captureOnCommitCallbacks(execute=True):
        approve_order(
            order,
            by=staff("clinician"),
            declined_medicines={
                pack.pk: [medicine("spironolactone-oral").pk, medicine("metformin-er").pk]
            },
            decline_reason=REASON,
            attested=True,
        )
    assert order.lines.get(pk=pack.pk).decision == "declined"


def test_a_reason_is_required(client, fake_stripe):
    order = pack_order(client, fake_stripe)
    with pytest.raises(OrderError, match="reason"):
        approve_order(
            order,
            by=staff("clinician"),
            declined_medicines={order.lines.get().pk: [medicine("spironolactone-oral").pk]},
            attested=True,
        )


def test_a_whole_line_decline_outranks_a_medicine_of_the_same_pack(client, fake_stripe):
    order = pack_order(client, fake_stripe, make_plan("Oral Minoxidil", 2500))
    pack = order.lines.get(treatment_name=PACK)
    with TestCase.captureOnCommitCallbacks(execute=True):
        approve_order(
            order,
            by=staff("clinician"),
            declined_lines=[pack],
            declined_medicines={pack.pk: [medicine("spironolactone-oral").pk]},
            decline_reason=REASON,
            attested=True,
        )
    pack.refresh_from_db()
    assert pack.decision == "declined" and not pack.was_converted
    assert list(Refund.objects.values_list("amount_cents", flat=True)) == [3200]


# --- Stripe failing -------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [500, "timeout"])
def test_the_item_change_is_retried_and_never_doubled(client, fake_stripe, failure):
    order = pack_order(client, fake_stripe)
    line = order.lines.get()
    fake_stripe.fail_next("POST", ITEM_UPDATE, failure)
    decline_spironolactone(order)
    line.refresh_from_db()
    # The decision, the refund and her new total stand whatever Stripe did.
    assert line.was_converted and line.item_changed_at is None
    assert Order.objects.get(pk=order.pk).total_cents == 2200
    assert refunds_at_stripe(fake_stripe) == [1000]
    # A timeout: Stripe did it, the answer was lost. A 500: nothing was done.
    expected = "Oral Metformin ER (Monthly)" if failure == "timeout" else f"{PACK} (Monthly)"
    assert items_at_stripe(fake_stripe, order)[0][0] == expected
    assert order.events.filter(kind="subscription_item_not_changed").count() == (
        1 if failure == 500 else 0
    )

    assert change_subscription_item.call(line.pk) == "changed"  # the worker's retry
    assert items_at_stripe(fake_stripe, order) == [("Oral Metformin ER (Monthly)", 2200)]
    keys = [key for *_, key in fake_stripe.calls("POST", ITEM_UPDATE)]
    if failure == "timeout":  # read first: already done, nothing sent again
        assert keys == [f"change-item-{line.pk}-1-item"]
    else:  # Stripe saved its 500 for the first key: the retry takes the next one
        assert keys == [f"change-item-{line.pk}-1-item", f"change-item-{line.pk}-2-item"]
    assert change_subscription_item.call(line.pk) == "nothing to do"
    assert refunds_at_stripe(fake_stripe) == [1000]


def test_an_item_change_still_waiting_is_sent_by_the_reconciliation(client, fake_stripe):
    order = pack_order(client, fake_stripe)
    line = order.lines.get()
    fake_stripe.fail_next("POST", ITEM_UPDATE, 500, times=2)
    decline_spironolactone(order)
    type(line).objects.filter(pk=line.pk).update(converted_at=timezone.now() - timedelta(hours=1))
    found = reconcile(get_gateway(), since=int(time.time()) - 3600)
    assert f"{order.reference}: subscription item of Oral Metformin ER still waiting" in (
        " ".join(found)
    )
    found = reconcile(get_gateway(), since=int(time.time()) - 3600)
    assert f"{order.reference}: subscription item of Oral Metformin ER changed" in found
    assert items_at_stripe(fake_stripe, order) == [("Oral Metformin ER (Monthly)", 2200)]
    assert not any("subscription item" in d for d in reconcile(get_gateway(), since=0))


def test_an_item_gone_at_stripe_is_recorded_for_support(client, fake_stripe, caplog):
    order = pack_order(client, fake_stripe)
    line = order.lines.get()
    fake_stripe.fail_next("POST", ITEM_UPDATE, 500)
    decline_spironolactone(order)
    fake_stripe.objects[order.stripe_subscription_id]["items"]["data"] = []
    with pytest.raises(Exception, match="no item for that treatment"):
        change_subscription_item.call(line.pk)
    assert order.events.filter(kind="subscription_item_not_changed").count() == 2
    assert "subscription item not changed" in caplog.text


def test_a_closed_order_changes_no_item(client, fake_stripe):
    order = pack_order(client, fake_stripe)
    line = order.lines.get()
    fake_stripe.fail_next("POST", ITEM_UPDATE, 500)
    decline_spironolactone(order)
    Order.objects.filter(pk=order.pk).update(status=S.CANCELLED)
    assert change_subscription_item.call(line.pk) == "nothing to do"
    assert len(fake_stripe.calls("POST", ITEM_UPDATE)) == 1  # the refused first attempt


def test_a_refund_without_an_answer_is_retried_with_its_key_never_twice(client, fake_stripe):
    order = pack_order(client, fake_stripe)
    fake_stripe.fail_next("POST", r"^/v1/refunds$", "timeout")
    decline_spironolactone(order)
    [refund] = Refund.objects.all()
    assert refund.status == Refund.Status.PENDING  # Stripe refunded; the answer was lost
    assert refunds_at_stripe(fake_stripe) == [1000]
    retry_unsent_refunds(older_than_seconds=0)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert refunds_at_stripe(fake_stripe) == [1000]  # the same key: Stripe's one refund
    keys = {key for *_, key in fake_stripe.calls("POST", r"^/v1/refunds$")}
    assert keys == {refund.idempotency_key}


def test_a_refused_refund_goes_to_support_and_is_never_doubled(client, fake_stripe):
    """A 500 is Stripe's definite answer (saved for the key): as for every refund, the row
    fails, the amount is free again and the order is held for Support, who refund it."""
    order = pack_order(client, fake_stripe)
    fake_stripe.fail_next("POST", r"^/v1/refunds$", 500)
    decline_spironolactone(order)
    assert Refund.objects.get().status == Refund.Status.FAILED
    assert Hold.objects.get(order=order).kind == Hold.Kind.REFUND_FAILED
    assert refunds_at_stripe(fake_stripe) == []
    assert retry_unsent_refunds(older_than_seconds=0) == []  # not sent again by itself
    # The pack change itself stands; Stripe's item followed.
    assert items_at_stripe(fake_stripe, order) == [("Oral Metformin ER (Monthly)", 2200)]


def test_test_mode_orders_change_the_pack_without_stripe(client, test_mode):
    make_plan("Oral Metformin ER", 2200)
    order = make_paid_order(pack_plan())
    decline_spironolactone(order)
    line = order.lines.get()
    assert line.treatment_name == "Oral Metformin ER" and line.item_changed_at is not None
    assert Order.objects.get(pk=order.pk).total_cents == 2200


# --- the sign-off page ---------------------------------------------------------------------------


def post_approve(client, order, **data):
    if "_auth_user_id" not in client.session:  # signed in once per test
        sign_in(client, staff("clinician", "dr_lee"))
    return client.post(f"/admin/orders/order/{order.pk}/approve/", approve_form(order, **data))


def choice(line, slug):
    return f"{line.pk}-{medicine(slug).pk}"


def test_the_page_offers_each_medicine_of_the_pack_with_what_follows(client, fake_stripe):
    order = pack_order(client, fake_stripe)
    sign_in(client, staff("clinician"))
    page = client.get(f"/admin/orders/order/{order.pk}/approve/").content.decode()
    assert "<legend>Decline a medicine of a pack (optional)</legend>" in page
    assert (
        escape(
            f"Spironolactone: {PACK} becomes Oral Metformin ER at $22.00/month "
            "($10.00 refunded for each month she paid)."
        )
        in page
    )
    assert escape(f"Metformin ER: {PACK} is declined whole: no treatment we sell") in page
    assert "Decline some treatments" not in page  # one line: nothing else to decline


def test_declining_a_medicine_through_the_page(client, fake_stripe):
    order = pack_order(client, fake_stripe)
    line = order.lines.get()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = post_approve(
            client,
            order,
            declined_medicines=[choice(line, "spironolactone-oral")],
            decline_reason=REASON,
        )
    assert response.status_code == 302
    [message] = get_messages(response.wsgi_request)
    assert f"{PACK} (Monthly) is now Oral Metformin ER at $22.00/month" in str(message)
    line.refresh_from_db()
    assert line.was_converted and line.item_changed_at is not None
    assert Order.objects.get(pk=order.pk).total_cents == 2200
    # The order page shows what the line was.
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert escape(f"{PACK} (Monthly) at $32.00, without Spironolactone") in page


def test_the_page_asks_her_to_confirm_a_whole_pack_decline(client, fake_stripe):
    order = pack_order(client, fake_stripe, make_plan("Oral Minoxidil", 2500), single_cents=None)
    pack = order.lines.get(treatment_name=PACK)
    data = {"declined_medicines": [choice(pack, "spironolactone-oral")], "decline_reason": REASON}
    response = post_approve(client, order, **data)
    assert response.status_code == 400
    assert "is declined whole: no treatment we sell contains just Metformin ER" in (
        response.content.decode()
    )
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_REVIEW
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = post_approve(client, order, confirm_whole_pack="on", **data)
    assert response.status_code == 302
    assert "1 treatment(s) declined" in str(list(get_messages(response.wsgi_request))[0])
    assert order.lines.get(pk=pack.pk).decision == "declined"


def test_the_page_sends_a_lone_pack_with_nothing_to_keep_to_the_decline_button(client, fake_stripe):
    order = pack_order(client, fake_stripe, single_cents=None)
    response = post_approve(
        client,
        order,
        declined_medicines=[choice(order.lines.get(), "spironolactone-oral")],
        decline_reason=REASON,
        confirm_whole_pack="on",
    )
    assert response.status_code == 400
    assert "decline the order instead" in response.content.decode()


def test_the_page_needs_a_reason(client, fake_stripe):
    order = pack_order(client, fake_stripe)
    response = post_approve(
        client, order, declined_medicines=[choice(order.lines.get(), "spironolactone-oral")]
    )
    assert response.status_code == 400
    assert "Give the patient a reason" in response.content.decode()


def test_tampered_posts_are_refused_with_a_message(client, fake_stripe):
    order = pack_order(client, fake_stripe)
    line = order.lines.get()
    other = make_paid_order(pack_plan(), email="other@example.com")
    for tampered in (
        choice(line, "minoxidil-oral"),  # a medicine not in the pack
        choice(other.lines.get(), "spironolactone-oral"),  # another order's line
        "not-a-choice",
    ):
        response = post_approve(client, order, declined_medicines=[tampered], decline_reason=REASON)
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_REVIEW
    assert not Refund.objects.exists()


def test_the_service_refuses_what_the_page_never_offers(client, fake_stripe):
    order = pack_order(client, fake_stripe, make_plan("Oral Minoxidil", 2500))
    pack = order.lines.get(treatment_name=PACK)
    single = order.lines.get(treatment_name="Oral Minoxidil")
    other = make_paid_order(pack_plan(), email="other@example.com")
    clinician = staff("clinician")
    for declined, error in (
        ({pack.pk: [medicine("minoxidil-oral").pk]}, "not part of Metformin & Spironolactone"),
        ({other.lines.get().pk: [medicine("spironolactone-oral").pk]}, "not part of this order"),
        ({single.pk: [medicine("minoxidil-oral").pk]}, "not a pack"),
    ):
        with pytest.raises(OrderError, match=error):
            approve_order(
                order,
                by=clinician,
                declined_medicines=declined,
                decline_reason=REASON,
                attested=True,
            )
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_REVIEW


def test_the_approve_page_of_a_pack_takes_constant_queries(client, fake_stripe):
    """What each medicine's choice would lead to is read from one load of the catalog: a pack
    of three medicines costs what a pack of two does."""
    make_plan("Oral Metformin ER", 2200)
    two = make_paid_order(pack_plan())
    three = make_paid_order(
        make_plan(
            "Hairless Hype",
            6900,
            form=Treatment.Form.PACK,
            medicines=["eflornithine-cream", "metformin-lotion", "metformin-er"],
        ),
        email="three@example.com",
    )
    sign_in(client, staff("clinician"))
    counts = []
    for order in (two, three):
        client.get(f"/admin/orders/order/{order.pk}/approve/")  # the session, warm
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/admin/orders/order/{order.pk}/approve/").status_code == 200
        counts.append(len(queries))
    assert counts == [16, 16]
