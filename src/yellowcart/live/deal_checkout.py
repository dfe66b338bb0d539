"""Buying through a live deal: what checkout calls.

1. ``offer``: the deal exists, belongs to the room the shopper is in, the room is on air and the deal is
   running (read in checkout's transaction; a clear 409 otherwise, before anything is written). A deal
   without a room (a flash deal) is bought without a ``room_id``, and a room's deal never without one.
2. ``claim``: ONE conditional statement takes the units from the deal's ``remaining`` (only while it
   runs and before ``ends_at``) and counts them for the shopper (the counter's CHECK refuses passing
   the limit, so the whole statement fails); then the units are split off the deal's set-aside into
   ordinary holds that checkout attaches to the order. No stock row is touched: the units were set aside
   when the deal started. On PostgreSQL both are autocommit statements (the hot deal row is locked for
   one statement, as a stock row is by ``inventory.holds``); on SQLite they run in checkout's session.
3. ``record``: the purchase rows and ``live.deal_sold`` in the order's transaction.

If checkout fails after a claim, ``give_back`` returns the units to the deal (or to the SKU once it
ended). A cancelled order gives its units back the same way (``deal_jobs``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.content.models import Content, LiveState
from yellowcart.db import Database, utcnow
from yellowcart.errors import Conflict, InvalidInput
from yellowcart.events import emit, emit_many
from yellowcart.inventory import holds as inventory_holds
from yellowcart.inventory import set_asides
from yellowcart.live import deal_rules
from yellowcart.live.deal_models import DealPurchase, DealShopper, DealStatus, LiveDeal, PurchaseStatus
from yellowcart.live.deals import DealNotFound, carve, lock_deal, set_aside_units
from yellowcart.orders.models import Order


class DealNotInRoom(Conflict):
    code, title = "deal_not_in_room", "The deal is only valid inside its live room"


class DealNotStarted(Conflict):
    code, title = "deal_not_started", "The deal has not started"


class DealEnded(Conflict):
    code, title = "deal_ended", "The deal has ended"


class DealSoldOut(Conflict):
    code, title = "deal_sold_out", "The deal is sold out"


class DealLimitReached(Conflict):
    code, title = "deal_limit_reached", "Per-shopper limit reached"


_REFUSALS: dict[deal_rules.Refusal, type[Conflict]] = {
    deal_rules.Refusal.NOT_STARTED: DealNotStarted,
    deal_rules.Refusal.ENDED: DealEnded,
    deal_rules.Refusal.SOLD_OUT: DealSoldOut,
}


@dataclass(frozen=True, slots=True)
class Offer:
    deal_id: int
    room_id: int | None  # None: a flash deal (no room)
    variant_id: int
    sku: str
    price_cents: int
    per_shopper_limit: int | None
    quantity: int  # what the shopper asks for


@dataclass(frozen=True, slots=True)
class Claim:
    offer: Offer
    user_id: int
    holds: tuple[inventory_holds.Hold, ...]
    remaining: int  # the deal's units left right after this claim


def _refuse(deal: LiveDeal, now: dt.datetime) -> Conflict:
    why = deal_rules.refusal(deal.status.value, ends_at=deal.ends_at, now=now)
    return _REFUSALS[why](f"Deal {deal.id}: {why.value.replace('_', ' ')}.", deal_id=deal.id, remaining=deal.remaining)


def offer(session: Session, *, deal_id: int, room_id: int | None, sku: str, quantity: int, now: dt.datetime) -> Offer:
    """The deal price for ``sku`` in ``room_id`` right now, or the 409 that explains why not. A flash
    deal (no room) is bought with ``room_id`` None; a room's deal only with its room."""
    deal = session.get(LiveDeal, deal_id)
    if deal is None:
        raise DealNotFound(f"Deal {deal_id} does not exist.", deal_id=deal_id)
    if deal.room_id is None and room_id is not None:
        raise DealNotInRoom(
            f"Deal {deal_id} is a flash deal, not a live room's: buy it without room_id.", deal_id=deal_id
        )
    if deal.room_id != room_id:
        raise DealNotInRoom(f"Deal {deal_id} is only valid in its own live room.", deal_id=deal_id)
    if deal.sku != sku:
        raise InvalidInput(f"Deal {deal_id} is for SKU {deal.sku}, not {sku}.", field="items", deal_id=deal_id)
    if room_id is not None:
        room = session.get(Content, room_id)
        if room is not None and room.live_state is LiveState.ENDED:
            raise DealEnded(f"Live room {room_id} has ended, and its deals with it.", deal_id=deal_id)
        if room is None or room.live_state is not LiveState.LIVE:
            raise DealNotInRoom(f"Live room {room_id} is not on air.", deal_id=deal_id)
    if not deal_rules.buyable(deal.status.value, ends_at=deal.ends_at, now=now) or deal.remaining < quantity:
        raise _refuse(deal, now)
    if deal.per_shopper_limit is not None and quantity > deal.per_shopper_limit:
        raise DealLimitReached(
            f"At most {deal.per_shopper_limit} per shopper.", deal_id=deal_id, limit=deal.per_shopper_limit
        )
    return Offer(deal.id, room_id, deal.variant_id, deal.sku, deal.price_cents, deal.per_shopper_limit, quantity)


