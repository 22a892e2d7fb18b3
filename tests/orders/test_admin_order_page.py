"""What staff read on an order's admin page, and on the Stripe records beside it."""

import re

import pytest

from orders.models import WebhookEvent
from tests.support.factories import make_order
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db


def readonly(html, label):
    """The text shown for the read-only field ``label`` on an admin change page."""
    match = re.search(
        rf"<label>{re.escape(label)}:</label>\s*<div class=\"readonly\">(.*?)</div>", html, re.S
    )
    assert match, label
    return match.group(1).strip()


def test_an_unpaid_order_shows_dashes_for_what_checkout_has_not_filled_yet(client):
    order = make_order()
    sign_in(client, staff("support"))
    html = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert readonly(html, "Stripe customer") == "-"
    assert readonly(html, "Stripe subscription") == "-"
    assert readonly(html, "Address") == "-"
    assert "dashboard.stripe.com" not in html


def test_a_webhook_event_page_is_titled_with_its_type_and_id(client):
    event = WebhookEvent.objects.create(
        stripe_event_id="evt_1Pgc6rB7WZ01zgkW", type="invoice.paid", result="renewal recorded"
    )
    sign_in(client, staff("support"))
    html = client.get(f"/admin/orders/webhookevent/{event.pk}/change/").content.decode()
    assert "<h2>invoice.paid evt_1Pgc6rB7WZ01zgkW</h2>" in html
