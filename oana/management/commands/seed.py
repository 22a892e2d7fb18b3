"""Load the seed content and catalog. Safe to run any number of times."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load (or refresh) the seed article, catalog and testimonials. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--refresh-articles",
            action="store_true",
            help="Rewrite the seed articles from articles/content/, discarding admin edits to them.",
        )

    @transaction.atomic
    def handle(self, *args, refresh_articles=False, **options):
        # Each app owns its seed data; the catalog goes first because the article links to it.
        from articles.seed import load_articles
        from treatments.seed import load_catalog

        self.stdout.write(self.style.SUCCESS(load_catalog()))
        self.stdout.write(self.style.SUCCESS(load_articles(refresh=refresh_articles)))
        from clinic.clinical_data import seed_interaction_rules

        if seed_interaction_rules():
            self.stdout.write(
                "Interaction rules: first version, from clinic/data/interactions.toml."
            )
        from legal.seed import seed_legal_documents

        if seed_legal_documents():
            self.stdout.write(
                "Legal documents: first versions added (counsel reviews them: docs/operations.md)."
            )
        if settings.DEBUG:
            # Development only: a fictional clinician licensed everywhere, so checkout works.
            from clinic.clinicians import seed_demo_clinician
            from oana.article_reviewer import seed_demo_reviewer

            if seed_demo_clinician():
                self.stdout.write("Development: added a fictional demo clinician (every state).")
            if seed_demo_reviewer():
                self.stdout.write("Development: the demo clinician reviews the seed articles.")
