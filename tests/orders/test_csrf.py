"""CSRF on every patient form; only the two endpoints machines post to go without: the
Stripe webhook (signed) and browsers' CSP violation reports (which carry no cookies)."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from orders.models import Order
from tests.support.factories import answers, make_paid_order, make_plan

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ADDRESS = {"name": "J", "line1": "1 A St", "city": "X", "state": "NY", "postal_code": "11201"}


def csrf_exempt_views(resolver=None, prefix=""):
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            found += csrf_exempt_views(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and getattr(entry.callback, "csrf_exempt", False):
            found.append(prefix + str(entry.pattern))
    return found


def test_only_the_webhook_and_the_csp_report_endpoint_are_csrf_exempt():
    assert sorted(csrf_exempt_views()) == ["csp-report/", "stripe/webhook/"]


def token_from(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    match = TOKEN.search(response.content.decode())
    assert match, f"no CSRF token in the form on {path}"
    return match.group(1)


@pytest.fixture
def browser(settings):
    """A client that checks CSRF like a real browser session does."""
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_SECRET_KEY = ""
    return Client(enforce_csrf_checks=True)


def test_every_patient_form_refuses_a_post_without_the_token(browser):
    plan = make_plan("Oral Metformin ER", 2200)
    paid = make_paid_order()
    posts = [
        ("/cart/add/", {"plan": plan.pk}),
        ("/cart/remove/", {"plan": plan.pk}),
        ("/checkout/", answers(biguanide_alcohol="no")),
        (f"/checkout/test-mode/{paid.public_id}/", {"action": "pay", **ADDRESS}),
    ]
    for path, data in posts:
        response = browser.post(path, data)
        assert response.status_code == 403, path
        response = browser.post(path, {**data, "csrfmiddlewaretoken": "forged" * 6})
        assert response.status_code == 403, path
    assert browser.session.get("cart") in (None, {})
    assert Order.objects.count() == 1


def test_the_whole_journey_works_with_the_tokens_its_pages_carry(browser):
    """Each form's page carries the token that its POST needs: no form was left without."""
    plan = make_plan("Oral Metformin ER", 2200)
    token = token_from(browser, plan.treatment.get_absolute_url())
    response = browser.post("/cart/add/", {"plan": plan.pk, "csrfmiddlewaretoken": token})
    assert response.status_code == 302

    token = token_from(browser, "/checkout/")
    response = browser.post(
        "/checkout/", {**answers(biguanide_alcohol="no"), "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    order = Order.objects.get()

    pay_page = f"/checkout/test-mode/{order.public_id}/"
    token = token_from(browser, pay_page)
    response = browser.post(pay_page, {"action": "pay", **ADDRESS, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert browser.get(response["Location"]).status_code == 200  # the success page
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_REVIEW

    other = make_plan("Spironolactone", 1400)
    token = token_from(browser, other.treatment.get_absolute_url())
    browser.post("/cart/add/", {"plan": other.pk, "csrfmiddlewaretoken": token})
    token = token_from(browser, "/cart/")
    response = browser.post("/cart/remove/", {"plan": other.pk, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert browser.session["cart"] == {}
