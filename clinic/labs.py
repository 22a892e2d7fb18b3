"""Which labs an order needs, and the flags that hold a decision until they are in.

The requirements are data on each oral medicine (``treatments.labs``, reviewed by two
clinicians). ``lab_flags(order)`` reads them against her confirmed results (a value she typed
counts only once a clinician or pharmacist confirmed it against her report) and returns
sign-off flags (``clinic.flags``): a required result missing, too old or out of range is a
*contraindication* flag, so approving, renewing or changing the prescription is refused
unless the clinician ticks it with a written reason (her override, kept with the decision:
``clinic.services.signoff``); a reminder (B12 on long metformin use) is a caution. Once
started, the day of such an override stands in for a result: it is not held again until the
next result falls due (a year later for eGFR, day 28 for the potassium recheck).

Before a start, a result must be at most ``within_days`` old; once started, at most
``every_days`` old, and a ``recheck_day`` result is due that many days after the start.
"""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from clinic.flags import Grade, make_flag
from clinic.vocabulary import vocabulary
from orders.models import FlagReview, LabResult, OrderLine
from treatments.dosing import Dosing

# Spironolactone's potassium risk factors (Aldactone label 5.1, 7): classes of the medicines
# she takes, read by the vocabulary, and the answers that say the same.
RISK_CLASSES = {
    "ace_inhibitor": "takes an ACE inhibitor",
    "arb": "takes an ARB",
    "drospirenone_progestin": "takes drospirenone",
    "potassium_supplement": "takes potassium supplements or a salt substitute",
    "nsaid": "takes an NSAID",
}
RISK_AGE = 45
NO_KIDNEY_DISEASE = ("60 or more", "I don't know", "No", "")
# A recheck taken up to a week before its day counts for it.
RECHECK_WINDOW_DAYS = 7


def age_on(born, today):
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _answer(answers, key):
    return str((answers.get(key) or {}).get("answer", ""))


def risk_factors(order, today=None):
    """Why ``order``'s patient has a potassium risk factor (empty: none)."""
    today = today or timezone.localdate()
    questionnaire = getattr(order, "questionnaire", None)
    answers = getattr(questionnaire, "answers", None) or {}
    found = []
    words = vocabulary()
    taken = _answer(answers, "current_medicines") or _answer(answers, "medicines")
    classes = set()
    for item in taken.split(";"):
        name = item.split(",")[0].strip()
        if name and name.lower() != "none":
            classes |= words.read(name).classes
    found += [why for cls, why in RISK_CLASSES.items() if cls in classes]
    if "drospirenone" in _answer(answers, "contraception").lower():
        found.append("takes a pill with drospirenone")
    if _answer(answers, "antiandrogen_potassium_medicines") == "Yes":
        found.append("said she takes medicines that raise potassium or NSAIDs every day")
    if _answer(answers, "kidney") not in NO_KIDNEY_DISEASE:
        found.append(f"kidney function: eGFR {_answer(answers, 'kidney')}")
    if order.date_of_birth and age_on(order.date_of_birth, today) > RISK_AGE:
        found.append(f"over {RISK_AGE}")
    return list(dict.fromkeys(found))


def requirements_for(order, today=None):
    """``[(medicine, LabRequirement)]`` for the medicines of ``order``'s lines still running
    (not declined), the risk-factor ones only when she has a risk factor. A medicine in two
    lines gives the same flags twice: the sign-off considers each flag once (``unique_flags``)."""
    lines = order.lines.exclude(decision=OrderLine.Decision.DECLINED).prefetch_related(
        "plan__treatment__medicines"
    )
    found, risky = [], None
    for line in lines:
        for medicine in line.plan.treatment.medicines.all():
            dosing = Dosing.of(medicine)
            for requirement in dosing.labs if dosing else ():
                if requirement.risk_factors_only:
                    risky = risk_factors(order, today) if risky is None else risky
                    if not risky:
                        continue
                found.append((medicine, requirement))
    return found


def her_results(order):
    """Her confirmed results (this order's and her other orders'), newest first."""
    same = Q(order__email__iexact=order.email)
    if order.patient_id:
        same |= Q(order__patient_id=order.patient_id)
    return list(LabResult.objects.filter(same, confirmed_at__isnull=False))


