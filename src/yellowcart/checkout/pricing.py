"""Pure pricing: line totals, shipping per seller order, state sales tax, exact cent allocation.

Rules (documented in docs/api.md):
- a checkout is split into one order per seller; shipping is per seller order: free when that
  order's merchandise subtotal reaches the threshold, else a flat fee;
- promotions (``promotions.engine``) come off first: each line's goods discount, and a seller
  order's shipping fee (``engine.shipping_fee``: on its discounted goods, but never more than on its
  goods before promotions) waived by a free-shipping promotion;
- tax = state base rate x the discounted merchandise subtotal, rounded half-up once per order, then
  allocated to lines by largest remainder (on their discounted goods) so refunds of a line return
  exactly its share. Shipping is not taxed and local (county/city/district) rates are not applied yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from yellowcart.money import allocate, percent_of
from yellowcart.promotions import engine


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
    product_id: int = 0
    category_path: str = ""

    def for_engine(self) -> engine.Line:
        return engine.Line(
            key=self.variant_id,
            product_id=self.product_id,
            seller_id=self.seller_id,
            category_path=self.category_path,
            selling_mode=self.selling_mode,
            quantity=self.quantity,
            unit_price_cents=self.unit_price_cents,
            supply_price_cents=self.supply_price_cents,
            deal=self.deal_id is not None,
        )


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
    discount_cents: int = 0  # promotions off the goods; paid for goods: subtotal - discount


@dataclass(frozen=True, slots=True)
class SellerQuote:
    seller_id: int
    lines: tuple[PricedLine, ...]
    subtotal_cents: int
    shipping_cents: int  # to pay (after a free-shipping promotion)
    tax_cents: int
    discount_cents: int = 0  # off the goods, all lines
    shipping_waived_cents: int = 0  # the fee a free-shipping promotion waived

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents - self.discount_cents + self.shipping_cents + self.tax_cents


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

    @property
    def discount_cents(self) -> int:
        return sum(o.discount_cents for o in self.orders)

    @property
    def shipping_waived_cents(self) -> int:
        return sum(o.shipping_waived_cents for o in self.orders)


def quote_seller(
    seller_id: int,
    lines: list[LineInput],
    tax_rate: Decimal,
    policy: ShippingPolicy,
    discounts: engine.Discounts = engine.NONE,
) -> SellerQuote:
    """Price one seller's order: goods, the promotions' discounts, shipping, then tax on what is paid."""
    subtotals = [ln.unit_price_cents * ln.quantity for ln in lines]
    off = [min(discounts.line_discount(ln.variant_id), s) for ln, s in zip(lines, subtotals, strict=True)]
    net = [s - d for s, d in zip(subtotals, off, strict=True)]
    subtotal, discount = sum(subtotals), sum(off)
    tax = percent_of(sum(net), tax_rate)
    fee = engine.shipping_fee(policy.fee_for, subtotal, sum(net))
    waived = min(fee, discounts.shipping_waived(seller_id))
    shipping = fee - waived
    taxes = allocate(tax, net)
    shippings = allocate(shipping, net)
    priced = tuple(
        PricedLine(line=ln, subtotal_cents=s, tax_cents=t, shipping_cents=sh, discount_cents=d)
        for ln, s, t, sh, d in zip(lines, subtotals, taxes, shippings, off, strict=True)
    )
    return SellerQuote(seller_id, priced, subtotal, shipping, tax, discount, waived)


def quote(
    lines: list[LineInput], *, tax_rate: Decimal, policy: ShippingPolicy, discounts: engine.Discounts = engine.NONE
) -> Quote:
    """Price a whole checkout: one SellerQuote per seller, sellers in id order."""
    if not lines:
        raise ValueError("nothing to price")
    by_seller: dict[int, list[LineInput]] = {}
    for ln in lines:
        by_seller.setdefault(ln.seller_id, []).append(ln)
    orders = tuple(quote_seller(sid, by_seller[sid], tax_rate, policy, discounts) for sid in sorted(by_seller))
    return Quote(orders=orders, tax_rate=tax_rate)
