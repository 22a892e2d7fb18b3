"""Load the seed content and catalog. Safe to run any number of times."""

from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load (or refresh) the seed article, catalog and testimonials. Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        # Each app owns its seed data; the catalog goes first because the article links to it.
        from articles.seed import load_articles
        from treatments.seed import load_catalog

        for loader in (load_catalog, load_articles):
            summary = loader()
            self.stdout.write(self.style.SUCCESS(summary))
