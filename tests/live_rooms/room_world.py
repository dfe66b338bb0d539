"""Helpers for the live room tests: a room on air with anchored listings, and an SSE reader."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from support import ADDRESS, LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.events import dispatch_pending


def product_id(market: Market, sku: str) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(Variant.product_id).where(Variant.sku == sku)) or 0)


@dataclass
class Room:
    id: int
    host: str
    products: list[int]
    skus: list[str]


def room_on_air(
    server: LiveServer, market: Market, *, products: int = 2, live: bool = True, host: str = "host"
) -> Room:
    """A seller's room tagging ``products`` of its own listings, on air unless ``live`` is False."""
    seller = market.seller(f"{host}-shop")
    skus = [market.product(seller, price_cents=1000 * (i + 1)) for i in range(products)]
    pids = [product_id(market, sku) for sku in skus]
    token = market.user(host, Role.SELLER, seller_id=seller)
    with server.client(token) as c:
        r = c.post("/v1/content", json={"kind": "live", "title": "Friday drop", "product_ids": pids})
        assert r.status_code == 201, r.text
        rid = int(r.json()["id"])
        if live:
            assert c.patch(f"/v1/content/{rid}", json={"live_state": "live"}).status_code == 200
    return Room(rid, token, pids, skus)


def drain(server: LiveServer) -> None:
    """What the outbox worker does by itself (parked in these tests)."""
    while dispatch_pending(server.container.db, server.container.bus):
        pass


@dataclass
class Sse:
    """Reads a text/event-stream response event by event and keeps the merged state."""

    response: httpx.Response
    state: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    pings: int = 0
    _lines: Iterator[str] | None = None

    def next(self) -> dict[str, Any]:
        """The next event (or ping: ``{"comment": "ping"}``)."""
        if self._lines is None:
            self._lines = self.response.iter_lines()
        event: dict[str, Any] = {}
        for line in self._lines:
            if line == "":
                if event:
                    break
                continue
            if line.startswith(":"):  # a comment: the keep-alive ping, an event of its own here
                self.pings += 1
                event["comment"] = line[1:].strip()
                continue
            name, _, value = line.partition(":")
            event[name] = value[1:] if value.startswith(" ") else value
        else:
            raise EOFError("the stream ended")
        if "data" in event:
            event["data"] = json.loads(event["data"])
            if event.get("event") == "snapshot":
                self.state = dict(event["data"])
            else:
                self.state.update(event["data"])
        self.events.append(event)
        return event

    def until(self, check: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
        """Read until the merged state passes ``check``; the stream's own pings bound each read."""
        deadline = time.monotonic() + timeout
        while not (self.state and check(self.state)):
            if time.monotonic() > deadline:
                raise AssertionError(f"state never matched; last: {self.state}")
            self.next()
        return self.state


def sse_client(server: LiveServer, token: str | None = None) -> httpx.Client:
    """A client whose reads give up after 10 s: a stream that stops sending fails the test, not hangs it."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=10)


def start_deal(server: LiveServer, room: Room, *, quantity: int, price_cents: int, index: int = 0) -> int:
    """The host's deal on the room's ``index``-th listing, started now (through the deals' API)."""
    body = {"sku": room.skus[index], "price_cents": price_cents, "quantity": quantity, "duration_seconds": 600}
    with server.client(room.host) as c:
        made = c.post(f"/v1/live-rooms/{room.id}/deals", json=body)
        assert made.status_code == 201, made.text
        started = c.post(f"/v1/live-rooms/{room.id}/deals/{made.json()['id']}/start")
        assert started.status_code == 200, started.text
    return int(made.json()["id"])


def buy_deal(server: LiveServer, token: str, room: Room, deal_id: int, *, quantity: int = 1) -> httpx.Response:
    item = {"sku": room.skus[0], "quantity": quantity, "deal_id": deal_id, "room_id": room.id}
    body = {"items": [item], "shipping_address": ADDRESS, "payment_method": "tok_visa"}
    with server.client(token) as c:
        return c.post("/v1/checkout", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
