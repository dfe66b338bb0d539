"""Which promotions a shopper's checkout may use right now, as engine offers.

A promotion is offered when it is active and inside its window, has redemptions and budget left,
the shopper is not in its hold-out group, has not used it up, is a new customer where it asks for
one, and (coupons) brought its code or claimed it. The engine then decides what applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from yellowcart.catalog.models import Category
from yellowcart.errors import Conflict, InvalidInput, NotFound
from yellowcart.money import format_usd
from yellowcart.orders.models import Order
from yellowcart.promotions import engine, holdout
from yellowcart.promotions.models import (
    CouponClaim,
    CouponCode,
    Promotion,
    PromotionKind,
    PromotionShopper,
    PromotionStatus,
    Redemption,
    RedemptionStatus,
)

K = PromotionKind
#: Kinds the engine applies without the shopper doing anything (coupons need a code or a claim;
#: flash deals are bought as deals).
AUTOMATIC = (K.PRODUCT_DISCOUNT, K.BUNDLE, K.FREE_SHIPPING)


class CouponUnknown(NotFound):
    code, title = "coupon_unknown", "No such coupon code"


class CouponNotYours(Conflict):
    code, title = "coupon_not_yours", "This coupon code belongs to another shopper"


class CouponExpired(Conflict):
    code, title = "coupon_expired", "This coupon is not valid now"


class CouponUsedUp(Conflict):
    code, title = "coupon_used_up", "This coupon has no uses left"


class CouponNewCustomersOnly(Conflict):
    code, title = "coupon_new_customers_only", "This coupon is for a first order only"


def normalise_code(code: str) -> str:
    return code.strip().upper()


def describe(p: Promotion) -> str:
    """The discount in words, as price explanations show it."""
    if p.kind is K.FREE_SHIPPING:
        return f"free shipping over {format_usd(p.min_spend_cents)}" if p.min_spend_cents else "free shipping"
    off = (
        f"{p.percent_off_bps / 100:g}% off"
        if p.percent_off_bps is not None
        else f"{format_usd(p.amount_off_cents or 0)} off"
    )
    if p.kind is K.BUNDLE:
        return f"bundle: buy {p.min_quantity}, {off}"
    if p.kind is K.FLASH_DEAL:
        return f"flash deal {off}"
    return off


def label_of(p: Promotion, code: str | None = None) -> str:
    """How the promotion appears on a price line: "coupon SPRING", "bundle: buy 2, 10% off", ..."""
    if p.kind is K.COUPON:
        return f"coupon {code}" if code else f"coupon {p.name}"[:120]
    return f"{p.name}: {describe(p)}"[:120] if p.name else describe(p)


def to_offer(p: Promotion, *, category_path: str | None, code: str | None = None) -> engine.Offer:
    left = None if p.budget_cents is None else p.budget_cents - p.budget_used_cents
    return engine.Offer(
        promotion_id=p.id,
        kind=p.kind,
        label=label_of(p, code),
        seller_id=p.seller_id,
        seller_share_bps=p.seller_share_bps,
        percent_off_bps=p.percent_off_bps,
        amount_off_cents=p.amount_off_cents,
        product_ids=frozenset(p.product_ids) if p.product_ids is not None else None,
        variant_ids=frozenset(p.variant_ids) if p.variant_ids is not None else None,
        category_path=category_path,
        min_spend_cents=p.min_spend_cents,
        min_quantity=p.min_quantity,
        exclusive=p.exclusive,
        budget_left_cents=left,
        code=code,
    )


def category_paths(session: Session, promotions: Iterable[Promotion]) -> dict[int, str]:
    ids = {p.category_id for p in promotions if p.category_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Category.id, Category.path).where(Category.id.in_(ids))).all())


def running(now: dt.datetime) -> list[ColumnElement[bool]]:
    """SQL conditions: active, inside the window, limits and budget not used up."""
    return [
        Promotion.status == PromotionStatus.ACTIVE,
        Promotion.starts_at <= now,
        Promotion.ends_at > now,
        or_(Promotion.total_limit.is_(None), Promotion.redemptions < Promotion.total_limit),
        or_(Promotion.budget_cents.is_(None), Promotion.budget_used_cents < Promotion.budget_cents),
    ]


def is_new_customer(session: Session, shopper_id: int) -> bool:
    """Never paid for an order before."""
    paid = session.scalar(select(exists().where(Order.shopper_id == shopper_id, Order.paid_at.is_not(None))))
    return not paid


def used_up(session: Session, shopper_id: int, promotion_ids: Sequence[int]) -> set[int]:
    """The promotions among ``promotion_ids`` the shopper has no uses left of."""
    if not promotion_ids:
        return set()
    rows = session.execute(
        select(PromotionShopper.promotion_id).where(
            PromotionShopper.shopper_id == shopper_id,
            PromotionShopper.promotion_id.in_(promotion_ids),
            PromotionShopper.cap.is_not(None),
            PromotionShopper.uses >= PromotionShopper.cap,
        )
    )
    return set(rows.scalars())


@dataclass(frozen=True, slots=True)
class Available:
    offers: list[engine.Offer]
    promotions: dict[int, Promotion]
    codes: dict[int, str]  # promotion id -> the code that brought it in


def for_checkout(
    session: Session,
    *,
    shopper_id: int,
    seller_ids: Sequence[int],
    codes: Sequence[str],
    now: dt.datetime,
    strict_codes: bool,
) -> Available:
    """The offers a shopper's checkout over ``seller_ids`` may use. Codes that cannot be used raise a
    clear problem when ``strict_codes`` (checkout), and are left out otherwise (a cart shows why)."""
    by_code = _coupons_by_code(session, shopper_id=shopper_id, codes=codes, now=now, strict=strict_codes)
    sellers = list(dict.fromkeys(seller_ids))
    claimed = select(CouponClaim.promotion_id).where(CouponClaim.shopper_id == shopper_id)
    rows = session.scalars(
        select(Promotion).where(
            *running(now),
            or_(Promotion.seller_id.is_(None), Promotion.seller_id.in_(sellers)),
            or_(
                Promotion.kind.in_(AUTOMATIC),
                and_(Promotion.kind == K.COUPON, Promotion.claimable.is_(True), Promotion.id.in_(claimed)),
            ),
        )
    ).all()
    promotions = {p.id: p for p in rows}
    codes_of: dict[int, str] = {}
    for code, p in by_code.items():
        promotions[p.id] = p
        codes_of.setdefault(p.id, code)
    gone = used_up(session, shopper_id, list(promotions))
    new_customer: bool | None = None
    offers: list[engine.Offer] = []
    paths = category_paths(session, promotions.values())
    for pid, p in sorted(promotions.items()):
        if pid in gone or (pid not in codes_of and holdout.held_out(pid, shopper_id, p.holdout_bps)):
            continue
        if p.new_customer_only:
            if new_customer is None:
                new_customer = is_new_customer(session, shopper_id)
            if not new_customer:
                continue
        offers.append(to_offer(p, category_path=paths.get(p.category_id or 0), code=codes_of.get(pid)))
    return Available(offers, promotions, codes_of)


def _coupons_by_code(
    session: Session, *, shopper_id: int, codes: Sequence[str], now: dt.datetime, strict: bool
) -> dict[str, Promotion]:
    """Each usable code's coupon; with ``strict`` a code that cannot be used is a 4xx naming why."""
    wanted = list(dict.fromkeys(normalise_code(c) for c in codes if c.strip()))
    if not wanted:
        return {}
    found = {
        code.code: (code, promotion)
        for code, promotion in session.execute(
            select(CouponCode, Promotion)
            .join(Promotion, Promotion.id == CouponCode.promotion_id)
            .where(CouponCode.code.in_(wanted))
        )
    }
    out: dict[str, Promotion] = {}
    for code in wanted:
        try:
            out[code] = _check_code(session, found.get(code), code=code, shopper_id=shopper_id, now=now)
        except (NotFound, Conflict):
            if strict:
                raise
    return out


