"""The demo market's promotions (SQLite and PostgreSQL): every kind is there, the past orders that got
discounts carry them the way checkout writes them (lines, order_discounts, redemptions, counters), the
ledger books the platform's part as promotion expense, and the analytics answer for each one."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import Database
from yellowcart.demo.generate import generate_market
from yellowcart.demo.plan import REFERENCE_DATE
from yellowcart.ledger import balances
from yellowcart.ledger.chart import Account
from yellowcart.ledger.models import LedgerEntry
from yellowcart.live.deal_models import DealStatus, LiveDeal
from yellowcart.orders.models import Order, OrderLine
from yellowcart.promotions import analytics, offers
from yellowcart.promotions.models import (
    DiscountKind,
    OrderDiscount,
    Promotion,
    PromotionKind,
    Redemption,
    RedemptionStatus,
)


def test_demo_promotions_are_consistent_and_measured(db: Database) -> None:
    generate_market(db, seed=7, scale=0.05, progress=False)
    with db.transaction() as s:
        promotions = {p.id: p for p in s.scalars(select(Promotion))}
        kinds = {p.kind for p in promotions.values()}
        assert kinds == set(PromotionKind)
        assert any(p.holdout_bps == 1000 for p in promotions.values())
        flash = next(p for p in promotions.values() if p.kind is PromotionKind.FLASH_DEAL)
        deal = s.get(LiveDeal, flash.deal_id) if flash.deal_id else None
        assert deal is not None and deal.status is DealStatus.RUNNING and deal.room_id is None
        rows = s.scalars(select(OrderDiscount)).all()
        assert rows and all(r.kind is DiscountKind.GOODS for r in rows)  # past orders keep the standard shipping
        per_line: dict[int, int] = defaultdict(int)
        for r in rows:
            per_line[r.order_line_id or 0] += r.amount_cents
        lines = {ln.id: ln for ln in s.scalars(select(OrderLine).where(OrderLine.line_discount_cents > 0))}
        assert {lid: ln.line_discount_cents for lid, ln in lines.items()} == dict(per_line)
        for p in promotions.values():
            assert p.redemptions == offers.count_live(s, p.id)
            live = s.scalar(
                select(func.coalesce(func.sum(Redemption.discount_cents), 0)).where(
                    Redemption.promotion_id == p.id, Redemption.status != RedemptionStatus.RELEASED
                )
            )
            assert p.budget_used_cents == live
        discounted = set(s.scalars(select(OrderDiscount.order_id)))
        for order in s.scalars(select(Order).where(Order.id.in_(discounted))):
            assert order.discount_cents == sum(ln.line_discount_cents for ln in order.lines)
        tb = balances.trial_balance(s)
        sold = select(LedgerEntry.order_id).where(LedgerEntry.kind == "sale")
        platform = s.scalar(
            select(func.sum(OrderDiscount.platform_funded_cents)).where(OrderDiscount.order_id.in_(sold))
        )
        assert tb.balanced and 0 < tb.accounts[Account.PROMOTION_EXPENSE] <= int(platform or 0)  # less refunds
        operator = Principal(1, Role.OPERATOR)
        figures = [analytics.promotion_analytics(s, principal=operator, promotion_id=pid, now=REFERENCE_DATE)
                   for pid in promotions]  # fmt: skip
    used = [a for a in figures if a.orders]
    assert len(used) >= 3 and all(a.gmv_cents > 0 and a.discount.total_cents > 0 for a in used)
    assert {a.lift.state.value for a in figures} >= {"no_holdout"}