def started_on(order):
    """The day her treatment started (the approval), or None before it."""
    return timezone.localdate(order.reviewed_at) if order.was_approved else None


def _flag(test, message, grade=Grade.CONTRAINDICATION):
    return make_flag(f"lab_{test}", message, grade)


def her_overrides(order):
    """{test: when a clinician last signed past its lab flag on ``order``} (her reason is
    kept with the ``FlagReview``): that day stands in for a result, until the next is due."""
    found = {}
    reviews = FlagReview.objects.filter(order=order, flag_key__startswith="lab_")
    for key, at in reviews.values_list("flag_key", "at"):
        test = key.removeprefix("lab_")
        found[test] = max(found.get(test, at), at)
    return found


def check_requirement(medicine, requirement, results, *, today, started, override=None):
    """The flag for one requirement (None: it is met). ``override``: when a clinician last
    signed past this test's flag."""
    latest = next((r for r in results if r.test == requirement.test), None)
    name, what = requirement.name, f"{medicine.name} ({requirement.source})"
    signed_on = timezone.localdate(override) if override else None
    days = [day for day in (latest.taken_on if latest else None, signed_on) if day]
    checked_on = max(days) if days else None
    if requirement.reminder_days:
        if started and today >= started + timedelta(days=requirement.reminder_days):
            if checked_on is None or checked_on < started:
                return _flag(
                    requirement.test,
                    f"{name}: none since she started {medicine.name}; consider checking it "
                    f"on long use ({requirement.source}).",
                    Grade.CAUTION,
                )
        return None
    if started is None:
        oldest, why = today - timedelta(days=requirement.within_days), "before a start"
    elif requirement.every_days:
        oldest, why = today - timedelta(days=requirement.every_days), "to continue"
    else:
        oldest, why = None, ""
    if started and requirement.recheck_day:
        due = started + timedelta(days=requirement.recheck_day)
        if today >= due:
            recheck_from = due - timedelta(days=RECHECK_WINDOW_DAYS)
            if checked_on is None or checked_on < recheck_from:
                return _flag(
                    requirement.test,
                    f"{name} recheck due on day {requirement.recheck_day} ({due:%b %d, %Y}) "
                    f"is missing: required for {what}.",
                )
    if oldest is not None and checked_on is None:
        return _flag(
            requirement.test,
            f"No confirmed {name} result: one within {requirement.within_days} days is "
            f"required {why} for {what}.",
        )
    if oldest is not None and checked_on < oldest:
        return _flag(
            requirement.test,
            f"{name} result is too old ({checked_on:%b %d, %Y}): one from "
            f"{oldest:%b %d, %Y} or later is required {why} for {what}.",
        )
    # The value she signed past stays accepted; a newer one is checked again.
    accepted = override is not None and latest is not None and override >= latest.confirmed_at
    # A stored value is a number: ``clinic.services.labs.enter_result`` parsed it.
    if latest is not None and not accepted and not requirement.in_range(Decimal(latest.value)):
        return _flag(
            requirement.test,
            f"{name} {latest.value} {latest.unit} ({latest.taken_on:%b %d, %Y}) is out of the "
            f"range for {what}: {requirement.range_label}.",
        )
    return None


def lab_flags(order, today=None):
    """The sign-off flags of ``order``'s lab requirements today (empty: every one is met)."""
    today = today or timezone.localdate()
    requirements = requirements_for(order, today)
    if not requirements:
        return []
    results = her_results(order)
    started = started_on(order)
    # Before the start there is no decision yet: an override is the approval's own sign-off.
    overrides = her_overrides(order) if started else {}
    flags = [
        check_requirement(
            medicine,
            requirement,
            results,
            today=today,
            started=started,
            override=overrides.get(requirement.test),
        )
        for medicine, requirement in requirements
    ]
    return [flag for flag in flags if flag]


def holding_flags(order, today=None):
    """The lab flags that hold a decision or a refill (the contraindications)."""
    return [f for f in lab_flags(order, today) if f["grade"] == Grade.CONTRAINDICATION]