def check_code(session: Session, *, code: str, shopper_id: int, now: dt.datetime) -> Promotion:
    """The coupon a code applies for this shopper now, or the 4xx saying why it cannot."""
    code = normalise_code(code)
    if not code or len(code) > 32:
        raise InvalidInput("A coupon code has 1 to 32 characters.", field="code")
    row = session.execute(
        select(CouponCode, Promotion)
        .join(Promotion, Promotion.id == CouponCode.promotion_id)
        .where(CouponCode.code == code)
    ).one_or_none()
    return _check_code(session, row, code=code, shopper_id=shopper_id, now=now)


def _check_code(
    session: Session, row: tuple[CouponCode, Promotion] | None, *, code: str, shopper_id: int, now: dt.datetime
) -> Promotion:
    if row is None:
        raise CouponUnknown(f"There is no coupon {code}.", coupon=code)
    coupon, p = row
    if coupon.shopper_id is not None and coupon.shopper_id != shopper_id:
        raise CouponNotYours(f"Coupon {code} was issued to another shopper.", coupon=code)
    if p.kind is not K.COUPON or p.status is not PromotionStatus.ACTIVE or not (p.starts_at <= now < p.ends_at):
        raise CouponExpired(
            f"Coupon {code} is not valid now (valid {p.starts_at:%Y-%m-%d %H:%M} to {p.ends_at:%Y-%m-%d %H:%M} UTC).",
            coupon=code,
            starts_at=p.starts_at.isoformat(),
            ends_at=p.ends_at.isoformat(),
        )
    exhausted = (p.total_limit is not None and p.redemptions >= p.total_limit) or (
        p.budget_cents is not None and p.budget_used_cents >= p.budget_cents
    )
    if exhausted or p.id in used_up(session, shopper_id, [p.id]):
        raise CouponUsedUp(f"Coupon {code} has no uses left for you.", coupon=code)
    if p.new_customer_only and not is_new_customer(session, shopper_id):
        raise CouponNewCustomersOnly(f"Coupon {code} is for a first order only.", coupon=code)
    return p


def count_live(session: Session, promotion_id: int) -> int:
    """Orders holding or having used the promotion (the counter's truth, for audits and tests)."""
    return int(
        session.scalar(
            select(func.count()).where(
                Redemption.promotion_id == promotion_id, Redemption.status != RedemptionStatus.RELEASED
            )
        )
        or 0
    )


def discounts(
    session: Session,
    *,
    shopper_id: int | None,
    lines: Sequence[engine.Line],
    codes: Sequence[str],
    now: dt.datetime,
    fee_for: Callable[[int], int],
    strict_codes: bool,
) -> tuple[engine.Discounts, Available]:
    """What the shopper's promotions take off ``lines`` now (nothing for anonymous callers)."""
    if shopper_id is None or not lines:
        return engine.NONE, Available([], {}, {})
    available = for_checkout(
        session,
        shopper_id=shopper_id,
        seller_ids=[ln.seller_id for ln in lines],
        codes=codes,
        now=now,
        strict_codes=strict_codes,
    )
    if not available.offers:
        return engine.NONE, available
    return engine.apply(lines, available.offers, fee_for=fee_for), available
