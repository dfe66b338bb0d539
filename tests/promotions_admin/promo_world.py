"""A small promotions world built through the real API: two sellers with listings, an operator,
shoppers, and helpers to create promotions and read their rows."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select, update

from support import ADDRESS, LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.db import utcnow
from yellowcart.promotions import holdout
from yellowcart.promotions.models import Promotion


@dataclass
class World:
    server: LiveServer
    market: Market
    seller_a: int
    seller_b: int
    a: str  # seller A's token
    b: str  # seller B's token
    operator: str
    shopper: str
    sku_a: str
    sku_b: str
    product_a: int
    product_b: int
    variant_a: int
    variant_b: int
    shoppers: dict[str, str] = field(default_factory=dict)

    def client(self, token: str | None = None) -> httpx.Client:
        return self.server.client(token)


def variant_of(market: Market, sku: str) -> tuple[int, int]:
    """(product id, variant id)."""
    with market.db.transaction() as s:
        row = s.execute(select(Variant.product_id, Variant.id).where(Variant.sku == sku)).one()
        return int(row[0]), int(row[1])


def world(server: LiveServer, market: Market, *, price_cents: int = 2400, stock: int = 40) -> World:
    seller_a, seller_b = market.seller("alpha"), market.seller("beta")
    a = market.user("alice", Role.SELLER, seller_id=seller_a)
    b = market.user("bob", Role.SELLER, seller_id=seller_b)
    operator = market.user("olga", Role.OPERATOR)
    shopper = market.user("sam", Role.SHOPPER)
    sku_a = market.product(seller_a, price_cents=price_cents, stock=stock)
    sku_b = market.product(seller_b, price_cents=price_cents, stock=stock)
    (pa, va), (pb, vb) = variant_of(market, sku_a), variant_of(market, sku_b)
    return World(server, market, seller_a, seller_b, a, b, operator, shopper, sku_a, sku_b, pa, pb, va, vb)


def iso(when: dt.datetime) -> str:
    return when.isoformat()


def body(**over: Any) -> dict[str, Any]:
    """A 15% product discount for a day (override anything)."""
    now = utcnow()
    out: dict[str, Any] = {
        "kind": "product_discount",
        "name": "Spring sale",
        "percent_off_bps": 1500,
        "ends_at": iso(now + dt.timedelta(days=1)),
    }
    out.update(over)
    return {k: v for k, v in out.items() if v is not None}


def create(c: httpx.Client, **over: Any) -> dict[str, Any]:
    r = c.post("/v1/promotions", json=body(**over))
    assert r.status_code == 201, r.text
    return dict(r.json())


def active(c: httpx.Client, **over: Any) -> dict[str, Any]:
    made = create(c, **over)
    r = c.post(f"/v1/promotions/{made['id']}/activate")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "active"
    return dict(r.json())


def count_promotions(market: Market) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(func.count(Promotion.id))) or 0)


def set_columns(market: Market, promotion_id: int, **values: Any) -> None:
    """Move a promotion's row as checkout or time would (counters, window)."""
    with market.db.transaction() as s:
        s.execute(update(Promotion).where(Promotion.id == promotion_id).values(**values))


def row(market: Market, promotion_id: int) -> Promotion:
    with market.db.transaction() as s:
        p = s.get(Promotion, promotion_id)
        assert p is not None
        return p


def split_by_holdout(market: Market, promotion_id: int, holdout_bps: int, n: int = 12) -> tuple[str, str]:
    """(token of a shopper held out of the promotion, token of one who is not), made until both exist."""
    held = shown = None
    for i in range(200):
        name = f"h{promotion_id}x{i}"
        token = market.user(name, Role.SHOPPER)
        if holdout.held_out(promotion_id, market.users[name], holdout_bps):
            held = held or token
        else:
            shown = shown or token
        if held and shown:
            return held, shown
    raise AssertionError("no split found")


def buy(
    server: LiveServer, token: str, sku: str, *, quantity: int = 1, deal_id: int | None = None, **extra: Any
) -> httpx.Response:
    item: dict[str, Any] = {"sku": sku, "quantity": quantity, **extra}
    if deal_id is not None:
        item["deal_id"] = deal_id
    payload = {"items": [item], "shipping_address": ADDRESS, "payment_method": "tok_visa"}
    with server.client(token) as c:
        return c.post("/v1/checkout", json=payload, headers={"Idempotency-Key": str(uuid.uuid4())})
