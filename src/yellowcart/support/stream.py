"""Conversations pushed to open pages over Server-Sent Events, through the live rooms' broker
(``live.realtime``: in-process on SQLite, PostgreSQL LISTEN/NOTIFY otherwise).

Whatever changes a conversation (a message, a read receipt, joining, escalating, closing) publishes a
small hint after its commit on one channel: ``{"conversation": 12, "kind": "message", "ts": ms}``. Each
open stream subscribes *before* it reads, then sends what it has not sent yet: new messages (``event:
message``, ``id:`` the message id, so ``Last-Event-ID`` resumes after a reconnect), the read receipts
(``event: read``) and the conversation's state (``event: status``). The state stays in the database;
a lost hint heals at the next one, and a broker resync re-reads. ``: ping`` keeps proxies from closing
an idle stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from yellowcart.live.realtime import Broker

log = structlog.get_logger(__name__)

CHANNEL = "yc_support"
PING = b": ping\n\n"


def publish(broker: Broker, conversation_id: int, kind: str) -> None:
    """Tell every process the conversation changed; call after the change committed."""
    try:
        broker.publish(CHANNEL, {"conversation": conversation_id, "kind": kind, "ts": round(time.time() * 1000, 1)})
    except Exception as exc:  # a hint is best effort: streams heal at the next one
        log.warning("support.publish_failed", conversation_id=conversation_id, error=type(exc).__name__)


def frame(event: str, data: Any, event_id: int | None = None) -> bytes:
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id is not None else "")
    return f"{head}data: {json.dumps(data, separators=(',', ':'), default=str)}\n\n".encode()


@dataclass(frozen=True, slots=True)
class Update:
    """What a stream has not sent yet: messages after its cursor, receipts, state (JSON-ready)."""

    messages: list[tuple[int, dict[str, Any]]]
    read: dict[str, int]
    status: dict[str, Any]


async def frames(
    broker: Broker,
    conversation_id: int,
    after: int,
    fetch: Callable[[int], Any],
    *,
    heartbeat: float,
) -> AsyncIterator[bytes]:
    """The stream's bytes: ``ready``, the messages after ``after``, then changes as they happen.
    ``fetch(after)`` is awaited and returns an :class:`Update` (it reads off the event loop)."""
    messages = broker.subscribe(CHANNEL)
    pending: asyncio.Task[Any] | None = None
    try:
        if not await broker.listening(CHANNEL):
            log.warning("support.listen_slow", conversation_id=conversation_id)
        last_read: dict[str, int] | None = None
        last_status: dict[str, Any] | None = None
        yield frame("ready", {"conversation_id": conversation_id, "after": after})
        dirty = True
        while True:
            if dirty:
                update: Update = await fetch(after)
                for message_id, body in update.messages:
                    yield frame("message", body, message_id)
                    after = max(after, message_id)
                if update.read != last_read:
                    last_read = update.read
                    yield frame("read", update.read)
                if update.status != last_status:
                    last_status = update.status
                    yield frame("status", update.status)
            pending = pending or asyncio.ensure_future(anext(messages))
            done, _ = await asyncio.wait({pending}, timeout=heartbeat)
            if not done:
                dirty = False
                yield PING
                continue
            hint = pending.result()
            pending = None
            dirty = bool(hint.get("resync")) or hint.get("conversation") == conversation_id
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        with contextlib.suppress(Exception):
            await messages.aclose()  # type: ignore[attr-defined]
