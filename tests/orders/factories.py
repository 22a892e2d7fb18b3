"""Small factories for order tests: our own catalog rows, never the seed."""

import itertools
from datetime import date, timedelta

from django.utils import timezone
from django.utils.text import slugify

from orders.cart import Cart
from orders.models import Order
from orders.services.checkout import place_order
from orders.services.payments import PaidInvoice, complete_checkout
from treatments.models import Category, Medicine, Plan, Treatment

_seq = itertools.count(1)
SUBSCRIPTION = "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw"


def make_plan(
    name="Oral Metformin ER",
    amount_cents=2200,
    *,
    unsafe_in_pregnancy=False,
    active_ingredients="",
    form=Treatment.Form.ORAL,
    plan_name="Monthly",
    medicine=True,
):
    """A plan of a new treatment, which (unless ``medicine=False``) has one medicine of its
    own name with prescription defaults, as every catalog treatment does."""
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
    if medicine:
        treatment.medicines.add(
            Medicine.objects.create(
                slug=f"medicine-{n}",
                name=name,
                route="topical" if form == Treatment.Form.TOPICAL else "oral",
                default_strength="500 mg",
                default_directions="Take one tablet daily with dinner.",
                default_quantity=30,
                default_refills=5,
            )
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


def paid_invoice_for(order, *, invoice_id=None, amount=None, subscription=None):
    """The facts Stripe would give for ``order``'s first invoice (ids derived from the order)."""
    invoice_id = invoice_id or f"in_oana_first_{order.pk}"
    return PaidInvoice(
        invoice_id=invoice_id,
        amount_cents=order.total_cents if amount is None else amount,
        currency=order.currency,
        paid_at=timezone.now(),
        subscription_id=subscription or SUBSCRIPTION,
        payment_intent=f"pi_{invoice_id}",
        charge=f"ch_{invoice_id}",
    )


def pay(order, **invoice_changes):
    """``order``'s live checkout completes (what the webhook handler does once Stripe has
    confirmed it): paid, awaiting review, first payment recorded. Returns the fresh order."""
    from tests.orders.stripe_helpers import completed_session

    if not order.stripe_checkout_session_id:
        Order.objects.filter(pk=order.pk).update(stripe_checkout_session_id=f"cs_oana_{order.pk}")
        order.refresh_from_db()
    complete_checkout(
        order,
        session=completed_session(order),
        invoice=paid_invoice_for(order, **invoice_changes),
        period_end=timezone.now() + timedelta(days=30),
    )
    return Order.objects.get(pk=order.pk)


def make_paid_order(*plans, **kwargs):
    return pay(make_order(*plans, **kwargs))
