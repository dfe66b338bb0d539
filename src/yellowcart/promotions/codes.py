"""Coupon codes: a code the owner chose ("SPRING"), or random ones to hand out one by one, optionally
personal (that shopper only). A code names one coupon across all promotions (UNIQUE in the database, so
two owners racing for one code: one gets 409). Random codes are 10 characters from an alphabet without
look-alikes (no 0/O, 1/I/L), drawn with ``secrets``: 32^10 (about 10^15) codes, so guessing one is
hopeless and a collision is retried rather than expected.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role, User
from yellowcart.auth.service import Principal
from yellowcart.db import flush_guarded
from yellowcart.errors import Conflict, InvalidInput, InvalidTransition
from yellowcart.promotions import admin
from yellowcart.promotions.models import CouponCode, Promotion, PromotionKind, PromotionStatus
from yellowcart.promotions.offers import normalise_code
from yellowcart.promotions.schemas import CodesIn

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RANDOM_LENGTH = 10
_ATTEMPTS = 3


class CodeTaken(Conflict):
    code, title = "coupon_code_taken", "The coupon code is already in use"


class NotACoupon(Conflict):
    code, title = "not_a_coupon", "Only coupons have codes"


class CodesHeldOut(Conflict):
    code, title = "coupon_has_holdout", "A coupon with a hold-out group is claimed, not handed out by code"


def random_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))


def random_codes(count: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(random_code())
    return sorted(codes)


def _codable(session: Session, principal: Principal, promotion_id: int) -> Promotion:
    p = admin.managed(session, principal=principal, promotion_id=promotion_id)
    if p.kind is not PromotionKind.COUPON:
        raise NotACoupon(f"Promotion {p.id} is a {p.kind.value}; only coupons have codes.")
    if p.status is PromotionStatus.ENDED:
        raise InvalidTransition(f"Promotion {p.id} has ended.", status=p.status.value)
    if p.holdout_bps:
        raise CodesHeldOut(
            "A code reaches shoppers of the hold-out group too, which would spoil the measurement.",
            holdout_bps=p.holdout_bps,
        )
    return p


def _shopper(session: Session, shopper_id: int | None) -> None:
    if shopper_id is None:
        return
    user = session.get(User, shopper_id)
    if user is None or user.role is not Role.SHOPPER:
        raise InvalidInput(f"shopper_id {shopper_id} is not a shopper.", field="shopper_id")


def add_codes(
    session: Session, *, principal: Principal, promotion_id: int, data: CodesIn, now: dt.datetime
) -> list[CouponCode]:
    """The given code, or ``count`` random ones, for a coupon (draft, active or paused)."""
    p = _codable(session, principal, promotion_id)
    _shopper(session, data.shopper_id)
    if data.code is not None:
        code = normalise_code(data.code)
        row = CouponCode(promotion_id=p.id, code=code, shopper_id=data.shopper_id, created_at=now)
        flush_guarded(
            session,
            lambda: session.add(row),
            lambda: CodeTaken(f"Coupon code {code} is already in use.", coupon=code),
        )
        return [row]
    for attempt in range(_ATTEMPTS):
        try:
            return _add_random(session, p, data.count or 0, data.shopper_id, now)
        except CodeTaken:
            if attempt == _ATTEMPTS - 1:
                raise
    return []  # not reached


def _add_random(
    session: Session, p: Promotion, count: int, shopper_id: int | None, now: dt.datetime
) -> list[CouponCode]:
    rows = [CouponCode(promotion_id=p.id, code=c, shopper_id=shopper_id, created_at=now) for c in random_codes(count)]
    flush_guarded(session, lambda: session.add_all(rows), lambda: CodeTaken("A random code collided; try again."))
    return rows


def list_codes(
    session: Session, *, principal: Principal, promotion_id: int, after_id: int | None, limit: int
) -> Sequence[CouponCode]:
    p = admin.get_promotion(session, principal=principal, promotion_id=promotion_id)
    query = select(CouponCode).where(CouponCode.promotion_id == p.id)
    if after_id is not None:
        query = query.where(CouponCode.id > after_id)
    return session.scalars(query.order_by(CouponCode.id).limit(limit)).all()
