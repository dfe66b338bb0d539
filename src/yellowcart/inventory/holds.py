"""Stock holds: the only code that touches a hot stock row during checkout.

A flash sale is decided by how long the hot row stays locked. Holding it across an ORM transaction
means waiting for Python (and its GIL) between statements while every other buyer queues. So a hold
is ONE statement that decrements availability and records the reservation row together, committed
on its own: on PostgreSQL a data-modifying CTE in autocommit (the lock lives for one statement); on
SQLite, where writers are serialised anyway, one short transaction. The order's transaction then
attaches the holds to its lines; if it fails, the holds are released; if the process dies first,
the expiry sweep releases them. These functions own their transactions by design.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from sqlalchemy import CursorResult, and_, select, text, update
from sqlalchemy.orm import Session

from yellowcart.db import Database, utcnow
from yellowcart.errors import InsufficientStock
from yellowcart.inventory.models import Reservation, ReservationStatus, Stock, Warehouse


@dataclass(frozen=True, slots=True)
class Want:
    variant_id: int
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Hold:
    reservation_id: int
    variant_id: int
    stock_id: int
    quantity: int
    available_after: int


_PG_HOLD = text(
    """
    WITH taken AS (
        UPDATE stock SET reserved = reserved + :qty, updated_at = :now
        WHERE id = :stock_id AND on_hand - reserved >= :qty
        RETURNING id, on_hand - reserved AS left_after
    ), held AS (
        INSERT INTO reservations (stock_id, variant_id, quantity, status, expires_at, created_at)
        SELECT id, :variant_id, :qty, 'active', :expires_at, :now FROM taken
        RETURNING id
    )
    SELECT held.id, taken.left_after FROM held, taken
    """
)


Candidates = dict[int, list[tuple[int, int]]]


def candidates(session: Session, *, variant_ids: Sequence[int]) -> Candidates:
    """Stock rows with units available, fullest first, per variant (one query; read in the caller's
    transaction so a checkout's reads share one round trip to the database)."""
    rows = session.execute(
        select(Stock.variant_id, Stock.id, Stock.on_hand - Stock.reserved)
        .join(Warehouse, Warehouse.id == Stock.warehouse_id)
        .where(Stock.variant_id.in_(list(variant_ids)), Warehouse.is_active.is_(True), Stock.on_hand > Stock.reserved)
        .order_by(Stock.variant_id, (Stock.on_hand - Stock.reserved).desc(), Stock.id)
    ).all()
    found: Candidates = {variant_id: [] for variant_id in variant_ids}
    for variant_id, stock_id, available in rows:
        found[int(variant_id)].append((int(stock_id), int(available)))
    return found


def _take_pg(db: Database, want: Want, stock_id: int, qty: int, expires_at: dt.datetime) -> Hold | None:
    now = utcnow()
    params = {"qty": qty, "stock_id": stock_id, "variant_id": want.variant_id, "expires_at": expires_at, "now": now}
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        row = conn.execute(_PG_HOLD, params).one_or_none()
    return None if row is None else Hold(int(row[0]), want.variant_id, stock_id, qty, int(row[1]))


def _take_in_session(session: Session, want: Want, stock_id: int, qty: int, expires_at: dt.datetime) -> Hold | None:
    left = session.execute(
        update(Stock)
        .where(Stock.id == stock_id, Stock.on_hand - Stock.reserved >= qty)
        .values(reserved=Stock.reserved + qty, updated_at=utcnow())
        .returning(Stock.on_hand - Stock.reserved)
    ).scalar_one_or_none()
    if left is None:
        return None
    row = Reservation(stock_id=stock_id, variant_id=want.variant_id, quantity=qty, expires_at=expires_at)
    session.add(row)
    session.flush()
    return Hold(row.id, want.variant_id, stock_id, qty, int(left))


def hold_stock(
    db: Database, session: Session, *, wants: Sequence[Want], ttl: dt.timedelta, seen: Candidates | None = None
) -> list[Hold]:
    """Hold every wanted unit (fullest warehouse first, split if needed) or none at all.

    On PostgreSQL each hold commits on its own connection, whatever ``session`` is doing; on SQLite
    (one writer at a time, and ``session`` already has the write lock) the holds are written in
    ``session`` and share the fate of the caller's transaction. ``seen`` are candidates read earlier:
    only a guide, each hold re-checks availability.
    """
    if seen is None:
        seen = candidates(session, variant_ids=[w.variant_id for w in wants])
    take: Callable[[Want, int, int, dt.datetime], Hold | None]
    take = partial(_take_pg, db) if db.dialect == "postgresql" else partial(_take_in_session, session)
    expires_at = utcnow() + ttl
    holds: list[Hold] = []
    short: list[dict[str, object]] = []
    for want in sorted(wants, key=lambda w: w.variant_id):
        remaining = want.quantity
        for stock_id, available in seen.get(want.variant_id, []):
            hold = take(want, stock_id, min(remaining, available), expires_at)
            if hold is not None:
                holds.append(hold)
                remaining -= hold.quantity
                if remaining == 0:
                    break
        if remaining:
            short.append({"sku": want.sku, "requested": want.quantity, "available": want.quantity - remaining})
    if short:
        if db.dialect == "postgresql":  # committed already; on SQLite the caller's rollback undoes them
            release_holds(db, holds)
        raise InsufficientStock(f"Not enough stock for {', '.join(str(s['sku']) for s in short)}.", items=short)
    return holds


def release_holds(db: Database, holds: Sequence[Hold]) -> None:
    """Give back holds that never became an order (validation failed, duplicate request...)."""
    if not holds:
        return
    with db.transaction() as session:
        release_unattached(session, reservation_ids=[h.reservation_id for h in holds])


def release_unattached(
    session: Session, *, reservation_ids: Sequence[int] | None = None, expired_before: dt.datetime | None = None
) -> int:
    """Release active holds with no order: by id, or all whose hold expired (the sweep)."""
    query = select(Reservation).where(Reservation.status == ReservationStatus.ACTIVE, Reservation.order_id.is_(None))
    if reservation_ids is not None:
        query = query.where(Reservation.id.in_(list(reservation_ids)))
    if expired_before is not None:
        query = query.where(Reservation.expires_at < expired_before)
    rows = session.scalars(query.order_by(Reservation.stock_id, Reservation.id).with_for_update(skip_locked=True)).all()
    for row in rows:
        session.execute(
            update(Stock)
            .where(Stock.id == row.stock_id)
            .values(reserved=Stock.reserved - row.quantity, updated_at=utcnow())
        )
        row.status, row.settled_at = ReservationStatus.RELEASED, utcnow()
    return len(rows)


class HoldLost(InsufficientStock):
    code = "insufficient_stock"


def attach_holds(session: Session, *, holds: Sequence[Hold], order_id: int, line_ids: dict[int, int]) -> None:
    """Bind holds to an order's lines in the order's transaction (``line_ids``: variant -> line)."""
    for hold in holds:
        done = cast(
            CursorResult[Any],
            session.execute(
                update(Reservation)
                .where(
                    and_(
                        Reservation.id == hold.reservation_id,
                        Reservation.status == ReservationStatus.ACTIVE,
                        Reservation.order_id.is_(None),
                    )
                )
                .values(order_id=order_id, order_line_id=line_ids[hold.variant_id], expires_at=None)
            ),
        ).rowcount
        if done != 1:  # swept as expired meanwhile: extremely slow request; the buyer retries
            raise HoldLost(
                "The held stock expired before the order was saved; please retry.",
                items=[{"variant_id": hold.variant_id}],
            )
