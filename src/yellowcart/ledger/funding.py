"""Who paid for an order's promotions, as the ledger needs it: the platform-funded part of each line's
discounts (goods and flash-deal rows) and of the order's waived shipping fee, read from the promotions
domain's ``order_discounts`` (checkout writes them; the ledger only reads).

The seller-funded part needs no posting (it simply lowers the goods the seller is credited); it is
read here too for statements, which show sellers what their own promotions cost them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yellowcart.ledger.chart import EntryKind
from yellowcart.ledger.models import LedgerEntry
from yellowcart.money import allocate
from yellowcart.orders.models import OrderLine
from yellowcart.promotions.models import DiscountKind, OrderDiscount

CHUNK = 900  # ids per IN (...): under SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class OrderFunding:
    """The platform-funded cents of one order's promotions: per line (goods and deal discounts) and
    the waived shipping fee's share (per order)."""

    goods: dict[int, int] = field(default_factory=dict)  # order line id -> cents
    shipping: int = 0

    def shipping_by_line(self, lines: Sequence[OrderLine], goods_paid: Sequence[int]) -> dict[int, int]:
        """The waived fee's platform share spread over the lines like checkout spreads shipping (by the
        goods paid; by the subtotal when nothing was paid)."""
        if not self.shipping or not lines:
            return {}
        weights = list(goods_paid) if sum(goods_paid) > 0 else [ln.line_subtotal_cents for ln in lines]
        return {ln.id: part for ln, part in zip(lines, allocate(self.shipping, weights), strict=True)}


NO_FUNDING = OrderFunding()


def platform_funding(session: Session, order_ids: Sequence[int]) -> dict[int, OrderFunding]:
    """Each order's platform-funded promotion cents (orders without any are left out)."""
    found: dict[int, tuple[dict[int, int], int]] = {}
    ids = sorted(set(order_ids))
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(OrderDiscount.order_id, OrderDiscount.order_line_id, func.sum(OrderDiscount.platform_funded_cents))
            .where(OrderDiscount.order_id.in_(ids[start : start + CHUNK]), OrderDiscount.platform_funded_cents > 0)
            .group_by(OrderDiscount.order_id, OrderDiscount.order_line_id)
        )
        for order_id, line_id, cents in rows:
            goods, shipping = found.get(order_id, ({}, 0))
            if line_id is None:
                shipping += int(cents or 0)
            else:
                goods[line_id] = goods.get(line_id, 0) + int(cents or 0)
            found[order_id] = (goods, shipping)
    return {oid: OrderFunding(goods, shipping) for oid, (goods, shipping) in found.items()}


@dataclass(frozen=True, slots=True)
class FundingLine:
    """One promotion's discounts on one order, split by who funds them (a statement's memo line)."""

    order_id: int
    promotion_id: int
    label: str
    kind: DiscountKind
    amount_cents: int
    seller_funded_cents: int
    platform_funded_cents: int


def seller_funding(session: Session, *, seller_id: int, since: dt.datetime, until: dt.datetime) -> list[FundingLine]:
    """The promotions on the seller's orders whose sale the ledger booked in [since, until): what each
    took off, what the seller funded (already out of its goods) and what the platform paid it."""
    sold = (
        select(LedgerEntry.order_id)
        .where(
            LedgerEntry.kind == EntryKind.SALE,
            LedgerEntry.seller_id == seller_id,
            LedgerEntry.posted_at >= since,
            LedgerEntry.posted_at < until,
        )
        .scalar_subquery()
    )
    d = OrderDiscount
    rows = session.execute(
        select(
            d.order_id,
            d.promotion_id,
            func.min(d.label),
            d.kind,
            func.sum(d.amount_cents),
            func.sum(d.seller_funded_cents),
            func.sum(d.platform_funded_cents),
        )
        .where(d.order_id.in_(sold))
        .group_by(d.order_id, d.promotion_id, d.kind)
        .order_by(d.order_id, d.promotion_id, d.kind)
    ).all()
    return [
        FundingLine(int(oid), int(pid), str(label), kind, int(amount), int(seller), int(platform))
        for oid, pid, label, kind, amount, seller, platform in rows
    ]
