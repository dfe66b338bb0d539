"""Pub/sub between processes: a change published anywhere reaches every API process's live viewers.

Two brokers behind one :class:`Broker` protocol, chosen by ``YC_LIVE_BROKER`` (``auto``: PostgreSQL
when the database is PostgreSQL, else in-process):

- :class:`MemoryBroker`: one process (the embedded SQLite default, where the API is one process).
- :class:`PostgresBroker`: PostgreSQL ``LISTEN/NOTIFY`` through psycopg 3. Each process holds one
  listening async connection and fans its notifications out to that process's subscribers, so any
  number of API workers (or the separate outbox worker) share the stream through the database we
  already run, with no Redis.

``publish`` is called from synchronous code (request threads, the outbox worker) and never blocks on
the network: messages go to a queue that one publisher thread drains, so a publish can never sit inside
a transaction or hold a lock. Messages are small JSON objects (NOTIFY payloads must stay under 8,000
bytes); they are hints ("room 12 changed at ts"), the state itself stays in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import threading
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

import psycopg
import structlog
from psycopg import sql
from sqlalchemy.engine import make_url

log = structlog.get_logger(__name__)

Message = dict[str, Any]
#: PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more.
MAX_PAYLOAD_BYTES = 7999
#: Sent to subscribers after the listening connection was lost and restored: messages may have been
#: missed in between, so whoever listens should re-read the state.
RESYNC: Message = {"resync": True}


class Broker(Protocol):
    def publish(self, channel: str, message: Message) -> None:
        """Send ``message`` to every subscriber of ``channel`` in every process; never blocks."""

    def subscribe(self, channel: str) -> AsyncIterator[Message]:
        """Messages published on ``channel`` in this process's event loop, once :meth:`listening`."""

    async def listening(self, channel: str, timeout: float = 5.0) -> bool:
        """Wait until messages on ``channel`` are being received (after :meth:`subscribe`); False on
        timeout. A reader that loads state after this misses no change published after the load."""

    def close(self) -> None:
        """Stop background threads and connections (idempotent; any thread)."""

    async def aclose(self) -> None:
        """:meth:`close`, from the event loop the broker listens on, waiting for the listener to end."""


def encode(message: Message) -> str:
    payload = json.dumps(message, separators=(",", ":"), sort_keys=True)
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"broker messages must stay under {MAX_PAYLOAD_BYTES + 1} bytes (NOTIFY's limit)")
    return payload


