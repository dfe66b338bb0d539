"""Semi-monthly settlement periods (1st-15th, 16th-end of month), in UTC: pure, no I/O.

UTC rather than a market's zone: the ledger's instants are UTC and a period boundary must be the same
instant for every seller of every market; a US seller sees a boundary at 7 or 8 pm Eastern on the
15th and the last day of the month, which the statement states.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

TIMEZONE = "UTC"


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """A settlement period, named by its first day (always the 1st or the 16th)."""

    start: dt.date

    def __post_init__(self) -> None:
        if self.start.day not in (1, 16):
            raise ValueError("a settlement period starts on the 1st or the 16th")

    @property
    def end(self) -> dt.date:
        """The first day of the next period (exclusive)."""
        if self.start.day == 1:
            return self.start.replace(day=16)
        return (self.start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC)

    @property
    def end_at(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time(), tzinfo=dt.UTC)

    @property
    def label(self) -> str:
        return self.start.isoformat()

    def next(self) -> Period:
        return Period(self.end)

    def previous(self) -> Period:
        return Period.containing(self.start - dt.timedelta(days=1))

    @classmethod
    def containing(cls, when: dt.date | dt.datetime) -> Period:
        """The period an instant (UTC) or a day falls in."""
        day = when.astimezone(dt.UTC).date() if isinstance(when, dt.datetime) else when
        return cls(day.replace(day=1 if day.day < 16 else 16))


def parse_period(text: str) -> Period:
    """``2026-11-16`` -> that period; ValueError names what is wrong."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("a period is a date YYYY-MM-DD") from exc
    return Period(day)


def last_closed(now: dt.datetime) -> Period:
    """The most recent period that is over at ``now``."""
    return Period.containing(now).previous()
