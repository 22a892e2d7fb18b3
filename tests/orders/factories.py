"""Small factories for order tests: our own catalog rows, never the seed."""

import itertools
from datetime import date

from django.utils.text import slugify

from orders.cart import Cart
from orders.models import Order
from orders.services.checkout import place_order
from orders.services.payments import mark_order_paid
from treatments.models import Category, Plan, Treatment

_seq = itertools.count(1)


def make_plan(
    name="Oral Metformin ER",
    amount_cents=2200,
    *,
    unsafe_in_pregnancy=False,
    active_ingredients="",
    form=Treatment.Form.ORAL,
    plan_name="Monthly",
):
    n = next(_seq)
    category, _ = Category.objects.get_or_create(
        slug="test-category", defaults={"name": "Test category"}
    )
    treatment = Treatment.objects.create(
        category=category,
        name=name,
        slug=f"{slugify(name)}-{n}",
        active_ingredients=active_ingredients or name,
        unsafe_in_pregnancy=unsafe_in_pregnancy,
        form=form,
    )
    return Plan.objects.create(treatment=treatment, name=plan_name, amount_cents=amount_cents)


def answers(**overrides):
    """Questionnaire POST data that passes every question (add per-treatment keys)."""
    data = {
        "email": "jane@example.com",
        "full_name": "Jane Patient",
        "date_of_birth": "1990-04-12",
        "pregnancy": "none",
        "kidney_liver": "no",
        "medicines": "none",
        "allergies": "none",
    }
    data.update(overrides)
    return data


class FakeSession(dict):
    modified = False


def make_order(*plans, email="jane@example.com"):
    """A pending order for ``plans``, made through the checkout service."""
    session = FakeSession()
    cart = Cart(session)
    for plan in plans or (make_plan(),):
        cart.add(plan)
    return place_order(
        cart,
        email=email,
        full_name="Jane Patient",
        date_of_birth=date(1990, 4, 12),
        answers={},
        flags=[],
    )


def make_paid_order(*plans, **kwargs):
    from tests.orders.stripe_helpers import completed_session

    order = make_order(*plans, **kwargs)
    mark_order_paid(order, session=completed_session(order))
    return Order.objects.get(pk=order.pk)
