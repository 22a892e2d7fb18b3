"""Add a large, realistic clinic to the database, for measuring pages (`make bench-staff`)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Add a made-up clinic of --orders orders (100,000 by default) with their patients, "
        "payments, shipments, messages and answers, in bulk. Development only (DEBUG on)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=100_000)
        parser.add_argument("--patients", type=int, help="Default: a third of the orders.")
        parser.add_argument("--clinicians", type=int, default=8)
        parser.add_argument("--seed", type=int, default=1, help="The same seed, the same clinic.")

    def handle(self, *args, orders, patients, clinicians, seed, **options):
        # Made-up patients must never land in a real clinic's database.
        if not settings.DEBUG:
            raise CommandError("seed_scale runs only with DEBUG on (never on a real clinic).")
        if orders < 1 or clinicians < 1 or (patients is not None and patients < 1):
            raise CommandError("--orders, --patients and --clinicians must be at least 1.")
        from oana.scale import build_clinic

        started = time.monotonic()
        counts = build_clinic(
            orders,
            patients=patients,
            clinicians=clinicians,
            seed=seed,
            log=lambda line: self.stdout.write(line),
        )
        seconds = time.monotonic() - started
        for name, number in counts.items():
            self.stdout.write(f"{name}: {number:,}")
        self.stdout.write(self.style.SUCCESS(f"Seeded {orders:,} orders in {seconds:.0f} s."))
