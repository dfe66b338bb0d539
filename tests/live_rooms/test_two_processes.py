"""Two API processes sharing a room through PostgreSQL LISTEN/NOTIFY: the test's server and a second
uvicorn *process* on the same database. A pin made through one reaches a viewer streaming from the
other; a viewer joining on the other is counted by both."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from live_rooms.room_world import Sse, room_on_air
from support import LiveServer, Market


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def other_process(backend: str, server: LiveServer) -> Iterator[str]:
    if backend != "postgres":
        pytest.skip("several processes share live rooms through PostgreSQL (SQLite runs one process)")
    port = _free_port()
    env = {
        **os.environ,
        "YC_DATABASE_URL": server.container.db.url,
        "YC_INLINE_WORKER": "false",
        "YC_FEED_WARMUP": "false",
        "YC_LOG_LEVEL": "WARNING",
        "YC_LIVE_FLUSH_MS": "100",
        "YC_LIVE_HEARTBEAT_SECONDS": "60",  # so only a NOTIFY can bring the pin within the read timeout
    }
    cmd = [sys.executable, "-m", "uvicorn", "yellowcart.asgi:app", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the second API process did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_a_change_in_one_process_reaches_viewers_of_another(
    server: LiveServer, market: Market, other_process: str
) -> None:
    room = room_on_air(server, market, products=2)
    session = secrets.token_urlsafe(16)
    with (
        httpx.Client(base_url=other_process, timeout=10) as far,
        far.stream("GET", f"/v1/live-rooms/{room.id}/stream", params={"session": session}) as response,
        httpx.Client(base_url=server.base_url, timeout=10) as near,
        near.stream("GET", f"/v1/live-rooms/{room.id}/stream") as near_response,
    ):
        assert response.status_code == 200
        viewer, local = Sse(response), Sse(near_response)
        assert viewer.next()["event"] == "snapshot" and local.next()["event"] == "snapshot"
        # joined on the other process: this process's viewers are told too (NOTIFY, then a database read)
        local.until(lambda s: s["viewers"] == 1)
        with server.client(room.host) as host:  # the pin goes through this process...
            assert host.patch(f"/v1/content/{room.id}", json={"pinned_product_id": room.products[0]}).status_code == 200
        viewer.until(lambda s: s["pinned_product_id"] == room.products[0])  # ...and reaches the other's viewer
        assert viewer.events[-1]["event"] == "update"
    with server.client() as c:
        assert c.get(f"/v1/live-rooms/{room.id}").json()["pinned_product_id"] == room.products[0]
