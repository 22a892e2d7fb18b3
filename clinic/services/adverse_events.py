"""Adverse events: every side effect (or pregnancy on a medicine) she tells us about, through
"report a problem" or a check-in, is kept as an ``AdverseEvent`` per treatment, for the
clinic's pharmacovigilance.

Severity is read from her answers, one rule for both routes (``severity_of``): an emergency
sign is serious in FDA's sense (it may be life-threatening or need a hospital), a side effect
that stops her daily life is severe, a triage "yes" moderate, anything else mild. A clinician
corrects it (and the outcome) in the admin. Serious events and pregnancies need a follow-up
(``needs_follow_up``): the order tops the review queue and the event is listed under
**Adverse events** until a clinician marks the follow-up done (and, where it applies, has
reported it to FDA MedWatch: docs/clinicians.md).
"""

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from orders.models import AdverseEvent
from orders.services import record_event

Severity = AdverseEvent.Severity


def severity_of(*, emergency, severe, concern):
    if emergency:
        return Severity.SERIOUS
    if severe:
        return Severity.SEVERE
    return Severity.MODERATE if concern else Severity.MILD


def record_adverse_events(
    order, lines, *, source, kind, description, onset="", severity, checkin=None
):
    """One event per line of ``lines`` (their treatments) in the caller's transaction."""
    follow_up = severity == Severity.SERIOUS or kind == AdverseEvent.Kind.PREGNANCY
    events = AdverseEvent.objects.bulk_create(
        AdverseEvent(
            order=order,
            line=line,
            checkin=checkin,
            source=source,
            kind=kind,
            medicine=line.treatment_name,
            severity=severity,
            description=description,
            onset=onset,
            needs_follow_up=follow_up,
        )
        for line in lines
    )
    record_event(
        order,
        "adverse_events",
        actor_label="Oana",
        data={"events": [event.pk for event in events], "severity": str(severity)},
    )
    return events


def mark_followed_up(events, *, by):
    """A clinician did the pharmacovigilance follow-up of ``events`` (those still open).
    Returns how many."""
    if not by.has_perm("orders.change_adverseevent"):
        raise PermissionDenied("Only a clinician may close an adverse event's follow-up.")
    now = timezone.now()
    count = 0
    for event in events:
        if event.followed_up_at is not None:
            continue
        event.followed_up_at, event.followed_up_by = now, by
        event.save(update_fields=["followed_up_at", "followed_up_by"])
        record_event(
            event.order,
            "adverse_event_followed_up",
            actor=by,
            data={"event": event.pk},
        )
        count += 1
    return count
