"""Live rooms' reactions: outbox subscriptions (the on-air timeline, hints for viewers) and the sales
watch that tells viewers of an order right after its commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event
from sqlalchemy.orm import Session

from yellowcart.db import Database
from yellowcart.events import EventBus, OutboxEvent
from yellowcart.live import room_sales, rooms
from yellowcart.live.deal_models import DealPurchase
from yellowcart.live.room_hubs import LiveRooms

#: The deals' events (live/deals.py): each changes a room's deals, stock left or orders.
DEAL_TOPICS = (
    "live.deal_started",
    "live.deal_sold",
    "live.deal_restocked",
    "live.deal_ended",
    "live.deal_cancelled",
)


def watch_sales(live: LiveRooms, db: Database) -> None:
    """Tell a room's viewers about a sale as soon as the order's transaction commits, not when the
    outbox worker gets to ``live.deal_sold`` (behind every other event of the burst, seconds later):
    sessions of this database that wrote deal purchases publish a hint after their commit. Read-only
    towards the deals: it only looks at what the session flushed."""

    def after_flush(session: Session, _context: object) -> None:
        for row in session.new:
            if isinstance(row, DealPurchase) and row.room_id is not None:  # flash deals have no room
                live.changed_after_commit(session, row.room_id, "orders")

    event.listen(db.sessions, "after_flush", after_flush)
    live.on_close(lambda: event.remove(db.sessions, "after_flush", after_flush))


def register(bus: EventBus, live: LiveRooms) -> None:
    def on_live_changed(session: Session, event: OutboxEvent) -> None:
        """Content moved a room on air, off air, or pinned: the run's times; viewers are told."""
        room_id = int(event.payload["content_id"])
        at = dt.datetime.fromisoformat(str(event.payload["at"]))
        rooms.record_live_change(session, room_id=room_id, live_state=str(event.payload["live_state"]), at=at)
        live.changed_after_commit(session, room_id, "room")

    def on_deal(session: Session, event: OutboxEvent) -> None:
        room_id = event.payload.get("room_id")
        if isinstance(room_id, int):
            live.changed_after_commit(session, room_id, "deal")

    def on_order_cancelled(session: Session, event: OutboxEvent) -> None:
        """A cancelled order bought in a room lowers the room's orders and GMV."""
        for room_id in room_sales.rooms_of_order(session, order_id=int(event.payload["order_id"])):
            live.changed_after_commit(session, room_id, "orders")

    bus.subscribe("content.live_changed", on_live_changed)
    bus.subscribe("order.cancelled", on_order_cancelled)
    for topic in DEAL_TOPICS:
        bus.subscribe(topic, on_deal)
