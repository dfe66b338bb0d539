"""Attribution: which creator's content led to an order line, decided once when the order is paid
(and for store orders, when the redirect domain attributes them to a click).

For a batch of orders, one query finds every candidate touch: the shopper's views and cart taps, in
the window before the order, on creator-owned content that tags the line's listing (the interaction
log's index on user and time does the work). The rules (``rules.py``) pick the last touch by an active
programme member and decide; the rate offered then (targeted, else open) is snapshotted on the row.
Idempotent: one attribution per order line and per store order (UNIQUE), so a redelivered event or a
rerun backfill adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.content.models import Anchor, Content
from yellowcart.creators import rates
from yellowcart.creators.models import Attribution, Membership, MemberStatus
from yellowcart.creators.rules import Outcome, RateKind, Touch, TouchKind, commission, decide, last_touch
from yellowcart.db import id_in
from yellowcart.interactions.models import EventType, InteractionEvent
from yellowcart.ledger.service import goods_paid
from yellowcart.orders.models import Order, OrderLine
from yellowcart.redirect.models import Conversion, ConversionStatus, RedirectClick

TOUCH_TYPES = {EventType.VIEW: TouchKind.VIEW, EventType.CART_TAP: TouchKind.CART_TAP}


@dataclass(frozen=True, slots=True)
class LineFact:
    line_id: int
    order_id: int
    product_id: int
    seller_id: int
    shopper_id: int
    placed_at: dt.datetime
    mode: SellingMode
    units: int
    base_cents: int  # goods paid, net of the line's promotions (the ledger's sale basis: ledger.service.goods_paid)


def line_facts(session: Session, order_ids: Sequence[int]) -> list[LineFact]:
    """The paid orders' lines with their listing and commission base (one query)."""
    rows = session.execute(
        select(Order, OrderLine, Variant.product_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .where(id_in(session, Order.id, order_ids), Order.paid_at.is_not(None))
        .order_by(Order.id, OrderLine.id)
    ).all()
    by_order: dict[int, list[tuple[Order, OrderLine, int]]] = defaultdict(list)
    for order, line, product_id in rows:
        by_order[order.id].append((order, line, product_id))
    facts: list[LineFact] = []
    for lines in by_order.values():
        order = lines[0][0]
        paid = goods_paid(order, [ln for _, ln, _ in lines])
        for (_, ln, product_id), goods in zip(lines, paid, strict=True):
            facts.append(
                LineFact(ln.id, order.id, product_id, order.seller_id, order.shopper_id, order.placed_at,
                         ln.selling_mode, ln.quantity, goods)
            )  # fmt: skip
    return facts


def _touches(session: Session, order_ids: Sequence[int], window: dt.timedelta) -> dict[int, list[Touch]]:
    """Candidate touches per order line: the shopper's views and cart taps on creator content tagging the
    line's listing, from ``window`` before the earliest order of the batch up to each order."""
    lines = (
        select(OrderLine.id.label("line_id"), Variant.product_id, Order.shopper_id, Order.placed_at)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .where(id_in(session, Order.id, order_ids))
        .subquery()
    )
    earliest = session.scalar(
        select(Order.placed_at).where(id_in(session, Order.id, order_ids)).order_by(Order.placed_at)
    )
    if earliest is None:
        return {}
    e = InteractionEvent
    query = (
        select(lines.c.line_id, e.id, e.occurred_at, e.type, e.content_id, Content.owner_user_id)
        .select_from(lines)
        .join(
            e,
            and_(
                e.user_id == lines.c.shopper_id,
                e.type.in_(list(TOUCH_TYPES)),
                e.occurred_at >= earliest - window,
                e.occurred_at <= lines.c.placed_at,
            ),
        )
        .join(Anchor, and_(Anchor.content_id == e.content_id, Anchor.product_id == lines.c.product_id))
        .join(Content, and_(Content.id == e.content_id, Content.seller_id.is_(None)))
    )
    found: dict[int, list[Touch]] = defaultdict(list)
    for line_id, event_id, at, kind, content_id, creator_id in session.execute(query):
        found[line_id].append(Touch(event_id, content_id, creator_id, at, TOUCH_TYPES[kind]))
    return found


def _members(session: Session, creator_ids: set[int]) -> dict[int, dt.datetime]:
    """Active members among these creators, with when they joined."""
    if not creator_ids:
        return {}
    rows = session.execute(
        select(Membership.creator_id, Membership.joined_at).where(
            Membership.creator_id.in_(sorted(creator_ids)), Membership.status == MemberStatus.ACTIVE
        )
    )
    return {cid: joined for cid, joined in rows}


def attribute_orders(
    session: Session, *, order_ids: Sequence[int], window: dt.timedelta, now: dt.datetime
) -> dict[Outcome, int]:
    """Attribute the paid orders' lines (those not attributed yet); how many lines had each outcome."""
    facts = line_facts(session, order_ids)
    known = set(
        session.scalars(select(Attribution.order_line_id).where(id_in(session, Attribution.order_id, order_ids)))
    )
    facts = [f for f in facts if f.line_id not in known]
    touches = _touches(session, [f.order_id for f in facts], window) if facts else {}
    members = _members(session, {t.creator_id for ts in touches.values() for t in ts})
    winners = {
        f.line_id: last_touch(
            [t for t in touches.get(f.line_id, []) if t.creator_id in members and members[t.creator_id] <= f.placed_at],
            ordered_at=f.placed_at,
            window=window,
        )
        for f in facts
    }
    offered = rates.offered_rates(session, [(f.product_id, w.creator_id) for f in facts if (w := winners[f.line_id])])
    outcomes: dict[Outcome, int] = defaultdict(int)
    rows: list[Attribution] = []
    for f in facts:
        touch = winners[f.line_id]
        rate = offered.get((f.product_id, touch.creator_id)) if touch else None
        decision = decide(touch, shopper_id=f.shopper_id, rate=rate)
        outcomes[decision.outcome] += 1
        if decision.outcome is Outcome.ATTRIBUTED and touch is not None and rate is not None:
            rows.append(_line_attribution(f, touch, rate.bps, rate.kind, now))
    _insert(session, rows)
    return dict(outcomes)


def _line_attribution(f: LineFact, touch: Touch, rate_bps: int, rate_kind: RateKind, now: dt.datetime) -> Attribution:
    return Attribution(
        creator_id=touch.creator_id, content_id=touch.content_id, product_id=f.product_id, seller_id=f.seller_id,
        shopper_id=f.shopper_id, order_id=f.order_id, order_line_id=f.line_id, selling_mode=f.mode,
        touch=touch.kind, touched_at=touch.at, ordered_at=f.placed_at, rate_kind=rate_kind, rate_bps=rate_bps,
        units=f.units, base_cents=f.base_cents, commission_cents=commission(f.base_cents, rate_bps), attributed_at=now,
    )  # fmt: skip


def _insert(session: Session, rows: list[Attribution]) -> None:
    """All at once; when a concurrent run inserted one of them first, one by one skipping those."""
    if not rows:
        return
    session.flush()
    try:
        with session.begin_nested():
            session.add_all(rows)
            session.flush()
        return
    except IntegrityError:
        pass
    for row in rows:
        fresh = Attribution(**{c.key: getattr(row, c.key) for c in Attribution.__table__.columns if c.key != "id"})
        try:
            with session.begin_nested():
                session.add(fresh)
                session.flush()
        except IntegrityError:
            continue


def attribute_conversion(session: Session, *, conversion_id: int, now: dt.datetime) -> Attribution | None:
    """A store order the redirect domain attributed to a click from a creator's content: the creator earns
    the listing's rate on the attributed GMV (the click's content and creator are the touch)."""
    known = session.scalar(select(Attribution).where(Attribution.conversion_id == conversion_id))
    if known is not None:
        return known
    conv = session.get(Conversion, conversion_id)
    if (
        conv is None
        or conv.status is not ConversionStatus.ATTRIBUTED
        or None in (conv.creator_user_id, conv.content_id, conv.product_id)
    ):
        return None
    creator_id, product_id = int(conv.creator_user_id or 0), int(conv.product_id or 0)
    joined = _members(session, {creator_id}).get(creator_id)
    touch = Touch(0, int(conv.content_id or 0), creator_id, conv.ordered_at, TouchKind.CLICK)
    rate = rates.offered_rates(session, [(product_id, creator_id)]).get((product_id, creator_id))
    decision = decide(touch if joined is not None and joined <= conv.ordered_at else None, shopper_id=conv.shopper_id,
                      rate=rate)  # fmt: skip
    if decision.outcome is not Outcome.ATTRIBUTED or rate is None:
        return None
    row = Attribution(
        creator_id=creator_id, content_id=touch.content_id, product_id=product_id, seller_id=conv.seller_id,
        shopper_id=conv.shopper_id, conversion_id=conversion_id, selling_mode=SellingMode.REDIRECT,
        touch=TouchKind.CLICK, touched_at=_clicked_at(session, conv), ordered_at=conv.ordered_at,
        rate_kind=rate.kind, rate_bps=rate.bps, units=None, base_cents=conv.gmv_cents,
        commission_cents=commission(conv.gmv_cents, rate.bps), attributed_at=now,
    )  # fmt: skip
    _insert(session, [row])
    return session.scalar(select(Attribution).where(Attribution.conversion_id == conversion_id))


def _clicked_at(session: Session, conv: Conversion) -> dt.datetime:
    click = session.get(RedirectClick, conv.click_id) if conv.click_id else None
    return click.created_at if click is not None else conv.ordered_at
