"""Pure pricing: line totals, shipping per seller order, state sales tax, exact cent allocation.

Rules (documented in docs/api.md):
- a checkout is split into one order per seller; shipping is per seller order: free when that
  order's merchandise subtotal reaches the threshold, else a flat fee;
- tax = state base rate x merchandise subtotal, rounded half-up once per order, then allocated to
  lines by largest remainder so refunds of a line return exactly its share. Shipping is not taxed
  and local (county/city/district) rates are not applied yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from yellowcart.money import allocate, percent_of


@dataclass(frozen=True, slots=True)
class LineInput:
    variant_id: int
    sku: str
    title: str
    seller_id: int
    selling_mode: str
    quantity: int
    unit_price_cents: int
    supply_price_cents: int | None = None  # full custody: owed to the seller per unit
    deal_id: int | None = None  # bought at a live deal's price (unit_price_cents); was_cents the normal one
    was_cents: int | None = None


@dataclass(frozen=True, slots=True)
class ShippingPolicy:
    flat_fee_cents: int
    free_threshold_cents: int

    def fee_for(self, subtotal_cents: int) -> int:
        return 0 if subtotal_cents >= self.free_threshold_cents else self.flat_fee_cents


@dataclass(frozen=True, slots=True)
class PricedLine:
    line: LineInput
    subtotal_cents: int
    tax_cents: int
    shipping_cents: int


@dataclass(frozen=True, slots=True)
class SellerQuote:
    seller_id: int
    lines: tuple[PricedLine, ...]
    subtotal_cents: int
    shipping_cents: int
    tax_cents: int

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents + self.shipping_cents + self.tax_cents


@dataclass(frozen=True, slots=True)
class Quote:
    orders: tuple[SellerQuote, ...]
    tax_rate: Decimal

    @property
    def subtotal_cents(self) -> int:
        return sum(o.subtotal_cents for o in self.orders)

    @property
    def shipping_cents(self) -> int:
        return sum(o.shipping_cents for o in self.orders)

    @property
    def tax_cents(self) -> int:
        return sum(o.tax_cents for o in self.orders)

    @property
    def total_cents(self) -> int:
        return sum(o.total_cents for o in self.orders)


def quote_seller(seller_id: int, lines: list[LineInput], tax_rate: Decimal, policy: ShippingPolicy) -> SellerQuote:
    """Price one seller's order."""
    subtotals = [ln.unit_price_cents * ln.quantity for ln in lines]
    subtotal = sum(subtotals)
    tax = percent_of(subtotal, tax_rate)
    shipping = policy.fee_for(subtotal)
    taxes = allocate(tax, subtotals)
    shippings = allocate(shipping, subtotals)
    priced = tuple(
        PricedLine(line=ln, subtotal_cents=s, tax_cents=t, shipping_cents=sh)
        for ln, s, t, sh in zip(lines, subtotals, taxes, shippings, strict=True)
    )
    return SellerQuote(seller_id, priced, subtotal, shipping, tax)


def quote(lines: list[LineInput], *, tax_rate: Decimal, policy: ShippingPolicy) -> Quote:
    """Price a whole checkout: one SellerQuote per seller, sellers in id order."""
    if not lines:
        raise ValueError("nothing to price")
    by_seller: dict[int, list[LineInput]] = {}
    for ln in lines:
        by_seller.setdefault(ln.seller_id, []).append(ln)
    orders = tuple(quote_seller(sid, by_seller[sid], tax_rate, policy) for sid in sorted(by_seller))
    return Quote(orders=orders, tax_rate=tax_rate)
