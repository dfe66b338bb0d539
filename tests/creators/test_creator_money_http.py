"""A creator's money and dashboard over real HTTP on SQLite and PostgreSQL: statements (JSON, CSV) and a
payout through the same settlement run as sellers (once), and the per-video/room dashboard with totals;
who may see them."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from creators.creators_world import (
    World,
    checkout,
    complete,
    join,
    listing,
    make_world,
    offer,
    ship_and_deliver,
    touch,
    touch_at,
    video,
)
from ledger.ledger_world import Clock, drain, ledger_bus, move, place_order
from support import LiveServer, Market
from yellowcart.catalog.models import Variant
from yellowcart.checkout import payments
from yellowcart.creators import handlers as creator_handlers
from yellowcart.creators.rules import commission
from yellowcart.events import emit
from yellowcart.orders.models import Order
from yellowcart.orders.state import OrderStatus


@pytest.fixture
def w(server: LiveServer, market: Market) -> World:
    world = make_world(server, market)
    join(world, "cara")
    return world


def test_creator_statement_csv_and_payout_settled_once(w: World) -> None:
    """Commission accrued on 3 October 2026 (the bus's clock); the period is closed over HTTP."""
    clock = Clock(dt.datetime(2026, 10, 3, 9, tzinfo=dt.UTC))
    bus = ledger_bus(payments.TestPaymentProvider(), clock)
    creator_handlers.register(bus, clock=clock)
    sku, pid = listing(w, price_cents=3000)
    offer(w, pid, 1000)
    content = video(w, "cara", pid)
    with w.market.db.transaction() as s:
        variant = int(s.scalar(select(Variant.id).where(Variant.sku == sku)) or 0)
    oid = place_order(w.market.db, w.ids["ada"], [(variant, 2)])
    with w.market.db.transaction() as s:
        order = s.get_one(Order, oid)
        emit(s, "order.paid", order_id=oid, seller_id=w.seller_id, shopper_id=w.ids["ada"])
    touch_at(w, "ada", content, pid, order.placed_at - dt.timedelta(hours=3))
    for status in (OrderStatus.IN_TRANSIT, OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        move(w.market.db, oid, status)
        drain(w.market.db, bus)
    owed = commission(6000, 1000)
    cara = w.ids["cara"]
    with w.client("cara") as c:
        statement = c.get(f"/v1/creators/{cara}/statements/2026-10-01").json()
        assert statement["creator_id"] == cara and statement["seller_id"] is None and statement["status"] == "open"
        assert (statement["opening_balance_cents"], statement["closing_balance_cents"]) == (0, owed)
        assert [(ln["kind"], ln["amount_cents"], ln["order_id"]) for ln in statement["lines"]] == [
            ("creator_commission", owed, oid)
        ]
        sheet = c.get(f"/v1/creators/{cara}/statements/2026-10-01.csv")
        assert sheet.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(sheet.text)))
        assert rows[1][2] == "opening_balance" and rows[-1][2] == "closing_balance" and rows[-1][8] == str(owed)
        assert f"creator {cara}" in rows[1][-1] and rows[2][2] == "creator_commission"
    with w.client("ops") as c:
        run = c.post("/v1/operator/settlements", json={"period": "2026-10-01"}).json()
        paid = {(p["seller_id"], p["creator_id"]): p["amount_cents"] for p in run["payouts"]}
        assert paid[(None, cara)] == owed and (w.seller_id, None) in paid  # both parties, one run
        again = c.post("/v1/operator/settlements", json={"period": "2026-10-01"}).json()
        assert again["payouts"] == [] and again["already_closed"] == run["statements_closed"] == 2
    with w.client("cara") as c:
        closed = c.get(f"/v1/creators/{cara}/statements/2026-10-01").json()
        assert closed["status"] == "closed" and closed["payout"]["amount_cents"] == owed
        assert closed["payout"]["transfer_reference"] == f"MANUAL-yc-payout-creator-{cara}-2026-10-01"
        following = c.get(f"/v1/creators/{cara}/statements/2026-10-16").json()
        assert (following["opening_balance_cents"], following["closing_balance_cents"]) == (owed, 0)
        assert [ln["kind"] for ln in following["lines"]] == ["payout"]
        assert [p["amount_cents"] for p in c.get(f"/v1/creators/{cara}/payouts").json()["items"]] == [owed]
        assert c.get(f"/v1/creators/{cara}/statements").json()["items"][0]["payout_cents"] == owed
        assert c.get(f"/v1/creators/{cara}/balance").json()["payable_cents"] == 0
    for who, status in (("dev", 404), ("ada", 403), ("seller", 403)):
        with w.client(who) as c:
            assert c.get(f"/v1/creators/{cara}/statements/2026-10-01").status_code == status
            assert c.get(f"/v1/creators/{cara}/payouts").status_code == status
    with w.client("seller") as c:  # the seller's own statement is unchanged in shape
        mine = c.get(f"/v1/sellers/{w.seller_id}/statements/2026-10-01").json()
        assert mine["seller_id"] == w.seller_id and mine["creator_id"] is None
        assert -owed in [ln["amount_cents"] for ln in mine["lines"] if ln["component"] == "creator"]


