"""Helpers for the SLA tests: a seller-fulfilled or platform order, moved to chosen instants."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from shipping.shipping_world import WEBHOOK_SECRET, buy, drain, platform_warehouse, put_stock
from support import LiveServer, Market
from yellowcart.catalog.modes import SellingMode
from yellowcart.fulfillment.carriers import webhooks
from yellowcart.fulfillment.models import Shipment, SlaIncident, SlaNotification
from yellowcart.orders.models import Order

#: A Monday, 10:00 in Newark (EST): before the 14:00 cut-off.
T0 = dt.datetime(2030, 1, 7, 15, 0, tzinfo=dt.UTC)
FAR = dt.date(2030, 3, 1)


def backdate(market: Market, order_id: int, paid_at: dt.datetime) -> None:
    """Pretend the order was paid (and allocated) at ``paid_at``."""
    with market.db.transaction() as s:
        s.execute(update(Order).where(Order.id == order_id).values(paid_at=paid_at))
        s.execute(update(Shipment).where(Shipment.order_id == order_id).values(created_at=paid_at))
    promise(market, order_id, FAR)


def promise(market: Market, order_id: int, day: dt.date) -> None:
    """The checkout's promise was made at the real clock; the tests live in 2030."""
    with market.db.transaction() as s:
        s.execute(update(Shipment).where(Shipment.order_id == order_id).values(promised_date=day))


def seller_order(server: LiveServer, market: Market, world: dict[str, Any], stock: int = 10) -> tuple[int, str]:
    sku = market.product(world["acme"], stock=stock)
    order = buy(server, world["shopper"], [(sku, 1)])["orders"][0]
    drain(server)
    backdate(market, order["id"], T0)
    return int(order["id"]), sku


def platform_order(server: LiveServer, market: Market, world: dict[str, Any], stock: int) -> tuple[int, str, int]:
    sku = market.product(world["acme"], stock=0, mode=SellingMode.FULL_CUSTODY)
    wid = platform_warehouse(market.db, f"PLAT-{sku}", "Newark", "NJ", "07102")
    put_stock(market.db, sku, wid, stock)
    order = buy(server, world["shopper"], [(sku, 1)])["orders"][0]
    drain(server)  # allocated, label bought
    promise(market, int(order["id"]), FAR)
    return int(order["id"]), sku, wid


def scan(server: LiveServer, tracking: str, status: str, at: dt.datetime, eid: str = "e1") -> None:
    payload = {
        "tracking_number": tracking,
        "carrier": "ups",
        "events": [{"id": eid, "status": status, "occurred_at": at.isoformat(), "description": status}],
    }
    body = json.dumps(payload).encode()
    headers = {webhooks.SIGNATURE_HEADER: webhooks.sign(body, WEBHOOK_SECRET), "Content-Type": "application/json"}
    with server.client() as c:
        assert c.post("/v1/carriers/simulated/webhooks", content=body, headers=headers).status_code == 200
    drain(server)  # order.shipped -> capture


def shipments_of(market: Market, order_id: int) -> list[Shipment]:
    with market.db.transaction() as s:
        rows = list(
            s.scalars(
                select(Shipment)
                .where(Shipment.order_id == order_id)
                .options(selectinload(Shipment.lines))
                .order_by(Shipment.id)
            )
        )
        s.expunge_all()
        return rows


def incidents(market: Market) -> list[tuple[str, int, str]]:
    with market.db.transaction() as s:
        rows = s.execute(select(SlaIncident.kind, SlaIncident.shipment_id, SlaIncident.action).order_by(SlaIncident.id))
        return [(k.value, sid, a.value) for k, sid, a in rows]


def notices(market: Market) -> list[tuple[str, str]]:
    with market.db.transaction() as s:
        return [tuple(r) for r in s.execute(select(SlaNotification.recipient, SlaNotification.message))]  # type: ignore[misc]
