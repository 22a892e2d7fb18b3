"""The sign-off: before she approves, renews or changes a prescription, the clinician ticks
each flag as considered, and writes her reason where she signs against a contraindication.

The admin's sign-off page (``orders.admin.signoff``) asks for both; ``sign_off`` checks them
again inside the verb, under the order's lock (a form built by hand, or a page that went
stale while a new flag was raised, is refused), and stores them with the decision
(``FlagReview``) and a line in the timeline (counts only: the timeline is plain text).
"""

import hashlib

from django.utils import timezone

from clinic.flags import Grade, grade_of, ranked
from clinic.labs import lab_flags
from clinic.services.labs import release_lab_holds
from orders.models import FlagReview, QuestionnaireResponse
from orders.services import OrderError, record_event


def flag_id(flag):
    """A short stable id of ``flag`` (its key and message): the form's field names and what
    the verb is told was considered."""
    text = f"{flag.get('key', '')}|{flag.get('message', '')}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def questionnaire_flags(order):
    """The flags of ``order``'s questionnaire, most serious first."""
    flags = (
        QuestionnaireResponse.objects.filter(order=order).values_list("flags", flat=True).first()
    )
    return ranked(flags or [])


def approval_flags(order):
    """What the clinician considers before approving: the questionnaire's flags and the lab
    requirements' (``clinic.labs``: a missing, old or out-of-range result is a
    contraindication, signed past only with a reason)."""
    return [*questionnaire_flags(order), *lab_flags(order)]


def unique_flags(flags):
    """``flags`` most serious first, each once (a flag raised twice is considered once)."""
    seen, unique = set(), []
    for flag in ranked(flags):
        if flag_id(flag) not in seen:
            seen.add(flag_id(flag))
            unique.append(flag)
    return unique


def needs_reason(flag):
    return grade_of(flag) == Grade.CONTRAINDICATION


def check_considered(flags, considered):
    """Raise ``OrderError`` unless each of ``flags`` is in ``considered`` (flag id -> reason)
    and each contraindication has a written reason."""
    considered = considered or {}
    missing = [flag for flag in flags if flag_id(flag) not in considered]
    if missing:
        raise OrderError(
            f"Tick each flag to confirm you considered it before you sign: {len(missing)} "
            f"not ticked, first \u201c{missing[0].get('message')}\u201d.",
            code="flag_not_considered",
        )
    unreasoned = [
        flag for flag in flags if needs_reason(flag) and not considered[flag_id(flag)].strip()
    ]
    if unreasoned:
        raise OrderError(
            "Write why you sign despite the contraindication \u201c"
            f"{unreasoned[0].get('message')}\u201d: the reason is kept with your decision.",
            code="reason_required",
        )


def sign_off(order, *, by, action, considered, flags=None):
    """Check and store what ``by`` considered before ``action`` on the locked ``order``.

    ``flags`` are the flags of this decision (default: ``approval_flags``); ``considered``
    maps each one's ``flag_id`` to her reason ("" when none is needed). Returns the
    ``FlagReview`` rows."""
    flags = unique_flags(approval_flags(order) if flags is None else flags)
    considered = {key: (reason or "").strip() for key, reason in (considered or {}).items()}
    check_considered(flags, considered)
    # Her lab flags were among those considered (results in, or a written override): a labs
    # hold no longer stops this decision.
    release_lab_holds(order, by=by, action=action)
    if not flags:
        return []
    now = timezone.now()
    reviews = FlagReview.objects.bulk_create(
        FlagReview(
            order=order,
            user=by,
            action=action,
            flag_key=flag.get("key") or "",
            grade=str(grade_of(flag)),
            message=flag.get("message") or "",
            considered=True,
            reason=considered[flag_id(flag)],
            at=now,
        )
        for flag in flags
    )
    record_event(
        order,
        "flags_considered",
        actor=by,
        data={
            "action": action,
            "flags": len(reviews),
            "with_reason": sum(1 for review in reviews if review.reason),
        },
    )
    return reviews
