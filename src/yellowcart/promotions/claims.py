"""Claiming coupons: a claimable coupon is shown in the feed and on product pages, and a shopper claims
it before checkout applies it (``offers.for_checkout`` takes claimed coupons without a code).

A shopper in the coupon's hold-out group gets 404, as if it did not exist: it is never shown to them,
and telling them it exists would spoil the measurement. Claiming twice is fine (one row per shopper
and coupon, the primary key): the second claim answers the first.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import flush_guarded
from yellowcart.errors import Conflict, Forbidden
from yellowcart.promotions import holdout
from yellowcart.promotions.admin import PromotionNotFound
from yellowcart.promotions.models import (
    CouponClaim,
    CouponCode,
    Promotion,
    PromotionKind,
    PromotionShopper,
    PromotionStatus,
)
from yellowcart.promotions.offers import (
    CouponExpired,
    CouponNewCustomersOnly,
    CouponUsedUp,
    describe,
    is_new_customer,
)
from yellowcart.promotions.schemas import MyCouponOut

#: At most this many coupons in a shopper's list (newest promotions first).
MY_COUPONS_LIMIT = 200


class CouponNotClaimable(Conflict):
    code, title = "coupon_not_claimable", "This coupon is applied by its code, not claimed"


def exhausted(p: Promotion) -> bool:
    """Its total limit or budget is used up (held + used)."""
    return (p.total_limit is not None and p.redemptions >= p.total_limit) or (
        p.budget_cents is not None and p.budget_used_cents >= p.budget_cents
    )


def running(p: Promotion, now: dt.datetime) -> bool:
    return p.status is PromotionStatus.ACTIVE and p.starts_at <= now < p.ends_at


def claim(session: Session, *, principal: Principal, promotion_id: int, now: dt.datetime) -> CouponClaim:
    """The shopper's claim of a running claimable coupon (the existing one when claimed before)."""
    if principal.role is not Role.SHOPPER:
        raise Forbidden("Shoppers claim coupons.")
    shopper_id = principal.user_id
    p = session.get(Promotion, promotion_id)
    hidden = p is None or p.kind is not PromotionKind.COUPON or p.status is PromotionStatus.DRAFT
    if hidden or p is None or holdout.held_out(p.id, shopper_id, p.holdout_bps):
        raise PromotionNotFound(f"Promotion {promotion_id} does not exist.")
    if not p.claimable:
        raise CouponNotClaimable(f"Coupon {p.id} is applied by its code at checkout.")
    if not running(p, now):
        raise CouponExpired(
            f"Coupon {p.id} is not valid now.", starts_at=p.starts_at.isoformat(), ends_at=p.ends_at.isoformat()
        )
    if exhausted(p):
        raise CouponUsedUp(f"Coupon {p.id} has no uses left.")
    if p.new_customer_only and not is_new_customer(session, shopper_id):
        raise CouponNewCustomersOnly(f"Coupon {p.id} is for a first order only.")
    existing = session.get(CouponClaim, (p.id, shopper_id))
    if existing is not None:
        return existing
    row = CouponClaim(promotion_id=p.id, shopper_id=shopper_id, claimed_at=now)
    try:
        flush_guarded(session, lambda: session.add(row), lambda: Conflict("claimed meanwhile"))
    except Conflict:  # the same shopper's other request claimed it first: that claim is the answer
        found = session.scalar(
            select(CouponClaim)
            .where(CouponClaim.promotion_id == p.id, CouponClaim.shopper_id == shopper_id)
            .execution_options(populate_existing=True)
        )
        assert found is not None
        return found
    return row


def my_coupons(session: Session, *, principal: Principal, now: dt.datetime) -> list[MyCouponOut]:
    """The shopper's claimed coupons and personal codes: usable ones first, then by end."""
    if principal.role is not Role.SHOPPER:
        raise Forbidden("Coupons are kept by shoppers.")
    me = principal.user_id
    claimed = session.execute(
        select(Promotion, CouponClaim.claimed_at)
        .join(CouponClaim, CouponClaim.promotion_id == Promotion.id)
        .where(CouponClaim.shopper_id == me)
        .order_by(Promotion.id.desc())
        .limit(MY_COUPONS_LIMIT)
    ).all()
    personal = session.execute(
        select(Promotion, CouponCode.code)
        .join(CouponCode, CouponCode.promotion_id == Promotion.id)
        .where(CouponCode.shopper_id == me)
        .order_by(Promotion.id.desc(), CouponCode.id)
        .limit(MY_COUPONS_LIMIT)
    ).all()
    entries: dict[tuple[int, str | None], tuple[Promotion, str | None, dt.datetime | None]] = {}
    claimed_at: dict[int, dt.datetime] = {}
    for p, at in claimed:
        claimed_at[p.id] = at
        entries[(p.id, None)] = (p, None, at)
    for p, code in personal:
        entries.pop((p.id, None), None)  # one entry: the personal code, with the claim's time
        entries[(p.id, code)] = (p, code, claimed_at.get(p.id))
    ids = sorted({p.id for p, _, _ in entries.values()})
    uses = dict(
        session.execute(
            select(PromotionShopper.promotion_id, PromotionShopper.uses).where(
                PromotionShopper.shopper_id == me, PromotionShopper.promotion_id.in_(ids)
            )
        ).all()
    )
    first_order = is_new_customer(session, me) if any(p.new_customer_only for p, _, _ in entries.values()) else True
    out = [_mine(p, code, at, uses.get(p.id, 0), first_order, now) for p, code, at in entries.values()]
    out.sort(key=lambda c: (not c.usable_now, c.ends_at, c.promotion_id))
    return out[:MY_COUPONS_LIMIT]


def _mine(
    p: Promotion, code: str | None, claimed: dt.datetime | None, uses: int, first_order: bool, now: dt.datetime
) -> MyCouponOut:
    left = None if p.per_shopper_limit is None else max(0, p.per_shopper_limit - uses)
    usable = running(p, now) and not exhausted(p) and left != 0 and (first_order or not p.new_customer_only)
    return MyCouponOut(
        promotion_id=p.id,
        name=p.name,
        description=describe(p),
        code=code,
        claimed_at=claimed,
        seller_id=p.seller_id,
        min_spend_cents=p.min_spend_cents,
        new_customer_only=p.new_customer_only,
        starts_at=p.starts_at,
        ends_at=p.ends_at,
        status=p.status,
        uses=uses,
        uses_left=left,
        usable_now=usable,
    )
