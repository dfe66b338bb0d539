"""Live rooms in one process: the broker, the hubs of rooms watched here, hints after commit, and the
viewer timeout sweep. One instance per container (bootstrap wires it)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.orm import Session

from yellowcart.db import Database, utcnow
from yellowcart.errors import NotFound
from yellowcart.live import rooms
from yellowcart.live.realtime import Broker, MemoryBroker, make_broker
from yellowcart.live.room_stream import RoomHub, State, StreamConfig, now_ms
from yellowcart.settings import Settings

log = structlog.get_logger(__name__)

#: The one broker channel: every message is ``{"room": id, "kind": ..., "ts": epoch ms}``.
CHANNEL = "yc_live_rooms"
_PENDING = "yc_live_rooms_changed"


class LiveRooms:
    """Per process: publishes hints, and serves each watched room from one :class:`RoomHub`."""

    def __init__(self, db: Database | None, broker: Broker, config: StreamConfig | None = None) -> None:
        self.db, self.broker = db, broker
        self.config = config or StreamConfig()
        self.hubs: dict[int, RoomHub] = {}
        self._starting: dict[int, asyncio.Future[RoomHub]] = {}
        self._listener: asyncio.Task[None] | None = None
        # State reads and heartbeats run here, not in the request thread pool: a checkout burst that
        # fills the pool must not delay what viewers see.
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="yc-live")
        self._pending_key = f"{_PENDING}:{id(self)}"  # per instance: several may watch one session
        self._undo: list[Callable[[], None]] = []

    @classmethod
    def create(cls, settings: Settings, db: Database) -> LiveRooms:
        config = StreamConfig(
            flush_seconds=settings.live_flush_ms / 1000,
            heartbeat_seconds=settings.live_heartbeat_seconds,
            timeout_seconds=settings.live_viewer_timeout_seconds,
        )
        return cls(db, make_broker(settings.live_broker, settings.database_url), config)

    @classmethod
    def detached(cls) -> LiveRooms:
        """No database: publishing works (to nobody), streaming does not. For containers built by hand."""
        return cls(None, MemoryBroker())

    # ---- hints --------------------------------------------------------------------------------------

    def changed(self, room_id: int, kind: str) -> None:
        """Tell every process the room changed; call after the change committed."""
        try:
            self.broker.publish(CHANNEL, {"room": room_id, "kind": kind, "ts": round(now_ms(), 1)})
        except Exception as exc:  # a hint is best effort: viewers heal at the next heartbeat
            log.warning("live.publish_failed", room_id=room_id, error=type(exc).__name__)

    def changed_after_commit(self, session: Session, room_id: int, kind: str) -> None:
        """Publish once the caller's transaction commits (nothing if it rolls back)."""
        pending: dict[int, str] | None = session.info.get(self._pending_key)
        if pending is None:
            pending = session.info[self._pending_key] = {}
            event.listen(session, "after_commit", self._publish_pending, once=True)
            event.listen(session, "after_rollback", self._drop_pending, once=True)
        pending.setdefault(room_id, kind)

    def _publish_pending(self, session: Session) -> None:
        for room_id, kind in session.info.pop(self._pending_key, {}).items():
            self.changed(room_id, kind)

    def _drop_pending(self, session: Session) -> None:
        session.info.pop(self._pending_key, None)

    def on_close(self, undo: Callable[[], None]) -> None:
        """Run ``undo`` when this instance closes (e.g. remove an event listener it installed)."""
        self._undo.append(undo)

    # ---- what hubs need -----------------------------------------------------------------------------

    def _database(self) -> Database:
        if self.db is None:
            raise RuntimeError("this LiveRooms has no database")
        return self.db

    def compute(self, room_id: int) -> State | None:
        with self._database().transaction() as session:
            try:
                room = rooms.live_room(session, principal=None, room_id=room_id)
            except NotFound:
                return None
            state = rooms.room_state(session, room=room, now=utcnow(), timeout_s=self.config.timeout_seconds)
        return state.model_dump(mode="json")

    def keep_alive(self, room_id: int, users: dict[str, int | None]) -> int:
        with self._database().transaction() as session:
            return rooms.keep_alive(session, room_id=room_id, viewers=users, now=utcnow())

    async def off_loop(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def forget(self, hub: RoomHub) -> None:
        if self.hubs.get(hub.room_id) is hub:
            del self.hubs[hub.room_id]
        hub.stop()

    # ---- hubs ---------------------------------------------------------------------------------------

    async def hub(self, room_id: int) -> RoomHub:
        """The room's hub in this process, started (state loaded) on first use."""
        found = self.hubs.get(room_id)
        if found is not None and found.ready.is_set():
            return found
        starting = self._starting.get(room_id)
        if starting is not None:
            return await asyncio.shield(starting)
        future: asyncio.Future[RoomHub] = asyncio.get_running_loop().create_future()
        self._starting[room_id] = future
        try:
            await self._listen()
            hub = RoomHub(room_id, self)
            self.hubs[room_id] = hub  # hints reach it from now on, before its first read
            await hub.start()
            future.set_result(hub)
            return hub
        except BaseException as exc:
            self.hubs.pop(room_id, None)
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            self._starting.pop(room_id, None)

    async def _listen(self) -> None:
        if self._listener is None or self._listener.done():
            messages = self.broker.subscribe(CHANNEL)
            self._listener = asyncio.get_running_loop().create_task(self._relay(messages), name="yc-live-relay")
        if not await self.broker.listening(CHANNEL):
            log.warning("live.listen_slow", channel=CHANNEL)

    async def _relay(self, messages: Any) -> None:
        async for message in messages:
            if message.get("resync"):
                for hub in list(self.hubs.values()):
                    hub.poke(None)
                continue
            target = self.hubs.get(message.get("room", 0))
            if target is not None:
                ts = message.get("ts")
                target.poke(float(ts) if isinstance(ts, int | float) else None)

    def sweep(self) -> set[int]:
        """Periodic: close visits whose heartbeats stopped, and tell their rooms."""
        with self._database().transaction() as session:
            gone = rooms.close_stale(session, now=utcnow(), timeout_s=self.config.timeout_seconds)
        for room_id in gone:
            self.changed(room_id, "viewers")
        return gone

    async def aclose(self) -> None:
        """At shutdown, in the loop that served the streams: stop the hubs, the relay and the broker."""
        tasks = [t for t in (self._listener, *(h.task for h in self.hubs.values())) if t is not None]
        for hub in list(self.hubs.values()):
            hub.stop()
        if self._listener is not None:
            self._listener.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.hubs.clear()
        await self.broker.aclose()
        self._shutdown()

    def close(self) -> None:
        """Outside any event loop (commands): send what is queued, stop the broker and the executor."""
        self.broker.close()
        self._shutdown()

    def _shutdown(self) -> None:
        self._executor.shutdown(wait=False)
        while self._undo:
            self._undo.pop()()
