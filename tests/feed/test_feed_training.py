"""Training from the interaction log: co-engagement is learned, versions swap atomically, and the
feed serves the new version without a restart."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sqlalchemy import func, select

from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.db import utcnow
from yellowcart.feed.models import ModelVersion
from yellowcart.feed.training import Neighbours, co_engagement, train


def _pid(market: Market, sku: str) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(Variant.product_id).where(Variant.sku == sku)) or 0)


def test_co_engagement_finds_items_bought_together() -> None:
    # users 0-3 engage with items 10 and 20 together; users 4-5 with 30 only
    rows, cols = [0, 0, 1, 1, 2, 2, 3, 3, 4, 5], [0, 1, 0, 1, 0, 1, 0, 1, 2, 2]
    matrix = sp.csr_matrix((np.ones(10, dtype=np.float32), (rows, cols)), shape=(6, 3))
    model = co_engagement(matrix, np.array([10, 20, 30]), k=2, shrink=0.0)
    assert [i for i, _ in model.of(10)] == [20]
    assert model.of(30) == [] and model.of(99) == []
    again = Neighbours.from_bytes(model.to_bytes())
    assert again.of(20) == model.of(20)


def test_train_swaps_versions_and_feed_uses_them(server: LiveServer, market: Market) -> None:
    sellers = [market.seller(f"s{i}") for i in range(6)]
    a = _pid(market, market.product(sellers[0], category="beauty"))
    b = _pid(market, market.product(sellers[1], category="garden", title="Trowel"))
    others = [_pid(market, market.product(sellers[2 + i % 4], category=f"c{i}")) for i in range(8)]
    now = utcnow().isoformat()
    for n in range(4):  # these shoppers engage with a and b together
        with server.client(market.user(f"pair{n}", Role.SHOPPER)) as c:
            r = c.post(
                "/v1/events",
                json={
                    "events": [
                        {"client_event_id": f"{n}-a", "type": "add_to_cart", "product_id": a, "occurred_at": now},
                        {"client_event_id": f"{n}-b", "type": "add_to_cart", "product_id": b, "occurred_at": now},
                    ]
                },
            )
            assert r.json()["accepted"] == 2
    first = train(market.db)
    second = train(market.db)
    with market.db.transaction() as s:
        active = s.scalars(select(ModelVersion.id).where(ModelVersion.active.is_(True))).all()
        assert active == [second.id] and s.scalar(select(func.count(ModelVersion.id))) == 2
    assert first.stats["items"] == 2
    server.container.feed_signals.invalidate()
    with server.client(market.user("new", Role.SHOPPER)) as c:
        c.post(
            "/v1/events",
            json={"events": [{"client_event_id": "x", "type": "like", "product_id": a, "occurred_at": now}]},
        )
        items = c.get("/v1/feed", params={"limit": 5}).json()["items"]
    by_id = {i["product"]["id"]: i for i in items}
    assert b in by_id and by_id[b]["why"]["sources"].get("co_engaged") == 1.0
    assert others  # the rest of the catalogue is still there to fill later pages
