"""The ledger over real HTTP on SQLite and PostgreSQL: a checkout shipped by its seller shows up in the
seller's balance, ledger and statement (JSON and CSV); operators set rates, record chargebacks, read the
trial balance and close a period whose payouts are made once; who may see and do what."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import select

from ledger.ledger_world import Clock, drain, ledger_bus, listing, move, place_order
from shipping.shipping_world import buy
from shipping.shipping_world import drain as drain_server
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.modes import SellingMode
from yellowcart.checkout import payments
from yellowcart.events import OutboxEvent, emit
from yellowcart.fulfillment.carriers.tracking_numbers import ups_check_digit
from yellowcart.ledger.periods import Period
from yellowcart.ledger.postings import bps_of
from yellowcart.orders.state import OrderStatus

UPS_BODY = "YC4R21039876543"
VALID_UPS = "1Z" + UPS_BODY + str(ups_check_digit(UPS_BODY))


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    acme = market.seller("acme")
    zed = market.seller("zed")
    return {
        "acme": acme,
        "zed": zed,
        "shopper": market.user("ada", Role.SHOPPER),
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "stranger": market.user("zed-staff", Role.SELLER, zed),
        "operator": market.user("ops", Role.OPERATOR),
    }


def ship_own_carrier(server: LiveServer, token: str, order_id: int) -> None:
    with server.client(token) as c:
        items = c.get("/v1/shipments", params={"status": "allocated"}).json()["items"]
        for shipment in [s for s in items if s["order_id"] == order_id]:
            r = c.post(f"/v1/shipments/{shipment['id']}/ship", json={"carrier": "ups", "tracking_number": VALID_UPS})
            assert r.status_code == 200, r.text
    drain_server(server)  # order.shipped -> capture -> payment.captured -> the sale


def test_checkout_to_balance_ledger_statement_and_csv(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    with server.client(world["operator"]) as c:
        r = c.put("/v1/operator/commission-rates/default", json={"commission_bps": 1000, "fee_bps": 250})
        assert r.status_code == 200, r.text
    sku = market.product(world["acme"], price_cents=2500, stock=5)
    order = buy(server, world["shopper"], [(sku, 2)])["orders"][0]
    drain_server(server)
    ship_own_carrier(server, world["seller"], order["id"])
    goods, shipping = 5000, order["shipping_cents"]
    owed = goods + shipping - bps_of(goods, 1000) - bps_of(goods + shipping, 250)
    period = Period.containing(dt.datetime.now(dt.UTC)).label
    acme = world["acme"]
    with server.client(world["seller"]) as c:
        balance = c.get(f"/v1/sellers/{acme}/balance").json()
        assert balance["payable_cents"] == owed and balance["net_cents"] == owed
        postings = c.get(f"/v1/sellers/{acme}/ledger", params={"limit": 2}).json()
        assert len(postings["items"]) == 2 and postings["next_cursor"]
        rest = c.get(f"/v1/sellers/{acme}/ledger", params={"cursor": postings["next_cursor"]}).json()["items"]
        ledger_total = sum(e["postings"][0]["amount_cents"] for e in postings["items"] + rest)
        assert -ledger_total == owed  # the seller's side of every entry
        statement = c.get(f"/v1/sellers/{acme}/statements/{period}").json()
        assert statement["status"] == "open" and statement["timezone"] == "UTC"
        assert statement["opening_balance_cents"] == 0 and statement["closing_balance_cents"] == owed
        assert sum(line["amount_cents"] for line in statement["lines"]) == owed
        assert statement["totals"]["commission"] == -bps_of(goods, 1000)
        r = c.get(f"/v1/sellers/{acme}/statements/{period}.csv")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert [rows[0]["kind"], rows[-1]["kind"]] == ["opening_balance", "closing_balance"]
        assert sum(int(row["amount_cents"]) for row in rows[1:-1]) == int(rows[-1]["amount_cents"]) == owed
        assert c.get(f"/v1/sellers/{acme}/statements/2026-11-15").status_code == 422
        assert c.get(f"/v1/sellers/{world['zed']}/balance").status_code == 404
        assert c.get("/v1/operator/ledger/trial-balance").status_code == 403
    for token, status in ((world["stranger"], 404), (world["shopper"], 403), (None, 401)):
        with server.client(token) as c:
            assert c.get(f"/v1/sellers/{acme}/statements/{period}").status_code == status
            assert c.get(f"/v1/sellers/{acme}/statements/{period}.csv").status_code == status
    with server.client(world["operator"]) as c:
        tb = c.get("/v1/operator/ledger/trial-balance").json()
        assert tb["balanced"] and tb["total_cents"] == 0 and tb["accounts"]["seller_payable"] == -owed
        entries = c.get("/v1/operator/ledger/entries", params={"order_id": order["id"]}).json()["items"]
        assert [e["kind"] for e in entries] == ["sale"]
        assert {p["rate_bps"] for p in entries[0]["postings"] if p["component"] == "commission"} == {1000}
        assert c.get(f"/v1/sellers/{acme}/balance").json()["payable_cents"] == owed
    with market.db.transaction() as s:  # every handler of every event succeeded the first time
        assert s.scalars(select(OutboxEvent.topic).where(OutboxEvent.last_error.is_not(None))).all() == []


def test_operators_close_a_period_and_pay_once(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    """Entries booked in October 2026 (the test's clock); the period is closed over HTTP."""
    clock = Clock(dt.datetime(2026, 10, 3, 9, tzinfo=dt.UTC))
    bus = ledger_bus(payments.TestPaymentProvider(), clock)
    acme, zed = world["acme"], world["zed"]
    shopper = market.users["ada"]
    for seller, price in ((acme, 3000), (zed, 900)):
        oid = place_order(market.db, shopper, [(listing(market, seller, SellingMode.SELLER_FULFILLED, price), 2)])
        move(market.db, oid, OrderStatus.IN_TRANSIT)
        drain(market.db, bus)
    with market.db.transaction() as s:  # zed's store sales brought more commission than it earned here
        emit(
            s, "redirect.conversion_attributed", conversion_id=1, seller_id=zed, gmv_cents=99_000, commission_cents=4950
        )
    drain(market.db, bus)
    with server.client(world["seller"]) as c:
        owed = c.get(f"/v1/sellers/{acme}/statements/2026-10-01").json()["closing_balance_cents"]
        assert owed > 0
        assert c.post("/v1/operator/settlements", json={"period": "2026-10-01"}).status_code == 403
    with server.client(world["operator"]) as c:
        r = c.post("/v1/operator/settlements", json={"period": "2026-10-01"})
        assert r.status_code == 200, r.text
        run = r.json()
        assert run["statements_closed"] == 2 and [p["seller_id"] for p in run["payouts"]] == [acme]
        assert run["payouts"][0]["amount_cents"] == owed and run["netted_cents"] > 0
        again = c.post("/v1/operator/settlements", json={"period": "2026-10-01"}).json()
        assert again["payouts"] == [] and again["already_closed"] == 2
        assert c.post("/v1/operator/settlements", json={"period": "2026-09-16"}).status_code == 409
        future = Period.containing(dt.datetime.now(dt.UTC)).label
        assert c.post("/v1/operator/settlements", json={"period": future}).status_code == 422
        assert c.post("/v1/operator/settlements", json={"period": "2026-10-16", "adapter": "bank"}).status_code == 422
        assert c.post("/v1/operator/settlements", json={"period": "2026-10-17"}).status_code == 422
        assert [
            p["seller_id"] for p in c.get("/v1/operator/payouts", params={"period": "2026-10-01"}).json()["items"]
        ] == [acme]
    with server.client(world["seller"]) as c:
        closed = c.get(f"/v1/sellers/{acme}/statements/2026-10-01").json()
        assert closed["status"] == "closed" and closed["payout"]["amount_cents"] == owed
        assert closed["payout"]["transfer_reference"].startswith("MANUAL-")
        following = c.get(f"/v1/sellers/{acme}/statements/2026-10-16").json()
        assert following["opening_balance_cents"] == owed and following["closing_balance_cents"] == 0
        assert [line["kind"] for line in following["lines"]] == ["payout"]
        assert c.get(f"/v1/sellers/{acme}/statements").json()["items"][0]["payout_cents"] == owed
        assert c.get(f"/v1/sellers/{acme}/payouts").json()["items"][0]["amount_cents"] == owed
        assert c.get("/v1/operator/payouts").status_code == 403
    with server.client(world["stranger"]) as c:  # zed owed more than it earned: netted, nothing paid
        zed_balance = c.get(f"/v1/sellers/{zed}/balance").json()
        assert zed_balance["payable_cents"] == 0 and zed_balance["net_cents"] < 0
        assert c.get(f"/v1/sellers/{zed}/payouts").json()["items"] == []


def test_rates_and_chargebacks(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    sku_variant = listing(market, world["acme"], SellingMode.SELLER_FULFILLED, 4000)
    with server.client(world["operator"]) as c:
        listed = c.get("/v1/operator/commission-rates").json()
        assert listed["items"] == [] and listed["built_in_default"]["commission_bps"] > 0
        category = market.category_id
        r = c.put(f"/v1/operator/commission-rates/categories/{category}", json={"commission_bps": 1500, "fee_bps": 0})
        assert r.status_code == 200 and r.json()["rate_key"] == f"category:{category}"
        assert (
            c.put(
                "/v1/operator/commission-rates/categories/99999", json={"commission_bps": 1, "fee_bps": 0}
            ).status_code
            == 404
        )
        assert (
            c.put("/v1/operator/commission-rates/default", json={"commission_bps": 10001, "fee_bps": 0}).status_code
            == 422
        )
        assert (
            c.put("/v1/operator/commission-rates/default", json={"commission_bps": 5, "fee_bps": 0, "x": 1}).status_code
            == 422
        )
    clock = Clock(dt.datetime.now(dt.UTC))
    bus = ledger_bus(payments.TestPaymentProvider(), clock)
    oid = place_order(market.db, market.users["ada"], [(sku_variant, 1)])
    move(market.db, oid, OrderStatus.IN_TRANSIT)
    drain(market.db, bus)
    body = {"order_id": oid, "amount_cents": 1200, "reference": "dp_123"}
    with server.client(world["operator"]) as c:
        sale = c.get("/v1/operator/ledger/entries", params={"order_id": oid, "kind": "sale"}).json()["items"][0]
        assert {p["rate_bps"] for p in sale["postings"] if p["component"] == "commission"} == {1500}
        first = c.post("/v1/operator/chargebacks", json=body)
        assert first.status_code == 201, first.text
        replay = c.post("/v1/operator/chargebacks", json=body)
        assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
        assert c.post("/v1/operator/chargebacks", json={**body, "amount_cents": 5}).status_code == 409
        assert (
            c.post("/v1/operator/chargebacks", json={**body, "reference": "dp_9", "amount_cents": 10**7}).status_code
            == 422
        )
        assert c.post("/v1/operator/chargebacks", json={**body, "order_id": 99999, "reference": "z"}).status_code == 404
        assert c.post("/v1/operator/chargebacks", json={**body, "reference": "=cmd()"}).status_code == 422
        assert c.delete(f"/v1/operator/commission-rates/categories/{category}").status_code == 204
        assert c.delete(f"/v1/operator/commission-rates/categories/{category}").status_code == 404
        assert c.get("/v1/operator/ledger/trial-balance").json()["balanced"]
    with server.client(world["seller"]) as c:
        assert c.post("/v1/operator/chargebacks", json=body).status_code == 403
        assert (
            c.put("/v1/operator/commission-rates/default", json={"commission_bps": 1, "fee_bps": 1}).status_code == 403
        )
        kinds = [e["kind"] for e in c.get(f"/v1/sellers/{world['acme']}/ledger").json()["items"]]
        assert "chargeback" in kinds
