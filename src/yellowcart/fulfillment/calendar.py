"""Business days: Monday to Friday except US federal holidays (the ``holidays`` package's federal
calendar, observed dates included: Independence Day on a Saturday is observed the Friday before).
Warehouses pick and carriers move parcels on business days; the cut-off is in the warehouse's local time.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

#: How far ahead any computation here may walk; a longer run of closed days is a bug, not a calendar.
MAX_WALK_DAYS = 60


@lru_cache(maxsize=64)
def federal_holidays(year: int) -> frozenset[dt.date]:
    """The federal holidays of ``year`` (frozen: a ``holidays`` object fills itself lazily and is not
    safe to share between threads)."""
    return frozenset(holidays.country_holidays("US", years=year).keys())


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in federal_holidays(day.year)


def next_business_day(day: dt.date) -> dt.date:
    """The first business day strictly after ``day``."""
    for offset in range(1, MAX_WALK_DAYS):
        candidate = day + dt.timedelta(days=offset)
        if is_business_day(candidate):
            return candidate
    raise ValueError(f"no business day within {MAX_WALK_DAYS} days after {day}")


def on_or_after(day: dt.date) -> dt.date:
    """``day`` itself when it is a business day, else the next one."""
    return day if is_business_day(day) else next_business_day(day)


def add_business_days(day: dt.date, n: int) -> dt.date:
    """``n`` business days after ``day`` (``n = 0`` is ``day`` itself, business day or not)."""
    if n < 0:
        raise ValueError("n must not be negative")
    for _ in range(n):
        day = next_business_day(day)
    return day


def business_days_between(start: dt.date, end: dt.date) -> int:
    """Business days in ``(start, end]``: Monday to Tuesday is 1, Friday to Monday is 1."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_business_day(day)
    return count


def local_cutoff(day: dt.date, cutoff_minutes: int, timezone: str) -> dt.datetime:
    """The cut-off instant of ``day`` in the warehouse's zone, as UTC (daylight saving handled by zoneinfo)."""
    local = dt.datetime.combine(day, dt.time(cutoff_minutes // 60, cutoff_minutes % 60), tzinfo=ZoneInfo(timezone))
    return local.astimezone(dt.UTC)


def processing_day(now: dt.datetime, *, cutoff_minutes: int, timezone: str) -> dt.date:
    """The business day an order placed at ``now`` (UTC-aware) is picked in a warehouse: today when it
    is a business day and before the local cut-off, else the next business day."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(ZoneInfo(timezone))
    today = local.date()
    if is_business_day(today) and local.hour * 60 + local.minute < cutoff_minutes:
        return today
    return next_business_day(today)
