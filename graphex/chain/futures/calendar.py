"""The futures calendar (SPEC §7): months, days and the times that govern a series, all UTC.

Pure integer functions of unix seconds. A month is a ``YYYYMM`` int (202612 = December 2026); a
day is a day number, ``when_s // 86400`` (day 0 = 1970-01-01).

- At any moment four months trade (:func:`listed_months`): the current month, the next, and the
  two quarter months (Mar/Jun/Sep/Dec) strictly after the next month — as the CSI 300 index
  futures the seed cites.
- A series' trading stops at its cutoff, 23:30:00 on the month's last day (:func:`cutoff_time`),
  and it delivers at 00:00:00 on the 1st of the following month (:func:`delivery_time`).

Dates come from Howard Hinnant's ``days_from_civil`` / ``civil_from_days`` (proleptic Gregorian),
so no ``datetime``, no floats and no locale enter consensus code.
"""

from __future__ import annotations

from ..errors import ValidationError

DAY_S = 86_400
CUTOFF_BEFORE_DELIVERY_S = 30 * 60
"""Orders and cancels are refused from 30 minutes before delivery (23:30:00 UTC) onward."""
MIN_YEAR, MAX_YEAR = 1970, 2105
"""Months a series may deliver in: every delivery time fits an unsigned 32-bit time."""
QUARTER_MONTHS = (3, 6, 9, 12)


class CalendarError(ValidationError):
    """A month that is not a valid ``YYYYMM`` within the chain's years."""

    rule = "futures calendar"


# -- civil dates ---------------------------------------------------------------------------------
def days_from_civil(year: int, month: int, day: int) -> int:
    """Day number of the date ``year-month-day`` (proleptic Gregorian)."""
    y = year - 1 if month <= 2 else year
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def civil_from_days(day_number: int) -> tuple[int, int, int]:
    """``(year, month, day)`` of day number ``day_number``."""
    z = day_number + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return year, month, day


# -- months --------------------------------------------------------------------------------------
def split_month(month: int) -> tuple[int, int]:
    """``(year, month of year)`` of a ``YYYYMM`` month."""
    return month // 100, month % 100


def valid_month(month: int) -> bool:
    """``month`` is ``YYYYMM`` with a month of year 1..12 and a year in 1970..2105."""
    year, moy = split_month(month)
    return month >= 0 and 1 <= moy <= 12 and MIN_YEAR <= year <= MAX_YEAR


def require_month(month: int, what: str = "delivery month") -> None:
    """Raise :class:`CalendarError` unless :func:`valid_month`."""
    if not valid_month(month):
        raise CalendarError(f"{what} {month} is not a month YYYYMM with month 01..12 and year "
                            f"{MIN_YEAR}..{MAX_YEAR}")


def add_months(month: int, count: int) -> int:
    """The month ``count`` months after ``month`` (``count`` may be negative)."""
    year, moy = split_month(month)
    index = year * 12 + (moy - 1) + count
    return (index // 12) * 100 + index % 12 + 1


def month_of(when_s: int) -> int:
    """The ``YYYYMM`` month containing unix time ``when_s``."""
    year, moy, _ = civil_from_days(day_of(when_s))
    return year * 100 + moy


def month_start(month: int) -> int:
    """Unix time of 00:00:00 UTC on the 1st of ``month``."""
    year, moy = split_month(month)
    return days_from_civil(year, moy, 1) * DAY_S


def days_in_month(month: int) -> int:
    """How many days ``month`` has (29 in a leap February)."""
    return (month_start(add_months(month, 1)) - month_start(month)) // DAY_S


def next_quarter_month(month: int) -> int:
    """The first quarter month (Mar/Jun/Sep/Dec) strictly after ``month``."""
    year, moy = split_month(month)
    following = (moy // 3 + 1) * 3  # 3, 6, 9, 12 or 15
    return add_months(year * 100 + 1, following - 1)


def listed_months(when_s: int) -> tuple[int, int, int, int]:
    """The four months trading at ``when_s``: current, next, and the two quarter months strictly
    after the next month."""
    current = month_of(when_s)
    following = add_months(current, 1)
    quarter = next_quarter_month(following)
    return current, following, quarter, add_months(quarter, 3)


# -- days and times ------------------------------------------------------------------------------
def day_of(when_s: int) -> int:
    """Day number of unix time ``when_s`` (days since 1970-01-01, UTC)."""
    return when_s // DAY_S


def last_day(month: int) -> int:
    """Day number of ``month``'s last day."""
    return day_of(month_start(add_months(month, 1))) - 1


def delivery_time(month: int) -> int:
    """00:00:00 UTC on the 1st of the month after ``month``: when its series delivers."""
    return month_start(add_months(month, 1))


def cutoff_time(month: int) -> int:
    """23:30:00 UTC on ``month``'s last day: orders and cancels are refused from then on."""
    return delivery_time(month) - CUTOFF_BEFORE_DELIVERY_S
