"""Audited selling-mode switches and the one-click migration on SQLite and PostgreSQL: both targets with
their data, what is refused (and changes nothing), who may switch what, and the operators' report."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import func, select

from redirect.redirect_world import STORE_URL, events, open_shop
from shipping.shipping_world import buy
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.custody_models import OfferStatus, SupplyOffer
from yellowcart.catalog.mode_models import SellingModeChange
from yellowcart.catalog.models import Product
from yellowcart.catalog.modes import SellingMode


def _product(market: Market, product_id: int) -> Product:
    with market.db.transaction() as s:
        product = s.get_one(Product, product_id)
        s.expunge(product)
        return product


def _changes(market: Market) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(SellingModeChange)) or 0)


def test_one_click_migration_to_seller_fulfilled(server: LiveServer, market: Market) -> None:
    shop = open_shop(server, market, "acme")
    warehouse = market.warehouse_ids[0]
    path = f"/v1/products/{shop.product_id}/migrate"
    refusals: list[tuple[dict[str, Any], int, str]] = [
        ({"target": "seller_fulfilled", "stock": {shop.sku: 5}}, 422, "mode_data_required"),
        ({"target": "seller_fulfilled", "warehouse_id": warehouse}, 422, "mode_data_required"),
        ({"target": "seller_fulfilled", "warehouse_id": warehouse, "stock": {shop.sku: 0}}, 422, "mode_data_required"),
        ({"target": "seller_fulfilled", "warehouse_id": warehouse, "stock": {"OTHER-1": 3}}, 422, "invalid_input"),
        ({"target": "platform_owned"}, 422, "validation_error"),
    ]
    market.seller("zed")
    other_wh = market.warehouse_ids[-1]  # another seller's warehouse
    refusals.append(
        ({"target": "seller_fulfilled", "warehouse_id": other_wh, "stock": {shop.sku: 5}}, 422, "invalid_input")
    )
    with server.client(shop.staff) as c:
        for body, status, code in refusals:
            r = c.post(path, json=body)
            assert (r.status_code, r.json()["code"]) == (status, code), body
        assert _changes(market) == 0 and _product(market, shop.product_id).selling_mode.value == "redirect"
        r = c.post(path, json={"target": "seller_fulfilled", "warehouse_id": warehouse, "stock": {shop.sku: 5}})
        assert r.status_code == 200, r.text
        assert (r.json()["selling_mode"], r.json()["status"]) == ("seller_fulfilled", "active")
        change = r.json()["change"]
        assert (change["from_mode"], change["to_mode"], change["reason"]) == (
            "redirect",
            "seller_fulfilled",
            "redirect cutover migration",
        )
        assert change["details"]["previous_redirect_url"] == STORE_URL and change["details"]["stock"] == {shop.sku: 5}
        assert c.post(path, json={"target": "full_custody", "supply_prices": {shop.sku: 900}}).status_code == 409
        history = c.get(f"/v1/products/{shop.product_id}/selling-mode/history").json()
        assert [h["id"] for h in history] == [change["id"]] and history[0]["actor_role"] == "seller"
    product = _product(market, shop.product_id)
    assert (product.selling_mode.value, product.redirect_url) == ("seller_fulfilled", None)
    assert market.stock(shop.sku) == (5, 0)
    assert events(market, "catalog.selling_mode_changed") == [
        {"change_id": change["id"], "product_id": shop.product_id, "seller_id": shop.seller_id,
         "from_mode": "redirect", "to_mode": "seller_fulfilled"}
    ]  # fmt: skip
    order = buy(server, market.user("ada", Role.SHOPPER), [(shop.sku, 1)])  # the same listing now checks out
    assert order["orders"][0]["lines"][0]["sku"] == shop.sku


def test_one_click_migration_to_full_custody_waits_for_the_price_check(server: LiveServer, market: Market) -> None:
    shop = open_shop(server, market, "acme")
    with server.client(shop.staff) as c:
        r = c.post(
            f"/v1/products/{shop.product_id}/migrate",
            json={"target": "full_custody", "supply_prices": {shop.sku: 1200}},
        )
    assert r.status_code == 200, r.text
    assert (r.json()["selling_mode"], r.json()["status"]) == ("full_custody", "draft")
    with market.db.transaction() as s:
        offers = s.execute(select(SupplyOffer.product_id, SupplyOffer.supply_price_cents, SupplyOffer.status)).all()
    assert offers == [(shop.product_id, 1200, OfferStatus.OPEN)]
    with server.client() as c:
        assert c.get(f"/v1/products/{shop.product_id}").status_code == 404  # off sale until priced


def test_who_may_switch_and_the_patch_no_longer_does(server: LiveServer, market: Market) -> None:
    shop = open_shop(server, market, "acme")
    body = {"target": "seller_fulfilled", "warehouse_id": market.warehouse_ids[0], "stock": {shop.sku: 2}}
    stranger = market.user("zed-staff", Role.SELLER, market.seller("zed"))
    for token, status in ((stranger, 404), (market.user("ada", Role.SHOPPER), 403), (None, 401)):
        with server.client(token) as c:
            assert c.post(f"/v1/products/{shop.product_id}/migrate", json=body).status_code == status
            assert (
                c.post(f"/v1/products/{shop.product_id}/selling-mode", json={**body, "reason": "x"}).status_code
                == status
            )
    with server.client(shop.staff) as c:
        patch = c.patch(f"/v1/products/{shop.product_id}", json={"selling_mode": "seller_fulfilled"})
        assert patch.status_code == 409 and patch.json()["endpoint"] == f"/v1/products/{shop.product_id}/selling-mode"
        assert (
            c.patch(f"/v1/products/{shop.product_id}", json={"selling_mode": "redirect", "title": "Same"}).status_code
            == 200
        )
        owned = c.post(
            f"/v1/products/{shop.product_id}/selling-mode", json={"target": "platform_owned", "reason": "sell it"}
        )
        assert owned.status_code == 403
        same = c.post(
            f"/v1/products/{shop.product_id}/selling-mode",
            json={"target": "redirect", "reason": "noop", "redirect_url": STORE_URL},
        )
        assert same.status_code == 409 and same.json()["code"] == "mode_unchanged"
    assert _changes(market) == 0
    with server.client(market.user("ops", Role.OPERATOR)) as c:
        r = c.post(
            f"/v1/products/{shop.product_id}/selling-mode",
            json={"target": "platform_owned", "reason": "bought the line"},
        )
        assert r.status_code == 200 and r.json()["change"]["actor_role"] == "operator"


def test_open_orders_block_a_switch(server: LiveServer, market: Market) -> None:
    seller = market.seller("acme")
    sku = market.product(seller, stock=3)
    staff = market.user("acme-staff", Role.SELLER, seller)
    buy(server, market.user("ada", Role.SHOPPER), [(sku, 1)])  # one unit reserved for the order
    with market.db.transaction() as s:
        product_id = s.scalar(select(Product.id).where(Product.seller_id == seller))
    with server.client(staff) as c:
        body = {"target": "full_custody", "reason": "to the platform", "supply_prices": {sku: 800}}
        r = c.post(f"/v1/products/{product_id}/selling-mode", json=body)
    assert r.status_code == 409 and r.json()["code"] == "open_orders" and _changes(market) == 0


def test_migration_report_counts_and_csv(server: LiveServer, market: Market) -> None:
    first = open_shop(server, market, "acme")
    market.product(first.seller_id, mode=SellingMode.REDIRECT, stock=0)  # a second redirect listing
    done = open_shop(server, market, "bold")
    idle = open_shop(server, market, "calm")
    market.product(market.seller("dull"))  # no redirect listings: not in the report
    for shop, wh in ((first, market.warehouse_ids[0]), (done, market.warehouse_ids[1])):
        with server.client(shop.staff) as c:
            body = {"target": "seller_fulfilled", "warehouse_id": wh, "stock": {shop.sku: 1}}
            assert c.post(f"/v1/products/{shop.product_id}/migrate", json=body).status_code == 200
    ops = market.user("ops", Role.OPERATOR)
    with server.client(ops) as c:
        report = c.get("/v1/operator/redirect-cutover/report", params={"market": "US"}).json()
        text = c.get("/v1/operator/redirect-cutover/report", params={"format": "csv"})
    rows = {r["seller_id"]: r for r in report["sellers"]}
    assert set(rows) == {first.seller_id, done.seller_id, idle.seller_id}
    summary = {k: (r["listings_total"], r["migrated"], r["remaining"], r["status"]) for k, r in rows.items()}
    assert summary == {
        first.seller_id: (2, 1, 1, "in_progress"),
        done.seller_id: (1, 1, 0, "done"),
        idle.seller_id: (1, 0, 1, "not_started"),
    }
    assert rows[first.seller_id]["last_migration_at"] and rows[idle.seller_id]["last_migration_at"] is None
    assert text.headers["content-type"].startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(text.text)))
    assert {(int(r["seller_id"]), r["status"], int(r["remaining"])) for r in parsed} == {
        (first.seller_id, "in_progress", 1), (done.seller_id, "done", 0), (idle.seller_id, "not_started", 1),
    }  # fmt: skip
    with server.client(first.staff) as c:
        assert c.get("/v1/operator/redirect-cutover/report").status_code == 403
