"""The analytics figures without a database: totals add per field, ratios come from the summed counts
(never averaged), and a ratio without a denominator is None and sorts last."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from yellowcart.analytics.metrics import Figures, SortKey, sort_value, total

figures = st.builds(
    Figures,
    gmv_cents=st.integers(0, 10**7),
    orders=st.integers(0, 500),
    units_sold=st.integers(0, 900),
    units_refunded=st.integers(0, 900),
    impressions=st.integers(0, 10**5),
    platform_net_cents=st.integers(-(10**5), 10**6),
    seller_net_cents=st.integers(-(10**5), 10**7),
)


@given(st.lists(figures, max_size=5))
def test_totals_add_and_ratios_come_from_the_sums(parts: list[Figures]) -> None:
    whole = total(parts)
    assert whole.orders == sum(p.orders for p in parts) and whole.gmv_cents == sum(p.gmv_cents for p in parts)
    impressions = sum(p.impressions for p in parts)
    if impressions:
        assert whole.conversion_per_mille == round(1000 * whole.orders / impressions, 3)
    else:
        assert whole.conversion_per_mille is None
    sold = sum(p.units_sold for p in parts)
    assert whole.return_rate == (round(whole.units_refunded / sold, 4) if sold else None)
    gmv = whole.gmv_cents
    assert whole.net_margin_bps == (round(10_000 * whole.platform_net_cents / gmv) if gmv else None)


def test_ratio_example_and_sorting() -> None:
    a = Figures(gmv_cents=10_000, orders=3, impressions=1500, units_sold=4, units_refunded=1, platform_net_cents=800)
    assert (a.conversion_per_mille, a.return_rate, a.net_margin_bps) == (2.0, 0.25, 800)
    none = Figures()
    ranked = sorted([none, a], key=lambda f: sort_value(f, SortKey.CONVERSION), reverse=True)
    assert ranked == [a, none]
    assert sort_value(none, SortKey.RETURN_RATE) == float("-inf")
