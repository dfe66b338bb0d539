"""The price check's arithmetic, pure: the platform's margin on a full-custody listing and whether a
retail price may be set over a supply price. Integer basis points, never floats: the verdict at the
edge (exactly the minimum margin) must not depend on rounding."""

from __future__ import annotations

from yellowcart.errors import InvalidInput

BPS = 10_000  # 100% in basis points


class PriceBelowSupply(InvalidInput):
    code, title = "price_below_supply", "Retail price below the supply price"


class MarginTooLow(InvalidInput):
    code, title = "margin_too_low", "Margin below the minimum"


class OverrideNeedsReason(InvalidInput):
    code, title = "override_needs_reason", "A margin override needs a reason"


def margin_bps(*, supply_cents: int, price_cents: int) -> int:
    """The platform's gross margin, ``(price - supply) / price``, in whole basis points, rounded down
    (a margin is never reported better than it is)."""
    if price_cents <= 0:
        raise ValueError("price_cents must be positive")
    return (price_cents - supply_cents) * BPS // price_cents


def check_retail_price(
    *, supply_cents: int, price_cents: int, min_margin_bps: int, override: bool = False, reason: str | None = None
) -> int:
    """The margin of ``price_cents`` over ``supply_cents``, or why that price may not be set.

    Below the supply price is always refused: the platform would pay the seller more than it sells
    for. Below the configured minimum margin is refused unless the operator overrides it explicitly
    and says why (a launch price, a clearance), so every thin margin has a named reason on record.
    """
    if supply_cents <= 0:
        raise InvalidInput("The supply price must be positive.", field="supply_price_cents")
    if price_cents < supply_cents:
        raise PriceBelowSupply(
            f"Retail price {price_cents} is below the supply price {supply_cents}.",
            field="price_cents",
            supply_price_cents=supply_cents,
        )
    margin = margin_bps(supply_cents=supply_cents, price_cents=price_cents)
    if margin >= min_margin_bps:
        return margin
    if not override:
        raise MarginTooLow(
            f"Margin {margin / 100:.2f}% is below the minimum {min_margin_bps / 100:.2f}%; "
            "raise the price or set override_margin with a reason.",
            field="price_cents",
            margin_bps=margin,
            min_margin_bps=min_margin_bps,
        )
    if not (reason and reason.strip()):
        raise OverrideNeedsReason("Say why the margin is overridden.", field="reason")
    return margin


def lowest_price_for_margin(*, supply_cents: int, min_margin_bps: int) -> int:
    """The smallest retail price whose margin meets ``min_margin_bps`` (what to suggest to operators)."""
    if min_margin_bps >= BPS:
        raise ValueError("a margin of 100% or more cannot be met")
    # price * (BPS - m) >= supply * BPS  <=>  price >= ceil(supply * BPS / (BPS - m))
    return -(-supply_cents * BPS // (BPS - min_margin_bps))
