"""Orders at the point where the clinic takes over (see tests/staff.py for staff users)."""

from orders.models import Order, QuestionnaireResponse
from orders.services.payments import mark_order_paid, record_initial_payment
from tests.orders.factories import make_order, make_plan
from tests.orders.stripe_helpers import completed_session, invoice_for

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
