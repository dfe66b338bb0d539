"""The console's receiving dock over real HTTP: a seller's shipped consignment waits at the dock; an
operator counts one line (the good units go on sale), a count that does not add up is refused with the
reason and writes nothing, and closing the rest records it as short. Sellers and shoppers are refused."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from shipping.shipping_world import platform_warehouse
from support import LiveServer, Market
from web.web_client import signed_in
from web_browser.browser_world import PASSWORD, person
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.inventory.custody_models import ConsignmentStatus, InboundConsignment, StockReceipt
from yellowcart.inventory.models import Stock


def _status(market: Market, consignment_id: int) -> ConsignmentStatus:
    with market.db.transaction() as s:
        return s.get_one(InboundConsignment, consignment_id).status


def _on_hand(market: Market, sku: str, warehouse_id: int) -> int:
    """Units on hand (0 when the SKU has no stock row there yet)."""
    with market.db.transaction() as s:
        found = s.scalar(
            select(Stock.on_hand)
            .join(Variant, Variant.id == Stock.variant_id)
            .where(Variant.sku == sku, Stock.warehouse_id == warehouse_id)
        )
        return int(found or 0)


def _receipts(market: Market) -> list[tuple[int, int, int, int]]:
    with market.db.transaction() as s:
        rows = s.execute(
            select(StockReceipt.expected, StockReceipt.received, StockReceipt.damaged, StockReceipt.short).order_by(
                StockReceipt.id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_operator_counts_a_consignment_and_closes_the_rest(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    cream = market.product(acme, stock=0, mode=SellingMode.FULL_CUSTODY, title="Night cream")
    mask = market.product(acme, stock=0, mode=SellingMode.FULL_CUSTODY, title="Sheet mask")
    dock = platform_warehouse(market.db, "PLAT-NJ", "Newark", "NJ", "07102")
    arrival = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    with signed_in(server, person(market, "acme-staff", Role.SELLER, seller_id=acme), PASSWORD) as (c, csrf):
        lines = {"sku_0": cream, "qty_0": "10", "sku_1": mask, "qty_1": "4"}
        filed = c.post(
            "/seller/consignments",
            data={"csrf_token": csrf, "warehouse_id": str(dock), "expected_arrival": arrival, **lines},
        )
        assert filed.status_code == 303, filed.text
        consignment = int(filed.headers["location"].rsplit("ref=", 1)[1])
        assert c.get(f"/ops/receiving/consignments/{consignment}").status_code == 403  # a seller is not an operator
        ship = {"csrf_token": csrf, "carrier": "ups", "tracking_number": "1Z999AA10123456784"}
        shipped = c.post(f"/seller/consignments/{consignment}/ship", data=ship)
        assert shipped.status_code == 303, shipped.text

    with signed_in(server, person(market, "olga", Role.OPERATOR), PASSWORD) as (o, csrf):
        queue = o.get("/ops/receiving").text
        assert f'href="/ops/receiving/consignments/{consignment}"' in queue and "acme" in queue and "PLAT-NJ" in queue
        page = o.get(f"/ops/receiving/consignments/{consignment}").text
        assert f'name="received__{cream}"' in page and 'id="close-form"' in page

        # 8 good + 1 damaged + 0 short != 10 expected: refused, nothing counted, nothing in stock.
        bad = o.post(f"/ops/receiving/consignments/{consignment}/receipts",
                     data={"csrf_token": csrf, f"received__{cream}": "8", f"damaged__{cream}": "1"})  # fmt: skip
        assert bad.status_code == 422 and 'role="alert"' in bad.text and "add up" in bad.text
        assert _receipts(market) == [] and _on_hand(market, cream, dock) == 0
        empty = o.post(f"/ops/receiving/consignments/{consignment}/receipts", data={"csrf_token": csrf})
        assert empty.status_code == 422 and _receipts(market) == []

        good = o.post(f"/ops/receiving/consignments/{consignment}/receipts",
                      data={"csrf_token": csrf, f"received__{cream}": "8", f"damaged__{cream}": "1",
                            f"short__{cream}": "1"})  # fmt: skip
        assert good.status_code == 303
        assert "the good units are on sale" in o.get(good.headers["location"]).text
        assert _receipts(market) == [(10, 8, 1, 1)]
        assert _on_hand(market, cream, dock) == 8
        assert _status(market, consignment) is ConsignmentStatus.RECEIVING

        assert o.post(f"/ops/receiving/consignments/{consignment}/close", data={"csrf_token": csrf}).status_code == 422
        closed = o.post(
            f"/ops/receiving/consignments/{consignment}/close", data={"csrf_token": csrf, "reason": "box lost"}
        )
        assert closed.status_code == 303
        assert _status(market, consignment) is ConsignmentStatus.RECEIVED
        assert _receipts(market) == [(10, 8, 1, 1), (4, 0, 0, 4)]
        page = o.get(f"/ops/receiving/consignments/{consignment}").text
        assert 'id="close-form"' not in page and 'id="count-form"' in page and "Record the count" not in page
        # Received: it has left the dock's default list, and shows under its status.
        assert f'href="/ops/receiving/consignments/{consignment}"' not in o.get("/ops/receiving").text
        assert (
            f'href="/ops/receiving/consignments/{consignment}"'
            in o.get("/ops/receiving?kind=consignments&status=received").text
        )
        missing = o.get("/ops/receiving/consignments/987654")
        assert missing.status_code == 404
        assert (
            o.post("/ops/receiving/consignments/987654/close", data={"csrf_token": csrf, "reason": "x"}).status_code
            == 404
        )

    with signed_in(server, person(market, "ada", Role.SHOPPER), PASSWORD) as (s, _):
        assert s.get("/ops/receiving").status_code == 403


def test_operator_receives_a_purchase_order_at_the_same_dock(server: LiveServer, market: Market) -> None:
    house = market.seller("yellowcart-goods")
    tote = market.product(house, stock=0, mode=SellingMode.PLATFORM_OWNED, title="Canvas tote")
    dock = platform_warehouse(market.db, "PLAT-TX", "Austin", "TX", "73301")
    token = market.user("buyer", Role.OPERATOR)
    with server.client(token) as api:
        body = {"supplier_name": "Tote Works", "warehouse_id": dock, "lines": [
            {"sku": tote, "quantity": 6, "unit_cost_cents": 450}]}  # fmt: skip
        made = api.post("/v1/purchase-orders", json=body)
        assert made.status_code == 201, made.text
        order_id = made.json()["id"]
        assert api.post(f"/v1/purchase-orders/{order_id}/order").status_code == 200

    with signed_in(server, person(market, "olga", Role.OPERATOR), PASSWORD) as (o, csrf):
        href = f"/ops/receiving/purchase-orders/{order_id}"
        queue = o.get("/ops/receiving").text
        assert f'href="{href}"' in queue and "Tote Works" in queue
        assert f'href="{href}"' not in o.get("/ops/receiving?kind=consignments").text
        over = o.post(f"{href}/receipts", data={"csrf_token": csrf, f"received__{tote}": "7"})
        assert over.status_code == 422 and _receipts(market) == []  # more than expected, not declared
        declared = o.post(
            f"{href}/receipts", data={"csrf_token": csrf, f"received__{tote}": "7", f"over__{tote}": "on"}
        )
        assert declared.status_code == 303
        assert _receipts(market) == [(6, 7, 0, 0)] and _on_hand(market, tote, dock) == 7
        assert "Record the count" not in o.get(href).text
        assert o.get("/ops/receiving/shipments/1").status_code == 404  # not a kind of document the dock knows
