"""Issue 18 item 4: a pause skips renewals, counted by Stripe's calendar months from the
billing anchor (clamped to the month's end), and ends one day after the last one skipped."""

from datetime import UTC, datetime, timedelta

import pytest

from core.billing_months import add_months, pause_schedule, renewals


def at(year, month, day):
    return datetime(year, month, day, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("anchor", "months", "expected"),
    [
        (at(2027, 1, 31), 1, at(2027, 2, 28)),
        (at(2028, 1, 31), 1, at(2028, 2, 29)),  # a leap year
        (at(2027, 1, 31), 2, at(2027, 3, 31)),  # from the anchor, not from Feb 28
        (at(2027, 1, 30), 13, at(2028, 2, 29)),
        (at(2026, 12, 15), 2, at(2027, 2, 15)),  # across the year
        (at(2027, 3, 31), 1, at(2027, 4, 30)),
    ],
)
def test_months_are_added_the_way_stripe_bills(anchor, months, expected):
    assert add_months(anchor, months) == expected


def test_a_one_month_pause_ends_the_day_after_the_renewal_it_skips():
    """The issue's case: in the period ending Feb 5, a "one month" pause of 30 days resumed
    on Mar 7, after the Mar 5 renewal, and she skipped two refills."""
    schedule = pause_schedule(
        anchor=at(2027, 1, 5), period_end=at(2027, 2, 5), now=at(2027, 1, 20), months=1
    )
    assert schedule.skipped == (at(2027, 2, 5),)
    assert schedule.resumes_at == at(2027, 2, 6)
    assert schedule.next_charge == at(2027, 3, 5)


def test_a_two_month_pause_from_a_month_end_anchor():
    schedule = pause_schedule(
        anchor=at(2027, 1, 31), period_end=at(2027, 2, 28), now=at(2027, 2, 10), months=2
    )
    assert schedule.skipped == (at(2027, 2, 28), at(2027, 3, 31))
    assert schedule.resumes_at == at(2027, 4, 1)
    assert schedule.next_charge == at(2027, 4, 30)


def test_february_of_a_leap_year():
    schedule = pause_schedule(
        anchor=at(2028, 1, 30), period_end=at(2028, 1, 30), now=at(2028, 1, 2), months=2
    )
    assert schedule.skipped == (at(2028, 1, 30), at(2028, 2, 29))
    assert schedule.resumes_at == at(2028, 3, 1)
    assert schedule.next_charge == at(2028, 3, 30)


def test_a_period_end_already_past_counts_from_the_next_renewal():
    assert renewals(
        anchor=at(2027, 1, 5), period_end=at(2027, 2, 5), after=at(2027, 2, 10), count=2
    ) == [at(2027, 3, 5), at(2027, 4, 5)]


def test_stripes_own_period_end_is_the_first_renewal_to_the_second():
    period_end = at(2027, 2, 5) + timedelta(seconds=7)
    assert renewals(
        anchor=at(2027, 1, 5), period_end=period_end, after=at(2027, 2, 1), count=1
    ) == [period_end]
