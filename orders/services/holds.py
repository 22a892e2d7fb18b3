"""Holds: a reason an order may not ship until someone deals with it (a dispute, a fraud
warning, a failed refund, shipping to another state). Each ``Hold.Kind`` names who may
release it (``orders.models``); ``can_ship()`` refuses while any hold is open."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from orders.models import Hold
from orders.services import record_event
from payments.services.subscriptions import sync_billing_later


def open_hold(order, kind, reason, *, stripe_object_id="", actor_label="Stripe webhook"):
    """Put ``order`` on hold (once per Stripe object); nothing ships meanwhile. Who may
    release it depends on its kind (``Hold.RELEASED_BY``)."""
    # Once per Stripe object; a hold of ours (no Stripe object) once while it is open: a
    # released one does not stop the same reason from holding the order again.
    holds = Hold.objects if stripe_object_id else Hold.objects.open()
    hold, created = holds.get_or_create(
        order=order,
        kind=kind,
        stripe_object_id=stripe_object_id,
        defaults={"reason": reason},
    )
    if created:
        record_event(
            order,
            "hold",
            actor_label=actor_label,
            data={"hold": hold.pk, "kind": kind, "reason": reason},
        )
    return hold


def release_hold(hold, *, outcome, by=None, actor_label=""):
    """Close ``hold`` with its ``outcome``; the order may ship again if nothing else holds it.

    A person (``by``) may release only the kinds her role may (``Hold.may_be_released_by``);
    the system (a webhook settling a dispute) releases without a person."""
    if by is not None and not hold.may_be_released_by(by):
        raise PermissionDenied(f"Only {hold.releaser.label} may release this hold.")
    if not hold.is_open:
        return False
    hold.released_at = timezone.now()
    hold.released_by = by if getattr(by, "pk", None) else None
    hold.outcome = outcome
    hold.save(update_fields=["released_at", "released_by", "outcome"])
    record_event(
        hold.order,
        "hold_released",
        actor=by,
        actor_label=actor_label,
        data={"hold": hold.pk, "kind": hold.kind},
        note=outcome,  # typed by a person (a clinician's words on a clinical hold): encrypted
    )
    if (
        hold.kind in Hold.PAUSES_COLLECTION
    ):  # collection paused for it: resume if nothing else holds
        sync_billing_later(hold.order)
    return True