class _Fanout:
    """Subscribers of this process: each an asyncio queue bound to the loop it subscribed from."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Message]]]] = defaultdict(list)

    def add(self, channel: str) -> asyncio.Queue[Message]:
        box: asyncio.Queue[Message] = asyncio.Queue()
        with self._lock:
            self._queues[channel].append((asyncio.get_running_loop(), box))
        return box

    def remove(self, channel: str, box: asyncio.Queue[Message]) -> None:
        with self._lock:
            self._queues[channel] = [(lp, q) for lp, q in self._queues[channel] if q is not box]
            if not self._queues[channel]:
                del self._queues[channel]

    def channels(self) -> set[str]:
        with self._lock:
            return set(self._queues)

    def deliver(self, channel: str, message: Message) -> None:
        """Thread-safe: each queue is fed on its own loop."""
        with self._lock:
            targets = list(self._queues.get(channel, ()))
        for loop, box in targets:
            try:
                loop.call_soon_threadsafe(box.put_nowait, message)
            except RuntimeError:  # that loop is closed: its subscriber is gone
                continue

    async def stream(self, channel: str, box: asyncio.Queue[Message]) -> AsyncIterator[Message]:
        try:
            while True:
                yield await box.get()
        finally:
            self.remove(channel, box)


class MemoryBroker:
    """Everything in one process: publish hands the message straight to the local subscribers."""

    def __init__(self) -> None:
        self._fanout = _Fanout()

    def publish(self, channel: str, message: Message) -> None:
        encode(message)  # the same size rule as PostgreSQL, so nothing works here that fails there
        self._fanout.deliver(channel, message)

    def subscribe(self, channel: str) -> AsyncIterator[Message]:
        return self._fanout.stream(channel, self._fanout.add(channel))

    async def listening(self, channel: str, timeout: float = 5.0) -> bool:
        return channel in self._fanout.channels()

    def close(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


def conninfo(database_url: str) -> str:
    """A libpq connection string from the SQLAlchemy URL (``postgresql+psycopg://`` -> ``postgresql://``)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresBroker:
    """LISTEN/NOTIFY: one publisher thread (sync connection) and one listener task per process."""

    def __init__(self, database_url: str, *, reconnect_seconds: float = 1.0, idle_seconds: float = 30.0) -> None:
        self._conninfo = conninfo(database_url)
        self._reconnect = reconnect_seconds
        self._idle = idle_seconds  # the publisher thread and its connection go after this long unused
        self._outbox: queue.SimpleQueue[tuple[str, Message] | None] = queue.SimpleQueue()
        self._fanout = _Fanout()
        self._lock = threading.Lock()
        self._publisher: threading.Thread | None = None
        self._listener: asyncio.Task[None] | None = None
        self._listening: dict[str, asyncio.Event] = {}
        self._closed = threading.Event()

    # ---- publishing ---------------------------------------------------------------------------------

    def publish(self, channel: str, message: Message) -> None:
        encode(message)
        with self._lock:  # the put is under the lock too, so an idle publisher never strands a message
            if self._closed.is_set():
                return
            if self._publisher is None:
                self._publisher = threading.Thread(target=self._publish_loop, name="yc-live-notify", daemon=True)
                self._publisher.start()
            self._outbox.put((channel, message))

    def _next(self) -> tuple[str, Message] | None:
        """The next message; None to stop (closed, or idle with nothing queued)."""
        while True:
            try:
                return self._outbox.get(timeout=self._idle)
            except queue.Empty:
                with self._lock:
                    if self._outbox.empty():
                        self._publisher = None
                        return None

    def _drain(self, first: tuple[str, Message]) -> list[tuple[str, str]]:
        """Everything queued now; messages equal but for their ``ts`` collapse into the earliest one."""
        pending = [first]
        while True:
            try:
                item = self._outbox.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._outbox.put(None)  # keep the stop signal for the loop
                break
            pending.append(item)
        earliest: dict[tuple[str, str], tuple[str, Message]] = {}
        for channel, message in pending:
            key = (channel, encode({k: v for k, v in message.items() if k != "ts"}))
            if key not in earliest or message.get("ts", 0) < earliest[key][1].get("ts", 0):
                earliest[key] = (channel, message)
        return [(channel, encode(message)) for channel, message in earliest.values()]

    def _publish_loop(self) -> None:
        conn: psycopg.Connection[Any] | None = None
        while True:
            item = self._next()
            if item is None:
                break
            batch = self._drain(item)
            for attempt in (1, 2):
                try:
                    if conn is None or conn.closed:
                        conn = psycopg.connect(self._conninfo, autocommit=True)
                    with conn.transaction():  # one commit delivers the whole batch
                        for channel, payload in batch:
                            conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))
                    break
                except psycopg.Error as exc:
                    log.warning("live.notify_failed", attempt=attempt, error=type(exc).__name__)
                    conn = None
                    self._closed.wait(self._reconnect)
        if conn is not None:
            conn.close()

    # ---- listening ----------------------------------------------------------------------------------

    def subscribe(self, channel: str) -> AsyncIterator[Message]:
        box = self._fanout.add(channel)
        self._listening.setdefault(channel, asyncio.Event())
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen_loop(), name="yc-live-listen")
        return self._fanout.stream(channel, box)

    async def listening(self, channel: str, timeout: float = 5.0) -> bool:
        event = self._listening.setdefault(channel, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def _listen_loop(self) -> None:
        first = True
        while not self._closed.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
                    if not first:
                        for channel in self._fanout.channels():
                            self._fanout.deliver(channel, RESYNC)
                    first = False
                    await self._listen(conn)
            except (psycopg.Error, OSError) as exc:
                log.warning("live.listen_failed", error=type(exc).__name__)
                await asyncio.sleep(self._reconnect)

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """LISTEN to every channel someone subscribed to (new ones within a second), then relay."""
        listening: set[str] = set()
        while not self._closed.is_set():
            for channel in self._fanout.channels() - listening:
                await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                listening.add(channel)
                self._listening.setdefault(channel, asyncio.Event()).set()
            async for note in conn.notifies(timeout=1.0):
                try:
                    message = json.loads(note.payload)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    self._fanout.deliver(note.channel, message)

    def close(self) -> None:
        """Send what is queued (a command's last hint must not die with it), then stop."""
        with self._lock:
            self._closed.set()
            self._outbox.put(None)
            publisher = self._publisher
        if publisher is not None and publisher is not threading.current_thread():
            publisher.join(timeout=5)
        task = self._listener
        if task is not None and not task.done():
            with contextlib.suppress(RuntimeError):  # its loop already closed: the task went with it
                task.get_loop().call_soon_threadsafe(task.cancel)

    async def aclose(self) -> None:
        self.close()
        task = self._listener
        if task is not None and task.get_loop() is asyncio.get_running_loop():
            await asyncio.gather(task, return_exceptions=True)


def make_broker(kind: str, database_url: str) -> Broker:
    """``auto``: PostgreSQL LISTEN/NOTIFY on a PostgreSQL database, else in-process."""
    postgres = make_url(database_url).get_backend_name() == "postgresql"
    if kind == "postgres" or (kind == "auto" and postgres):
        if not postgres:
            raise RuntimeError("YC_LIVE_BROKER=postgres needs a PostgreSQL YC_DATABASE_URL")
        return PostgresBroker(database_url)
    return MemoryBroker()
