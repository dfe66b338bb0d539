"""Seller analytics over real HTTP on SQLite and PostgreSQL. A small market is built in every selling
mode (orders captured and partly refunded through the real outbox events, a redirect conversion,
feed impressions of content tagging the listings and of the listings themselves); the figures are
checked against what was built, per mode and in total, for the seller and for operators (sorting,
filtering), and who may read them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, update

from ledger.ledger_world import T0, Clock, drain, ledger_bus, listing, move, place_order
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.checkout import payments
from yellowcart.checkout.refunds import refund_order
from yellowcart.content.models import Anchor, Content, ContentKind, ContentStatus
from yellowcart.db import Database
from yellowcart.events import emit
from yellowcart.interactions.models import EventType, InteractionEvent
from yellowcart.ledger.postings import bps_of
from yellowcart.orders.models import Order
from yellowcart.orders.state import OrderStatus

M = SellingMode
WINDOW = {"from": "2030-01-01", "to": "2030-01-31"}


def product_of(db: Database, variant_id: int) -> int:
    with db.transaction() as s:
        return int(s.scalar(select(Variant.product_id).where(Variant.id == variant_id)) or 0)


def impressions(
    db: Database, user_id: int, *, content_id: int | None = None, product_id: int | None = None, n: int
) -> None:
    with db.transaction() as s:
        for i in range(n):
            s.add(InteractionEvent(user_id=user_id, client_event_id=f"imp-{content_id}-{product_id}-{i}",
                                   type=EventType.IMPRESSION, content_id=content_id, product_id=product_id,
                                   occurred_at=T0 + dt.timedelta(minutes=i)))  # fmt: skip


def video(db: Database, owner: int, product_ids: list[int]) -> int:
    with db.transaction() as s:
        content = Content(kind=ContentKind.VIDEO, owner_user_id=owner, title="haul", status=ContentStatus.PUBLISHED,
                          duration_s=30, published_at=T0)  # fmt: skip
        content.anchors = [Anchor(product_id=pid, position=i) for i, pid in enumerate(product_ids)]
        s.add(content)
        s.flush()
        return content.id


@pytest.fixture
def built(server: LiveServer, market: Market) -> dict[str, Any]:
    db = market.db
    acme, zed = market.seller("acme"), market.seller("zed")
    tokens = {
        "seller": market.user("acme-staff", Role.SELLER, acme), "stranger": market.user("zed-staff", Role.SELLER, zed),
        "shopper": market.user("ada", Role.SHOPPER), "operator": market.user("ops", Role.OPERATOR),
    }  # fmt: skip
    shopper = market.users["ada"]
    sf = listing(market, acme, M.SELLER_FULFILLED, 2000)
    fc = listing(market, acme, M.FULL_CUSTODY, 3000, supply=1800)
    zed_po = listing(market, zed, M.PLATFORM_OWNED, 5000)
    provider = payments.TestPaymentProvider()
    before = place_order(db, shopper, [(sf, 7)])  # paid and captured before the window
    with db.transaction() as s:
        s.execute(update(Order).where(Order.id == before).values(paid_at=T0 - dt.timedelta(days=40)))
    move(db, before, OrderStatus.IN_TRANSIT)
    drain(db, ledger_bus(provider, Clock(T0 - dt.timedelta(days=40))))
    bus = ledger_bus(provider, Clock(T0))
    orders = {
        "sf1": place_order(db, shopper, [(sf, 3)]), "sf2": place_order(db, shopper, [(sf, 1)]),
        "fc": place_order(db, shopper, [(fc, 2)]), "zed": place_order(db, shopper, [(zed_po, 1)]),
        "cancelled": place_order(db, shopper, [(sf, 5)]),
    }  # fmt: skip
    for key in ("sf1", "sf2", "fc", "zed"):
        move(db, orders[key], OrderStatus.IN_TRANSIT)
    move(db, orders["cancelled"], OrderStatus.CANCELLED)
    drain(db, bus)
    with db.transaction() as s:  # sf2 comes back in full; a redirect conversion is attributed
        sf2 = s.get(Order, orders["sf2"])
        assert sf2 is not None
        refund_order(s, provider=provider, order_id=sf2.id, amount_cents=sf2.total_cents, idempotency_key="ret-1")
        emit(
            s, "redirect.conversion_attributed", conversion_id=1, seller_id=acme, gmv_cents=10_000, commission_cents=500
        )
        emit(s, "redirect.conversion_attributed", conversion_id=2, seller_id=acme, gmv_cents=4000, commission_cents=300)
        emit(s, "redirect.conversion_reversed", conversion_id=2, seller_id=acme, commission_cents=300)  # cancelled
        shipping = {key: s.get(Order, oid).shipping_cents for key, oid in orders.items()}  # type: ignore[union-attr]
    drain(db, bus)
    tagging = video(db, shopper, [product_of(db, sf), product_of(db, fc), product_of(db, zed_po)])
    impressions(db, shopper, content_id=tagging, n=40)  # counts for acme's two modes and for zed
    impressions(db, shopper, product_id=product_of(db, sf), n=10)
    return {"acme": acme, "zed": zed, "tokens": tokens, "orders": orders, "shipping": shipping}


def test_seller_figures_per_mode(server: LiveServer, built: dict[str, Any]) -> None:
    acme, shipping = built["acme"], built["shipping"]
    with server.client(built["tokens"]["seller"]) as c:
        r = c.get(f"/v1/sellers/{acme}/analytics", params=WINDOW)
        assert r.status_code == 200, r.text
        body = r.json()
    assert body["from"] == "2030-01-01" and body["to"] == "2030-01-31"
    sf, fc, redirect = body["modes"]["seller_fulfilled"], body["modes"]["full_custody"], body["modes"]["redirect"]
    # sf1 (3 units) and sf2 (1 unit, refunded in full); neither the cancelled nor the earlier order counts.
    assert (sf["gmv_cents"], sf["orders"], sf["units_sold"], sf["units_refunded"]) == (8000, 2, 4, 1)
    assert sf["impressions"] == 50 and sf["conversion_per_mille"] == 40.0 and sf["return_rate"] == 0.25
    # Built-in rates (6% commission, 2% fee); sf2's were given back with its refund.
    assert sf["net_margin_cents"] == bps_of(6000, 600) + bps_of(6000 + shipping["sf1"], 200)
    assert sf["seller_net_cents"] == 6000 + shipping["sf1"] - sf["net_margin_cents"]
    assert (fc["gmv_cents"], fc["orders"], fc["impressions"], fc["units_refunded"]) == (6000, 1, 40, 0)
    assert fc["conversion_per_mille"] == 25.0 and fc["return_rate"] == 0.0
    assert fc["net_margin_cents"] == 6000 + shipping["fc"] - 2 * 1800 and fc["seller_net_cents"] == 2 * 1800
    assert (redirect["gmv_cents"], redirect["orders"], redirect["net_margin_cents"]) == (10_000, 1, 500)
    assert redirect["seller_net_cents"] == -500  # invoiced to the seller
    total = body["total"]
    assert total["gmv_cents"] == 8000 + 6000 + 10_000 and total["orders"] == 2 + 1 + 1
    assert total["net_margin_cents"] == sum(m["net_margin_cents"] for m in body["modes"].values())
    assert total["net_margin_bps"] == round(10_000 * total["net_margin_cents"] / total["gmv_cents"])
    assert total["conversion_per_mille"] == round(1000 * 4 / (50 + 40), 3)


def test_operator_list_sorts_filters_and_authorises(server: LiveServer, built: dict[str, Any]) -> None:
    acme, zed, tokens = built["acme"], built["zed"], built["tokens"]
    with server.client(tokens["operator"]) as c:
        listed = c.get("/v1/operator/analytics/sellers", params=WINDOW).json()
        assert [s["seller_id"] for s in listed["items"]] == [acme, zed] and listed["count"] == 2
        assert listed["platform"]["gmv_cents"] == sum(s["total"]["gmv_cents"] for s in listed["items"])
        ascending = c.get("/v1/operator/analytics/sellers", params={**WINDOW, "order": "asc"}).json()["items"]
        assert [s["seller_id"] for s in ascending] == [zed, acme]
        by_conversion = c.get(
            "/v1/operator/analytics/sellers", params={**WINDOW, "sort": "conversion_per_mille"}
        ).json()
        rates = [s["total"]["conversion_per_mille"] for s in by_conversion["items"]]
        assert rates == sorted(rates, reverse=True)
        owned = c.get("/v1/operator/analytics/sellers", params={**WINDOW, "mode": "platform_owned"}).json()["items"]
        assert [s["seller_id"] for s in owned] == [zed] and list(owned[0]["modes"]) == ["platform_owned"]
        assert owned[0]["total"]["gmv_cents"] == 5000 and owned[0]["total"]["impressions"] == 40
        paged = c.get("/v1/operator/analytics/sellers", params={**WINDOW, "limit": 1, "offset": 1}).json()
        assert [s["seller_id"] for s in paged["items"]] == [zed] and paged["count"] == 2
        empty = c.get("/v1/operator/analytics/sellers", params={"from": "2031-01-01", "to": "2031-01-02"}).json()
        assert empty["items"] == [] and empty["platform"]["conversion_per_mille"] is None
        for bad in ({"sort": "nope"}, {"from": "2030-02-01", "to": "2030-01-01"}, {"from": "2028-01-01"},
                    {"order": "sideways"}):  # fmt: skip
            assert c.get("/v1/operator/analytics/sellers", params={**WINDOW, **bad}).status_code == 422
        assert c.get("/v1/sellers/99999/analytics").status_code == 404
    with server.client(tokens["seller"]) as c:
        assert c.get(f"/v1/sellers/{zed}/analytics", params=WINDOW).status_code == 404
        assert c.get("/v1/operator/analytics/sellers", params=WINDOW).status_code == 403
    with server.client(tokens["shopper"]) as c:
        assert c.get(f"/v1/sellers/{acme}/analytics", params=WINDOW).status_code == 403
    with server.client() as c:
        assert c.get(f"/v1/sellers/{acme}/analytics", params=WINDOW).status_code == 401
