"""Ask the check-ins that are due, remind her once, then hold her boxes (the worker runs it
hourly as ``orders.tasks.checkins``)."""

from django.core.management.base import BaseCommand

from clinic.services.checkins import follow_up_checkins, schedule_checkins


class Command(BaseCommand):
    help = (
        "Create the check-ins that are due (once per due date) and email the patients; remind "
        "once after QUESTION_REMINDER_DAYS; hold the boxes of a check-in still unanswered as "
        "long after the reminder. Safe to run any number of times."
    )

    def handle(self, *args, **options):
        asked = schedule_checkins()
        reminded, held = follow_up_checkins()
        self.stdout.write(f"Asked {len(asked)}, reminded {len(reminded)}, held {len(held)}.")
