"""Compare recent Stripe objects with the database, record what is missing, print what differs."""

import re
import time

from django.core.management.base import BaseCommand, CommandError

from payments.gateways import PaymentProviderError, get_gateway
from payments.services.reconcile import reconcile

UNITS = {"m": 60, "h": 3600, "d": 86400}


def seconds(text):
    """ "7d", "24h", "90m" -> seconds."""
    match = re.fullmatch(r"([1-9][0-9]{0,3})([mhd])", text or "")
    if not match:
        raise CommandError(f"--since takes a number and a unit (m, h or d), e.g. 7d; not {text!r}.")
    return int(match.group(1)) * UNITS[match.group(2)]


class Command(BaseCommand):
    help = (
        "Fetch recent invoices, refunds, disputes and subscriptions from Stripe, record what "
        "the database lacks (the same handlers as the webhook, so running it twice is safe), "
        "retry refunds Stripe never confirmed, and print each difference found."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", default="7d", help="How far back: 90m, 24h, 7d (default).")

    def handle(self, *args, since, **options):
        window = seconds(since)
        gateway = get_gateway()
        if gateway is None or gateway.name != "stripe":
            self.stdout.write("No Stripe keys (local test mode): nothing at Stripe to reconcile.")
            return
        try:
            differences = reconcile(gateway, since=int(time.time()) - window)
        except PaymentProviderError as error:
            raise CommandError(f"Stripe could not be asked: {error.message}") from error
        for line in differences:
            self.stdout.write(f"difference: {line}")
        self.stdout.write(
            self.style.SUCCESS(f"Reconciled the last {since}: {len(differences)} difference(s).")
        )
