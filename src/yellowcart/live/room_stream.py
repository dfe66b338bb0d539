"""Room state pushed to viewers over Server-Sent Events, coalesced per room and per process.

Anything that changes a room (a pin, a viewer, a deal sale, an order) publishes a tiny hint on the
broker after its commit: ``{"room": 12, "kind": "deal", "ts": <publish time, epoch ms>}``. Each API
process keeps one :class:`RoomHub` per room that has viewers connected to it. A hint marks the hub
dirty; at most every ``flush_seconds`` (250 ms) the hub reads the room's state from the database once,
diffs it with the state it last sent and sends the changed keys to all its viewers as one pre-encoded
frame. So a burst of 2,000 orders costs each process ~4 state reads a second and each viewer ~4 small
messages a second, whatever the number of viewers or orders. Each frame carries ``ts``: the earliest
publish time of the hints it answers, from which clients (and bench/live.py) measure the delay.

Frames: ``event: snapshot`` (the whole state; first, and after a resync) and ``event: update`` (changed
keys), ``id: <hub epoch>.<seq>`` so a reconnect with ``Last-Event-ID`` to the same process resumes
from its buffer, and anywhere else gets a fresh snapshot; a ``: ping`` comment every 15 s. A viewer
whose socket cannot keep up gets one fresh snapshot instead of an ever longer queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from yellowcart.live import room_rules

log = structlog.get_logger(__name__)

State = dict[str, Any]
PING = b": ping\n\n"


@dataclass(frozen=True, slots=True)
class StreamConfig:
    flush_seconds: float = 0.25
    heartbeat_seconds: float = 15.0
    timeout_seconds: float = 45.0  # a viewer without a heartbeat this long has left
    replay: int = 256  # frames kept per hub for Last-Event-ID
    max_pending: int = 32  # frames queued for one slow viewer before it is resynced instead
    idle_seconds: float = 30.0  # a hub without viewers this long stops

    @property
    def keepalive_seconds(self) -> float:
        """How often a process beats for the sessions streaming from it (three beats per timeout)."""
        return self.timeout_seconds / 3


def now_ms() -> float:
    return time.time() * 1000


def sse(event: str, event_id: str, data: State) -> bytes:
    body = json.dumps(data, separators=(",", ":"))
    return f"event: {event}\nid: {event_id}\ndata: {body}\n\n".encode()


class Viewer:
    """One open stream: its ASGI ``send``, frames waiting while a write is held up, and the session
    it keeps alive (if any)."""

    __slots__ = ("busy", "closed", "frames", "gone", "ready", "resync", "send", "session_key", "user_id")

    def __init__(self, session_key: str | None, user_id: int | None) -> None:
        self.session_key, self.user_id = session_key, user_id
        self.send: Send | None = None
        self.frames: list[bytes] = []
        self.ready = asyncio.Event()  # wakes the stream's own task: to end it
        self.busy = True  # a write is in flight (the first one is the stream's own)
        self.resync = False
        self.closed = False  # no more frames: the room ended, or the viewer went
        self.gone = False  # the client disconnected


class Runtime(Protocol):
    """What a hub needs from its process: reading state and beating for sessions off the event
    loop, and publishing hints."""

    config: StreamConfig

    def compute(self, room_id: int) -> State | None: ...

    def keep_alive(self, room_id: int, users: dict[str, int | None]) -> int: ...

    async def off_loop(self, fn: Callable[..., Any], *args: Any) -> Any: ...

    def changed(self, room_id: int, kind: str) -> None: ...

    def forget(self, hub: RoomHub) -> None: ...


class RoomHub:
    """One room's viewers in this process, its last state and its recent frames."""

    def __init__(self, room_id: int, runtime: Runtime) -> None:
        self.room_id, self.runtime, self.config = room_id, runtime, runtime.config
        self.epoch = secrets.token_hex(4)
        self.seq = 0
        self.state: State | None = None
        self.viewers: set[Viewer] = set()
        self.recent: deque[tuple[int, bytes]] = deque(maxlen=self.config.replay)
        self.dirty_since: float | None = None
        self.wake = asyncio.Event()
        self.ready = asyncio.Event()
        self.joining: set[str] = set()  # sessions that opened a stream and still need their visit
        self._snapshot: bytes | None = None
        self._beating: asyncio.Task[None] | None = None
        self.task: asyncio.Task[None] | None = None

    # ---- viewers --------------------------------------------------------------------------------------

    def poke(self, ts: float | None) -> None:
        """A hint arrived: refresh soon; ``ts`` the earliest publish time not yet answered."""
        if ts is not None and (self.dirty_since is None or ts < self.dirty_since):
            self.dirty_since = ts
        self.wake.set()

    def attach(self, viewer: Viewer, last_event_id: str | None) -> bytes:
        """Register a viewer; its first bytes: the frames after ``last_event_id`` when this hub still
        has them, else a snapshot."""
        self.viewers.add(viewer)
        if viewer.session_key is not None:
            self.joining.add(viewer.session_key)
            self.wake.set()
        replay = self._after(last_event_id)
        body = b"".join(replay) if replay is not None else self.snapshot_frame()
        return b"retry: 3000\n" + (body or b"\n")  # the reconnection delay rides on the first event

    def detach(self, viewer: Viewer) -> None:
        self.viewers.discard(viewer)
        if not self.viewers:
            self.wake.set()  # the loop notices and, after idle_seconds, stops

    def _after(self, last_event_id: str | None) -> list[bytes] | None:
        epoch, _, seq_text = (last_event_id or "").partition(".")
        if epoch != self.epoch or not seq_text.isdigit():
            return None
        seq = int(seq_text)
        if seq == self.seq:
            return []
        if seq > self.seq or not self.recent or self.recent[0][0] > seq + 1:
            return None
        return [frame for s, frame in self.recent if s > seq]

    def snapshot_frame(self) -> bytes:
        if self._snapshot is None:
            state = self.state or {}
            self._snapshot = sse("snapshot", f"{self.epoch}.{self.seq}", {**state, "ts": now_ms()})
        return self._snapshot

    def _broadcast(self, frame: bytes) -> None:
        """Write the frame to every viewer from this task: a write the socket takes at once costs no
        task switch; a viewer whose socket is full queues it (and is resynced past ``max_pending``)."""
        for viewer in self.viewers:
            if not (viewer.busy or viewer.frames or viewer.resync):
                self._write(viewer, frame)
            elif len(viewer.frames) >= self.config.max_pending:
                viewer.frames.clear()
                viewer.resync = True
            else:
                viewer.frames.append(frame)

    def _write(self, viewer: Viewer, data: bytes) -> None:
        """Run the viewer's ASGI ``send`` until it would wait (its socket's buffer is full); only then
        hand the rest to a task. Nearly every write completes here, without a task per viewer."""
        if viewer.send is None or viewer.gone:
            return
        step = viewer.send({"type": "http.response.body", "body": data, "more_body": True})
        try:
            waiting = step.send(None)  # type: ignore[attr-defined]
        except StopIteration:
            return
        except Exception:  # the connection is unusable: the stream ends
            viewer.gone = viewer.closed = True
            viewer.ready.set()
            return
        viewer.busy = True
        asyncio.get_running_loop().create_task(self._finish_write(viewer, step, waiting))

    async def _finish_write(self, viewer: Viewer, step: Any, waiting: Any) -> None:
        try:
            while True:
                await (waiting if waiting is not None else asyncio.sleep(0))
                try:
                    waiting = step.send(None)
                except StopIteration:
                    break
        except Exception:
            step.close()
            viewer.gone = viewer.closed = True
        finally:
            viewer.busy = False
            viewer.ready.set()
        self._flush(viewer)

    def _flush(self, viewer: Viewer) -> None:
        """What queued while a write was held up, in one write (a fresh snapshot after an overflow)."""
        if viewer.busy or viewer.gone:
            return
        if viewer.resync:
            viewer.resync, viewer.frames = False, []
            self._write(viewer, self.snapshot_frame())
        elif viewer.frames:
            data, viewer.frames = b"".join(viewer.frames), []
            self._write(viewer, data)

    def _close_all(self) -> None:
        for viewer in self.viewers:
            viewer.closed = True
            viewer.ready.set()

    # ---- the loop -------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.refresh(None)
        self.ready.set()
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"yc-live-room-{self.room_id}")

    def stop(self) -> None:
        self._close_all()
        for task in (self.task, self._beating):
            if task is not None:
                task.cancel()

    async def refresh(self, ts: float | None) -> None:
        """Read the state once and send what changed (nothing when nothing did)."""
        state = await self.runtime.off_loop(self.runtime.compute, self.room_id)
        if state is None:  # removed, or no longer public: nothing more to show
            self.state = None
            self._close_all()
            return
        change = room_rules.delta(self.state, state)
        first = self.state is None
        self.state, self._snapshot = state, None
        if first or not change:
            return
        self.seq += 1
        payload = {**change, "server_time": state["server_time"], "ts": ts if ts is not None else now_ms()}
        frame = sse("update", f"{self.epoch}.{self.seq}", payload)
        self.recent.append((self.seq, frame))
        self._broadcast(frame)
        if state.get("live_state") == "ended":
            self._close_all()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last_flush = next_beat = next_keepalive = idle_since = loop.time()
        next_beat += self.config.heartbeat_seconds
        next_keepalive += self.config.keepalive_seconds
        while True:
            wait = max(0.0, min(next_beat, next_keepalive) - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), wait)
            now = loop.time()
            if not self.viewers:
                if now - idle_since >= self.config.idle_seconds:
                    self.runtime.forget(self)
                    return
                self.wake.clear()
                await asyncio.sleep(min(self.config.idle_seconds, 1.0))
                continue
            idle_since = now
            try:
                if self.wake.is_set():
                    await asyncio.sleep(max(0.0, last_flush + self.config.flush_seconds - now))
                    self.wake.clear()
                    ts, self.dirty_since = self.dirty_since, None
                    if self.joining:
                        self._beat(set(self.joining))
                    await self.refresh(ts)
                    last_flush = loop.time()
                if now >= next_keepalive:
                    next_keepalive = now + self.config.keepalive_seconds
                    self._beat({v.session_key for v in self.viewers if v.session_key})
                if now >= next_beat:  # also re-reads the state: a hint lost on the way is healed here
                    next_beat = now + self.config.heartbeat_seconds
                    self._broadcast(PING)
                    await self.refresh(None)
            except Exception as exc:  # the database blinked: keep serving, the next round retries
                log.warning("live.hub_refresh_failed", room_id=self.room_id, error=type(exc).__name__)
                await asyncio.sleep(self.config.flush_seconds)

    def _beat(self, keys: set[str]) -> None:
        """Beat for ``keys`` in the background, so thousands of sessions' heartbeats never hold up an
        update; one beat at a time (keys that arrive meanwhile wait for the next)."""
        if self._beating is not None and not self._beating.done():
            return
        self.joining -= keys
        if keys and (self.state or {}).get("live_state") == "live":
            self._beating = asyncio.get_running_loop().create_task(self._keep_alive(keys))

    async def _keep_alive(self, keys: set[str]) -> None:
        """Beat for the sessions streaming here (and start visits for new ones)."""
        users = {v.session_key: v.user_id for v in self.viewers if v.session_key in keys}
        try:
            if await self.runtime.off_loop(self.runtime.keep_alive, self.room_id, users):
                self.runtime.changed(self.room_id, "viewers")
        except Exception as exc:  # the next beat retries; the timeout is three beats long
            log.warning("live.hub_beat_failed", room_id=self.room_id, error=type(exc).__name__)

    # ---- one viewer's stream --------------------------------------------------------------------------

    async def serve(self, viewer: Viewer, first: bytes, send: Send, receive: Receive) -> None:
        """One stream: its first bytes, then the hub writes to it (see :meth:`_broadcast`) while this
        task only waits for the end: the room's, or the client's."""
        loop = asyncio.get_running_loop()
        watcher = loop.create_task(self._until_disconnect(viewer, receive))
        try:
            await send({"type": "http.response.body", "body": first, "more_body": True})
            viewer.send, viewer.busy = send, False
            self._flush(viewer)
            while not viewer.gone and (viewer.busy or viewer.frames or not viewer.closed):
                await viewer.ready.wait()
                viewer.ready.clear()
            if not viewer.gone:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # the socket went away mid-write
            pass
        finally:
            watcher.cancel()
            self.detach(viewer)

    @staticmethod
    async def _until_disconnect(viewer: Viewer, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            continue
        viewer.gone = viewer.closed = True
        viewer.ready.set()


class EventStream(Response):
    """``text/event-stream`` served by a hub (see :meth:`RoomHub.serve`)."""

    media_type = "text/event-stream"

    def __init__(self, hub: RoomHub, viewer: Viewer, first: bytes) -> None:
        self.status_code, self.background = 200, None
        self.init_headers({"Cache-Control": "no-store", "X-Accel-Buffering": "no"})  # no body: no Content-Length
        self.hub, self.viewer, self.first = hub, viewer, first

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        await self.hub.serve(self.viewer, self.first, send, receive)
