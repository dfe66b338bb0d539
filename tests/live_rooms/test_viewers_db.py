"""Viewer sessions against the real databases: join is idempotent per session, heartbeats keep a
viewer counted, the timeout drops one whose tab closed (and the sweep closes its visit at its last
heartbeat), sessions of signed-in viewers stay theirs, the end of a room ends every visit."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from support import Market
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.content.models import Content, ContentKind, ContentStatus, LiveState
from yellowcart.db import Database
from yellowcart.errors import Conflict, Forbidden
from yellowcart.live import rooms
from yellowcart.live.room_models import RoomRun, RoomVisit

T0 = dt.datetime(2030, 5, 3, 18, 0, tzinfo=dt.UTC)
TIMEOUT = 45.0
A, B = "session-aaaaaaaaaaaa", "session-bbbbbbbbbbbb"


def _room(db: Database, market: Market, state: LiveState = LiveState.LIVE) -> int:
    market.user("host", Role.CREATOR)
    with db.transaction() as s:
        room = Content(
            kind=ContentKind.LIVE,
            owner_user_id=market.users["host"],
            title="Room",
            status=ContentStatus.PUBLISHED,
            live_state=state,
        )
        s.add(room)
        s.flush()
        return room.id


def _join(db: Database, room_id: int, key: str, at: dt.datetime, who: Principal | None = None) -> bool:
    with db.transaction() as s:
        room = s.get(Content, room_id)
        assert room is not None
        return rooms.join(s, principal=who, room=room, key=key, now=at, timeout_s=TIMEOUT)


def _count(db: Database, room_id: int, at: dt.datetime) -> int:
    with db.transaction() as s:
        return rooms.viewers_now(s, room_id=room_id, now=at, timeout_s=TIMEOUT)


def _visits(db: Database, room_id: int) -> list[RoomVisit]:
    with db.transaction() as s:
        return list(s.scalars(select(RoomVisit).where(RoomVisit.content_id == room_id).order_by(RoomVisit.id)))


def test_join_is_idempotent_and_leave_ends_the_visit(db: Database, market: Market) -> None:
    room = _room(db, market)
    assert _join(db, room, A, T0) is True
    assert _join(db, room, A, T0 + dt.timedelta(seconds=10)) is False  # a heartbeat, not a second viewer
    assert _join(db, room, B, T0 + dt.timedelta(seconds=11)) is True
    assert _count(db, room, T0 + dt.timedelta(seconds=12)) == 2
    with db.transaction() as s:
        assert rooms.leave(s, principal=None, room_id=room, key=A, now=T0 + dt.timedelta(seconds=20)) is True
    with db.transaction() as s:
        assert rooms.leave(s, principal=None, room_id=room, key=A, now=T0 + dt.timedelta(seconds=21)) is False
    assert _count(db, room, T0 + dt.timedelta(seconds=22)) == 1
    a = _visits(db, room)[0]
    assert (a.session_key, a.joined_at, a.last_seen_at, a.left_at) == (A, T0, T0 + dt.timedelta(seconds=20), a.left_at)
    assert a.left_at == T0 + dt.timedelta(seconds=20)


def test_timeout_sweep_and_rejoin(db: Database, market: Market) -> None:
    room = _room(db, market)
    _join(db, room, A, T0)
    _join(db, room, A, T0 + dt.timedelta(seconds=30))  # heartbeat
    assert _count(db, room, T0 + dt.timedelta(seconds=30 + TIMEOUT)) == 1  # exactly at the timeout: still there
    later = T0 + dt.timedelta(seconds=31 + TIMEOUT)
    assert _count(db, room, later) == 0  # the tab closed: no heartbeat for longer than the timeout
    with db.transaction() as s:
        assert rooms.close_stale(s, now=later, timeout_s=TIMEOUT) == {room}
    with db.transaction() as s:
        assert rooms.close_stale(s, now=later, timeout_s=TIMEOUT) == set()  # once
    (visit,) = _visits(db, room)
    assert visit.left_at == T0 + dt.timedelta(seconds=30)  # left at its last heartbeat, not at the sweep
    assert _join(db, room, A, later) is True  # coming back is a new visit
    assert [v.left_at is None for v in _visits(db, room)] == [False, True]


def test_a_stale_open_visit_is_closed_when_its_session_returns(db: Database, market: Market) -> None:
    room = _room(db, market)
    _join(db, room, A, T0)
    back = T0 + dt.timedelta(seconds=TIMEOUT + 60)  # before any sweep ran
    assert _join(db, room, A, back) is True
    first, second = _visits(db, room)
    assert first.left_at == T0 and second.joined_at == back and _count(db, room, back) == 1


def test_signed_in_sessions_stay_theirs(db: Database, market: Market) -> None:
    room = _room(db, market)
    market.user("ann", Role.SHOPPER)
    market.user("bob", Role.SHOPPER)
    ann = Principal(market.users["ann"], Role.SHOPPER)
    bob = Principal(market.users["bob"], Role.SHOPPER)
    _join(db, room, A, T0, ann)
    for other in (bob, None):
        with pytest.raises(Forbidden):
            _join(db, room, A, T0 + dt.timedelta(seconds=1), other)
        with pytest.raises(Forbidden), db.transaction() as s:
            rooms.leave(s, principal=other, room_id=room, key=A, now=T0 + dt.timedelta(seconds=2))
    assert _count(db, room, T0 + dt.timedelta(seconds=3)) == 1
    assert _visits(db, room)[0].last_seen_at == T0  # nothing changed


def test_only_rooms_on_air_take_viewers(db: Database, market: Market) -> None:
    room = _room(db, market, LiveState.SCHEDULED)
    with pytest.raises(Conflict):
        _join(db, room, A, T0)
    assert _visits(db, room) == []


def test_keep_alive_beats_and_starts_visits_for_streams(db: Database, market: Market) -> None:
    room = _room(db, market)
    _join(db, room, A, T0)
    with db.transaction() as s:
        started = rooms.keep_alive(s, room_id=room, viewers={A: None, B: None}, now=T0 + dt.timedelta(seconds=40))
    assert started == 1
    by_key = {v.session_key: v for v in _visits(db, room)}
    assert by_key[A].last_seen_at == T0 + dt.timedelta(seconds=40) and by_key[B].joined_at == by_key[A].last_seen_at
    assert _count(db, room, T0 + dt.timedelta(seconds=40 + TIMEOUT)) == 2


def test_the_end_of_the_room_ends_every_visit_and_its_run(db: Database, market: Market) -> None:
    room = _room(db, market)
    with db.transaction() as s:
        rooms.record_live_change(s, room_id=room, live_state="live", at=T0)
        rooms.record_live_change(s, room_id=room, live_state="live", at=T0 + dt.timedelta(minutes=1))  # replayed
    _join(db, room, A, T0 + dt.timedelta(minutes=2))
    _join(db, room, B, T0 + dt.timedelta(minutes=3))
    end = T0 + dt.timedelta(minutes=9)
    for _ in range(2):  # the event delivered twice changes nothing more
        with db.transaction() as s:
            rooms.record_live_change(s, room_id=room, live_state="ended", at=end)
    with db.transaction() as s:
        run = s.get(RoomRun, room)
        assert run is not None and (run.started_at, run.ended_at) == (T0, end)
    assert [v.left_at for v in _visits(db, room)] == [end, end]


def test_concurrent_joins_of_one_session_count_once(db: Database, market: Market) -> None:
    room = _room(db, market)
    barrier = threading.Barrier(8)
    results: list[bool] = []
    errors: list[BaseException] = []

    def join() -> None:
        try:
            barrier.wait()
            results.append(_join(db, room, A, T0))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=join) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [False] * 7 + [True]
    assert len(_visits(db, room)) == 1 and _count(db, room, T0) == 1
