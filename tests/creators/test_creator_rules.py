"""The affiliate rules without a database: last touch wins in any order, the window's edges, self-referral,
targeted over open rates, and commission held per line and per store order as units and GMV come back."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from yellowcart.creators.rules import (
    DEFAULT_WINDOW,
    OfferedRate,
    Outcome,
    RateKind,
    Touch,
    TouchKind,
    commission,
    conversion_target,
    decide,
    effective_rate,
    last_touch,
    line_target,
    valid_rate,
)
from yellowcart.ledger.postings import scaled

ORDERED = dt.datetime(2030, 3, 10, 12, 0, tzinfo=dt.UTC)
US = dt.timedelta(microseconds=1)


def _touch(event_id: int, at: dt.datetime, creator_id: int = 7, kind: TouchKind = TouchKind.VIEW) -> Touch:
    return Touch(event_id, content_id=100 + creator_id, creator_id=creator_id, at=at, kind=kind)


offsets = st.lists(st.integers(0, 7 * 24 * 3600), min_size=1, max_size=12, unique=True)


@given(offsets, st.randoms())
def test_the_latest_touch_in_the_window_wins_whatever_the_order(seconds: list[int], rnd: object) -> None:
    touches = [_touch(i, ORDERED - dt.timedelta(seconds=s), creator_id=i) for i, s in enumerate(seconds)]
    shuffled = list(touches)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    winner = last_touch(shuffled, ordered_at=ORDERED, window=DEFAULT_WINDOW)
    assert winner is not None and winner.at == ORDERED - dt.timedelta(seconds=min(seconds))


def test_window_edges_and_touches_after_the_order() -> None:
    edge = _touch(1, ORDERED - DEFAULT_WINDOW)
    assert last_touch([edge], ordered_at=ORDERED, window=DEFAULT_WINDOW) == edge  # exactly 7 days: counts
    assert last_touch([_touch(2, ORDERED - DEFAULT_WINDOW - US)], ordered_at=ORDERED, window=DEFAULT_WINDOW) is None
    later = _touch(3, ORDERED + US)  # after the order: not what led to it
    assert last_touch([later, edge], ordered_at=ORDERED, window=DEFAULT_WINDOW) == edge
    same = [_touch(4, ORDERED, creator_id=1), _touch(9, ORDERED, creator_id=2)]
    assert last_touch(same, ordered_at=ORDERED, window=DEFAULT_WINDOW) == same[1]  # a tie: the later event


def test_decisions() -> None:
    rate = OfferedRate(1200, RateKind.OPEN)
    touch = _touch(1, ORDERED, creator_id=7)
    assert decide(None, shopper_id=3, rate=rate).outcome is Outcome.NO_TOUCH
    assert decide(touch, shopper_id=7, rate=rate).outcome is Outcome.SELF_REFERRAL
    assert decide(touch, shopper_id=3, rate=None).outcome is Outcome.NO_RATE
    done = decide(touch, shopper_id=None, rate=rate)  # an anonymous store visitor
    assert (done.outcome, done.touch, done.rate) == (Outcome.ATTRIBUTED, touch, rate)


def test_targeted_rate_overrides_open_and_rates_stay_in_range() -> None:
    assert effective_rate(1000, 2500) == OfferedRate(2500, RateKind.TARGETED)
    assert effective_rate(1000, None) == OfferedRate(1000, RateKind.OPEN)
    assert effective_rate(None, 300) == OfferedRate(300, RateKind.TARGETED)
    assert effective_rate(None, None) is None
    assert [valid_rate(b) for b in (99, 100, 8000, 8001)] == [False, True, True, False]
    assert commission(2999, 1500) == 450  # 449.85 half-up


@given(
    st.integers(0, 10**7),
    st.integers(1, 999),
    st.lists(st.integers(1, 5), max_size=10),
)
def test_a_line_returned_step_by_step_ends_at_zero_and_never_goes_negative(
    commission_cents: int, units: int, steps: list[int]
) -> None:
    assert line_target(commission_cents=commission_cents, units=units, returned_units=0, earned=False) == 0
    held = line_target(commission_cents=commission_cents, units=units, returned_units=0, earned=True)
    assert held == commission_cents
    returned = 0
    for step in steps:
        returned = min(units, returned + step)
        now = line_target(commission_cents=commission_cents, units=units, returned_units=returned, earned=True)
        assert 0 <= now <= held  # reversals only take back
        held = now
    everything = line_target(commission_cents=commission_cents, units=units, returned_units=units, earned=True)
    assert everything == 0


@given(st.integers(1, 10**7), st.integers(0, 10**6), st.lists(st.integers(0, 10**6), max_size=8))
def test_store_orders_hold_commission_on_gmv_not_refunded(gmv: int, commission_cents: int, refunds: list[int]) -> None:
    refunded = 0
    for part in refunds:
        refunded = min(gmv, refunded + part)
        held = conversion_target(
            commission_cents=commission_cents, gmv_cents=gmv, refunded_gmv_cents=refunded, reversed=False
        )
        assert held == scaled(commission_cents, gmv - refunded, gmv)
    assert conversion_target(commission_cents=commission_cents, gmv_cents=gmv, refunded_gmv_cents=0, reversed=True) == 0
