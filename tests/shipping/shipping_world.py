"""Helpers for the shipping tests: platform warehouses, checkout over HTTP, draining the outbox."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from support import ADDRESS, LiveServer
from yellowcart.catalog.models import Variant
from yellowcart.db import Database
from yellowcart.inventory.models import Stock, Warehouse, WarehouseOperator

WEBHOOK_SECRET = "whsec_shipping_tests"


def platform_warehouse(db: Database, code: str, city: str, state: str, zip_code: str) -> int:
    with db.transaction() as s:
        wh = Warehouse(
            code=code,
            name=code,
            operator=WarehouseOperator.PLATFORM,
            line1="1 Dock St",
            city=city,
            state=state,
            zip=zip_code,
        )
        s.add(wh)
        s.flush()
        return wh.id


def put_stock(db: Database, sku: str, warehouse_id: int, qty: int) -> None:
    with db.transaction() as s:
        variant_id = s.scalar(select(Variant.id).where(Variant.sku == sku))
        s.add(Stock(variant_id=variant_id, warehouse_id=warehouse_id, on_hand=qty, reserved=0))


def stock_at(db: Database, sku: str, warehouse_id: int) -> tuple[int, int]:
    with db.transaction() as s:
        row = s.execute(
            select(Stock.on_hand, Stock.reserved)
            .join(Variant, Variant.id == Stock.variant_id)
            .where(Variant.sku == sku, Stock.warehouse_id == warehouse_id)
        ).one()
        return int(row[0]), int(row[1])


def buy(server: LiveServer, token: str, items: list[tuple[str, int]], address: dict[str, str] | None = None) -> Any:
    body = {
        "items": [{"sku": sku, "quantity": qty} for sku, qty in items],
        "shipping_address": address or ADDRESS,
        "payment_method": "tok_visa",
    }
    with server.client(token) as c:
        r = c.post("/v1/checkout", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    return r.json()


def drain(server: LiveServer) -> None:
    """Deliver outbox events until none is left (order.paid -> allocation -> labels)."""
    worker = server.container.worker
    assert worker is not None
    for _ in range(10):
        if worker.run_once() == 0:
            return
