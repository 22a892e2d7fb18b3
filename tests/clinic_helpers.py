"""Staff users in each role, and orders at the point where the clinic takes over."""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from orders.models import Order, QuestionnaireResponse
from orders.roles import GROUP_NAMES
from orders.services.payments import mark_order_paid, record_initial_payment
from tests.orders_factories import make_order, make_plan
from tests.stripe_helpers import completed_session, invoice_for

PASSWORD = "a-long-staff-password-42"
SUBSCRIPTION = "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw"

ANSWERS = {
    "date_of_birth": {"question": "Date of birth", "answer": "1990-04-12"},
    "pregnancy": {
        "question": "Are you pregnant, breastfeeding or trying to conceive?",
        "answer": "No",
    },
    "kidney_liver": {"question": "Kidney or liver disease?", "answer": "No"},
    "medicines": {"question": "Which medicines do you take?", "answer": "Lisinopril 10 mg"},
    "allergies": {"question": "Allergies to medicines?", "answer": "Penicillin"},
    "spiro_potassium": {"question": "Do you take potassium-raising medicines?", "answer": "Yes"},
}
FLAGS = [
    {"key": "spiro_potassium", "message": "Takes a potassium-raising medicine (check potassium)."}
]


@cache
def _password_hash():
    return make_password(PASSWORD)  # hashed once: the default hasher is slow on purpose


def staff(role, username=None):
    """A staff user in ``role`` (a key of orders.roles.ROLES), or a superuser for "superuser"."""
    username = username or role
    user = get_user_model().objects.create(
        username=username,
        email=f"{username}@oana.example",
        password=_password_hash(),
        is_staff=True,
        is_superuser=role == "superuser",
    )
    if role != "superuser":
        user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
    return user


def order_to_review(amount_cents=2200, *, with_intent=True, email="jane@example.com"):
    """A paid order awaiting review, with answers (one red flag) and its first payment.

    ``with_intent``: the first invoice's ``invoice.paid`` also arrived, so the payment knows
    its Stripe payment intent (``intent_for(order)``), which refunds need.
    """
    order = make_order(make_plan("Spironolactone", amount_cents), email=email)
    QuestionnaireResponse.objects.filter(order=order).update(answers=ANSWERS, flags=FLAGS)
    invoice_id = f"in_oana_first_{order.pk}"
    mark_order_paid(order, session=completed_session(order, invoice=invoice_id))
    if with_intent:
        record_initial_payment(
            order,
            invoice=invoice_for(order, billing_reason="subscription_create", invoice_id=invoice_id),
        )
    return Order.objects.get(pk=order.pk)


def intent_for(order):
    """The Stripe payment intent of ``order``'s first payment (see ``order_to_review``)."""
    return f"pi_in_oana_first_{order.pk}"
