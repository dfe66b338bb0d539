"""Set-asides: units of a SKU held back for something that is not an order yet (a live deal).

A set-aside is an unattached reservation (``order_id`` NULL) with a long expiry. Its units count in
``stock.reserved``, so ordinary checkouts cannot take them, and ``sum(active reservations) =
stock.reserved`` keeps holding. Units leave a set-aside in two ways only:

- :func:`take` splits some off into an ordinary hold (``inventory.holds.Hold``) that checkout attaches
  to an order like any other; ``stock.reserved`` does not move, so no stock row is locked. On
  PostgreSQL the split is one statement in autocommit (the set-aside row is locked for that statement
  only: a deal's 2,000 buyers queue on it no longer than on a stock row in a flash sale).
- :func:`release` gives what is left back to available (the deal ended).

A set-aside emptied by takes is marked released with its last quantity: its units live on in the holds
split off it and ``stock.reserved`` did not change, so a later :func:`release` cannot give them back a
second time. The expiry is a safety net: the hold sweep releases a set-aside its owner never released.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select, text, update
from sqlalchemy.orm import Session

from yellowcart.db import Database, utcnow
from yellowcart.errors import InsufficientStock
from yellowcart.inventory.holds import Hold
from yellowcart.inventory.models import Reservation, ReservationStatus, Stock, Warehouse

#: A hold split off a set-aside leaves the SKU's availability as it was: it never crosses the low-stock line.
UNCHANGED = 2**31 - 1
#: How often a take re-reads the set-asides when a concurrent take emptied the one it aimed at.
_ROUNDS = 4


@dataclass(frozen=True, slots=True)
class SetAside:
    reservation_id: int
    stock_id: int
    quantity: int


def set_aside(
    session: Session, *, variant_id: int, sku: str, quantity: int, until: dt.datetime, partial: bool = False
) -> list[SetAside]:
    """Set aside ``quantity`` available units of a variant, taken from its stock rows in primary-key
    order (the order every writer locks them in), one conditional UPDATE per row, in the caller's
    transaction. All or nothing (InsufficientStock, the caller rolls back) unless ``partial``."""
    rows = session.execute(
        select(Stock.id, Stock.on_hand - Stock.reserved)
        .join(Warehouse, Warehouse.id == Stock.warehouse_id)
        .where(Stock.variant_id == variant_id, Warehouse.is_active.is_(True), Stock.on_hand > Stock.reserved)
        .order_by(Stock.id)
    ).all()
    made: list[Reservation] = []
    left = quantity
    for stock_id, available in rows:
        want = min(left, int(available))
        got = session.execute(
            update(Stock)
            .where(Stock.id == stock_id, Stock.on_hand - Stock.reserved >= want)
            .values(reserved=Stock.reserved + want, updated_at=utcnow())
            .returning(Stock.id)
        ).scalar_one_or_none()
        if got is None:
            continue  # taken meanwhile by a checkout; the next row may have it
        made.append(Reservation(stock_id=stock_id, variant_id=variant_id, quantity=want, expires_at=until))
        left -= want
        if left == 0:
            break
    if left and not partial:
        raise InsufficientStock(
            f"Only {quantity - left} of {quantity} units of {sku} are available to set aside.",
            items=[{"sku": sku, "requested": quantity, "available": quantity - left}],
        )
    session.add_all(made)
    session.flush()
    return [SetAside(r.id, r.stock_id, r.quantity) for r in made]


def active_quantities(session: Session | Connection, *, reservation_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(set-aside id, units still in it) of those still active, in id order."""
    if not reservation_ids:
        return []
    rows = session.execute(
        select(Reservation.id, Reservation.quantity)
        .where(
            Reservation.id.in_(list(reservation_ids)),
            Reservation.status == ReservationStatus.ACTIVE,
            Reservation.order_id.is_(None),
        )
        .order_by(Reservation.id)
    ).all()
    return [(int(rid), int(qty)) for rid, qty in rows]


def plan(available: Sequence[tuple[int, int]], quantity: int) -> list[tuple[int, int]]:
    """Which set-asides to split and by how much: the oldest first (pure)."""
    steps: list[tuple[int, int]] = []
    left = quantity
    for rid, qty in available:
        if left == 0:
            break
        if qty > 0:
            steps.append((rid, min(left, qty)))
            left -= min(left, qty)
    return steps


