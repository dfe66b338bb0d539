"""The redirect cutover on SQLite and PostgreSQL: who schedules it, the sellers' countdown, and every
redirect entry point before and after the instant (never the external store after it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from redirect.redirect_world import STORE_URL, click, open_shop, product_id_of
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import utcnow
from yellowcart.redirect import clicks
from yellowcart.redirect.cutover import schedule_cutover


def cut_over(market: Market, at: dt.datetime) -> None:
    """Schedule the US cutover for ``at`` as if it had been scheduled the day before (``now`` passed in)."""
    operator = Principal(user_id=market.users.get("ops") or _ops(market), role=Role.OPERATOR)
    with market.db.transaction() as s:
        schedule_cutover(s, principal=operator, market="US", at=at, note="", now=at - dt.timedelta(days=1))


def _ops(market: Market) -> int:
    market.user("ops", Role.OPERATOR)
    return market.users["ops"]


def _hop(server: LiveServer, path: str, method: str = "GET") -> tuple[int, str]:
    with server.client(follow_redirects=False) as c:
        r = c.request(method, path)
    return r.status_code, r.headers.get("location", r.text)


def test_only_operators_schedule_move_and_cancel(server: LiveServer, market: Market) -> None:
    seller = market.user("acme-staff", Role.SELLER, market.seller("acme"))
    ops = market.user("ops", Role.OPERATOR)
    at = (utcnow() + dt.timedelta(days=30)).replace(microsecond=0)
    body = {"cutover_at": at.isoformat(), "note": "TikTok-style end of links"}
    for token, status in ((seller, 403), (market.user("ada", Role.SHOPPER), 403), (None, 401)):
        with server.client(token) as c:
            assert c.put("/v1/operator/redirect-cutovers/US", json=body).status_code == status
            assert c.get("/v1/operator/redirect-cutovers").status_code == status
    with server.client(ops) as c:
        created = c.put("/v1/operator/redirect-cutovers/US", json=body)
        assert created.status_code == 201, created.text
        assert dt.datetime.fromisoformat(created.json()["cutover_at"]) == at
        later = at + dt.timedelta(days=7)
        moved = c.put("/v1/operator/redirect-cutovers/US", json={"cutover_at": later.isoformat()})
        assert moved.status_code == 200 and dt.datetime.fromisoformat(moved.json()["cutover_at"]) == later
        past = c.put("/v1/operator/redirect-cutovers/US", json={"cutover_at": "2020-01-01T00:00:00Z"})
        assert past.status_code == 422
        assert c.put("/v1/operator/redirect-cutovers/usa", json=body).status_code == 422
        assert c.put("/v1/operator/redirect-cutovers/ZZ", json=body).json()["field"] == "market"  # no such market
        assert c.put("/v1/operator/redirect-cutovers/US", json={"cutover_at": "2031-01-01T00:00:00"}).status_code == 422
        assert [x["status"] for x in c.get("/v1/operator/redirect-cutovers").json()] == ["scheduled"]
        assert c.delete("/v1/operator/redirect-cutovers/US").json()["status"] == "cancelled"
        assert c.delete("/v1/operator/redirect-cutovers/US").status_code == 404
    with server.client(seller) as c:
        assert c.delete("/v1/operator/redirect-cutovers/US").status_code == 403


def test_sellers_see_a_countdown_and_what_each_migration_needs(server: LiveServer, market: Market) -> None:
    shop = open_shop(server, market, "acme")
    ops = market.user("ops", Role.OPERATOR)
    at = utcnow() + dt.timedelta(days=10, hours=5)
    with server.client(ops) as c:
        assert c.put("/v1/operator/redirect-cutovers/US", json={"cutover_at": at.isoformat()}).status_code == 201
    with server.client(shop.staff) as c:
        r = c.get(f"/v1/sellers/{shop.seller_id}/redirect-cutover")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["market"] == "US" and body["countdown"]["days"] == 10 and body["countdown"]["hours"] in (4, 5)
    assert body["countdown"]["passed"] is False
    [listing] = body["listings"]
    assert listing["product_id"] == shop.product_id and [v["sku"] for v in listing["variants"]] == [shop.sku]
    assert listing["migrate_path"] == f"/v1/products/{shop.product_id}/migrate"
    assert [w["id"] for w in body["warehouses"]] == [market.warehouse_ids[0]]
    assert set(body["needs"]) == {"seller_fulfilled", "full_custody"}
    other = market.user("zed-staff", Role.SELLER, market.seller("zed"))
    with server.client(other) as c:
        assert c.get(f"/v1/sellers/{shop.seller_id}/redirect-cutover").status_code == 404
        mine = c.get(f"/v1/sellers/{market.seller_ids[-1]}/redirect-cutover").json()
        assert mine["listings"] == [] and mine["countdown"]["days"] == 10
    with server.client(ops) as c:
        assert c.get(f"/v1/sellers/{shop.seller_id}/redirect-cutover").status_code == 200
    with server.client(market.user("ada", Role.SHOPPER)) as c:
        assert c.get(f"/v1/sellers/{shop.seller_id}/redirect-cutover").status_code == 403


def test_the_cutover_instant_with_a_frozen_clock(server: LiveServer, market: Market) -> None:
    shop = open_shop(server, market, "acme")
    made = click(server, shop.product_id)
    at = utcnow() + dt.timedelta(days=3)
    cut_over(market, at)
    with market.db.transaction() as s:
        before = clicks.destination(s, click_id=made["click_id"], now=at - dt.timedelta(microseconds=1))
        after = clicks.destination(s, click_id=made["click_id"], now=at)
    assert before.outcome is clicks.Outcome.STORE and before.url and before.url.startswith(STORE_URL)
    assert after.outcome is clicks.Outcome.GONE and after.url is None
    assert _hop(server, f"/r/{made['click_id']}")[0] == 302  # the real clock is still before it


def test_after_the_cutover_no_entry_point_leads_to_the_store(server: LiveServer, market: Market) -> None:
    shop = open_shop(server, market, "acme")
    moving = open_shop(server, market, "bold")
    old_click, moving_click = click(server, shop.product_id), click(server, moving.product_id)
    with server.client(moving.staff) as c:
        body = {"target": "seller_fulfilled", "warehouse_id": market.warehouse_ids[1], "stock": {moving.sku: 4}}
        assert c.post(f"/v1/products/{moving.product_id}/migrate", json=body).status_code == 200
    cut_over(market, utcnow() - dt.timedelta(minutes=1))

    status, page = _hop(server, f"/r/{old_click['click_id']}")
    assert status == 410 and "no longer available" in page and "acme-store" not in page
    assert _hop(server, f"/r/{moving_click['click_id']}") == (302, f"/products/{moving.product_id}")
    assert _hop(server, f"/products/{shop.product_id}/store", "POST")[0] == 410
    assert _hop(server, f"/products/{moving.product_id}/store", "POST") == (302, f"/products/{moving.product_id}")
    with server.client() as c:
        r = c.post(f"/v1/products/{shop.product_id}/redirect-clicks", json={})
        assert r.status_code == 410 and r.json()["code"] == "redirect_ended"
        listing = c.get(f"/v1/products/{shop.product_id}").json()
        assert listing["redirect_click"] is None and listing["redirect_url"] is None
        html = c.get(f"/products/{shop.product_id}").text
        assert "No longer available here" in html and "/store" not in html and "acme-store" not in html
    with server.client(shop.staff) as c:
        again = {"title": "New link", "category": "beauty", "selling_mode": "redirect", "redirect_url": STORE_URL}
        refused = c.post("/v1/products", json={**again, "variants": [{"sku": "NEW-1", "price_cents": 100}]})
        assert refused.status_code == 409 and refused.json()["code"] == "redirect_cutover_passed"
    with server.client(moving.staff) as c:
        back = {"target": "redirect", "reason": "try again", "redirect_url": STORE_URL}
        r = c.post(f"/v1/products/{moving.product_id}/selling-mode", json=back)
        assert r.status_code == 409 and r.json()["code"] == "redirect_cutover_passed"
    in_app = market.product(shop.seller_id, mode=SellingMode.SELLER_FULFILLED)
    with server.client(market.user("ada", Role.SHOPPER)) as c:
        r = c.post(f"/v1/products/{product_id_of(market, in_app)}/redirect-clicks", json={})
        assert r.status_code == 409  # in-app listings never had a link out
