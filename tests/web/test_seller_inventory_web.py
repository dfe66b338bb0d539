"""The seller centre's inventory page over real HTTP: a seller counts stock in its own warehouse, files a
consignment of full-custody stock to a platform warehouse, marks it shipped and cancels another; what a
seller may not do (count platform stock, another shop's SKU, a seller-fulfilled SKU on a consignment, a
date in the past, a form without its CSRF token) is refused with the reason on the page and writes
nothing."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from shipping.shipping_world import platform_warehouse, stock_at
from support import LiveServer, Market
from web.web_client import signed_in
from web_browser.browser_world import PASSWORD, person
from yellowcart.auth.models import Role
from yellowcart.catalog.modes import SellingMode
from yellowcart.inventory.custody_models import ConsignmentStatus, InboundConsignment


def _consignments(market: Market) -> list[tuple[int, ConsignmentStatus, str | None]]:
    with market.db.transaction() as s:
        rows = s.execute(
            select(InboundConsignment.id, InboundConsignment.status, InboundConsignment.tracking_number).order_by(
                InboundConsignment.id
            )
        )
        return [(i, status, tracking) for i, status, tracking in rows]


def _count(market: Market) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(InboundConsignment)) or 0)


def test_seller_counts_stock_and_sends_a_consignment(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    own_wh = market.warehouse_ids[-1]
    fulfilled = market.product(acme, stock=4, title="Glow serum")
    custody = market.product(acme, stock=0, mode=SellingMode.FULL_CUSTODY, title="Night cream")
    dock = platform_warehouse(market.db, "PLAT-NJ", "Newark", "NJ", "07102")
    with signed_in(server, person(market, "acme-staff", Role.SELLER, seller_id=acme), PASSWORD) as (c, csrf):
        html = c.get("/seller/inventory").text
        assert fulfilled in html and "PLAT-NJ" in html and 'id="consignment-form"' in html

        # Count the seller-fulfilled SKU in its own warehouse.
        done = c.post("/seller/inventory/stock", data={"csrf_token": csrf, "sku": fulfilled,
                                                       "warehouse_id": str(own_wh), "on_hand": "17"})  # fmt: skip
        assert done.status_code == 303 and "stock_counted" in done.headers["location"]
        assert stock_at(market.db, fulfilled, own_wh)[0] == 17
        assert "Stock counted." in c.get(done.headers["location"]).text

        # File a consignment of the full-custody SKU, then mark it shipped with its tracking number.
        arrival = (dt.date.today() + dt.timedelta(days=5)).isoformat()
        filed = c.post("/seller/consignments", data={"csrf_token": csrf, "warehouse_id": str(dock),
                                                     "expected_arrival": arrival, "sku_0": custody, "qty_0": "24",
                                                     "note": "2 cartons"})  # fmt: skip
        assert filed.status_code == 303, filed.text
        [(first, status, _)] = _consignments(market)
        assert status is ConsignmentStatus.DRAFT
        page = c.get(filed.headers["location"]).text
        assert f"Consignment {first} filed as a draft" in page
        assert re.search(rf"{custody}</code> 0 / 24", page)

        ship = {"csrf_token": csrf, "carrier": "ups", "tracking_number": "1Z999AA10123456784"}
        shipped = c.post(f"/seller/consignments/{first}/ship", data=ship)
        assert shipped.status_code == 303
        assert _consignments(market) == [(first, ConsignmentStatus.SHIPPED, "1Z999AA10123456784")]
        page = c.get("/seller/inventory").text
        assert "ups 1Z999AA10123456784" in page
        assert f'action="/seller/consignments/{first}/ship"' not in page  # shipped: no more actions

        # A second draft, cancelled.
        c.post("/seller/consignments", data={"csrf_token": csrf, "warehouse_id": str(dock),
                                             "expected_arrival": arrival, "sku_0": custody, "qty_0": "3"})  # fmt: skip
        second = _consignments(market)[-1][0]
        assert c.post(f"/seller/consignments/{second}/cancel", data={"csrf_token": csrf}).status_code == 303
        assert _consignments(market)[-1][1] is ConsignmentStatus.CANCELLED
        # A cancelled consignment cannot be cancelled again: refused, unchanged.
        refused = c.post(f"/seller/consignments/{second}/cancel", data={"csrf_token": csrf})
        assert refused.status_code == 409 and 'role="alert"' in refused.text
        assert _consignments(market)[0][1] is ConsignmentStatus.SHIPPED


def test_bad_inventory_input_is_refused_and_writes_nothing(server: LiveServer, market: Market) -> None:
    acme, other = market.seller("acme"), market.seller("other")
    own_wh = market.warehouse_ids[0]
    fulfilled = market.product(acme, stock=4)
    custody = market.product(acme, stock=0, mode=SellingMode.FULL_CUSTODY)
    theirs = market.product(other, stock=2, mode=SellingMode.FULL_CUSTODY)
    dock = platform_warehouse(market.db, "PLAT-TX", "Austin", "TX", "73301")
    arrival = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    with signed_in(server, person(market, "acme-staff", Role.SELLER, seller_id=acme), PASSWORD) as (c, csrf):
        cases = [
            ("/seller/inventory/stock", {"sku": fulfilled, "warehouse_id": str(own_wh), "on_hand": "-3"}, 422),
            ("/seller/inventory/stock", {"sku": fulfilled, "warehouse_id": str(dock), "on_hand": "9"}, 403),
            ("/seller/inventory/stock", {"sku": theirs, "warehouse_id": str(own_wh), "on_hand": "9"}, 404),
            ("/seller/consignments", {"warehouse_id": str(dock), "expected_arrival": arrival,
                                      "sku_0": fulfilled, "qty_0": "5"}, 422),  # seller-fulfilled: not consignable
            ("/seller/consignments", {"warehouse_id": str(dock), "expected_arrival": arrival,
                                      "sku_0": theirs, "qty_0": "5"}, 404),  # another shop's SKU
            ("/seller/consignments", {"warehouse_id": str(dock), "expected_arrival": "2020-01-01",
                                      "sku_0": custody, "qty_0": "5"}, 422),
            ("/seller/consignments", {"warehouse_id": str(own_wh), "expected_arrival": arrival,
                                      "sku_0": custody, "qty_0": "5"}, 422),  # not a platform warehouse
            ("/seller/consignments", {"warehouse_id": str(dock), "expected_arrival": arrival,
                                      "sku_0": custody, "qty_0": "0"}, 422),
            ("/seller/consignments", {"warehouse_id": str(dock), "expected_arrival": arrival}, 422),  # no lines
        ]  # fmt: skip
        for path, data, status in cases:
            response = c.post(path, data={"csrf_token": csrf, **data})
            assert response.status_code == status, (path, data, response.status_code)
            assert 'role="alert"' in response.text, (path, data)
        # The typed lines survive a refused form, so nothing has to be typed again.
        kept = c.post("/seller/consignments", data={"csrf_token": csrf, "warehouse_id": str(dock),
                                                    "expected_arrival": "2020-01-01", "sku_0": custody,
                                                    "qty_0": "7"})  # fmt: skip
        assert f'value="{custody}"' in kept.text and 'value="7"' in kept.text
        # Without the session's CSRF token nothing runs at all.
        forged = c.post("/seller/inventory/stock", data={"sku": fulfilled, "warehouse_id": str(own_wh), "on_hand": "1"})
        assert forged.status_code == 403
    assert stock_at(market.db, fulfilled, own_wh)[0] == 4
    assert _count(market) == 0

    # Another seller's consignment reads as missing, and is not on its page.
    with signed_in(server, "acme-staff@web.example", PASSWORD) as (c, csrf):
        c.post("/seller/consignments", data={"csrf_token": csrf, "warehouse_id": str(dock),
                                             "expected_arrival": arrival, "sku_0": custody, "qty_0": "2"})  # fmt: skip
    [(mine, _, _)] = _consignments(market)
    with signed_in(server, person(market, "other-staff", Role.SELLER, seller_id=other), PASSWORD) as (o, other_csrf):
        assert o.post(f"/seller/consignments/{mine}/cancel", data={"csrf_token": other_csrf}).status_code == 404
        assert f'id="consignment-{mine}"' not in o.get("/seller/inventory").text
    assert _consignments(market)[0][1] is ConsignmentStatus.DRAFT
