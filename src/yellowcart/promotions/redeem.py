"""A checkout's use of promotions: counted against budgets and limits exactly, explained line by line.

Counting happens inside the placement transaction with one conditional UPDATE per promotion (the row's
CHECKs back it up): a promotion whose budget, total limit or window ran out since the cart was shown
refuses the whole placement with a 409, so nothing is half-written and the shopper sees the new price
before paying it. A checkout is one use of a promotion (for the total and per-shopper limits) whatever
the number of seller orders it spans; each order gets its own redemption row with its share of the
discount, and an order cancelled before it ships gives its share back (the use itself is given back
when the checkout's last order using the promotion is cancelled).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.errors import Conflict
from yellowcart.orders.models import Order
from yellowcart.promotions import engine
from yellowcart.promotions.models import (
    DiscountKind,
    OrderDiscount,
    Promotion,
    PromotionKind,
    PromotionShopper,
    PromotionStatus,
    Redemption,
    RedemptionStatus,
)
from yellowcart.promotions.offers import Available, CouponUsedUp


class PromotionUnavailable(Conflict):
    code, title = "promotion_unavailable", "A promotion ran out before the order was placed"


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def _take(session: Session, p: Promotion, amount: int, now: dt.datetime) -> None:
    """One more use of ``p`` worth ``amount`` cents, or a 409 if its budget, limit or window is gone."""
    taken = session.execute(
        update(Promotion)
        .where(
            Promotion.id == p.id,
            Promotion.status == PromotionStatus.ACTIVE,
            Promotion.starts_at <= now,
            Promotion.ends_at > now,
            or_(Promotion.total_limit.is_(None), Promotion.redemptions < Promotion.total_limit),
            or_(Promotion.budget_cents.is_(None), Promotion.budget_used_cents + amount <= Promotion.budget_cents),
        )
        .values(redemptions=Promotion.redemptions + 1, budget_used_cents=Promotion.budget_used_cents + amount)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(taken) != 1:
        raise PromotionUnavailable(
            f"“{p.name}” ran out or ended while you were checking out; nothing was charged. "
            "Look at your cart again for the price without it.",
            promotion_id=p.id,
        )


def _use(session: Session, p: Promotion, shopper_id: int) -> None:
    """Count the shopper's use where the promotion limits uses per shopper (the CHECK on the counter
    row refuses the one increment past the limit, whichever of two racing checkouts comes second)."""
    if p.per_shopper_limit is None:
        return
    bumped = session.execute(
        update(PromotionShopper)
        .where(
            PromotionShopper.promotion_id == p.id,
            PromotionShopper.shopper_id == shopper_id,
            or_(PromotionShopper.cap.is_(None), PromotionShopper.uses < PromotionShopper.cap),
        )
        .values(uses=PromotionShopper.uses + 1, cap=p.per_shopper_limit)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(bumped) == 1:
        return
    exists = session.get(PromotionShopper, (p.id, shopper_id))
    if exists is not None:
        raise CouponUsedUp(f"You have used “{p.name}” as often as it allows.", promotion_id=p.id)
    try:
        with session.begin_nested():
            session.add(PromotionShopper(promotion_id=p.id, shopper_id=shopper_id, uses=1, cap=p.per_shopper_limit))
    except IntegrityError:  # a racing checkout of the same shopper inserted it first: count on that row
        _use(session, p, shopper_id)


def record(
    session: Session,
    *,
    shopper_id: int,
    discounts: engine.Discounts,
    available: Available,
    orders: Sequence[Order],
    deal_lines: Sequence[tuple[int, int, int]] = (),
    now: dt.datetime,
) -> None:
    """Count and explain a placed checkout's promotions. ``deal_lines``: (deal id, variant id, cents
    below the list price) of lines bought through deals; those of flash-deal promotions get their
    funding recorded (the deal machinery already counted their units)."""
    order_of_seller = {o.seller_id: o for o in orders}
    line_of = {(o.id, ln.variant_id): ln for o in orders for ln in o.lines}
    order_of_variant = {ln.variant_id: o for o in orders for ln in o.lines}
    per_order: dict[tuple[int, int], list[int]] = {}  # (promotion, order) -> [amount, seller, platform, units]
    rows: list[OrderDiscount] = []
    for adj in discounts.adjustments:
        if adj.kind is DiscountKind.SHIPPING:
            order = order_of_seller[adj.seller_id]
            line_id = None
            units = 0
        else:
            order = order_of_variant[cast(int, adj.line_key)]
            line = line_of[(order.id, cast(int, adj.line_key))]
            line_id, units = line.id, line.quantity
        rows.append(
            OrderDiscount(
                order_id=order.id,
                order_line_id=line_id,
                promotion_id=adj.promotion_id,
                kind=adj.kind,
                amount_cents=adj.amount_cents,
                seller_funded_cents=adj.seller_funded_cents,
                platform_funded_cents=adj.platform_funded_cents,
                label=adj.label,
            )
        )
        acc = per_order.setdefault((adj.promotion_id, order.id), [0, 0, 0, 0])
        acc[0] += adj.amount_cents
        acc[1] += adj.seller_funded_cents
        acc[2] += adj.platform_funded_cents
        acc[3] += units
    rows += _deal_rows(session, deal_lines, order_of_variant, line_of, per_order)
    for pid, (amount, _seller, _platform) in sorted(discounts.by_promotion().items()):
        p = available.promotions[pid]
        _take(session, p, amount, now)
        _use(session, p, shopper_id)
    session.add_all(rows)
    payment_of = {o.id: o.payment_id for o in orders}
    session.add_all(
        Redemption(
            promotion_id=pid,
            shopper_id=shopper_id,
            payment_id=payment_of[order_id],
            order_id=order_id,
            code=available.codes.get(pid),
            discount_cents=acc[0],
            seller_funded_cents=acc[1],
            platform_funded_cents=acc[2],
            units=acc[3],
            status=RedemptionStatus.HELD,
            created_at=now,
        )
        for (pid, order_id), acc in sorted(per_order.items())
    )
    session.flush()


def _deal_rows(
    session: Session,
    deal_lines: Sequence[tuple[int, int, int]],
    order_of_variant: dict[int, Order],
    line_of: dict[tuple[int, int], Any],
    per_order: dict[tuple[int, int], list[int]],
) -> list[OrderDiscount]:
    """Funding rows for lines bought through flash-deal promotions."""
    if not deal_lines:
        return []
    flash = {
        p.deal_id: p
        for p in session.scalars(
            select(Promotion).where(
                Promotion.kind == PromotionKind.FLASH_DEAL, Promotion.deal_id.in_([d for d, _, _ in deal_lines])
            )
        )
    }
    rows = []
    for deal_id, variant_id, below in deal_lines:
        p = flash.get(deal_id)
        if p is None or below <= 0:
            continue
        order = order_of_variant[variant_id]
        line = line_of[(order.id, variant_id)]
        seller, platform = engine.split(below, p.seller_share_bps)
        rows.append(
            OrderDiscount(
                order_id=order.id,
                order_line_id=line.id,
                promotion_id=p.id,
                kind=DiscountKind.DEAL,
                amount_cents=below,
                seller_funded_cents=seller,
                platform_funded_cents=platform,
                label=f"{p.name}: flash deal"[:120],
            )
        )
        acc = per_order.setdefault((p.id, order.id), [0, 0, 0, 0])
        acc[0] += below
        acc[1] += seller
        acc[2] += platform
        acc[3] += line.quantity
    return rows


def mark_used(session: Session, *, payment_id: int, now: dt.datetime) -> None:
    """The checkout was paid: its held redemptions are used."""
    session.execute(
        update(Redemption)
        .where(Redemption.payment_id == payment_id, Redemption.status == RedemptionStatus.HELD)
        .values(status=RedemptionStatus.USED, settled_at=now)
        .execution_options(synchronize_session=False)
    )


def release(session: Session, *, order_id: int, now: dt.datetime) -> int:
    """A cancelled order gives back its share of each promotion's budget, and the checkout's use when it
    was the last of its orders using it. Idempotent (released rows are skipped). Returns rows released."""
    mine = session.scalars(
        select(Redemption)
        .where(Redemption.order_id == order_id, Redemption.status != RedemptionStatus.RELEASED)
        .with_for_update()
    ).all()
    for r in mine:
        r.status, r.settled_at = RedemptionStatus.RELEASED, now
        session.flush()
        others = session.scalar(
            select(Redemption.id).where(
                Redemption.promotion_id == r.promotion_id,
                Redemption.status != RedemptionStatus.RELEASED,
                and_(Redemption.payment_id == r.payment_id, Redemption.payment_id.is_not(None)),
            )
        )
        last = others is None
        session.execute(
            update(Promotion)
            .where(Promotion.id == r.promotion_id)
            .values(
                budget_used_cents=Promotion.budget_used_cents - r.discount_cents,
                redemptions=Promotion.redemptions - (1 if last else 0),
            )
            .execution_options(synchronize_session=False)
        )
        if last:
            session.execute(
                update(PromotionShopper)
                .where(
                    PromotionShopper.promotion_id == r.promotion_id,
                    PromotionShopper.shopper_id == r.shopper_id,
                    PromotionShopper.uses > 0,
                )
                .values(uses=PromotionShopper.uses - 1)
                .execution_options(synchronize_session=False)
            )
    return len(mine)
