"""SLA rules as pure functions (no I/O): dispatch deadlines, auto-cancel day, late delivery, lost
parcels, and seller health rates with their breach thresholds.

Business days are the warehouse's (``calendar``: Mon-Fri minus US federal holidays); "today" is the
date in the zone that matters for the rule: the warehouse's for dispatch, the shopper's for delivery.
Thresholds follow the seed market (TikTok Shop US; Amazon's are the same order): late dispatch <= 4%,
seller-fault cancellation <= 2.5%, valid tracking >= 95%. They are per mille integers so a breach is
decided in integer arithmetic (``late * 1000 > 40 * total``), never by a rounded float.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from yellowcart.fulfillment import calendar

#: TikTok Shop US: an order not dispatched 7 business days after payment is cancelled and refunded.
AUTO_CANCEL_BUSINESS_DAYS = 7
#: No carrier scan for this many days after hand-over: the parcel is treated as lost.
LOST_AFTER_DAYS = 7


def local_date(at: dt.datetime, timezone: str) -> dt.date:
    """The calendar date of an aware instant in ``timezone``."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    return at.astimezone(ZoneInfo(timezone)).date()


def dispatch_deadline(start: dt.datetime, *, cutoff_minutes: int, timezone: str, handling_days: int) -> dt.date:
    """The last (warehouse-local) day the parcel may be handed to the carrier: the processing day of
    ``start`` (today before the cut-off on a business day, else the next business day) plus the
    warehouse's handling days."""
    pick = calendar.processing_day(start, cutoff_minutes=cutoff_minutes, timezone=timezone)
    return calendar.add_business_days(pick, handling_days)


def dispatched_late(deadline: dt.date, *, now: dt.datetime, shipped_at: dt.datetime | None, timezone: str) -> bool:
    """Handed over after the deadline day, or still not handed over once the deadline day is over."""
    return local_date(shipped_at or now, timezone) > deadline


def auto_cancel_due(
    start: dt.datetime, *, now: dt.datetime, timezone: str, business_days: int = AUTO_CANCEL_BUSINESS_DAYS
) -> bool:
    """``business_days`` business days have passed since ``start`` (warehouse-local dates)."""
    return calendar.business_days_between(local_date(start, timezone), local_date(now, timezone)) >= business_days


def delivered_late(promised: dt.date, *, now: dt.datetime, delivered_at: dt.datetime | None, timezone: str) -> bool:
    """Delivered after the promised (shopper-local) date, or not delivered once that day is over."""
    return local_date(delivered_at or now, timezone) > promised


def presumed_lost(last_activity: dt.datetime, *, now: dt.datetime, after_days: int = LOST_AFTER_DAYS) -> bool:
    """No scan since ``last_activity`` (the last carrier scan, else the hand-over) for ``after_days``."""
    return now - last_activity >= dt.timedelta(days=after_days)


# ---- seller health ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Threshold:
    """A rate's limit in per mille: ``at_most`` (a bad thing's rate) or at least (a good thing's)."""

    per_mille: int
    at_most: bool


LATE_DISPATCH = Threshold(40, at_most=True)
SELLER_FAULT_CANCELLATION = Threshold(25, at_most=True)
VALID_TRACKING = Threshold(950, at_most=False)
#: Not a TikTok number: below nine in ten parcels on time an operator should look.
ON_TIME_DELIVERY = Threshold(900, at_most=False)


@dataclass(frozen=True, slots=True)
class Rate:
    """``count`` of ``total`` over the window; no rate (and no breach) when nothing was measured."""

    count: int
    total: int
    threshold: Threshold

    @property
    def value(self) -> float | None:
        return None if self.total == 0 else self.count / self.total

    @property
    def breached(self) -> bool:
        if self.total == 0:
            return False
        if self.threshold.at_most:
            return self.count * 1000 > self.threshold.per_mille * self.total
        return self.count * 1000 < self.threshold.per_mille * self.total
