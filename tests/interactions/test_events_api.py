"""POST /v1/events through real HTTP: good rows stored once, bad rows reported by index, never lost."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from support import ADDRESS, LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Product
from yellowcart.db import utcnow
from yellowcart.interactions.models import InteractionEvent


def _product_id(market: Market, sku: str) -> int:
    from yellowcart.catalog.models import Variant

    with market.db.transaction() as s:
        return int(s.scalar(select(Variant.product_id).where(Variant.sku == sku)) or 0)


def _count(market: Market) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(func.count(InteractionEvent.id))) or 0)


def test_batch_keeps_good_rows_and_reports_bad_ones(server: LiveServer, market: Market) -> None:
    pid = _product_id(market, market.product(market.seller("s")))
    now = utcnow().isoformat()
    rows = [
        {"client_event_id": "e1", "type": "impression", "product_id": pid, "occurred_at": now},
        {
            "client_event_id": "e2",
            "type": "view",
            "product_id": pid,
            "watch_ms": 4200,
            "completion": 0.7,
            "occurred_at": now,
        },
        {"client_event_id": "e3", "type": "view", "product_id": pid, "occurred_at": now},  # no watch_ms
        {"client_event_id": "e4", "type": "purchase", "product_id": pid, "occurred_at": now},  # server only
        {"client_event_id": "e5", "type": "like", "product_id": 999999, "occurred_at": now},  # unknown product
        {
            "client_event_id": "e6",
            "type": "cart_tap",
            "product_id": pid,
            "occurred_at": (utcnow() + dt.timedelta(hours=2)).isoformat(),
        },  # from the future
        {"client_event_id": "e7", "type": "teleport", "product_id": pid, "occurred_at": now},
        "not an object",
        {"client_event_id": "e1", "type": "impression", "product_id": pid, "occurred_at": now},  # dup in batch
    ]
    with server.client(market.user("ev", Role.SHOPPER)) as c:
        r = c.post("/v1/events", json={"events": rows})
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["accepted"], body["duplicates"]) == (2, 1)
        assert [e["index"] for e in body["rejected"]] == [2, 3, 4, 5, 6, 7]
        assert body["rejected"][2]["errors"] == [{"field": "product_id", "message": "does not exist"}]
        again = c.post("/v1/events", json={"events": rows[:2]}).json()
        assert (again["accepted"], again["duplicates"]) == (0, 2)  # a client retry counts once
        assert c.post("/v1/events", json={"events": []}).status_code == 422
        too_many = [
            {"client_event_id": f"x{i}", "type": "impression", "product_id": pid, "occurred_at": now}
            for i in range(1001)
        ]
        assert c.post("/v1/events", json={"events": too_many}).status_code == 422
    assert _count(market) == 2
    with server.client() as c:
        assert c.post("/v1/events", json={"events": rows[:1]}).status_code == 401


def test_full_batch_of_1000_is_stored(server: LiveServer, market: Market) -> None:
    pid = _product_id(market, market.product(market.seller("s")))
    now = utcnow().isoformat()
    rows = [
        {"client_event_id": f"b-{i}", "type": "impression", "product_id": pid, "occurred_at": now} for i in range(1000)
    ]
    with server.client(market.user("bulk", Role.SHOPPER)) as c:
        assert c.post("/v1/events", json={"events": rows}).json()["accepted"] == 1000
    assert _count(market) == 1000


def test_paid_order_becomes_a_purchase_event_once(server: LiveServer, market: Market) -> None:
    sku = market.product(market.seller("s"), stock=5)
    with server.client(market.user("buyer", Role.SHOPPER)) as c:
        r = c.post(
            "/v1/checkout",
            json={"items": [{"sku": sku, "quantity": 2}], "shipping_address": ADDRESS, "payment_method": "tok_visa"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert r.status_code == 201
    assert server.container.worker is not None
    server.container.worker.run_once()
    server.container.worker.run_once()
    with market.db.transaction() as s:
        events = s.scalars(select(InteractionEvent)).all()
        product_id = s.scalar(select(Product.id))
    assert [(e.type.value, e.product_id, e.user_id) for e in events] == [
        ("purchase", product_id, market.users["buyer"])
    ]
