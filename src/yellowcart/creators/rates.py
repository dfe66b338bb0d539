"""Commission rates sellers offer creators: an open rate per listing, and targeted rates per (listing,
creator) that override it for that creator. Rates are 1%..80% (basis points), checked here and by the
database. A seller sets rates on the listings it sells itself (seller fulfilled, redirect); the
platform's operators on any listing, and alone on those the platform sells (full custody, platform
owned), because there the platform pays the commission.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TypeVar

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Product, ProductStatus
from yellowcart.catalog.modes import SellingMode
from yellowcart.creators import programme
from yellowcart.creators.models import OpenRate, TargetedRate
from yellowcart.creators.rules import RATE_MAX_BPS, RATE_MIN_BPS, OfferedRate, effective_rate, valid_rate
from yellowcart.errors import Forbidden, InvalidInput, NotFound

SELLER_SET_MODES = frozenset({SellingMode.SELLER_FULFILLED, SellingMode.REDIRECT})
Row = TypeVar("Row", OpenRate, TargetedRate)


def _product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"Product {product_id} does not exist.")
    return product


def require_rate_owner(session: Session, *, principal: Principal, product_id: int) -> Product:
    """The listing's seller (on what it sells itself) or an operator."""
    product = _product(session, product_id)
    if principal.is_operator:
        return product
    if principal.role is not Role.SELLER or principal.seller_id != product.seller_id:
        raise Forbidden("Commission rates are set by the listing's seller or operators.")
    if product.selling_mode not in SELLER_SET_MODES:
        raise Forbidden(
            "The platform sells this listing and pays its creators' commission: operators set its rates.",
            selling_mode=product.selling_mode.value,
        )
    return product


def _check(rate_bps: int) -> None:
    if not valid_rate(rate_bps):
        raise InvalidInput(
            f"A rate is {RATE_MIN_BPS}..{RATE_MAX_BPS} basis points (1%..80%).", field="rate_bps", rate_bps=rate_bps
        )


def _upsert(
    session: Session, find: Sequence[ColumnElement[bool]], make: Row, rate_bps: int, who: int, now: dt.datetime
) -> Row:
    """Update the row ``find`` selects (locked), or insert ``make``; a concurrent insert of the same key
    is found and updated instead of failing."""
    model = type(make)
    for _ in range(2):
        row: Row | None = session.scalar(select(model).where(*find).with_for_update())
        if row is not None:
            row.rate_bps, row.set_by_user_id, row.updated_at = rate_bps, who, now
            session.flush()
            return row
        session.flush()
        try:
            with session.begin_nested():
                session.add(make)
                session.flush()
            return make
        except IntegrityError:
            continue
    raise RuntimeError("rate row neither found nor inserted")


def set_open_rate(
    session: Session, *, principal: Principal, product_id: int, rate_bps: int, now: dt.datetime
) -> OpenRate:
    require_rate_owner(session, principal=principal, product_id=product_id)
    _check(rate_bps)
    made = OpenRate(product_id=product_id, rate_bps=rate_bps, set_by_user_id=principal.user_id, updated_at=now)
    return _upsert(session, [OpenRate.product_id == product_id], made, rate_bps, principal.user_id, now)


def set_targeted_rate(
    session: Session, *, principal: Principal, product_id: int, creator_id: int, rate_bps: int, now: dt.datetime
) -> TargetedRate:
    require_rate_owner(session, principal=principal, product_id=product_id)
    programme.require_creator(session, creator_id=creator_id)
    _check(rate_bps)
    made = TargetedRate(
        product_id=product_id,
        creator_id=creator_id,
        rate_bps=rate_bps,
        set_by_user_id=principal.user_id,
        updated_at=now,
    )
    find = [TargetedRate.product_id == product_id, TargetedRate.creator_id == creator_id]
    return _upsert(session, find, made, rate_bps, principal.user_id, now)


def withdraw_open_rate(session: Session, *, principal: Principal, product_id: int) -> None:
    """No new attributions at this rate; lines attributed already keep their snapshot."""
    require_rate_owner(session, principal=principal, product_id=product_id)
    row = session.get(OpenRate, product_id)
    if row is None:
        raise NotFound(f"Product {product_id} offers no open rate.")
    session.delete(row)
    session.flush()


def withdraw_targeted_rate(session: Session, *, principal: Principal, product_id: int, creator_id: int) -> None:
    require_rate_owner(session, principal=principal, product_id=product_id)
    row = session.scalar(
        select(TargetedRate).where(TargetedRate.product_id == product_id, TargetedRate.creator_id == creator_id)
    )
    if row is None:
        raise NotFound(f"Product {product_id} offers creator {creator_id} no targeted rate.")
    session.delete(row)
    session.flush()


def product_rates(
    session: Session, *, principal: Principal, product_id: int
) -> tuple[OpenRate | None, Sequence[TargetedRate]]:
    """A listing's open rate and targeted rates (its seller, operators)."""
    require_rate_owner(session, principal=principal, product_id=product_id)
    targeted = session.scalars(
        select(TargetedRate).where(TargetedRate.product_id == product_id).order_by(TargetedRate.creator_id)
    ).all()
    return session.get(OpenRate, product_id), targeted


def offered_rates(session: Session, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], OfferedRate]:
    """The rate each (listing, creator) pair is offered now: targeted, else open (two queries)."""
    wanted = set(pairs)
    products = sorted({p for p, _ in wanted})
    if not products:
        return {}
    open_bps = dict(
        session.execute(select(OpenRate.product_id, OpenRate.rate_bps).where(OpenRate.product_id.in_(products))).all()
    )
    targeted = {
        (pid, cid): bps
        for pid, cid, bps in session.execute(
            select(TargetedRate.product_id, TargetedRate.creator_id, TargetedRate.rate_bps).where(
                TargetedRate.product_id.in_(products), TargetedRate.creator_id.in_(sorted({c for _, c in wanted}))
            )
        )
    }
    out: dict[tuple[int, int], OfferedRate] = {}
    for pid, cid in wanted:
        rate = effective_rate(open_bps.get(pid), targeted.get((pid, cid)))
        if rate is not None:
            out[(pid, cid)] = rate
    return out


def offers_for(
    session: Session, *, creator_id: int, after_id: int | None, limit: int
) -> list[tuple[Product, OfferedRate]]:
    """Active listings offering the creator a rate, newest listing first (cursor on the product id)."""
    mine = TargetedRate.creator_id == creator_id
    query = (
        select(Product)
        .outerjoin(OpenRate, OpenRate.product_id == Product.id)
        .outerjoin(TargetedRate, (TargetedRate.product_id == Product.id) & mine)
        .where(
            Product.status == ProductStatus.ACTIVE, or_(OpenRate.product_id.is_not(None), TargetedRate.id.is_not(None))
        )
    )
    if after_id is not None:
        query = query.where(Product.id < after_id)
    products = list(session.scalars(query.order_by(Product.id.desc()).limit(limit)))
    rates = offered_rates(session, [(p.id, creator_id) for p in products])
    return [(p, rates[(p.id, creator_id)]) for p in products if (p.id, creator_id) in rates]
