"""Subscription commands as intent rows (``StripeCommand``): recorded, then sent, then settled.

Every change we ask Stripe to make to a subscription (a billing change, a cancellation,
removing declined items) is first recorded as a row in the caller's transaction and sent
after the commit, under the row's own idempotency key (``intent_key``: its id and attempt).
The same action retried reuses the key; a new action, even an identical one later, is a new
row and so a new key.

A 5xx or no answer is an unknown outcome: the row stays pending with ``outcome_unknown_at``
set, and the next run reads Stripe first (each command's task does) and, only if the change
is still not there, sends it as the next attempt (a new key: Stripe replays a saved 500 to
the old one for 24 hours).
"""

from django.utils import timezone

from orders.models import StripeCommand

Kind = StripeCommand.Kind


def record_command(order, kind, subscription_id, plan_ids=()):
    """A pending command for ``order`` (call inside the caller's transaction)."""
    return StripeCommand.objects.create(
        order=order, kind=kind, subscription_id=subscription_id, plan_ids=list(plan_ids)
    )


def prepare_attempt(command):
    """Before sending: after an unknown outcome (Stripe read first by the caller, and the
    change still missing) the attempt moves on, so the send goes out under a new key."""
    if command.outcome_unknown_at is not None:
        command.attempt += 1
        command.outcome_unknown_at = None
        command.save(update_fields=["attempt", "outcome_unknown_at"])
    return command


def outcome_unknown(command):
    """Stripe failed or did not answer: checked (read first) before the next attempt."""
    StripeCommand.objects.filter(pk=command.pk).update(outcome_unknown_at=timezone.now())


def finish(command, status=StripeCommand.Status.DONE, error=""):
    StripeCommand.objects.filter(pk=command.pk).update(
        status=status, error=error, done_at=timezone.now(), outcome_unknown_at=None
    )