_PG_SPLIT = text(
    """
    WITH src AS (
        UPDATE reservations SET
            quantity = CASE WHEN quantity = :qty THEN quantity ELSE quantity - :qty END,
            status = CASE WHEN quantity = :qty THEN 'released' ELSE status END,
            settled_at = CASE WHEN quantity = :qty THEN CAST(:now AS timestamptz) ELSE settled_at END
        WHERE id = :sid AND status = 'active' AND order_id IS NULL AND quantity >= :qty
        RETURNING stock_id, variant_id
    ), held AS (
        INSERT INTO reservations (stock_id, variant_id, quantity, status, expires_at, created_at)
        SELECT stock_id, variant_id, :qty, 'active', :expires_at, :now FROM src
        RETURNING id, stock_id, variant_id
    )
    SELECT id, stock_id, variant_id FROM held
    """
)


def _split_pg(conn: Connection, sid: int, qty: int, expires_at: dt.datetime) -> Hold | None:
    row = conn.execute(_PG_SPLIT, {"sid": sid, "qty": qty, "expires_at": expires_at, "now": utcnow()}).one_or_none()
    return None if row is None else Hold(int(row[0]), int(row[2]), int(row[1]), qty, UNCHANGED)


def _split_in_session(session: Session, sid: int, qty: int, expires_at: dt.datetime) -> Hold | None:
    source = session.scalar(
        select(Reservation).where(
            Reservation.id == sid,
            Reservation.status == ReservationStatus.ACTIVE,
            Reservation.order_id.is_(None),
            Reservation.quantity >= qty,
        )
    )
    if source is None:
        return None
    if source.quantity == qty:
        source.status, source.settled_at = ReservationStatus.RELEASED, utcnow()
    else:
        source.quantity -= qty
    hold = Reservation(stock_id=source.stock_id, variant_id=source.variant_id, quantity=qty, expires_at=expires_at)
    session.add(hold)
    session.flush()
    return Hold(hold.id, hold.variant_id, hold.stock_id, qty, UNCHANGED)


def take(
    db: Database,
    session: Session,
    *,
    reservation_ids: Sequence[int],
    quantity: int,
    ttl: dt.timedelta,
    seen: Sequence[tuple[int, int]] | None = None,
) -> tuple[list[Hold], int]:
    """Split ``quantity`` units off the given set-asides into holds that expire after ``ttl`` unless
    attached to an order. Returns the holds and the units that could not be taken (0 normally; more
    only when the set-asides were released meanwhile). The caller gates the units beforehand (a
    deal's ``remaining``), so a shortfall is a release racing the purchase, never two buyers.

    PostgreSQL: each split commits on its own, whatever ``session`` is doing (as ``hold_stock``);
    SQLite: in ``session``, sharing the caller's fate. ``seen``: (id, units) read earlier in the
    caller's transaction, only a guide for the first round (each split re-checks)."""
    expires_at = utcnow() + ttl
    held: list[Hold] = []
    left = quantity
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for _ in range(_ROUNDS):
                found = seen if seen is not None else active_quantities(conn, reservation_ids=reservation_ids)
                seen = None
                steps = plan(found, left)
                for sid, qty in steps:
                    hold = _split_pg(conn, sid, qty, expires_at)
                    if hold is not None:
                        held.append(hold)
                        left -= qty
                if left == 0 or not steps:
                    break
    else:
        for sid, qty in plan(active_quantities(session, reservation_ids=reservation_ids), left):
            hold = _split_in_session(session, sid, qty, expires_at)
            if hold is not None:
                held.append(hold)
                left -= qty
    return held, left


def release(session: Session, *, reservation_ids: Sequence[int]) -> int:
    """Give every unit still set aside back to available; returns the units released. Rows are locked
    (waiting, never skipped: a take in flight finishes first) in stock order, like every settle."""
    if not reservation_ids:
        return 0
    rows = session.scalars(
        select(Reservation)
        .where(
            Reservation.id.in_(list(reservation_ids)),
            Reservation.status == ReservationStatus.ACTIVE,
            Reservation.order_id.is_(None),
        )
        .order_by(Reservation.stock_id, Reservation.id)
        .with_for_update()
    ).all()
    now = utcnow()
    for row in rows:
        session.execute(
            update(Stock).where(Stock.id == row.stock_id).values(reserved=Stock.reserved - row.quantity, updated_at=now)
        )
        row.status, row.settled_at = ReservationStatus.RELEASED, now
    return sum(r.quantity for r in rows)
