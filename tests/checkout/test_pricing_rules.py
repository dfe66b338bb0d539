"""Pricing and tax rounding rules, property-tested (pure: no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yellowcart.checkout.pricing import LineInput, ShippingPolicy, quote
from yellowcart.money import allocate, format_usd, percent_of

POLICY = ShippingPolicy(flat_fee_cents=599, free_threshold_cents=3500)
rates = st.decimals(min_value=Decimal(0), max_value=Decimal("0.15"), places=6)
lines = st.lists(
    st.builds(
        LineInput,
        variant_id=st.integers(1, 10_000),
        sku=st.just("S"),
        title=st.just("t"),
        seller_id=st.integers(1, 4),
        selling_mode=st.just("seller_fulfilled"),
        quantity=st.integers(1, 999),
        unit_price_cents=st.integers(0, 500_000),
    ),
    min_size=1,
    max_size=12,
)


def test_half_up_rounding_examples() -> None:
    assert percent_of(2500, Decimal("0.04")) == 100
    assert percent_of(1050, Decimal("0.0625")) == 66  # 65.625 -> 66
    assert percent_of(1000, Decimal("0.06025")) == 60  # 60.25 -> 60
    assert percent_of(100, Decimal("0.065")) == 7  # 6.5 -> 7 (half up, not banker's)
    assert format_usd(123456) == "$1,234.56"


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**7), min_size=1, max_size=20))
def test_allocate_sums_exactly_and_is_proportional(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total and len(parts) == len(weights)
    base = sum(weights)
    if base:
        for part, w in zip(parts, weights, strict=True):
            assert abs(part - total * w / base) < 1 + 1e-9


@given(lines, rates)
def test_quote_totals_add_up(items: list[LineInput], rate: Decimal) -> None:
    q = quote(items, tax_rate=rate, policy=POLICY)
    assert [o.seller_id for o in q.orders] == sorted({i.seller_id for i in items})
    for order in q.orders:
        assert order.subtotal_cents == sum(pl.subtotal_cents for pl in order.lines)
        assert order.tax_cents == sum(pl.tax_cents for pl in order.lines) == percent_of(order.subtotal_cents, rate)
        assert order.shipping_cents == sum(pl.shipping_cents for pl in order.lines)
        assert order.shipping_cents == (0 if order.subtotal_cents >= 3500 else 599)
        assert all(pl.subtotal_cents == pl.line.unit_price_cents * pl.line.quantity for pl in order.lines)
    assert q.total_cents == q.subtotal_cents + q.shipping_cents + q.tax_cents


def test_empty_quote_refused() -> None:
    with pytest.raises(ValueError):
        quote([], tax_rate=Decimal(0), policy=POLICY)
