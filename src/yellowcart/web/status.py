"""The operations snapshot behind /status: row counts by status and the outbox backlog.

Read-only aggregates with no personal data, so the page can stay public. Every status of each enum is
listed, zeros included, so an empty state reads as "none" rather than "missing".
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from yellowcart.catalog.models import Product, ProductStatus
from yellowcart.db import utcnow
from yellowcart.events import OutboxEvent
from yellowcart.orders.models import Order
from yellowcart.orders.state import OrderStatus
from yellowcart.sellers.models import Seller, SellerStatus

E = TypeVar("E", bound=enum.Enum)


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts of one table by status, in the enum's order."""

    name: str
    counts: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


@dataclass(frozen=True, slots=True)
class Outbox:
    pending: int
    retrying: int
    oldest_pending_seconds: int | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    dialect: str
    tallies: list[Tally]
    outbox: Outbox


def _tally(session: Session, name: str, column: InstrumentedAttribute[E], kinds: type[E]) -> Tally:
    found = {status: int(n) for status, n in session.execute(select(column, func.count()).group_by(column))}
    return Tally(name, [(kind.value, found.get(kind, 0)) for kind in kinds])


def _outbox(session: Session, now: dt.datetime) -> Outbox:
    pending = OutboxEvent.dispatched_at.is_(None)
    count, oldest = session.execute(select(func.count(), func.min(OutboxEvent.created_at)).where(pending)).one()
    retrying = session.scalar(select(func.count()).where(pending, OutboxEvent.attempts > 0)) or 0
    if oldest is not None and oldest.tzinfo is None:  # func.min bypasses UTCDateTime on SQLite
        oldest = oldest.replace(tzinfo=dt.UTC)
    age = int((now - oldest).total_seconds()) if oldest is not None else None
    return Outbox(pending=int(count), retrying=int(retrying), oldest_pending_seconds=age)


def snapshot(session: Session, *, dialect: str) -> Snapshot:
    tallies = [
        _tally(session, "products", Product.status, ProductStatus),
        _tally(session, "sellers", Seller.status, SellerStatus),
        _tally(session, "orders", Order.status, OrderStatus),
    ]
    return Snapshot(dialect=dialect, tallies=tallies, outbox=_outbox(session, utcnow()))
