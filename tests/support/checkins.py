"""Check-ins as a clinician finds them and as she answers them (clinic/services/checkins.py)."""

from datetime import timedelta

from django.utils import timezone

from clinic.checkin import open_checkin
from orders.models import CheckIn


def reviewed_checkin(order, clinician, *, at=None):
    """A check-in of ``order`` answered and reviewed ``at`` (default: now), as the review of
    her answers leaves it: what a titration's next step waits for."""
    at = at or timezone.now()
    return CheckIn.objects.create(
        order=order,
        kind=CheckIn.Kind.TITRATION,
        due_on=timezone.localdate(at) + timedelta(days=order.checkins.count()),
        answered_at=at,
        answers={"feeling": {"question": "How are you doing?", "answer": "Better"}},
        reviewed_at=at,
        reviewed_by=clinician,
    )


def ask_checkin(order, *, due_on=None, kind=CheckIn.Kind.ROUTINE):
    return CheckIn.objects.create(order=order, kind=kind, due_on=due_on or timezone.localdate())


CALM = {
    "feeling": "same",
    "side_effects": "none",
    "severe": "no",
    "pregnant": "no",
    "trying_to_conceive": "no",
    "weight": "182",
    "systolic": "",
    "diastolic": "",
    "onset": "",
}


def checkin_post(order, **answers):
    """Her check-in form as she sends it: every question answered calmly ("no" to each
    triage question) unless ``answers`` says otherwise (``emergency_signs`` a list)."""
    _checkin, form = open_checkin(order)
    data = {}
    for name in form.fields:
        value = answers.get(name, CALM.get(name, "no"))
        if name == "emergency_signs":
            value = answers.get(name, [])
        data[f"checkin-{name}"] = value
    return data
