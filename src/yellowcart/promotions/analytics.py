"""Per-promotion analytics: redemptions, discount cost by funder, the GMV of the orders that used it,
and its incremental GMV measured against the hold-out group.

Definitions (docs/architecture.md, "Promotion analytics"):
- orders, units, discount cost and GMV count orders *paid* with the promotion (redemption USED) and not
  cancelled since; GMV is their goods paid (subtotal less every discount, without shipping or tax);
  the cost is the discount as given (refunds reverse the ledger's expense, not this figure).
- the window is [starts_at, min(ends_at, now)).
- incremental GMV: the population is every shopper active in the window (any interaction event, or an
  order placed); each is exposed or held out by ``holdout.held_out`` (the same pure function that kept
  the promotion from the held-out ones); the outcome is the goods paid per shopper for listings in the
  promotion's scope in the window (intent to treat: exposed shoppers who never used it count too).
  lift = mean(exposed) - mean(held out), with a 95% interval from Welch's standard error (normal
  approximation); incremental GMV = lift x exposed shoppers. Fewer than ``MIN_HELD_OUT`` held-out
  shoppers (or 2 exposed) is an explicit "not enough" state, never a guess.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from yellowcart.auth.models import Role, User
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Category, Product, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.errors import Forbidden, NotFound
from yellowcart.interactions.models import InteractionEvent
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import OrderStatus
from yellowcart.promotions import holdout
from yellowcart.promotions.analytics_schemas import (
    DayOut,
    FundingOut,
    LiftOut,
    LiftState,
    PromotionAnalyticsOut,
    RedemptionsOut,
)
from yellowcart.promotions.models import OrderDiscount, Promotion, PromotionKind, Redemption, RedemptionStatus

MIN_HELD_OUT = 30
Z95 = 1.959963984540054  # the standard normal's 97.5th percentile


# ---- the estimate (pure) ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lift:
    state: LiftState
    exposed: int
    held_out: int
    exposed_mean: float | None = None
    held_out_mean: float | None = None
    lift: float | None = None
    low: float | None = None
    high: float | None = None

    def incremental(self, value: float | None) -> int | None:
        """A per-shopper figure scaled to the exposed population."""
        return None if value is None else round(value * self.exposed)


def estimate_lift(
    exposed: Sequence[int], held_out: Sequence[int], *, holdout_bps: int, min_held_out: int = MIN_HELD_OUT
) -> Lift:
    """Difference of mean outcomes with a 95% Welch interval; "not enough" below ``min_held_out``."""
    n_e, n_h = len(exposed), len(held_out)
    mean_e = statistics.fmean(exposed) if exposed else None
    mean_h = statistics.fmean(held_out) if held_out else None
    if holdout_bps <= 0:
        return Lift(LiftState.NO_HOLDOUT, n_e, n_h, mean_e, mean_h)
    if n_h < max(min_held_out, 2) or n_e < 2 or mean_e is None or mean_h is None:
        return Lift(LiftState.NOT_ENOUGH_HELD_OUT, n_e, n_h, mean_e, mean_h)
    se = math.sqrt(statistics.variance(exposed) / n_e + statistics.variance(held_out) / n_h)
    lift = mean_e - mean_h
    return Lift(LiftState.ESTIMATED, n_e, n_h, mean_e, mean_h, lift, lift - Z95 * se, lift + Z95 * se)


# ---- who may see it --------------------------------------------------------------------------------


def visible_promotion(session: Session, *, principal: Principal, promotion_id: int) -> Promotion:
    """Operators see every promotion's figures; a seller those of its own promotions (another's read as
    missing); nobody else any."""
    if principal.role not in (Role.OPERATOR, Role.SELLER):
        raise Forbidden("Promotion analytics are for operators and the promotion's seller.")
    promotion = session.get(Promotion, promotion_id)
    if promotion is None or (not principal.is_operator and promotion.seller_id != principal.seller_id):
        raise NotFound(f"Promotion {promotion_id} does not exist.")
    return promotion


# ---- queries ---------------------------------------------------------------------------------------


def _used_orders(promotion_id: int) -> Select[int]:
    """Orders paid with the promotion and not cancelled since."""
    return (
        select(Redemption.order_id)
        .join(Order, Order.id == Redemption.order_id)
        .where(
            Redemption.promotion_id == promotion_id,
            Redemption.status == RedemptionStatus.USED,
            Order.status != OrderStatus.CANCELLED,
        )
    )


def _redemptions(session: Session, promotion_id: int) -> RedemptionsOut:
    rows = session.execute(
        select(Redemption.status, func.count())
        .where(Redemption.promotion_id == promotion_id)
        .group_by(Redemption.status)
    ).all()
    counts = {status: int(n) for status, n in rows}
    return RedemptionsOut(**{s.value: int(counts.get(s, 0)) for s in RedemptionStatus})


def _orders_and_cost(session: Session, promotion_id: int) -> tuple[int, int, FundingOut]:
    """(orders, goods paid of those orders, the discount they were given by funder)."""
    used = _used_orders(promotion_id).subquery()
    orders, gmv = session.execute(
        select(func.count(), func.coalesce(func.sum(Order.subtotal_cents - Order.discount_cents), 0)).where(
            Order.id.in_(select(used.c.order_id))
        )
    ).one()
    total, seller, platform = session.execute(
        select(
            func.coalesce(func.sum(Redemption.discount_cents), 0),
            func.coalesce(func.sum(Redemption.seller_funded_cents), 0),
            func.coalesce(func.sum(Redemption.platform_funded_cents), 0),
        ).where(Redemption.promotion_id == promotion_id, Redemption.order_id.in_(select(used.c.order_id)))
    ).one()
    cost = FundingOut(total_cents=int(total), seller_funded_cents=int(seller), platform_funded_cents=int(platform))
    return int(orders), int(gmv), cost


def _units(session: Session, promotion: Promotion) -> int:
    used = select(_used_orders(promotion.id).subquery().c.order_id)
    where: list[ColumnElement[bool]] = [OrderLine.order_id.in_(used)]
    if promotion.kind is not PromotionKind.FREE_SHIPPING:
        discounted = select(OrderDiscount.order_line_id).where(OrderDiscount.promotion_id == promotion.id)
        where.append(OrderLine.id.in_(discounted))
    return int(session.scalar(select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(*where)) or 0)


def _scope(session: Session, p: Promotion) -> list[ColumnElement[bool]]:
    """SQL conditions on (Order, OrderLine, Variant, Category) for the promotion's in-scope lines."""
    where: list[ColumnElement[bool]] = []
    if p.seller_id is not None:
        where.append(Order.seller_id == p.seller_id)
    if p.seller_share_bps > 0:  # a seller funds discounts on its own seller-fulfilled lines only
        where.append(OrderLine.selling_mode == SellingMode.SELLER_FULFILLED)
    listed: list[ColumnElement[bool]] = []
    if p.variant_ids is not None:
        listed.append(OrderLine.variant_id.in_(p.variant_ids))
    if p.product_ids is not None:
        listed.append(Variant.product_id.in_(p.product_ids))
    if p.category_id is not None:
        path = session.scalar(select(Category.path).where(Category.id == p.category_id)) or ""
        listed.append(Category.path.startswith(path, autoescape=True))
    if listed:
        where.append(or_(*listed))
    return where


