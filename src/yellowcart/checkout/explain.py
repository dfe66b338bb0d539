"""The price explained line by line: "was $48.00, -$4.00 coupon SPRING, -$2.40 bundle: buy 2, 10% off".

Carts explain the quote they show; orders keep their explanation as ``order_discounts`` rows (written
by ``promotions.redeem``), so the price a shopper is charged can be read back exactly as it was shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.checkout import pricing
from yellowcart.checkout.schemas import DiscountOut, PriceLineOut
from yellowcart.errors import Conflict
from yellowcart.money import format_usd
from yellowcart.orders.models import OrderLine
from yellowcart.promotions import engine
from yellowcart.promotions.models import DiscountKind, OrderDiscount


class PriceChanged(Conflict):
    code, title = "price_changed", "The price changed since it was shown"


def line_discounts(discounts: engine.Discounts, variant_id: int) -> list[PriceLineOut]:
    return [
        PriceLineOut(promotion_id=a.promotion_id, label=a.label, amount_cents=a.amount_cents)
        for a in discounts.adjustments
        if a.line_key == variant_id and a.kind is DiscountKind.GOODS
    ]


def sentence(line: pricing.PricedLine, parts: Sequence[PriceLineOut]) -> str:
    """``was $48.00 (2 x $24.00), -$4.00 coupon SPRING``; empty when nothing came off."""
    if not parts:
        return ""
    qty = line.line.quantity
    was = format_usd(line.subtotal_cents)
    if qty > 1:
        was += f" ({qty} x {format_usd(line.line.unit_price_cents)})"
    return ", ".join([f"was {was}", *(f"-{format_usd(p.amount_cents)} {p.label}" for p in parts)])


def of_quote(quote: pricing.Quote, discounts: engine.Discounts) -> list[DiscountOut]:
    sku = {pl.line.variant_id: pl.line.sku for o in quote.orders for pl in o.lines}
    return [
        DiscountOut(
            sku=sku.get(a.line_key) if a.line_key is not None else None,
            promotion_id=a.promotion_id,
            kind=a.kind.value,
            label=a.label,
            amount_cents=a.amount_cents,
        )
        for a in discounts.adjustments
    ]


def of_orders(session: Session, order_ids: Sequence[int]) -> list[DiscountOut]:
    """The placed orders' explanation, in the order it was applied."""
    if not order_ids:
        return []
    rows = session.execute(
        select(OrderDiscount, OrderLine.sku)
        .outerjoin(OrderLine, OrderLine.id == OrderDiscount.order_line_id)
        .where(OrderDiscount.order_id.in_(list(order_ids)))
        .order_by(OrderDiscount.order_id, OrderDiscount.id)
    ).all()
    return [
        DiscountOut(
            order_id=d.order_id,
            sku=sku,
            promotion_id=d.promotion_id,
            kind=d.kind.value,
            label=d.label,
            amount_cents=d.amount_cents,
        )
        for d, sku in rows
    ]
