"""Patient emails: plain text plus HTML, sent only once the change is committed."""

import logging

import pytest
from django.core import mail
from django.db import transaction

from orders.emails import queue_order_email, send_order_email
from orders.models import Order
from payments.services.payments import cancel_order, mark_past_due
from payments.services.refunds import refund_order
from tests.support.factories import make_order, make_paid_order, make_plan, pay
from tests.support.lifecycle import order_in

S = Order.Status


def only_email(subject):
    """The one email with ``subject`` (other emails, e.g. about a refund, may follow)."""
    matching = [m for m in mail.outbox if subject in m.subject]
    assert len(matching) == 1, [m.subject for m in mail.outbox]
    message = matching[0]
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return message, html


def paid(order_status=S.AWAITING_REVIEW):
    order = order_in(order_status, order=make_paid_order(make_plan("Oral Metformin ER", 2200)))
    mail.outbox.clear()
    return order


def received(order):
    pay(order)


def past_due(order):
    mark_past_due(order, reason="Your card was declined.")


def cancelled(order):
    cancel_order(order, reason="Cancelled in the customer portal.")


def refunded(order):
    refund_order(order, by=None, amount_cents=2200, reason="Requested by the patient")


# kind: (make the order, the change, subject, what the patient must read in both parts)
CASES = {
    "order received": (
        lambda: make_order(make_plan("Oral Metformin ER", 2200)),
        received,
        "We received your order",
        ["clinician reviews your answers", "ships free", "refunded in full", "$22.00"],
    ),
    "payment failed": (
        paid,
        past_due,
        "did not go through",
        ["update your card", "secure link", "try the payment again", "card was declined"],
    ),
    "cancelled": (
        lambda: paid(S.SHIPPED),
        cancelled,
        "is cancelled",
        ["will not be charged again", "no further refills"],
    ),
    "refunded": (
        lambda: paid(S.APPROVED),
        refunded,
        "We refunded",
        ["$22.00", "5 to 10 business days"],
    ),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("make, change, subject, says", CASES.values(), ids=CASES.keys())
def test_email_has_text_and_html_and_says_what_happens_next(make, change, subject, says):
    order = make()
    change(order)  # outside any test transaction: on_commit runs for real
    message, html = only_email(subject)
    assert order.reference in message.subject
    assert message.to == ["jane@example.com"]
    url = f"/orders/{order.public_id}/"
    for part in (message.body, html):
        assert "Jane Patient" in part
        assert url in part
        for words in says:
            assert words in part, (words, part)
        assert "{{" not in part and "{%" not in part
    assert html.lstrip().lower().startswith("<!doctype html")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("make, change, subject, says", CASES.values(), ids=CASES.keys())
def test_a_rolled_back_change_sends_no_email(make, change, subject, says):
    order = make()
    with pytest.raises(RuntimeError), transaction.atomic():
        change(order)
        raise RuntimeError("something later in the same transaction failed")
    assert mail.outbox == []
    assert Order.objects.get(pk=order.pk).status == order.status  # nothing changed either


@pytest.mark.django_db
def test_an_unknown_kind_of_email_is_refused_when_it_is_queued():
    with pytest.raises(ValueError, match="Unknown order email 'aproved'"):
        queue_order_email(make_order(), "aproved")


@pytest.mark.django_db
def test_an_email_about_an_order_deleted_before_it_was_sent_is_dropped_with_a_warning(caplog):
    order = make_order()
    order_id = order.pk
    order.delete()
    mail.outbox.clear()
    with caplog.at_level(logging.WARNING, logger="orders.emails"):
        send_order_email.enqueue(order_id, "approved", {})
    assert mail.outbox == []
    assert f"Order {order_id} vanished before its approved email was sent" in caplog.text