# ---- claim ------------------------------------------------------------------------------------------------

_PG_CLAIM = text(
    """
    WITH taken AS (
        UPDATE live_deals SET remaining = remaining - :qty, updated_at = :now
        WHERE id = :deal_id AND status = 'running' AND remaining >= :qty AND ends_at > :now
        RETURNING id, remaining, per_shopper_limit
    ), counted AS (
        INSERT INTO live_deal_shoppers (deal_id, user_id, units, cap)
        SELECT id, :user_id, :qty, per_shopper_limit FROM taken
        ON CONFLICT (deal_id, user_id) DO UPDATE SET units = live_deal_shoppers.units + EXCLUDED.units
        RETURNING units
    )
    SELECT taken.remaining FROM taken, counted
    """
)


def _claim_pg(conn: Connection, offer: Offer, user_id: int, now: dt.datetime) -> int | None:
    params = {"deal_id": offer.deal_id, "user_id": user_id, "qty": offer.quantity, "now": now}
    left = conn.execute(_PG_CLAIM, params).scalar_one_or_none()
    return None if left is None else int(left)


def _claim_in_session(session: Session, offer: Offer, user_id: int, now: dt.datetime) -> int | None:
    with session.begin_nested():
        left = session.execute(
            update(LiveDeal)
            .where(
                LiveDeal.id == offer.deal_id,
                LiveDeal.status == DealStatus.RUNNING,
                LiveDeal.remaining >= offer.quantity,
                LiveDeal.ends_at > now,
            )
            .values(remaining=LiveDeal.remaining - offer.quantity, updated_at=now)
            .returning(LiveDeal.remaining)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if left is None:
            return None
        upsert = sqlite_insert(DealShopper).values(
            deal_id=offer.deal_id, user_id=user_id, units=offer.quantity, cap=offer.per_shopper_limit
        )
        session.execute(
            upsert.on_conflict_do_update(
                index_elements=[DealShopper.deal_id, DealShopper.user_id],
                set_={"units": DealShopper.units + upsert.excluded.units},
            )
        )
    return int(left)


def _undo_claim(executor: Session | Connection, offer: Offer, user_id: int) -> None:
    """The units never left the set-aside (it was released meanwhile): count them back as unsold."""
    executor.execute(
        update(LiveDeal)
        .where(LiveDeal.id == offer.deal_id)
        .values(remaining=LiveDeal.remaining + offer.quantity)
        .execution_options(synchronize_session=False)
    )
    executor.execute(
        update(DealShopper)
        .where(DealShopper.deal_id == offer.deal_id, DealShopper.user_id == user_id)
        .values(units=DealShopper.units - offer.quantity)
        .execution_options(synchronize_session=False)
    )


def _claim_one(db: Database, session: Session, offer: Offer, user_id: int, ttl: dt.timedelta) -> Claim:
    now = utcnow()
    seen = set_aside_units(session, deal_id=offer.deal_id)  # read in checkout's transaction, before the claim
    try:
        if db.dialect == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                left = _claim_pg(conn, offer, user_id, now)
        else:
            left = _claim_in_session(session, offer, user_id, now)
    except IntegrityError as exc:  # the shopper's counter would pass the limit: nothing was taken
        raise DealLimitReached(
            f"At most {offer.per_shopper_limit} per shopper for deal {offer.deal_id}.",
            deal_id=offer.deal_id,
            limit=offer.per_shopper_limit,
        ) from exc
    if left is None:
        deal = session.scalar(
            select(LiveDeal).where(LiveDeal.id == offer.deal_id).execution_options(populate_existing=True)
        )
        assert deal is not None
        raise _refuse(deal, utcnow())
    ids = [rid for rid, _ in seen]
    held, short = set_asides.take(db, session, reservation_ids=ids, quantity=offer.quantity, ttl=ttl, seen=seen)
    if short:  # the deal ended between the claim and the split: its set-aside is gone
        if db.dialect == "postgresql":
            inventory_holds.release_holds(db, held)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                _undo_claim(conn, offer, user_id)
        raise DealEnded(f"Deal {offer.deal_id} ended.", deal_id=offer.deal_id)
    return Claim(offer, user_id, tuple(held), left)


def claim(db: Database, session: Session, *, user_id: int, offers: Sequence[Offer], ttl: dt.timedelta) -> list[Claim]:
    """Take every offer's units or none (a later refusal gives the earlier claims back)."""
    claims: list[Claim] = []
    try:
        for item in sorted(offers, key=lambda o: o.deal_id):  # one lock order for every buyer
            claims.append(_claim_one(db, session, item, user_id, ttl))
    except BaseException:
        give_back(db, claims)
        raise
    return claims


# ---- after the claim ------------------------------------------------------------------------------------


def return_units(session: Session, *, deal_id: int, user_id: int, quantity: int, now: dt.datetime) -> int:
    """Units of a deal purchase that went back to the SKU (order cancelled, checkout failed) go back to
    the deal while it runs: set aside again (as many as are still available) and added to ``remaining``;
    after the deal ended they stay with the SKU. The shopper's count goes down either way. Returns the
    units the deal got back. The deal row is locked first, as the claim statement locks it."""
    deal = lock_deal(session, deal_id)
    session.execute(
        update(DealShopper)
        .where(DealShopper.deal_id == deal_id, DealShopper.user_id == user_id)
        .values(units=DealShopper.units - quantity)
        .execution_options(synchronize_session=False)
    )
    if not deal_rules.buyable(deal.status.value, ends_at=deal.ends_at, now=now):
        return 0
    back = carve(session, deal=deal, quantity=quantity, partial=True)
    deal.remaining += back
    if back:
        emit(session, "live.deal_restocked", deal_id=deal.id, room_id=deal.room_id, remaining=deal.remaining)
    return back


def give_back(db: Database, claims: Sequence[Claim]) -> None:
    """Checkout failed after claiming (PostgreSQL: the claims committed on their own). Each claim's
    holds are released and the units returned to the deal in one transaction, so no ordinary buyer can
    slip in between. On SQLite the claims were in checkout's session and rolled back with it."""
    if not claims or db.dialect != "postgresql":
        return
    with db.transaction() as session:
        for c in claims:
            inventory_holds.release_unattached(session, reservation_ids=[h.reservation_id for h in c.holds])
            return_units(session, deal_id=c.offer.deal_id, user_id=c.user_id, quantity=c.offer.quantity, now=utcnow())


def record(session: Session, *, claims: Sequence[Claim], orders: Sequence[Order], was_cents: Mapping[int, int]) -> None:
    """The purchase rows and one ``live.deal_sold`` per claim, in the order's transaction
    (``was_cents``: the normal price per variant, as the shopper was shown it)."""
    if not claims:
        return
    lines = {ln.variant_id: (order, ln) for order in orders for ln in order.lines}
    rows = []
    for c in claims:
        order, line = lines[c.offer.variant_id]
        rows.append(
            DealPurchase(
                deal_id=c.offer.deal_id,
                room_id=c.offer.room_id,
                order_id=order.id,
                order_line_id=line.id,
                shopper_id=c.user_id,
                quantity=c.offer.quantity,
                unit_price_cents=line.unit_price_cents,
                was_cents=was_cents[c.offer.variant_id],
                status=PurchaseStatus.PLACED,
            )
        )
    session.add_all(rows)
    payloads = [
        {"deal_id": c.offer.deal_id, "room_id": c.offer.room_id, "remaining": c.remaining, "quantity": c.offer.quantity}
        for c in claims
    ]
    emit_many(session, "live.deal_sold", payloads)


@dataclass(frozen=True, slots=True)
class Bought:
    sku: str
    deal_id: int
    room_id: int | None
    quantity: int
    unit_price_cents: int
    was_cents: int


def bought(session: Session, *, order_ids: Sequence[int]) -> list[Bought]:
    """The deal lines of some orders (a checkout answered again from the database)."""
    if not order_ids:
        return []
    rows = session.execute(
        select(LiveDeal.sku, DealPurchase)
        .join(LiveDeal, LiveDeal.id == DealPurchase.deal_id)
        .where(DealPurchase.order_id.in_(list(order_ids)))
        .order_by(DealPurchase.id)
    ).all()
    return [Bought(sku, p.deal_id, p.room_id, p.quantity, p.unit_price_cents, p.was_cents) for sku, p in rows]
