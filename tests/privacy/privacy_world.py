"""A shopper with a history to export and erase, built over real HTTP: a signed-up account, a delivered
full-custody order returned and refunded, a conversation about it, a second order cancelled with a
typed reason, a cart with an address, and interaction events. Every personal value carries a marker
(``Quentin``, ``Zebulon``, ``Evergreen``, the phone's digits) so a scan of the whole database finds any
copy deletion missed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select, text

from returns.returns_world import deliver, line_ids
from shipping.shipping_world import buy, drain, platform_warehouse, put_stock
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Database, utcnow
from yellowcart.models import Base

PASSWORD = "correct horse battery staple"
EMAIL = "quentin.zebulon@example.com"
ADDRESS = {
    "name": "Quentin Zebulon",
    "line1": "742 Evergreen Terrace",
    "line2": "Apt Zebulon",
    "city": "New York",
    "state": "NY",
    "zip": "10118",
    "phone": "+1 212 555 0199",
}
#: Strings that must not survive a deletion anywhere in the database.
MARKERS = ("quentin", "zebulon", "evergreen", "5550199", "555 0199")


def signup(server: LiveServer, email: str = EMAIL, name: str = "Quentin Zebulon") -> tuple[str, int]:
    with server.client() as c:
        r = c.post("/v1/users", json={"email": email, "display_name": name, "password": PASSWORD, "home_zip": "10118"})
    assert r.status_code == 201, r.text
    return r.json()["token"], int(r.json()["user_id"])


def login(server: LiveServer, email: str = EMAIL, password: str = PASSWORD) -> httpx.Response:
    with server.client() as c:
        return c.post("/v1/auth/tokens", json={"email": email, "password": password})


def make_world(server: LiveServer, market: Market) -> dict[str, Any]:
    acme = market.seller("acme")
    token, user_id = signup(server)
    return {
        "acme": acme,
        "shopper": token,
        "shopper_id": user_id,
        "other": market.user("bob", Role.SHOPPER),
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "operator": market.user("ops", Role.OPERATOR),
    }


def _custody_sku(server: LiveServer, market: Market, world: dict[str, Any]) -> str:
    sku = market.product(world["acme"], stock=0, mode=SellingMode.FULL_CUSTODY, price_cents=4999)
    wid = platform_warehouse(market.db, f"PLAT-{sku}", "Newark", "NJ", "07102")
    put_stock(market.db, sku, wid, 10)
    return sku


def delivered_order(server: LiveServer, market: Market, world: dict[str, Any]) -> int:
    """Two units bought to the marked address, shipped by the platform and delivered yesterday."""
    sku = _custody_sku(server, market, world)
    order = buy(server, world["shopper"], [(sku, 2)], address=ADDRESS)["orders"][0]
    drain(server)
    deliver(server, market, int(order["id"]), utcnow() - dt.timedelta(days=1))
    return int(order["id"])


def returned(server: LiveServer, market: Market, world: dict[str, Any], order_id: int) -> int:
    """One unit returned with a comment and photos, received and refunded."""
    [line] = line_ids(market, order_id)
    body = {
        "lines": [{"order_line_id": line, "quantity": 1}],
        "comment": "Quentin here: the zipper broke, please call 212 555 0199",
        "photos": ["https://img.example/quentin-zipper.jpg"],
    }
    with server.client(world["shopper"]) as c:
        r = c.post(f"/v1/orders/{order_id}/returns", json=body)
        assert r.status_code == 201, r.text
        ret = r.json()
        assert c.post(f"/v1/returns/{ret['id']}/ship", json={}).status_code == 200
    with server.client(world["operator"]) as c:
        assert c.post(f"/v1/returns/{ret['id']}/receive").status_code == 200
        done = c.post(f"/v1/returns/{ret['id']}/inspection", json={"grades": {str(line): "A"}})
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "completed"
    drain(server)
    return int(ret["id"])


def conversation(server: LiveServer, world: dict[str, Any], order_id: int) -> int:
    with server.client(world["shopper"]) as c:
        r = c.post(f"/v1/orders/{order_id}/conversations", json={})
        assert r.status_code in (200, 201), r.text
        conv_id = int(r.json()["id"])
        said = c.post(
            f"/v1/conversations/{conv_id}/messages",
            json={"text": "Hi, Quentin Zebulon from Evergreen Terrace: one unit arrived dented"},
        )
        assert said.status_code == 201, said.text
    return conv_id


def cancelled_order(server: LiveServer, market: Market, world: dict[str, Any]) -> int:
    sku = _custody_sku(server, market, world)
    order = buy(server, world["shopper"], [(sku, 1)], address=ADDRESS)["orders"][0]
    with server.client(world["shopper"]) as c:
        r = c.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "Quentin changed his mind"})
        assert r.status_code == 200, r.text
    drain(server)
    return int(order["id"])


def cart_and_events(server: LiveServer, market: Market, world: dict[str, Any], sku: str) -> None:
    with market.db.transaction() as s:
        variant = s.scalar(select(Variant).where(Variant.sku == sku))
        assert variant is not None
        product_id = variant.product_id
    with server.client(world["shopper"]) as c:
        cart = c.post("/v1/carts").json()
        assert c.put(f"/v1/carts/{cart['id']}/address", json=ADDRESS).status_code == 200
        now = utcnow().isoformat()
        events = [
            {
                "client_event_id": "quentin-phone-0001",
                "type": "view",
                "occurred_at": now,
                "product_id": product_id,
                "watch_ms": 4000,
            },
            {"client_event_id": "quentin-phone-0002", "type": "like", "occurred_at": now, "product_id": product_id},
        ]
        r = c.post("/v1/events", json={"events": events})
        assert r.status_code == 200 and r.json()["accepted"] == 2, r.text


def history(server: LiveServer, market: Market, world: dict[str, Any]) -> dict[str, int]:
    """The whole history; returns the ids the tests look for."""
    order_id = delivered_order(server, market, world)
    return_id = returned(server, market, world, order_id)
    conv_id = conversation(server, world, order_id)
    cancelled = cancelled_order(server, market, world)
    with market.db.transaction() as s:
        sku = s.scalar(text("SELECT sku FROM order_lines WHERE order_id = :o"), {"o": order_id})
    cart_and_events(server, market, world, str(sku))
    return {"order": order_id, "return": return_id, "conversation": conv_id, "cancelled": cancelled}


def scan(db: Database, markers: tuple[str, ...] = MARKERS) -> dict[str, list[str]]:
    """Every table, every row, as text: which tables still hold one of ``markers`` (case-insensitive)."""
    found: dict[str, list[str]] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                flat = " ".join(str(v) for v in row if not isinstance(v, bytes | memoryview)).lower()
                hits = [m for m in markers if m in flat]
                if hits:
                    found.setdefault(table.name, []).extend(hits)
    return found
