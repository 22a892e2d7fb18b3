"""Her refills' address, changed from her account: where she is treated decides which
licence applies, so a move to another state waits for a clinician, and a move to a state we do not
serve (a clinician and the pharmacy both licensed there) is refused."""

from django.db import transaction

from clinic.clinicians import served_states
from core.us_states import STATE_NAMES
from orders.models import Hold
from orders.services import OrderError
from orders.services.holds import open_hold
from payments.services import subscriptions


def move_refills(order, *, address, by):
    """Send her refills to ``address`` (the order's ``ship_*`` fields) from now on.

    - to a state we do not serve (``served_states``: no active clinician, or not the
      pharmacy, with a current licence there): refused, nothing changes;
    - to another state than the one she lives in (her answers): changed, and the order is
      held (``Hold.Kind.STATE_MISMATCH``, released by a clinician) until a clinician has
      confirmed where she is treated; nothing ships meanwhile.

    Orders placed before the state was asked have none to compare: only the served check
    applies. Returns the order."""
    state = address["ship_state"]
    with transaction.atomic():
        order = subscriptions.change_address(order, address=address, by=by)
        if state not in served_states():
            name = STATE_NAMES.get(state, state)
            raise OrderError(
                f"We cannot send refills to {name}: our clinicians and our pharmacy are not "
                "both licensed there, so we cannot treat you there. Your address is unchanged; write to your care "
                "team if you have moved.",
                code="state_not_served",
            )
        lives = order.residence_state
        if lives and state != lives:
            reason = (
                f"She moved her refills to {STATE_NAMES.get(state, state)} but lives in "
                f"{STATE_NAMES.get(lives, lives)} (her answers): the clinician must be licensed "
                "where she is treated. Confirm her state with her before anything more ships."
            )
            open_hold(order, Hold.Kind.STATE_MISMATCH, reason, actor_label="Patient")
    return order
