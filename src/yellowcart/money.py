"""Money is integer cents (USD). Rates are Decimals; rounding is explicit and half-up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def percent_of(cents: int, rate: Decimal) -> int:
    """``cents * rate`` rounded half-up to a whole cent (how US states publish tax rounding)."""
    if cents < 0:
        raise ValueError("amount must not be negative")
    return int((Decimal(cents) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` cents over ``weights`` proportionally; parts sum exactly to ``total``.

    Largest-remainder method, ties to the earlier weight, so a refund of one line can later be
    computed from the stored per-line share without a cent drifting.
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("amounts must not be negative")
    base = sum(weights)
    if not weights:
        return []
    if base == 0:
        return [total] + [0] * (len(weights) - 1) if total else [0] * len(weights)
    shares = [total * w // base for w in weights]
    remainders = [(total * w % base, -i) for i, w in enumerate(weights)]
    left = total - sum(shares)
    for _, neg_i in sorted(remainders, reverse=True)[:left]:
        shares[-neg_i] += 1
    return shares


def format_usd(cents: int) -> str:
    """``1999`` -> ``$19.99`` for pages and messages."""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"
