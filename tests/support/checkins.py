"""Check-ins as a clinician finds them (see clinic/services/checkins.py)."""

from datetime import timedelta

from django.utils import timezone

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
