"""The lift estimate on its own (no database): on synthetic populations with a known true lift, the 95%
interval brackets it about 95% of the time; too few held-out shoppers is an explicit state."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from yellowcart.promotions.analytics import MIN_HELD_OUT, estimate_lift
from yellowcart.promotions.analytics_schemas import LiftState


def population(rng: random.Random, n: int, buy: float, spend: int) -> list[int]:
    """Each shopper buys (``spend`` cents, give or take 30%) with probability ``buy``, else spends nothing."""
    return [round(spend * rng.uniform(0.7, 1.3)) if rng.random() < buy else 0 for _ in range(n)]


def test_the_interval_covers_the_true_lift_about_95_percent_of_the_time() -> None:
    rng = random.Random(20301)
    true_lift = 0.45 * 1800 - 0.30 * 2000  # exposed buy more often, a little cheaper: +$2.10 per shopper
    covered, runs = 0, 400
    for _ in range(runs):
        est = estimate_lift(population(rng, 900, 0.45, 1800), population(rng, 100, 0.30, 2000), holdout_bps=1000)
        assert est.state is LiftState.ESTIMATED and est.low is not None and est.high is not None
        covered += est.low <= true_lift <= est.high
    assert 0.92 <= covered / runs <= 0.98  # binomial(400, 0.95): 3.2 standard deviations either side


def test_no_lift_has_an_interval_around_zero_and_incremental_gmv_scales_by_the_exposed() -> None:
    rng = random.Random(5)
    est = estimate_lift(population(rng, 5000, 0.3, 2500), population(rng, 1000, 0.3, 2500), holdout_bps=1667)
    assert est.low is not None and est.high is not None and est.lift is not None
    assert est.low < 0 < est.high
    assert est.incremental(est.lift) == round(est.lift * 5000)


def test_too_few_held_out_shoppers_or_no_holdout_is_said_not_guessed() -> None:
    few = estimate_lift([100] * 500, [0] * (MIN_HELD_OUT - 1), holdout_bps=500)
    assert few.state is LiftState.NOT_ENOUGH_HELD_OUT and few.lift is None and few.incremental(few.lift) is None
    assert few.held_out_mean == 0 and few.exposed_mean == 100  # the means are still shown
    none = estimate_lift([100] * 500, [], holdout_bps=0)
    assert none.state is LiftState.NO_HOLDOUT and none.held_out_mean is None
    assert estimate_lift([], [0] * 50, holdout_bps=500).state is LiftState.NOT_ENOUGH_HELD_OUT


@given(st.lists(st.integers(0, 10**6), min_size=2, max_size=60), st.lists(st.integers(0, 10**6), min_size=30,
       max_size=60))  # fmt: skip
def test_the_interval_always_contains_the_point_estimate(exposed: list[int], held: list[int]) -> None:
    est = estimate_lift(exposed, held, holdout_bps=1000)
    assert est.state is LiftState.ESTIMATED and est.lift is not None
    assert est.low is not None and est.high is not None and est.low <= est.lift <= est.high
