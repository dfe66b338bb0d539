"""The SLA rules, pure: deadlines over weekends, holidays and time zones; breach arithmetic."""

from __future__ import annotations

import datetime as dt

from yellowcart.fulfillment import sla

NY, LA = "America/New_York", "America/Los_Angeles"
UTC = dt.UTC


def at(y: int, m: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=UTC)


def test_deadline_counts_handling_days_from_the_local_processing_day() -> None:
    # Monday 10:00 EST, before the 14:00 cut-off: picked Monday, handed over Tuesday.
    assert sla.dispatch_deadline(at(2030, 1, 7, 15), cutoff_minutes=840, timezone=NY, handling_days=1) == dt.date(
        2030, 1, 8
    )
    # Monday 15:00 EST, after the cut-off: picked Tuesday, due Wednesday.
    assert sla.dispatch_deadline(at(2030, 1, 7, 20), cutoff_minutes=840, timezone=NY, handling_days=1) == dt.date(
        2030, 1, 9
    )
    # Same instant is 12:00 in Los Angeles: still before its cut-off.
    assert sla.dispatch_deadline(at(2030, 1, 7, 20), cutoff_minutes=840, timezone=LA, handling_days=1) == dt.date(
        2030, 1, 8
    )


def test_deadline_skips_weekend_and_federal_holiday() -> None:
    # Friday 2030-01-18 10:00 EST; Monday 21st is Martin Luther King Jr. Day: due Tuesday 22nd.
    deadline = sla.dispatch_deadline(at(2030, 1, 18, 15), cutoff_minutes=840, timezone=NY, handling_days=1)
    assert deadline == dt.date(2030, 1, 22)
    assert not sla.dispatched_late(deadline, now=at(2030, 1, 23, 4, 59), shipped_at=None, timezone=NY)  # 23:59 EST
    assert sla.dispatched_late(deadline, now=at(2030, 1, 23, 5, 0), shipped_at=None, timezone=NY)  # midnight
    # Handed over on the deadline day in the warehouse's zone is on time, whatever the UTC date.
    assert not sla.dispatched_late(deadline, now=at(2030, 2, 1, 0), shipped_at=at(2030, 1, 23, 4), timezone=NY)
    assert sla.dispatched_late(deadline, now=at(2030, 2, 1, 0), shipped_at=at(2030, 1, 23, 4), timezone="UTC")


def test_auto_cancel_after_seven_business_days() -> None:
    paid = at(2030, 1, 7, 15)  # Monday: 7 business days later is Wednesday 16th
    assert not sla.auto_cancel_due(paid, now=at(2030, 1, 16, 4, 59), timezone=NY)  # Tue 15th 23:59 EST
    assert sla.auto_cancel_due(paid, now=at(2030, 1, 16, 5, 0), timezone=NY)
    assert not sla.auto_cancel_due(paid, now=at(2030, 1, 16, 7, 59), timezone=LA)
    # Over MLK day: paid Friday 18th -> 22,23,24,25,28,29,30 -> due Wednesday 30th.
    assert not sla.auto_cancel_due(at(2030, 1, 18, 15), now=at(2030, 1, 29, 23), timezone=NY)
    assert sla.auto_cancel_due(at(2030, 1, 18, 15), now=at(2030, 1, 30, 12), timezone=NY)


def test_late_delivery_is_judged_in_the_shoppers_zone() -> None:
    promised = dt.date(2030, 1, 10)
    night = at(2030, 1, 11, 6)  # 01:00 in New York (late), 22:00 on the 10th in Los Angeles (not yet)
    assert sla.delivered_late(promised, now=night, delivered_at=None, timezone=NY)
    assert not sla.delivered_late(promised, now=night, delivered_at=None, timezone=LA)
    assert not sla.delivered_late(promised, now=at(2030, 2, 1, 0), delivered_at=at(2030, 1, 11, 4), timezone=NY)


def test_lost_after_n_days_without_a_scan() -> None:
    assert not sla.presumed_lost(at(2030, 1, 1, 12), now=at(2030, 1, 8, 11, 59))
    assert sla.presumed_lost(at(2030, 1, 1, 12), now=at(2030, 1, 8, 12))
    assert sla.presumed_lost(at(2030, 1, 1, 12), now=at(2030, 1, 4, 12), after_days=3)


def test_rates_and_breaches_in_integer_arithmetic() -> None:
    assert sla.Rate(4, 100, sla.LATE_DISPATCH).breached is False  # exactly 4% is allowed
    assert sla.Rate(5, 100, sla.LATE_DISPATCH).breached is True
    assert sla.Rate(1, 40, sla.SELLER_FAULT_CANCELLATION).breached is False  # 2.5%
    assert sla.Rate(1, 39, sla.SELLER_FAULT_CANCELLATION).breached is True
    assert sla.Rate(19, 20, sla.VALID_TRACKING).breached is False  # 95%
    assert sla.Rate(18, 20, sla.VALID_TRACKING).breached is True
    nothing = sla.Rate(0, 0, sla.VALID_TRACKING)
    assert nothing.value is None and nothing.breached is False
    assert sla.Rate(1, 3, sla.LATE_DISPATCH).value == 1 / 3
