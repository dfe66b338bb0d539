"""The affiliate programme in the demo market: most creators are members (one suspended), every listing a
creator's content tags offers an open rate (sellers set their own; operators those the platform sells),
some creators get a targeted rate, and each member's showcase holds what its content tags, so the demo
obeys the rule the API enforces (a creator tags only showcased listings with a rate).

Every paid order then goes through the same attribution the live path runs on ``order.paid``
(``creators.attribution``), and the ledger backfill accrues commission for the orders that completed
and reverses it for units returned since. The demo's interaction log is drawn independently of its
orders (and only over the last thirty days), so only the orders whose shopper happened to watch a
member's video tagging the listing in the week before are attributed: a few dozen lines at full scale.
No touches are invented here: the log's own invariants (ids follow time, client ids) stay true.

Runs after the market is written; deterministic per seed, times laid out from the reference instant.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, insert, select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role, User
from yellowcart.catalog.models import Product, ProductStatus
from yellowcart.catalog.modes import SellingMode
from yellowcart.content.models import Anchor, Content
from yellowcart.creators.attribution import attribute_orders
from yellowcart.creators.models import TERMS_VERSION, Membership, MemberStatus, OpenRate, ShowcaseItem, TargetedRate
from yellowcart.creators.rules import DEFAULT_WINDOW, Outcome
from yellowcart.db import Database
from yellowcart.demo.plan import rng_for
from yellowcart.orders.models import Order

JOIN_SHARE = 0.85  # creators in the programme (the demo creator always)
OPEN_RATES_BPS = (500, 800, 1000, 1000, 1200, 1500, 2000)
TARGETED_SHARE = 0.08  # (creator, listing) pairs with a rate of their own
SHOWCASE_SINCE = dt.timedelta(days=90)
BATCH = 500
SELLER_SET = (SellingMode.SELLER_FULFILLED, SellingMode.REDIRECT)


@dataclass(frozen=True)
class AffiliateSummary:
    members: int
    open_rates: int
    targeted_rates: int
    showcased: int
    attributed_lines: int


def add_affiliates(db: Database, *, seed: int, reference: dt.datetime) -> AffiliateSummary:
    """Programme, rates and showcases (one transaction), then attribution in batches."""
    rng = rng_for(seed, "affiliates")
    with db.transaction() as session:
        members = _memberships(session, rng, reference)
        tagged = _tagged(session, set(members))
        open_rates, targeted = _rates(session, rng, tagged, reference)
        showcased = _showcases(session, tagged, members, reference)
    attributed = 0
    with db.transaction() as session:
        paid = list(session.scalars(select(Order.id).where(Order.paid_at.is_not(None)).order_by(Order.id)))
    for start in range(0, len(paid), BATCH):
        with db.transaction() as session:
            outcomes = attribute_orders(session, order_ids=paid[start : start + BATCH], window=DEFAULT_WINDOW,
                                        now=reference)  # fmt: skip
            attributed += outcomes.get(Outcome.ATTRIBUTED, 0)
    return AffiliateSummary(len(members), open_rates, targeted, showcased, attributed)


def _memberships(session: Session, rng: random.Random, reference: dt.datetime) -> dict[int, dt.datetime]:
    """Active members and when they joined; one member is suspended (and so left out)."""
    creators = list(session.scalars(select(User.id).where(User.role == Role.CREATOR).order_by(User.id)))
    joined = [cid for i, cid in enumerate(creators) if i == 0 or rng.random() < JOIN_SHARE]
    suspended = joined[-1] if len(joined) > 2 else None
    rows: list[dict[str, Any]] = []
    active: dict[int, dt.datetime] = {}
    for cid in joined:
        at = reference - dt.timedelta(days=rng.uniform(95, 400))
        if cid != suspended:
            active[cid] = at
        rows.append({
            "creator_id": cid, "status": MemberStatus.SUSPENDED if cid == suspended else MemberStatus.ACTIVE,
            "terms_version": TERMS_VERSION, "accepted_terms_at": at, "joined_at": at,
            "suspended_at": reference - dt.timedelta(days=3) if cid == suspended else None,
            "suspended_reason": "undisclosed paid promotion (under review)" if cid == suspended else None,
            "updated_at": at,
        })  # fmt: skip
    if rows:
        session.execute(insert(Membership), rows)
    return active


@dataclass(frozen=True)
class Tagged:
    """A listing tagged by creator content: which creators (and which of their content) tag it."""

    product_id: int
    seller_id: int
    mode: SellingMode
    content: dict[int, list[int]]  # creator -> content ids


def _tagged(session: Session, members: set[int]) -> dict[int, Tagged]:
    rows = session.execute(
        select(Anchor.product_id, Product.seller_id, Product.selling_mode, Content.owner_user_id, Content.id)
        .join(Content, and_(Content.id == Anchor.content_id, Content.seller_id.is_(None)))
        .join(Product, Product.id == Anchor.product_id)
        .where(Product.status == ProductStatus.ACTIVE)
        .order_by(Anchor.product_id, Content.id)
    ).all()
    out: dict[int, Tagged] = {}
    for pid, sid, mode, creator, content_id in rows:
        entry = out.setdefault(pid, Tagged(pid, sid, mode, {}))
        if creator in members:
            entry.content.setdefault(creator, []).append(content_id)
    return out


def _rates(session: Session, rng: random.Random, tagged: dict[int, Tagged], reference: dt.datetime) -> tuple[int, int]:
    """An open rate on every tagged listing (by its seller, or the operators on what the platform sells),
    and targeted ones a few points higher for some member/listing pairs."""
    staff: dict[int, int] = {}  # each seller's first staff user
    for seller_id, user_id in session.execute(
        select(User.seller_id, User.id).where(User.role == Role.SELLER).order_by(User.id)
    ):
        if seller_id is not None:
            staff.setdefault(seller_id, user_id)
    ops = session.scalar(select(User.id).where(User.role == Role.OPERATOR).order_by(User.id))
    open_rows, targeted_rows = [], []
    for t in sorted(tagged.values(), key=lambda t: t.product_id):
        setter = staff.get(t.seller_id) if t.mode in SELLER_SET else ops
        if setter is None:
            continue
        bps = rng.choice(OPEN_RATES_BPS)
        at = reference - dt.timedelta(days=rng.uniform(30, 120))
        open_rows.append({"product_id": t.product_id, "rate_bps": bps, "set_by_user_id": setter, "updated_at": at})
        for creator in sorted(t.content):
            if rng.random() < TARGETED_SHARE:
                own = min(bps + rng.choice((300, 500, 1000)), 8000)
                targeted_rows.append({"product_id": t.product_id, "creator_id": creator, "set_by_user_id": setter,
                                      "rate_bps": own, "updated_at": at})  # fmt: skip
    for model, rows in ((OpenRate, open_rows), (TargetedRate, targeted_rows)):
        if rows:
            session.execute(insert(model), rows)
    return len(open_rows), len(targeted_rows)


def _showcases(
    session: Session, tagged: dict[int, Tagged], members: dict[int, dt.datetime], reference: dt.datetime
) -> int:
    rows = [
        {
            "creator_id": creator,
            "product_id": t.product_id,
            "added_at": max(members[creator], reference - SHOWCASE_SINCE),
        }
        for t in sorted(tagged.values(), key=lambda t: t.product_id)
        for creator in sorted(t.content)
    ]
    if rows:
        session.execute(insert(ShowcaseItem), rows)
    return len(rows)
