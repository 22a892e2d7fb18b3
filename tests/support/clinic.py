"""Orders at the point where the clinic takes over (see tests/support/staff.py for staff users)."""

from orders.models import QuestionnaireResponse
from tests.support.factories import SUBSCRIPTION, make_order, make_plan, pay

__all__ = ["SUBSCRIPTION", "approve_form", "intent_for", "order_to_review"]

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


def order_to_review(amount_cents=2200, *, email="jane@example.com"):
    """A paid order awaiting review, with answers (one red flag) and its first payment
    (which knows its Stripe payment intent, ``intent_for(order)``, and charge)."""
    order = make_order(make_plan("Spironolactone", amount_cents), email=email)
    QuestionnaireResponse.objects.filter(order=order).update(answers=ANSWERS, flags=FLAGS)
    return pay(order)


def intent_for(order):
    """The Stripe payment intent of ``order``'s first payment (see ``order_to_review``)."""
    return f"pi_in_oana_first_{order.pk}"


def approve_form(order, **fields):
    """What the Approve page posts when the clinician keeps each prescription's prefilled
    defaults, plus ``fields``."""
    from orders.admin.forms import ApproveForm

    form = ApproveForm(order=order)
    prefilled = {
        name: field.initial
        for name, field in form.fields.items()
        if name.startswith("rx-") and field.initial is not None
    }
    return {"note": "", **prefilled, "attest": "on", **fields}
