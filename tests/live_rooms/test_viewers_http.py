"""Viewer endpoints through real HTTP: join (server-made or client-kept session), heartbeat, leave,
the counts every caller sees, who may touch a session; an open stream is a heartbeat, a silent tab
times out."""

from __future__ import annotations

import secrets
import time

from live_rooms.room_world import Sse, room_on_air, sse_client
from support import LiveServer, Market
from yellowcart.auth.models import Role


def _viewers(server: LiveServer, room_id: int) -> int:
    with server.client() as c:
        r = c.get(f"/v1/live-rooms/{room_id}")
        assert r.status_code == 200, r.text
        return int(r.json()["viewers"])


def test_join_heartbeat_leave(server: LiveServer, market: Market) -> None:
    room = room_on_air(server, market)
    with server.client() as anon:
        made = anon.post(f"/v1/live-rooms/{room.id}/viewers")
        assert made.status_code == 201, made.text
        first = made.json()
        assert first["viewers"] == 1 and first["timeout_seconds"] == 3 and first["heartbeat_seconds"] >= 1
        mine = secrets.token_urlsafe(16)
        assert anon.put(f"/v1/live-rooms/{room.id}/viewers/{mine}").json()["viewers"] == 2
        assert anon.put(f"/v1/live-rooms/{room.id}/viewers/{mine}").json()["viewers"] == 2  # heartbeat
        assert anon.delete(f"/v1/live-rooms/{room.id}/viewers/{first['session']}").status_code == 204
        assert anon.delete(f"/v1/live-rooms/{room.id}/viewers/{first['session']}").status_code == 204  # idempotent
    assert _viewers(server, room.id) == 1


def test_bad_sessions_foreign_sessions_and_rooms_off_air(server: LiveServer, market: Market) -> None:
    room = room_on_air(server, market)
    ann, bob = market.user("ann", Role.SHOPPER), market.user("bob", Role.SHOPPER)
    key = secrets.token_urlsafe(16)
    with server.client() as anon:
        bad = anon.put(f"/v1/live-rooms/{room.id}/viewers/not%20a%20key")
        assert bad.status_code == 422 and bad.json()["field"] == "session"
        assert anon.put(f"/v1/live-rooms/999999/viewers/{key}").status_code == 404
    with server.client(ann) as c:
        assert c.put(f"/v1/live-rooms/{room.id}/viewers/{key}").status_code == 200
    with server.client(bob) as c:
        stolen = c.put(f"/v1/live-rooms/{room.id}/viewers/{key}")
        assert stolen.status_code == 403 and stolen.headers["content-type"].startswith("application/problem+json")
        assert c.delete(f"/v1/live-rooms/{room.id}/viewers/{key}").status_code == 403
    assert _viewers(server, room.id) == 1
    scheduled = room_on_air(server, market, live=False, host="later")
    with server.client(scheduled.host) as c:
        c.patch(f"/v1/content/{scheduled.id}", json={"status": "published"})  # announced, not on air yet
    with server.client() as anon:
        early = anon.put(f"/v1/live-rooms/{scheduled.id}/viewers/{key}")
        assert early.status_code == 409 and early.json()["code"] == "conflict"


def test_an_open_stream_keeps_its_viewer_a_silent_tab_times_out(server: LiveServer, market: Market) -> None:
    room = room_on_air(server, market)
    silent = secrets.token_urlsafe(16)
    with server.client() as anon:
        anon.put(f"/v1/live-rooms/{room.id}/viewers/{silent}")
    streaming = secrets.token_urlsafe(16)
    with (
        sse_client(server) as c,
        c.stream("GET", f"/v1/live-rooms/{room.id}/stream", params={"session": streaming}) as r,
    ):
        sse = Sse(r)
        sse.until(lambda s: s["viewers"] == 2)
        time.sleep(4.5)  # past the 3 s timeout: only the stream kept beating
        assert _viewers(server, room.id) == 1
        server.container.live.sweep()  # the worker's periodic job: the silent visit is closed and pushed
        sse.until(lambda s: s["viewers"] == 1)
