"""The futures calendar: listed months, cutoff and delivery times, month arithmetic (all UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphex.chain.futures.calendar import (
    CalendarError,
    add_months,
    civil_from_days,
    cutoff_time,
    day_of,
    days_from_civil,
    days_in_month,
    delivery_time,
    last_day,
    listed_months,
    month_of,
    month_start,
    next_quarter_month,
    require_month,
    valid_month,
)
from tests.chain.futures.product_helpers import utc

LISTINGS = [
    ((2026, 11), (202611, 202612, 202703, 202706)),
    ((2026, 12), (202612, 202701, 202703, 202706)),
    ((2027, 1), (202701, 202702, 202703, 202706)),
    ((2027, 2), (202702, 202703, 202706, 202709)),
    ((2027, 3), (202703, 202704, 202706, 202709)),
]


def _month_span(year: int, month: int) -> tuple[int, int]:
    start = utc(year, month, 1)
    end = utc(year + 1, 1, 1) if month == 12 else utc(year, month + 1, 1)
    return start, end


@pytest.mark.parametrize(("year_month", "expected"), LISTINGS)
def test_listed_months_at_any_time_of_the_month(year_month: tuple[int, int],
                                               expected: tuple[int, ...]) -> None:
    start, end = _month_span(*year_month)
    for when in (start, start + 1, (start + end) // 2, end - 1801, end - 1800, end - 1):
        assert listed_months(when) == expected, when
    assert listed_months(end) != expected  # the next month lists at 00:00:00 on the 1st


def test_cutoff_and_delivery_times() -> None:
    assert cutoff_time(202611) == utc(2026, 11, 30, 23, 30)
    assert delivery_time(202611) == utc(2026, 12, 1)
    assert cutoff_time(202612) == utc(2026, 12, 31, 23, 30)
    assert delivery_time(202612) == utc(2027, 1, 1)
    assert cutoff_time(202702) == utc(2027, 2, 28, 23, 30)
    assert cutoff_time(202802) == utc(2028, 2, 29, 23, 30)  # leap year
    assert delivery_time(202802) == utc(2028, 3, 1)
    assert delivery_time(202802) - cutoff_time(202802) == 30 * 60


def test_days() -> None:
    assert day_of(utc(1970, 1, 1)) == 0
    assert day_of(utc(2026, 11, 30, 23, 59, 59)) == day_of(utc(2026, 11, 30)) == 20787
    assert last_day(202611) == 20787 == day_of(cutoff_time(202611))
    assert last_day(202802) == day_of(utc(2028, 2, 29))
    assert days_in_month(202802) == 29
    assert days_in_month(202702) == 28
    assert days_in_month(210002) == 28  # 2100 is not a leap year
    assert days_in_month(200002) == 29  # 2000 is
    assert days_in_month(202612) == 31


def test_month_rollovers() -> None:
    assert add_months(202612, 1) == 202701
    assert add_months(202701, -1) == 202612
    assert add_months(202611, 14) == 202801
    assert add_months(202603, -27) == 202312
    assert month_of(utc(2026, 12, 31, 23, 59, 59)) == 202612
    assert month_of(utc(2027, 1, 1)) == 202701
    assert month_start(202701) == utc(2027, 1, 1)
    assert next_quarter_month(202612) == 202703
    assert next_quarter_month(202703) == 202706
    assert next_quarter_month(202711) == 202712


def test_valid_month() -> None:
    for good in (197001, 202612, 210512):
        assert valid_month(good)
        require_month(good)
    for bad in (202600, 202613, 196912, 210601, 0, -202601, 2026):
        assert not valid_month(bad)
        with pytest.raises(CalendarError, match=f"delivery month {bad} is not a month YYYYMM"):
            require_month(bad)
    assert delivery_time(210512) < 2**32  # every valid month's times fit a u32


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_dates_agree_with_datetime(when: int) -> None:
    moment = datetime.fromtimestamp(when, UTC)
    day = day_of(when)
    assert civil_from_days(day) == (moment.year, moment.month, moment.day)
    assert days_from_civil(moment.year, moment.month, moment.day) == day
    assert month_of(when) == moment.year * 100 + moment.month
    current, following, q1, q2 = listed_months(when)
    assert following == add_months(current, 1)
    assert q1 % 100 in (3, 6, 9, 12) and q2 == add_months(q1, 3)
    assert following < q1 <= add_months(following, 3)
