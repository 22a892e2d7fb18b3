"""Her identity, behind one small interface so that a verification provider can replace the
clinician's manual check later (``settings.IDENTITY_PROVIDER``).

Before the first approval she uploads a photo of a government ID from her order page
(``submit``: the same encrypted storage as lab reports, seen by clinicians only, each view
logged). A provider answers ``status(order)`` and records ``decide`` (match / mismatch):

- ``ManualReview`` (today): the clinician compares the photo with the legal name and date of
  birth she typed, on the sign-off page. A mismatch asks her to correct them (her order
  waits on her: an identity hold, declined and refunded after 14 days without an answer) or
  the clinician declines the order.

``require_verified`` is the rule the approval asks: an order is approved only once her
identity matched (on this order or an earlier one of hers). The photo is deleted
``IDENTITY_PHOTO_RETENTION_DAYS`` after the decision (``oana.retention``).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from orders.emails import queue_order_email
from orders.models import HealthFile, Hold, IdentityCheck
from orders.services import OrderError, lock_order, record_event
from orders.services.holds import open_hold, release_hold
from payments.services.subscriptions import sync_billing_later

MISMATCH_REASON = (
    "Her ID does not match the name or date of birth she gave: she is asked to correct them."
)
D = IdentityCheck.Decision


class ManualReview:
    """A clinician looks at the photo and records match or mismatch."""

    name = "manual"

    def status(self, order):
        """``IdentityCheck.Decision`` of her latest check (this order's, or a match on an
        earlier order of hers), or None when she has not uploaded an ID."""
        same = Q(order=order) | Q(order__email__iexact=order.email, decision=D.MATCH)
        if order.patient_id:
            same |= Q(order__patient_id=order.patient_id, decision=D.MATCH)
        decisions = list(IdentityCheck.objects.filter(same).values_list("decision", flat=True))
        if D.MATCH in decisions:
            return D.MATCH
        return decisions[0] if decisions else None

    def submit(self, order, photo, *, by):
        """Her ID photo (a saved ``HealthFile``) for ``order``: a new check, waiting for a
        clinician (an identity hold stays open until the clinician's match, but no longer
        waits on her)."""
        with transaction.atomic():
            order = lock_order(order)
            check = IdentityCheck.objects.create(order=order, photo=photo, provider=self.name)
            # She answered: the identity hold now waits on the clinician, not on her.
            order.holds.open().filter(kind=Hold.Kind.IDENTITY).update(awaits_patient_since=None)
            record_event(
                order,
                "identity_submitted",
                message="You uploaded a photo of your ID: a clinician checks it before approving.",
                actor=by,
                data={"check": check.pk},
            )
        return check

    def decide(self, order, *, match, by, note=""):
        """A clinician records whether the latest ID photo matches the legal name and date of
        birth she typed. A mismatch waits on her (an identity hold, collection paused)."""
        with transaction.atomic():
            order = lock_order(order)
            check = order.identity_checks.filter(decision=D.PENDING).first()
            if check is None:
                raise OrderError(
                    "There is no ID photo waiting for a decision on this order.", code="no_id"
                )
            check.decision = D.MATCH if match else D.MISMATCH
            check.decided_by, check.decided_at, check.note = by, timezone.now(), note or ""
            check.save(update_fields=["decision", "decided_by", "decided_at", "note"])
            holds = order.holds.open().filter(kind=Hold.Kind.IDENTITY)
            if match:
                for hold in holds:
                    release_hold(hold, outcome="Her ID matched.", by=by)
                record_event(order, "identity_matched", actor=by, data={"check": check.pk})
            else:
                hold = holds.first() or open_hold(
                    order, Hold.Kind.IDENTITY, MISMATCH_REASON, actor_label="Identity check"
                )
                hold.awaits_patient_since = hold.awaits_patient_since or timezone.now()
                hold.save(update_fields=["awaits_patient_since"])
                record_event(
                    order,
                    "identity_mismatch",
                    message="The photo of your ID does not match the name or date of birth you "
                    "gave us. Please correct them on this page, or upload a clearer photo.",
                    actor=by,
                    data={"check": check.pk},
                )
                sync_billing_later(order)
                queue_order_email(order, "identity_mismatch")
        return check


def provider():
    return import_string(settings.IDENTITY_PROVIDER)()


def require_verified(order):
    """Refuse (``OrderError``) an approval before her identity matched."""
    status = provider().status(order)
    if status != D.MATCH:
        raise OrderError(
            "Her identity is not confirmed yet: "
            + (
                "she has not uploaded a photo of her ID."
                if status is None
                else "record whether her ID matches on the sign-off page."
                if status == D.PENDING
                else "her ID did not match; wait for her correction, or decline."
            ),
            code="identity_unverified",
        )


def photos_to_delete(now=None):
    """ID photos whose decision is older than ``IDENTITY_PHOTO_RETENTION_DAYS``."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.IDENTITY_PHOTO_RETENTION_DAYS)
    decided = IdentityCheck.objects.filter(decided_at__lt=before).values("photo_id")
    return HealthFile.objects.filter(
        pk__in=decided, kind=HealthFile.Kind.ID_PHOTO, deleted_at__isnull=True
    ).exclude(file="")


def delete_photos(now=None):
    """Delete the stored ID photos past their retention (the rows stay, marked deleted)."""
    count = 0
    for photo in photos_to_delete(now):
        photo.file.delete(save=False)
        HealthFile.objects.filter(pk=photo.pk).update(deleted_at=timezone.now())
        count += 1
    return count
