"""What shoppers are shown of promotions beside a product (feed cards, product pages): the sale price
of its cheapest active variant under the best automatic price discount, a running flash deal, bundle
and free-shipping badges, and the claimable coupons for it (claimed or not).

Cheap by construction: ONE query per page loads the running promotions touching the page's sellers
(platform-wide ones included) with, for a known shopper, whether each was claimed or used up and
whether the shopper ever paid for an order; the rest is pure (``engine.matches`` and the offer's
percent or amount, as checkout computes them). The caller brings the products' facts (the feed has
them in its own card query), or ``facts_for`` loads them in one more query.

What a shopper is shown is what checkout would give them: promotions they are held out of, have used
up, or (new-customer offers) cannot use are not shown at all. Anonymous visitors see everything running.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.orm import Session

from yellowcart.catalog.models import Category, Product, Variant
from yellowcart.db import id_in
from yellowcart.live.deal_models import DealStatus, LiveDeal
from yellowcart.money import percent_of
from yellowcart.orders.models import Order
from yellowcart.promotions import engine, holdout, offers
from yellowcart.promotions.models import CouponClaim, Promotion, PromotionKind, PromotionShopper
from yellowcart.promotions.schemas import (
    BadgeOut,
    CouponOfferOut,
    FlashDealOut,
    ProductPromotionsOut,
    SaleOut,
)

K = PromotionKind
SHOWN = (K.PRODUCT_DISCOUNT, K.BUNDLE, K.FREE_SHIPPING, K.FLASH_DEAL)
OPEN_DEALS = (DealStatus.SCHEDULED, DealStatus.RUNNING)


@dataclass(frozen=True, slots=True)
class ProductFacts:
    """What showing needs of a listing: its seller, category, mode and cheapest active variant."""

    product_id: int
    seller_id: int
    category_path: str
    selling_mode: str
    variant_id: int | None  # None: no active variant (nothing to price)
    price_cents: int = 0
    supply_price_cents: int | None = None

    def line(self) -> engine.Line:
        return engine.Line(
            key=self.variant_id or 0,
            product_id=self.product_id,
            seller_id=self.seller_id,
            category_path=self.category_path,
            selling_mode=self.selling_mode,
            quantity=1,
            unit_price_cents=self.price_cents,
            supply_price_cents=self.supply_price_cents,
        )


@dataclass(frozen=True, slots=True)
class Shown:
    """A running promotion as loaded for a page."""

    promotion: Promotion
    category_path: str | None
    deal: LiveDeal | None
    claimed: bool


def facts_for(session: Session, product_ids: Iterable[int]) -> dict[int, ProductFacts]:
    """Each listing's facts with its cheapest active variant, in one query."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            Product.id,
            Product.seller_id,
            Category.path,
            Product.selling_mode,
            Variant.id,
            Variant.price_cents,
            Variant.supply_price_cents,
        )
        .join(Category, Category.id == Product.category_id)
        .outerjoin(Variant, and_(Variant.product_id == Product.id, Variant.is_active.is_(True)))
        .where(id_in(session, Product.id, ids))
        .order_by(Product.id, Variant.price_cents, Variant.id)
    ).all()
    out: dict[int, ProductFacts] = {}
    for pid, seller_id, path, mode, variant_id, price, supply in rows:
        if pid not in out:
            out[pid] = ProductFacts(pid, seller_id, path, str(mode), variant_id, price or 0, supply)
    return out


def load(session: Session, *, seller_ids: Iterable[int], shopper_id: int | None, now: dt.datetime) -> list[Shown]:
    """The running promotions a shopper may be shown on these sellers' listings: one query."""
    sellers = sorted(set(seller_ids))
    if not sellers:
        return []
    columns: list[Any] = [Promotion, Category.path, LiveDeal]
    if shopper_id is None:
        columns += [false().label("claimed"), false().label("used_up"), false().label("paid_before")]
    else:
        columns += [
            exists()
            .where(CouponClaim.promotion_id == Promotion.id, CouponClaim.shopper_id == shopper_id)
            .label("claimed"),
            exists()
            .where(
                PromotionShopper.promotion_id == Promotion.id,
                PromotionShopper.shopper_id == shopper_id,
                PromotionShopper.cap.is_not(None),
                PromotionShopper.uses >= PromotionShopper.cap,
            )
            .label("used_up"),
            exists().where(Order.shopper_id == shopper_id, Order.paid_at.is_not(None)).label("paid_before"),
        ]
    rows = session.execute(
        select(*columns)
        .outerjoin(Category, Category.id == Promotion.category_id)
        .outerjoin(LiveDeal, LiveDeal.id == Promotion.deal_id)
        .where(
            *offers.running(now),
            or_(Promotion.seller_id.is_(None), Promotion.seller_id.in_(sellers)),
            or_(Promotion.kind.in_(SHOWN), and_(Promotion.kind == K.COUPON, Promotion.claimable.is_(True))),
        )
        .order_by(Promotion.id)
    ).all()
    shown = []
    for p, path, deal, claimed, used_up, paid_before in rows:
        if used_up or (p.new_customer_only and paid_before):
            continue
        if shopper_id is not None and holdout.held_out(p.id, shopper_id, p.holdout_bps):
            continue
        shown.append(Shown(p, path, deal, bool(claimed)))
    return shown


