"""Each creator's showcase: the listings it promotes. A member adds active listings whose seller offers
it a rate; only those can it tag in its videos and live rooms (content calls :func:`check_taggable`).
The showcase is public, the rates in it are the creator's and the operators' business.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Product, ProductStatus
from yellowcart.creators import programme, rates
from yellowcart.creators.models import Membership, MemberStatus, ShowcaseItem
from yellowcart.creators.rules import OfferedRate
from yellowcart.errors import Conflict, Forbidden, InvalidInput, NotFound


class NoRateOffered(Conflict):
    code, title = "no_rate_offered", "The listing offers this creator no commission rate"


class NotTaggable(InvalidInput):
    code, title = "not_taggable", "Listing not in the creator's showcase with a rate"


@dataclass(frozen=True, slots=True)
class Shown:
    item: ShowcaseItem
    product: Product
    rate: OfferedRate | None  # None: the offer was withdrawn since (the listing cannot be tagged now)


def _own(principal: Principal, creator_id: int) -> None:
    if principal.role is not Role.CREATOR or principal.user_id != creator_id:
        raise Forbidden("A creator manages its own showcase.")


def add(
    session: Session, *, principal: Principal, creator_id: int, product_id: int, now: dt.datetime
) -> tuple[ShowcaseItem, bool]:
    """Add a listing (True: newly added; adding it again changes nothing)."""
    _own(principal, creator_id)
    programme.require_active(session, creator_id=creator_id)
    product = session.get(Product, product_id)
    if product is None or product.status is not ProductStatus.ACTIVE:
        raise InvalidInput("Only active listings can be showcased.", field="product_id", product_id=product_id)
    if (product_id, creator_id) not in rates.offered_rates(session, [(product_id, creator_id)]):
        raise NoRateOffered("The listing's seller offers you no commission rate.", product_id=product_id)
    known = session.scalar(
        select(ShowcaseItem).where(ShowcaseItem.creator_id == creator_id, ShowcaseItem.product_id == product_id)
    )
    if known is not None:
        return known, False
    item = ShowcaseItem(creator_id=creator_id, product_id=product_id, added_at=now)
    session.flush()
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError:  # added concurrently: the same item
        raced = session.scalar(
            select(ShowcaseItem).where(ShowcaseItem.creator_id == creator_id, ShowcaseItem.product_id == product_id)
        )
        if raced is None:
            raise
        return raced, False
    return item, True


def remove(session: Session, *, principal: Principal, creator_id: int, product_id: int) -> None:
    """Take a listing out; content that tags it keeps its anchor until it is edited."""
    _own(principal, creator_id)
    item = session.scalar(
        select(ShowcaseItem).where(ShowcaseItem.creator_id == creator_id, ShowcaseItem.product_id == product_id)
    )
    if item is None:
        raise NotFound(f"Product {product_id} is not in the showcase.")
    session.delete(item)
    session.flush()


def list_showcase(session: Session, *, creator_id: int) -> list[Shown]:
    """A member's showcase, active listings only, newest first (empty for anyone else)."""
    member = session.get(Membership, creator_id)
    if member is None or member.status is not MemberStatus.ACTIVE:
        return []
    rows = session.execute(
        select(ShowcaseItem, Product)
        .join(Product, Product.id == ShowcaseItem.product_id)
        .where(ShowcaseItem.creator_id == creator_id, Product.status == ProductStatus.ACTIVE)
        .order_by(ShowcaseItem.id.desc())
    ).all()
    offered = rates.offered_rates(session, [(p.id, creator_id) for _, p in rows])
    return [Shown(item, product, offered.get((product.id, creator_id))) for item, product in rows]


def untaggable(session: Session, *, creator_id: int, product_ids: Sequence[int]) -> dict[int, str]:
    """Why each listing the creator may not tag cannot be (empty: all may be)."""
    wanted = list(dict.fromkeys(product_ids))
    if not wanted:
        return {}
    member = session.get(Membership, creator_id)
    if member is None or member.status is not MemberStatus.ACTIVE:
        return dict.fromkeys(wanted, "not_a_member")
    shown = set(
        session.scalars(
            select(ShowcaseItem.product_id).where(
                ShowcaseItem.creator_id == creator_id, ShowcaseItem.product_id.in_(wanted)
            )
        )
    )
    offered = rates.offered_rates(session, [(pid, creator_id) for pid in wanted])
    reasons: dict[int, str] = {}
    for pid in wanted:
        if pid not in shown:
            reasons[pid] = "not_in_showcase"
        elif (pid, creator_id) not in offered:
            reasons[pid] = "no_rate_offered"
    return reasons


def check_taggable(session: Session, *, creator_id: int, product_ids: Sequence[int]) -> None:
    """A creator tags only showcased listings that offer it a rate; 422 naming each listing and why."""
    reasons = untaggable(session, creator_id=creator_id, product_ids=product_ids)
    if reasons:
        raise NotTaggable(
            "A creator can tag only listings in its showcase whose seller offers it a commission rate: join the "
            "affiliate programme, then add them (POST /v1/creators/{id}/showcase).",
            field="product_ids",
            product_ids=sorted(reasons),
            reasons={str(pid): why for pid, why in sorted(reasons.items())},
        )
