"""What she pays and when, said the same way wherever she decides (treatment page, cart, above
the pay button): charged today, reviewed by a clinician within the promised time, refunded in
full if not approved, then the monthly amount, and pause or cancel in her account.

The promise of time is ``settings.CARE_TEAM_REPLY``, the one setting every page and email
uses. ``templates/includes/money_and_time.html`` is the one way it is shown (the
``{% money_and_time %}`` tag in ``core/templatetags/money.py``)."""

import calendar
import datetime

from django.conf import settings
from django.utils import timezone


def one_month_after(day):
    """The same day of the next month, or that month's last day when it is shorter (January
    31 -> February 28): how a monthly subscription's next charge falls."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


def money_and_time(monthly_cents, *, dated, today=None):
    """The facts of the line for a monthly amount. ``dated`` gives the next charge's date
    (pages rendered for her: cart, checkout); cached public pages say only the cadence."""
    today = today or timezone.localdate()
    return {
        "today_cents": monthly_cents,
        "monthly_cents": monthly_cents,
        "review_within": settings.CARE_TEAM_REPLY,
        "next_charge": one_month_after(today) if dated else None,
    }