def _price_off(offer: engine.Offer, line: engine.Line) -> int:
    """The offer's discount on one unit, within the line's floor and the promotion's budget left."""
    if offer.percent_off_bps is not None:
        off = percent_of(line.unit_price_cents, Decimal(offer.percent_off_bps) / engine.BPS)
    else:
        off = min(line.unit_price_cents, offer.amount_off_cents or 0)
    off = min(off, line.unit_price_cents - line.floor_cents)
    fits = offer.budget_left_cents is None or off <= offer.budget_left_cents
    return off if fits else 0


def _flash(s: Shown, facts: ProductFacts) -> FlashDealOut | None:
    deal = s.deal
    if deal is None or deal.product_id != facts.product_id or deal.status not in OPEN_DEALS:
        return None
    if deal.status is DealStatus.RUNNING and deal.remaining <= 0:
        return None
    return FlashDealOut(
        promotion_id=s.promotion.id,
        deal_id=deal.id,
        sku=deal.sku,
        status=deal.status,
        price_cents=deal.price_cents,
        was_cents=deal.was_cents,
        remaining=deal.remaining,
        per_shopper_limit=deal.per_shopper_limit,
        starts_at=deal.starts_at,
        ends_at=deal.ends_at,
    )


def annotate_one(facts: ProductFacts, shown: Sequence[Shown]) -> ProductPromotionsOut:
    """One listing's promotions (pure)."""
    out = ProductPromotionsOut(product_id=facts.product_id)
    if facts.variant_id is None:
        return out
    line = facts.line()
    best: tuple[int, int, Promotion | None] = (0, 0, None)
    for s in shown:
        p = s.promotion
        if p.seller_id is not None and p.seller_id != facts.seller_id:
            continue
        if p.kind is K.FLASH_DEAL:
            out.flash_deal = out.flash_deal or _flash(s, facts)
            continue
        offer = offers.to_offer(p, category_path=s.category_path)
        if not engine.matches(offer, line):
            continue
        if p.kind is K.PRODUCT_DISCOUNT:
            off = _price_off(offer, line)
            if off > 0 and (off, -p.id) > best[:2]:
                best = (off, -p.id, p)
        elif p.kind is K.COUPON:
            out.coupons.append(
                CouponOfferOut(
                    promotion_id=p.id,
                    name=p.name,
                    description=offers.describe(p),
                    seller_id=p.seller_id,
                    min_spend_cents=p.min_spend_cents,
                    new_customer_only=p.new_customer_only,
                    ends_at=p.ends_at,
                    claimed=s.claimed,
                )
            )
        else:
            out.badges.append(BadgeOut(promotion_id=p.id, kind=p.kind, label=offer.label, ends_at=p.ends_at))
    off, _, winner = best
    if winner is not None:
        out.sale = SaleOut(
            promotion_id=winner.id,
            label=offers.label_of(winner),
            variant_id=facts.variant_id,
            price_cents=facts.price_cents - off,
            was_cents=facts.price_cents,
            discount_cents=off,
            ends_at=winner.ends_at,
        )
    return out


def annotate(
    session: Session, facts: Sequence[ProductFacts], *, shopper_id: int | None, now: dt.datetime
) -> dict[int, ProductPromotionsOut]:
    """Every listing's promotions (product id -> what to show; listings with nothing left out): one query."""
    shown = load(session, seller_ids=[f.seller_id for f in facts], shopper_id=shopper_id, now=now)
    if not shown:
        return {}
    out = {f.product_id: annotate_one(f, shown) for f in facts}
    return {pid: a for pid, a in out.items() if not a.empty}


def for_product(session: Session, product_id: int, *, shopper_id: int | None, now: dt.datetime) -> ProductPromotionsOut:
    """One listing's promotions (two queries: its facts, the promotions)."""
    facts = facts_for(session, [product_id]).get(product_id)
    if facts is None:
        return ProductPromotionsOut(product_id=product_id)
    return annotate_one(facts, load(session, seller_ids=[facts.seller_id], shopper_id=shopper_id, now=now))
