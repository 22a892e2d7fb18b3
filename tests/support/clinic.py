"""Orders at the point where the clinic takes over (see tests/support/staff.py for staff users)."""

from orders.models import QuestionnaireResponse
from tests.support.factories import SUBSCRIPTION, make_order, make_plan, pay

__all__ = [
    "SUBSCRIPTION",
    "approve_form",
    "considered",
    "intent_for",
    "order_to_review",
    "six_red_flag_order",
    "ticks",
]

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
    defaults and ticks every flag as considered, plus ``fields``."""
    from orders.admin.forms import ApproveForm

    form = ApproveForm(order=order)
    prefilled = {
        name: field.initial
        for name, field in form.fields.items()
        if name.startswith("rx-") and field.initial is not None
    }
    return {"note": "", **prefilled, "attest": "on", **ticks(order), **fields}


def considered(order, flags=None, *, reason="Weighed against her answers: potassium to check."):
    """What a clinician who considered every flag of ``order`` tells the verb (flag id ->
    reason: ``reason`` for a contraindication, none otherwise)."""
    from clinic.services.signoff import approval_flags, flag_id, needs_reason

    flags = approval_flags(order) if flags is None else flags
    return {flag_id(flag): reason if needs_reason(flag) else "" for flag in flags}


def ticks(order, flags=None, **kwargs):
    """The sign-off page's fields with every flag ticked (see ``considered``)."""
    data = {}
    for key, reason in considered(order, flags, **kwargs).items():
        data |= {f"flag-{key}": "on", f"flag-{key}-reason": reason}
    return data


# Finding 1's patient: six red flags, approved in one click before the sign-off page.
SIX_FLAG_ANSWERS = {
    "date_of_birth": {"question": "Date of birth", "answer": "1990-04-12"},
    "state": {"question": "State you live in", "answer": "New York"},
    "sex_at_birth": {"question": "Sex assigned at birth", "answer": "Female"},
    "pregnant": {"question": "Are you pregnant?", "answer": "No"},
    "breastfeeding": {"question": "Are you breastfeeding?", "answer": "No"},
    "trying_to_conceive": {"question": "Are you trying to conceive?", "answer": "No"},
    "contraception": {"question": "Contraception", "answer": "Copper IUD"},
    "bmi": {"question": "BMI (computed)", "answer": "23.1"},
    "blood_pressure": {"question": "Blood pressure", "answer": "88/56"},
    "kidney": {"question": "Kidney disease?", "answer": "No"},
    "liver": {"question": "Liver disease?", "answer": "No"},
    "current_medicines": {
        "question": "Medicines she takes (name, dose)",
        "answer": "Eplerenone, 25 mg daily; Hydrocortisone, 20 mg daily",
    },
    "medicine_allergies": {
        "question": "Allergies to medicines (name, reaction)",
        "answer": "Sulfa, hives",
    },
}


def six_red_flags():
    from clinic.flags import Grade, make_flag

    return [
        make_flag("blood_pressure", "Low blood pressure: 88/56.", Grade.CAUTION),
        make_flag(
            "addisons",
            "Addison's disease: spironolactone is contraindicated (label, 4 Contraindications).",
            Grade.CONTRAINDICATION,
        ),
        make_flag(
            "eplerenone",
            "Takes eplerenone: spironolactone with eplerenone is contraindicated (label, 4).",
            Grade.INTERACTION,
        ),
        make_flag(
            "hyperkalemia",
            "High potassium in the past: hyperkalemia contraindicates spironolactone.",
            Grade.CONTRAINDICATION,
        ),
        make_flag("heart_failure", "Heart failure.", Grade.CAUTION),
        make_flag("pericardial_effusion", "Pericardial effusion.", Grade.CAUTION),
    ]


def six_red_flag_order(email="addison@example.com"):
    """A paid order awaiting review from the patient of finding 1 (Addison's, past high
    potassium, eplerenone, BP 88/56, heart failure, pericardial effusion)."""
    order = make_order(make_plan("Spironolactone", 3200), email=email)
    QuestionnaireResponse.objects.filter(order=order).update(
        answers=SIX_FLAG_ANSWERS, flags=six_red_flags()
    )
    return pay(order)
