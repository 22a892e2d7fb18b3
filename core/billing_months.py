"""Stripe's monthly billing dates, and what a pause of N renewals means in dates.

Stripe bills by calendar month from the subscription's billing anchor: each renewal falls
on the anchor's day of the month, clamped to the month's end, always counted from the
anchor (Jan 31 -> Feb 28 or 29 -> Mar 31, never Mar 28). A pause skips renewals, not days:
it ends one day after the last renewal it skips (the renewal instant itself is the one
moment Stripe does not say whether that invoice is collected), so the renewal after it is
charged as usual. ``pause_schedule`` is the one place this is worked out: her page shows its
dates, the pause service stores its end, and that end is what Stripe is sent.
"""

import calendar
import itertools
from dataclasses import dataclass
from datetime import timedelta


def add_months(anchor, months):
    """``anchor`` plus ``months`` calendar months, Stripe's way (clamped to the month's end)."""
    index = anchor.month - 1 + months
    year, month = anchor.year + index // 12, index % 12 + 1
    return anchor.replace(year=year, month=month, day=min(anchor.day, _days_in(year, month)))


def _days_in(year, month):
    return calendar.monthrange(year, month)[1]


def renewals(*, anchor, period_end, after, count):
    """The next ``count`` renewal dates later than ``after``: ``period_end`` (Stripe's own
    date for the coming renewal), then by calendar month from ``anchor``."""
    start = (period_end.year - anchor.year) * 12 + period_end.month - anchor.month
    dates = (period_end if k == 0 else add_months(anchor, start + k) for k in itertools.count())
    return list(itertools.islice((date for date in dates if date > after), count))


@dataclass(frozen=True)
class PauseSchedule:
    """A pause of ``len(skipped)`` renewals: the renewal dates skipped, when collection
    resumes (one day after the last of them), and the first renewal charged after it."""

    skipped: tuple
    resumes_at: object
    next_charge: object


def pause_schedule(*, anchor, period_end, now, months):
    """What pausing ``months`` renewals from ``now`` means (see the module's docstring)."""
    dates = renewals(anchor=anchor, period_end=period_end, after=now, count=months + 1)
    return PauseSchedule(
        skipped=tuple(dates[:months]),
        resumes_at=dates[months - 1] + timedelta(days=1),
        next_charge=dates[months],
    )