def _in_scope_sales(
    session: Session, p: Promotion, start: dt.datetime, end: dt.datetime
) -> list[tuple[int, dt.datetime, int, bool]]:
    """(shopper, paid at, goods paid, used the promotion) per in-scope line paid in the window."""
    used = select(_used_orders(p.id).subquery().c.order_id)
    rows = session.execute(
        select(
            Order.shopper_id,
            Order.paid_at,
            OrderLine.line_subtotal_cents - OrderLine.line_discount_cents,
            Order.id.in_(used),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .join(Category, Category.id == Product.category_id)
        .where(Order.paid_at >= start, Order.paid_at < end, Order.status != OrderStatus.CANCELLED, *_scope(session, p))
    ).all()
    return [(int(sid), paid, int(cents), bool(flag)) for sid, paid, cents, flag in rows if paid is not None]


def _active_shoppers(session: Session, start: dt.datetime, end: dt.datetime) -> set[int]:
    """Shoppers with any interaction event, or an order placed, in the window."""
    e = InteractionEvent
    interacted = exists().where(e.user_id == User.id, e.occurred_at >= start, e.occurred_at < end)
    ordered = exists().where(Order.shopper_id == User.id, Order.placed_at >= start, Order.placed_at < end)
    rows = session.scalars(select(User.id).where(User.role == Role.SHOPPER, or_(interacted, ordered)))
    return set(rows)


def _daily(sales: Sequence[tuple[int, dt.datetime, int, bool]], start: dt.datetime, end: dt.datetime) -> list[DayOut]:
    by_day: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for _, paid, cents, used in sales:
        by_day[paid.astimezone(dt.UTC).date()][0 if used else 1] += cents
    days, day = [], start.astimezone(dt.UTC).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date() if end > start else day
    while day <= last:
        with_, without = by_day.get(day, (0, 0))
        days.append(DayOut(day=day, with_promotion_cents=with_, without_promotion_cents=without))
        day += dt.timedelta(days=1)
    return days


def _lift(session: Session, p: Promotion, sales: Sequence[tuple[int, dt.datetime, int, bool]], start: dt.datetime,
          end: dt.datetime) -> LiftOut:  # fmt: skip
    spent: dict[int, int] = defaultdict(int)
    for shopper, _, cents, _ in sales:
        spent[shopper] += cents
    population = _active_shoppers(session, start, end) | set(spent)
    exposed: list[int] = []
    held: list[int] = []
    for shopper in sorted(population):
        (held if holdout.held_out(p.id, shopper, p.holdout_bps) else exposed).append(spent.get(shopper, 0))
    est = estimate_lift(exposed, held, holdout_bps=p.holdout_bps)
    return LiftOut(
        state=est.state,
        holdout_bps=p.holdout_bps,
        exposed_shoppers=est.exposed,
        held_out_shoppers=est.held_out,
        min_held_out=MIN_HELD_OUT,
        exposed_gmv_per_shopper_cents=est.exposed_mean,
        held_out_gmv_per_shopper_cents=est.held_out_mean,
        lift_per_shopper_cents=est.lift,
        lift_low_cents=est.low,
        lift_high_cents=est.high,
        incremental_gmv_cents=est.incremental(est.lift),
        incremental_gmv_low_cents=est.incremental(est.low),
        incremental_gmv_high_cents=est.incremental(est.high),
    )


def promotion_analytics(
    session: Session, *, principal: Principal, promotion_id: int, now: dt.datetime
) -> PromotionAnalyticsOut:
    """The promotion's figures so far (a running promotion's window ends now)."""
    p = visible_promotion(session, principal=principal, promotion_id=promotion_id)
    start, end = p.starts_at, max(p.starts_at, min(p.ends_at, now))
    orders, gmv, cost = _orders_and_cost(session, p.id)
    sales = _in_scope_sales(session, p, start, end)
    return PromotionAnalyticsOut(
        promotion_id=p.id,
        name=p.name,
        kind=p.kind,
        status=p.status,
        funder=p.funder,
        seller_id=p.seller_id,
        window_start=start,
        window_end=end,
        redemptions=_redemptions(session, p.id),
        orders=orders,
        units=_units(session, p),
        discount=cost,
        gmv_cents=gmv,
        average_discount_cents=round(cost.total_cents / orders) if orders else None,
        lift=_lift(session, p, sales, start, end),
        daily=_daily(sales, start, end),
    )
