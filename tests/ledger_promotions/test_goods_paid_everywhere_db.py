"""A discounted line is worth what the shopper paid for it, wherever money is given back or reported
(SQLite and PostgreSQL): a return refunds the goods paid and their tax (never the list price), unit by
unit to the cent, and the ledger ends at zero with it; creators' commission base, seller analytics'
GMV and return analytics' sold value use the goods paid too."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from ledger.ledger_world import listing, move
from ledger_promotions.promo_world import T0, World, offers_of, place_promoted_order, promotion
from support import Market
from yellowcart.analytics import service as analytics
from yellowcart.catalog.modes import SellingMode
from yellowcart.creators.attribution import line_facts
from yellowcart.db import Database
from yellowcart.ledger.models import LedgerPosting
from yellowcart.orders.models import Order
from yellowcart.orders.state import OrderStatus
from yellowcart.promotions.models import PromotionKind as K
from yellowcart.returns import facts
from yellowcart.returns import policy as rules
from yellowcart.returns.analytics import report


def discounted_order(world: World) -> int:
    """Three units at $19.99: the seller's 15% off, then the platform's $4 coupon."""
    sid = world.seller
    item = listing(world.market, sid, SellingMode.SELLER_FULFILLED, 1999)
    sale = promotion(world.db, created_by=world.ops, kind=K.PRODUCT_DISCOUNT, seller_id=sid, seller_share_bps=10_000,
                     percent_off_bps=1500)  # fmt: skip
    coupon = promotion(world.db, created_by=world.ops, kind=K.COUPON, amount_off_cents=400)
    return place_promoted_order(world.db, world.shopper, [(item, 3)], offers_of(world.db, [sale, coupon]))


def test_returns_refund_what_was_paid_unit_by_unit_and_the_ledger_ends_at_zero(db: Database, market: Market) -> None:
    world = World(db, market)
    oid = discounted_order(world)
    world.ship(oid)
    with db.transaction() as s:
        order = s.get_one(Order, oid)
        line = order.lines[0]
        paid = line.line_subtotal_cents - line.line_discount_cents
        assert line.line_discount_cents == 900 + 400  # 15% of $59.97 rounds to $9.00
        money = facts.order_context(s, order=order, base=rules.Policy()).lines[line.id].money()
        assert money.subtotal_cents == paid and money.tax_cents == line.line_tax_cents
        parts = [
            rules.refund_parts(money, already_refunded_units=i, units=1, reason=rules.Reason.DEFECTIVE,
                               policy=rules.Policy(), label_cents=0)
            for i in range(3)
        ]  # fmt: skip
        line_id = line.id
    assert sum(p.goods_cents for p in parts) == paid  # never the list price
    for i, p in enumerate(parts):
        world.refund(oid, p.total_cents, f"unit-{i}", {line_id: 1})
    with db.transaction() as s:
        left = s.execute(
            select(LedgerPosting.account, func.sum(LedgerPosting.amount_cents))
            .where(LedgerPosting.order_id == oid)
            .group_by(LedgerPosting.account)
        ).all()
    assert {account.value: int(total) for account, total in left if total} == {}  # all three back: nothing left


def test_reports_count_goods_paid(db: Database, market: Market) -> None:
    world = World(db, market)
    oid = discounted_order(world)
    world.ship(oid)
    move(db, oid, OrderStatus.DELIVERED)
    with db.transaction() as s:
        order = s.get_one(Order, oid)
        paid = order.subtotal_cents - order.discount_cents
        [fact] = line_facts(s, [oid])
        assert fact.base_cents == paid
        window = analytics.Window(T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=1))
        rows = analytics.figures(s, window=window, seller_id=world.seller)
        assert sum(f.gmv_cents for f in rows.values()) == paid
        returns = report(s, since=window.since, until=window.until, seller_id=world.seller)
        assert returns.total.sold_cents == paid
