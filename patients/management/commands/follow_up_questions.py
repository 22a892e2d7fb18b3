"""Remind patients who have not answered their clinician, and decline what waited too long."""

from django.core.management.base import BaseCommand

from clinic.services.reports import follow_up_silent
from patients.services.messages import follow_up_unanswered


class Command(BaseCommand):
    help = (
        "Email a reminder to patients whose clinician's question is unanswered after "
        "QUESTION_REMINDER_DAYS, and decline (refunding in full) orders unanswered after "
        "QUESTION_DECLINE_DAYS; end renewals and reported problems that waited on her as "
        "long (the treatments concerned are stopped and refunded). Safe to run any number of times (the worker runs it daily)."
    )

    def handle(self, *args, **options):
        reminded, declined = follow_up_unanswered()
        self.stdout.write(f"Reminded {len(reminded)}, declined {len(declined)}.")
        renewals, holds = follow_up_silent()
        self.stdout.write(f"Ended {len(renewals)} renewal(s) and {len(holds)} report(s).")