def test_dashboard_per_video_and_room_with_totals(w: World) -> None:
    sku, pid = listing(w, price_cents=2000)
    offer(w, pid, 1200)
    clip = video(w, "cara", pid)
    with w.client("cara") as c:
        room = c.post("/v1/content", json={"kind": "live", "title": "Drop", "product_ids": [pid]}).json()["id"]
    quiet = video(w, "cara", pid)
    touch(w, "bob", room, pid)  # bob only watches the room
    touch(w, "ada", room, pid)
    touch(w, "ada", clip, pid)
    touch(w, "ada", clip, pid, kind="cart_tap")  # the clip is ada's last touch
    oid = int(checkout(w, "ada", [(sku, 3)])["id"])
    ship_and_deliver(w, oid)
    complete(w, oid)
    owed = commission(6000, 1200)
    cara = w.ids["cara"]
    with w.client("cara") as c:
        board = c.get(f"/v1/creators/{cara}/dashboard").json()
        rows = {item["content_id"]: item for item in board["items"]}
        assert set(rows) == {clip, room, quiet} and rows[room]["kind"] == "live"
        figures = ("views", "cart_taps", "orders", "gmv_cents", "commission_accrued_cents", "commission_reversed_cents")
        assert [rows[clip][k] for k in figures] == [1, 1, 1, 6000, owed, 0]
        assert [rows[room][k] for k in figures] == [2, 0, 0, 0, 0, 0]
        assert [rows[quiet][k] for k in figures] == [0] * 6
        assert [board["totals"][k] for k in figures] == [3, 1, 1, 6000, owed, 0]
        tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date().isoformat()
        empty = c.get(f"/v1/creators/{cara}/dashboard", params={"from": tomorrow, "to": tomorrow}).json()
        assert all(empty["totals"][k] == 0 for k in figures) and len(empty["items"]) == 3
        backwards = c.get(f"/v1/creators/{cara}/dashboard", params={"from": "2026-11-10", "to": "2026-11-01"})
        assert backwards.status_code == 422
        assert c.get(f"/v1/creators/{cara}/dashboard", params={"from": "2020-01-01"}).status_code == 422
    for who, status in (("dev", 404), ("ada", 403), ("seller", 403)):
        with w.client(who) as c:
            assert c.get(f"/v1/creators/{cara}/dashboard").status_code == status
    with w.client("ops") as c:
        assert c.get(f"/v1/creators/{cara}/dashboard").json()["totals"]["orders"] == 1
    with w.client() as anon:
        assert anon.get(f"/v1/creators/{cara}/dashboard").status_code == 401
