"""The orders app's periodic jobs, run by the worker on the schedule in
``settings.PERIODIC_TASKS`` (each is also a management command, for a run by hand)."""

import time

from django.conf import settings
from django.tasks import task

from clinic.services.checkins import follow_up_checkins, schedule_checkins
from clinic.services.reports import follow_up_silent
from patients.services.messages import follow_up_unanswered
from payments.gateways import get_gateway
from payments.services.reconcile import reconcile


@task
def reconcile_with_stripe():
    """``stripe_reconcile --since`` STRIPE_RECONCILE_WINDOW_SECONDS: what Stripe has and we
    lack is recorded, refunds Stripe never confirmed are asked again. An unreachable Stripe
    raises, so the task is retried."""
    gateway = get_gateway()
    if gateway is None or gateway.name != "stripe":
        return {"skipped": "no Stripe keys (local test mode)"}
    since = int(time.time()) - settings.STRIPE_RECONCILE_WINDOW_SECONDS
    return {"differences": reconcile(gateway, since=since)}


@task
def follow_up_questions():
    """``follow_up_questions``: remind patients who have not answered their clinician, and
    decline (refunding) the orders that waited too long; end the renewals and the reported
    problems that waited on her as long (``clinic.services.reports.follow_up_silent``)."""
    reminded, declined = follow_up_unanswered()
    renewals, holds = follow_up_silent()
    return {"reminded": reminded, "declined": declined, "renewals": renewals, "holds": holds}


@task
def checkins():
    """Ask the check-ins that are due (once per due date), remind her once of one left
    unanswered, then hold her boxes (``clinic.services.checkins``)."""
    asked = schedule_checkins()
    reminded, held = follow_up_checkins()
    return {"asked": asked, "reminded": reminded, "held": held}
