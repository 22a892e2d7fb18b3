"""The session cart: add, remove, one plan per treatment, prices always from the database."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.factories import make_plan
from treatments.models import Plan

pytestmark = pytest.mark.django_db


def add(client, plan_or_id):
    return client.post("/cart/add/", {"plan": getattr(plan_or_id, "pk", plan_or_id)})


def test_add_shows_line_free_shipping_and_monthly_total(client):
    plan = make_plan("Spironolactone", 1400)
    response = add(client, plan)
    # One item: "Start your visit" goes straight to the first question.
    assert response.status_code == 302 and response["Location"] == "/checkout/"

    page = client.get("/cart/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Spironolactone" in html
    assert "$14.00" in html
    assert "Free" in html and "Total per month" in html
    assert page.context["cart"].total_cents == 1400
    assert client.session["cart"] == {str(plan.pk): 1}
    assert 'data-testid="cart-count">1<' in html


def test_a_second_treatment_goes_to_the_cart_with_continue_first(client):
    add(client, make_plan("Spironolactone", 1400))
    response = add(client, make_plan("Oral Metformin ER", 2200))
    assert response.status_code == 302 and response["Location"] == "/cart/"
    html = client.get("/cart/").content.decode()
    # Continue, with the total, comes before the lines (the first phone screen); Remove is a
    # quiet link-styled button.
    continue_at = html.index('class="button cart-continue"')
    assert continue_at < html.index('class="cart-lines"')
    assert "Continue: $36.00 a month" in html[continue_at : continue_at + 300]
    assert 'class="button--link cart-line__remove-button"' in html


def test_adding_again_does_not_duplicate(client):
    plan = make_plan()
    add(client, plan)
    add(client, plan)
    assert client.session["cart"] == {str(plan.pk): 1}


def test_one_plan_per_treatment_the_new_plan_replaces_the_old(client):
    monthly = make_plan("Oral Minoxidil", 2500)
    stronger = Plan.objects.create(
        treatment=monthly.treatment, name="Higher dose", amount_cents=4300
    )
    other = make_plan("Eflornithine 12%", 3900)
    add(client, monthly)
    add(client, other)
    add(client, stronger)
    assert client.session["cart"] == {str(other.pk): 1, str(stronger.pk): 1}
    assert client.get("/cart/").context["cart"].total_cents == 4300 + 3900


def test_remove(client):
    plan, other = make_plan(), make_plan("Spironolactone", 1400)
    add(client, plan)
    add(client, other)
    response = client.post("/cart/remove/", {"plan": plan.pk})
    assert response.status_code == 302
    assert client.session["cart"] == {str(other.pk): 1}


def test_prices_are_recomputed_from_the_database_on_every_view(client):
    plan = make_plan(amount_cents=2200)
    add(client, plan)
    Plan.objects.filter(pk=plan.pk).update(amount_cents=2900)
    cart = client.get("/cart/").context["cart"]
    assert cart.total_cents == 2900
    assert "$29.00" in client.get("/cart/").content.decode()


def test_withdrawn_plan_drops_out_of_the_cart(client):
    plan, kept = make_plan(), make_plan("Spironolactone", 1400)
    add(client, plan)
    add(client, kept)
    Plan.objects.filter(pk=plan.pk).update(is_active=False)
    response = client.get("/cart/")
    assert [line.plan.pk for line in response.context["cart"].lines] == [kept.pk]
    assert client.session["cart"] == {str(kept.pk): 1}


@pytest.mark.parametrize("value", ["", "abc", "-1", "999999", "1 OR 1=1", "9" * 40])
def test_bad_plan_ids_are_refused_with_a_message(client, value):
    make_plan()
    response = client.post("/cart/add/", {"plan": value})
    assert response.status_code == 400
    assert "not available" in response.content.decode()
    assert client.session.get("cart", {}) == {}


def test_inactive_plan_cannot_be_added(client):
    plan = make_plan()
    Plan.objects.filter(pk=plan.pk).update(is_active=False)
    assert add(client, plan).status_code == 400


def test_removing_what_is_not_there_is_a_400(client):
    assert client.post("/cart/remove/", {"plan": "12345"}).status_code == 400
    assert client.post("/cart/remove/", {}).status_code == 400


def test_state_changes_are_post_only_and_csrf_protected(client):
    plan = make_plan()
    assert client.get(f"/cart/add/?plan={plan.pk}").status_code == 405
    assert client.get("/cart/remove/").status_code == 405
    csrf_client = client.__class__(enforce_csrf_checks=True)
    assert csrf_client.post("/cart/add/", {"plan": plan.pk}).status_code == 403
    page = client.get("/cart/")
    assert page.status_code == 200


def test_tampered_session_contents_do_not_crash(client):
    session = client.session
    session["cart"] = {"abc": "x", "999999": 1}
    session.save()
    response = client.get("/cart/")
    assert response.status_code == 200
    assert response.context["cart"].lines == []


def test_empty_cart_page(client):
    response = client.get("/cart/")
    assert response.status_code == 200
    assert "Your cart is empty" in response.content.decode()


def test_cart_page_query_count_is_pinned(client):
    """Session, plans (with treatment and category) in one query, however many lines."""
    for n in range(4):
        add(client, make_plan(f"Treatment {n}", 1000 + n))
    client.get("/cart/")  # warm up anything lazily loaded once per process
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/cart/")
    assert response.status_code == 200
    assert len(response.context["cart"].lines) == 4
    assert len(queries) == 2, [q["sql"] for q in queries]
