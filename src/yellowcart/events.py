"""Domain events through a transactional outbox.

A service calls :func:`emit` inside its transaction, so the event exists if and only if the change
does. A worker (a thread in the API process on the embedded default, ``yellowcart worker`` in
production) hands undelivered events to registered handlers; handlers must be idempotent because a
crash between handling and marking delivered re-delivers.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import JSON, Index, String, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from yellowcart.db import Base, Database, UTCDateTime, utcnow

log = structlog.get_logger(__name__)

Handler = Callable[[Session, "OutboxEvent"], None]


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_pending", "dispatched_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))


def emit(session: Session, topic: str, **payload: Any) -> None:
    """Record an event in the caller's transaction."""
    session.add(OutboxEvent(topic=topic, payload=payload))


def emit_many(session: Session, topic: str, payloads: list[dict[str, Any]]) -> None:
    """Record several events of one topic with a single INSERT (hot paths)."""
    if payloads:
        now = utcnow()
        session.execute(
            insert(OutboxEvent), [{"topic": topic, "payload": p, "created_at": now, "attempts": 0} for p in payloads]
        )


class EventBus:
    """Topic -> handlers. One instance is wired in bootstrap."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, topic: str, handler: Handler) -> None:
        self._handlers[topic].append(handler)

    def handlers_for(self, topic: str) -> list[Handler]:
        return list(self._handlers.get(topic, ())) + list(self._handlers.get("*", ()))


def dispatch_pending(db: Database, bus: EventBus, *, batch: int = 200, max_attempts: int = 10) -> int:
    """Deliver up to ``batch`` pending events in one transaction; returns how many were delivered.

    Several workers share the outbox (``SKIP LOCKED`` on PostgreSQL). Each event's handlers run in a
    savepoint, so one failing event is recorded and retried later without undoing the others; events
    nobody subscribes to are simply marked delivered, in bulk.
    """
    with db.transaction() as session:
        query = (
            select(OutboxEvent)
            .where(OutboxEvent.dispatched_at.is_(None), OutboxEvent.attempts < max_attempts)
            .order_by(OutboxEvent.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        delivered: list[int] = []
        for event in session.scalars(query).all():
            if _handle(session, bus, event):
                delivered.append(event.id)
        if delivered:
            session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_(delivered))
                .values(dispatched_at=utcnow(), attempts=OutboxEvent.attempts + 1)
                .execution_options(synchronize_session=False)
            )
    return len(delivered)


def _handle(session: Session, bus: EventBus, event: OutboxEvent) -> bool:
    handlers = bus.handlers_for(event.topic)
    if not handlers:
        return True
    try:
        with session.begin_nested():
            for handler in handlers:
                handler(session, event)
        return True
    except Exception as exc:  # a handler failed: record it and retry later, never lose the event
        log.warning("outbox.handler_failed", event_id=event.id, topic=event.topic, error=type(exc).__name__)
        event.attempts += 1
        event.last_error = f"{type(exc).__name__}: {exc}"[:500]
        return False


class OutboxWorker:
    """Background thread that drains the outbox and runs periodic jobs."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        *,
        poll_seconds: float = 0.5,
        periodic: list[Callable[[], object]] | None = None,
        periodic_every: float = 5.0,
    ) -> None:
        self.db, self.bus, self.poll_seconds = db, bus, poll_seconds
        self.periodic = periodic or []
        self.periodic_every = periodic_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="yc-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def run_once(self) -> int:
        for job in self.periodic:
            job()
        return dispatch_pending(self.db, self.bus)

    def _run(self) -> None:
        last_periodic = 0.0
        while not self._stop.is_set():
            try:
                now = utcnow().timestamp()
                if now - last_periodic >= self.periodic_every:
                    for job in self.periodic:
                        job()
                    last_periodic = now
                if dispatch_pending(self.db, self.bus) == 0:
                    self._stop.wait(self.poll_seconds)
            except Exception as exc:  # keep the worker alive; the next loop retries
                log.error("outbox.worker_error", error=f"{type(exc).__name__}: {exc}")
                self._stop.wait(self.poll_seconds * 4)
