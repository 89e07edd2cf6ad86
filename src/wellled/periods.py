"""Calendar quarters written ``YYYY-Qn``: parsing, ordering and arithmetic."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from wellled.errors import UsageError

PERIOD_PATTERN = re.compile(r"^(\d{4})-Q([1-4])$")


def parse_period(text: str) -> tuple[int, int]:
    """Split ``YYYY-Qn`` into (year, quarter).

    >>> parse_period("2026-Q3")
    (2026, 3)
    """
    match = PERIOD_PATTERN.match(text or "")
    if not match:
        raise UsageError(f"period {text!r} is not a calendar quarter written YYYY-Qn, e.g. 2026-Q3")
    return int(match.group(1)), int(match.group(2))


def period_of(day: dt.date) -> str:
    """The quarter a date falls in.

    >>> period_of(dt.date(2026, 11, 26))
    '2026-Q4'
    """
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def periods_of(dates: pd.Series) -> pd.Series:
    """Vectorised :func:`period_of` for a datetime column; missing dates stay missing."""
    quarter = dates.dt.quarter.astype("Int64").astype("string")
    return (dates.dt.year.astype("Int64").astype("string") + "-Q" + quarter).astype("string")


def shift_period(period: str, quarters: int) -> str:
    """The quarter ``quarters`` after (or before, if negative) ``period``.

    >>> shift_period("2026-Q1", -1)
    '2025-Q4'
    """
    year, quarter = parse_period(period)
    index = year * 4 + (quarter - 1) + quarters
    return f"{index // 4}-Q{index % 4 + 1}"


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a quarter.

    >>> period_bounds("2026-Q1")
    (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    """
    year, quarter = parse_period(period)
    next_year, next_quarter = parse_period(shift_period(period, 1))
    first = dt.date(year, 3 * quarter - 2, 1)
    return first, dt.date(next_year, 3 * next_quarter - 2, 1) - dt.timedelta(days=1)


def last_complete_period(today: dt.date) -> str:
    """The last calendar quarter that has fully ended before ``today``.

    >>> last_complete_period(dt.date(2026, 11, 26))
    '2026-Q3'
    """
    return shift_period(period_of(today), -1)


def period_range(end: str, count: int) -> list[str]:
    """``count`` consecutive quarters ending with ``end``, oldest first.

    >>> period_range("2026-Q2", 3)
    ['2025-Q4', '2026-Q1', '2026-Q2']
    """
    return [shift_period(end, offset) for offset in range(1 - count, 1)]
