from django.core.management.base import BaseCommand

from oana.retention import prune


class Command(BaseCommand):
    help = (
        "Delete expired sessions, blank Stripe webhook payloads older than "
        "WEBHOOK_PAYLOAD_RETENTION_DAYS (keeping the event ids) and delete questionnaire "
        "access-log rows older than QUESTIONNAIRE_ACCESS_LOG_RETENTION_DAYS."
    )

    def handle(self, *args, **options):
        for what, count in prune().items():
            self.stdout.write(f"{what}: {count}")
