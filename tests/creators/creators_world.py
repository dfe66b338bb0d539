"""Helpers for the creators tests: a shop, creators in the programme with videos tagging its listings,
shoppers' touches (through the events API, or written at exact instants for window edges), checkout over
HTTP, delivery by signed carrier scans, completion by an operator, and reads of what the ledger holds."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from returns.returns_world import deliver
from shipping.shipping_world import buy, drain
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.creators.models import Attribution
from yellowcart.db import utcnow
from yellowcart.interactions.models import EventType, InteractionEvent
from yellowcart.ledger.models import LedgerPosting
from yellowcart.orders.models import Order


@dataclass
class World:
    server: LiveServer
    market: Market
    seller_id: int
    tokens: dict[str, str]
    ids: dict[str, int]

    def client(self, who: str | None = None) -> Any:
        return self.server.client(self.tokens[who] if who else None)


def make_world(server: LiveServer, market: Market) -> World:
    acme = market.seller("acme")
    tokens = {
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "stranger": market.user("zed-staff", Role.SELLER, market.seller("zed")),
        "cara": market.user("cara", Role.CREATOR),
        "dev": market.user("dev", Role.CREATOR),
        "ada": market.user("ada", Role.SHOPPER),
        "bob": market.user("bob", Role.SHOPPER),
        "ops": market.user("ops", Role.OPERATOR),
    }
    return World(server, market, acme, tokens, dict(market.users))


def listing(w: World, *, price_cents: int = 2500, stock: int = 20, **kwargs: Any) -> tuple[str, int]:
    sku = w.market.product(w.seller_id, price_cents=price_cents, stock=stock, **kwargs)
    with w.market.db.transaction() as s:
        return sku, int(s.scalar(select(Variant.product_id).where(Variant.sku == sku)) or 0)


def join(w: World, creator: str) -> None:
    with w.client(creator) as c:
        r = c.post(f"/v1/creators/{w.ids[creator]}/membership", json={"accept_terms": True})
        assert r.status_code in (200, 201), r.text


def offer(w: World, product_id: int, rate_bps: int, creator: str | None = None) -> None:
    """The seller offers an open rate, or a targeted one to ``creator``."""
    path = f"/v1/products/{product_id}/creator-rates/" + (f"creators/{w.ids[creator]}" if creator else "open")
    with w.client("seller") as c:
        r = c.put(path, json={"rate_bps": rate_bps})
        assert r.status_code == 200, r.text


def video(w: World, creator: str, *product_ids: int) -> int:
    """The creator showcases the listings and publishes a video tagging them."""
    with w.client(creator) as c:
        for pid in product_ids:
            r = c.post(f"/v1/creators/{w.ids[creator]}/showcase", json={"product_id": pid})
            assert r.status_code in (200, 201), r.text
        body = {"title": f"{creator} picks", "duration_s": 30, "product_ids": list(product_ids), "status": "published"}
        r = c.post("/v1/content", json=body)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


def touch(w: World, shopper: str, content_id: int, product_id: int, kind: str = "view") -> None:
    """A touch the shopper's app reports now, through the events API."""
    event = {
        "client_event_id": uuid.uuid4().hex,
        "type": kind,
        "occurred_at": utcnow().isoformat(),
        "content_id": content_id,
        "product_id": product_id,
    }
    if kind == "view":
        event["watch_ms"] = 12_000
    with w.client(shopper) as c:
        assert c.post("/v1/events", json={"events": [event]}).json()["accepted"] == 1


def touch_at(w: World, shopper: str, content_id: int, product_id: int, at: dt.datetime, kind: str = "view") -> None:
    """A touch at an exact instant (window edges; the API refuses client clocks over 7 days old)."""
    with w.market.db.transaction() as s:
        s.add(
            InteractionEvent(
                user_id=w.ids[shopper], client_event_id=uuid.uuid4().hex, type=EventType(kind), content_id=content_id,
                product_id=product_id, watch_ms=1000 if kind == "view" else None, occurred_at=at,
            )
        )  # fmt: skip


def checkout(w: World, shopper: str, items: list[tuple[str, int]]) -> dict[str, Any]:
    """Buy (the order is paid); the outbox is left for the test to drain (attribution runs then)."""
    order: dict[str, Any] = buy(w.server, w.tokens[shopper], items)["orders"][0]
    return order


def placed_at(w: World, order_id: int) -> dt.datetime:
    with w.market.db.transaction() as s:
        order = s.get(Order, order_id)
        assert order is not None
        return order.placed_at


def ship_and_deliver(w: World, order_id: int) -> None:
    """The seller ships with a platform label; the carrier delivers (signed scans)."""
    drain(w.server)  # order.paid: attribution, allocation
    with w.client("seller") as c:
        shipments = [s for s in c.get("/v1/shipments", params={"status": "allocated"}).json()["items"]]
        for shipment in [s for s in shipments if s["order_id"] == order_id]:
            assert c.post(f"/v1/shipments/{shipment['id']}/label").status_code == 200
            assert c.post(f"/v1/shipments/{shipment['id']}/ship", json={}).status_code == 200
    deliver(w.server, w.market, order_id, utcnow() - dt.timedelta(hours=1))
    drain(w.server)


def complete(w: World, order_id: int) -> None:
    with w.client("ops") as c:
        r = c.post(f"/v1/orders/{order_id}/transitions", json={"to": "COMPLETED", "reason": "return window"})
        assert r.status_code == 200, r.text
    drain(w.server)


def attributions(w: World) -> list[Attribution]:
    with w.market.db.transaction() as s:
        rows = list(s.scalars(select(Attribution).order_by(Attribution.id)))
        s.expunge_all()
        return rows


def creator_payable(w: World, creator: str) -> int:
    """What the ledger owes the creator, summed in plain SQL terms (minus its payable's postings)."""
    with w.market.db.transaction() as s:
        total = s.scalar(
            select(func.coalesce(func.sum(LedgerPosting.amount_cents), 0)).where(
                LedgerPosting.creator_id == w.ids[creator], LedgerPosting.account == "creator_payable"
            )
        )
        return -int(total or 0)
