"""Commission and fee rates: a default plus per-category overrides that apply to the category's whole
subtree (categories are a materialised path, so the deepest matching prefix wins)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Category
from yellowcart.db import flush_guarded, utcnow
from yellowcart.errors import Conflict, Forbidden, NotFound
from yellowcart.ledger.models import DEFAULT_RATE_KEY, CommissionRate

#: Used until an operator sets a default row: 6% commission on goods, 2% transaction fee on goods +
#: shipping (the seed market charged a referral fee of this order per order).
BUILT_IN_COMMISSION_BPS = 600
BUILT_IN_FEE_BPS = 200


@dataclass(frozen=True, slots=True)
class Rate:
    commission_bps: int
    fee_bps: int
    source: str  # the rate_key it came from, or "built_in"


def rate_key(category_id: int | None) -> str:
    return DEFAULT_RATE_KEY if category_id is None else f"category:{category_id}"


def list_rates(session: Session) -> Sequence[CommissionRate]:
    return session.scalars(
        select(CommissionRate).order_by(CommissionRate.category_id.is_not(None), CommissionRate.id)
    ).all()


def _operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise Forbidden("Commission rates are set by operators.")


def set_rate(
    session: Session, *, principal: Principal, category_id: int | None, commission_bps: int, fee_bps: int
) -> CommissionRate:
    """Create or change the default (``category_id`` None) or a category's rates."""
    _operator(principal)
    if category_id is not None and session.get(Category, category_id) is None:
        raise NotFound(f"Category {category_id} does not exist.")
    key = rate_key(category_id)
    row = session.scalar(select(CommissionRate).where(CommissionRate.rate_key == key).with_for_update())
    if row is None:
        row = CommissionRate(rate_key=key, category_id=category_id, commission_bps=commission_bps, fee_bps=fee_bps)
        row.updated_by_user_id = principal.user_id
        flush_guarded(session, lambda: session.add(row), lambda: Conflict("The rate was set concurrently; retry."))
        return row
    row.commission_bps, row.fee_bps = commission_bps, fee_bps
    row.updated_at, row.updated_by_user_id = utcnow(), principal.user_id
    return row


def delete_rate(session: Session, *, principal: Principal, category_id: int) -> None:
    """A category falls back to its parent's rate (or the default)."""
    _operator(principal)
    row = session.scalar(select(CommissionRate).where(CommissionRate.rate_key == rate_key(category_id)))
    if row is None:
        raise NotFound(f"Category {category_id} has no rate of its own.")
    session.delete(row)


def rates_for(session: Session, category_ids: Iterable[int]) -> dict[int, Rate]:
    """The rate each category's listings pay: the deepest category on its path with a rate, else the
    default row, else the built-in default. Two small queries, whatever the number of categories."""
    wanted = set(category_ids)
    if not wanted:
        return {}
    paths = dict(session.execute(select(Category.id, Category.path).where(Category.id.in_(wanted))).all())
    rows = session.execute(
        select(CommissionRate.rate_key, Category.path, CommissionRate.commission_bps, CommissionRate.fee_bps).outerjoin(
            Category, Category.id == CommissionRate.category_id
        )
    ).all()
    default = Rate(BUILT_IN_COMMISSION_BPS, BUILT_IN_FEE_BPS, "built_in")
    by_path: list[tuple[str, Rate]] = []
    for key, path, commission, fee in rows:
        if key == DEFAULT_RATE_KEY:
            default = Rate(commission, fee, key)
        elif path is not None:
            by_path.append((path, Rate(commission, fee, key)))
    by_path.sort(key=lambda pr: len(pr[0]), reverse=True)  # deepest first
    found: dict[int, Rate] = {}
    for cid in wanted:
        path = paths.get(cid, "")
        found[cid] = next((rate for prefix, rate in by_path if path.startswith(prefix)), default)
    return found
