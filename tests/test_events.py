"""The transactional outbox: an event exists iff its transaction committed, each is handled once
even with several workers, and a failing handler is retried without holding up the others."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.db import Database
from yellowcart.events import EventBus, OutboxEvent, dispatch_pending, emit


def _emit(db: Database, n: int, topic: str = "thing.happened") -> None:
    with db.transaction() as s:
        for i in range(n):
            emit(s, topic, n=i)


def test_rolled_back_transaction_leaves_no_event(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as s:
        emit(s, "ghost")
        raise RuntimeError("boom")
    with db.transaction() as s:
        assert s.scalars(select(OutboxEvent)).all() == []


def test_failing_handler_is_retried_and_others_delivered(db: Database) -> None:
    _emit(db, 3)
    seen: list[int] = []
    fail_once = {1}

    def handler(session: Session, event: OutboxEvent) -> None:
        if event.payload["n"] in fail_once:
            fail_once.clear()
            raise ValueError("downstream down")
        seen.append(event.payload["n"])

    bus = EventBus()
    bus.subscribe("thing.happened", handler)
    assert dispatch_pending(db, bus) == 2
    with db.transaction() as s:
        failed = s.scalars(select(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None))).one()
        assert failed.attempts == 1 and "downstream down" in (failed.last_error or "")
    assert dispatch_pending(db, bus) == 1
    assert dispatch_pending(db, bus) == 0
    assert sorted(seen) == [0, 1, 2]


def test_several_workers_deliver_each_event_once(db: Database, backend: str) -> None:
    _emit(db, 300)
    calls: Counter[int] = Counter()
    lock = threading.Lock()

    def handler(session: Session, event: OutboxEvent) -> None:
        with lock:
            calls[event.id] += 1

    bus = EventBus()
    bus.subscribe("*", handler)

    def drain(_: int) -> int:
        total = 0
        while (n := dispatch_pending(db, bus, batch=25)) > 0:
            total += n
        return total

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(drain, range(4))) == 300
    assert len(calls) == 300 and set(calls.values()) == {1}
