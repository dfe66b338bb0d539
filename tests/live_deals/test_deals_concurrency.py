"""Real concurrency through real HTTP on both backends: a deal never sells more than its quantity, a
shopper never more than the limit, and the SKU's stock adds up after the deal ends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from live_deals.deal_world import active_reserved, buy, deal_row, drain_outbox, live_room, running_deal, shopper_units
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.db import utcnow
from yellowcart.live.deal_jobs import run_live_deals
from yellowcart.live.deal_models import DealPurchase
from yellowcart.orders.models import Order
from yellowcart.orders.state import OrderStatus


def test_64_shoppers_race_for_a_20_unit_deal(server: LiveServer, market: Market) -> None:
    room = live_room(server, market, stock=30)
    deal = running_deal(server, room, quantity=20, per_shopper_limit=1)
    shoppers = [market.user(f"buyer{i}", Role.SHOPPER) for i in range(64)]

    def attempt(token: str) -> httpx.Response:
        return buy(server, token, room, deal["id"])

    with ThreadPoolExecutor(64) as pool:
        responses = list(pool.map(attempt, shoppers))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 20, statuses
    assert statuses.count(409) == 44, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"deal_sold_out"}
    assert deal_row(market, deal["id"]).remaining == 0
    with market.db.transaction() as s:
        assert s.scalar(select(func.count(Order.id)).where(Order.status == OrderStatus.AWAITING_SHIPMENT)) == 20
        assert s.scalar(select(func.coalesce(func.sum(DealPurchase.quantity), 0))) == 20
    assert market.stock(room.sku) == (30, 20)  # the 20 deal units now held by 20 paid orders
    assert active_reserved(market) == 20

    run = run_live_deals(server.container.db, now=deal_row(market, deal["id"]).ends_at)
    assert run.ended == [deal["id"]]
    assert run_live_deals(server.container.db, now=utcnow()).ended == []  # exactly once
    ended = deal_row(market, deal["id"])
    assert (ended.status.value, ended.released_units) == ("ended", 0)
    assert market.stock(room.sku) == (30, 20) and active_reserved(market) == 20
    normal = buy(server, shoppers[0], room, None, quantity=10)  # the 10 never set aside are still on sale
    assert normal.status_code == 201, normal.text
    assert market.stock(room.sku) == (30, 30)


def test_one_shopper_racing_themselves_gets_the_limit(server: LiveServer, market: Market) -> None:
    room = live_room(server, market, stock=50)
    deal = running_deal(server, room, quantity=40, per_shopper_limit=2)
    token = market.user("eager", Role.SHOPPER)

    def attempt(_: int) -> httpx.Response:
        return buy(server, token, room, deal["id"])

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(attempt, range(16)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 2, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"deal_limit_reached"}
    assert shopper_units(market, deal["id"], market.users["eager"]) == 2
    assert deal_row(market, deal["id"]).remaining == 38  # a refused request took nothing
    assert market.stock(room.sku) == (50, 40) and active_reserved(market) == 40
    assert buy(server, token, room, deal["id"], quantity=3).json()["code"] == "deal_limit_reached"


def test_a_declined_card_gives_the_units_back_to_the_running_deal(server: LiveServer, market: Market) -> None:
    room = live_room(server, market, stock=10)
    deal = running_deal(server, room, quantity=5, per_shopper_limit=2)
    token = market.user("ada", Role.SHOPPER)
    declined = buy(server, token, room, deal["id"], quantity=2, payment_method="tok_chargeDeclined")
    assert declined.status_code == 402
    assert deal_row(market, deal["id"]).remaining == 3
    drain_outbox(server)
    drain_outbox(server)  # redelivered: nothing comes back twice
    assert deal_row(market, deal["id"]).remaining == 5
    assert shopper_units(market, deal["id"], market.users["ada"]) == 0
    assert market.stock(room.sku) == (10, 5) and active_reserved(market) == 5
    assert buy(server, token, room, deal["id"], quantity=2).status_code == 201  # the limit counts live orders


def test_an_order_cancelled_after_the_deal_ended_leaves_its_units_with_the_sku(
    server: LiveServer, market: Market
) -> None:
    room = live_room(server, market, stock=10)
    deal = running_deal(server, room, quantity=6)
    token = market.user("ada", Role.SHOPPER)
    order_id = buy(server, token, room, deal["id"], quantity=2).json()["orders"][0]["id"]
    with server.client(room.host) as c:
        assert c.post(f"/v1/live-rooms/{room.id}/deals/{deal['id']}/end").json()["released_units"] == 4
    assert market.stock(room.sku) == (10, 2)
    with server.client(token) as c:
        assert c.post(f"/v1/orders/{order_id}/cancel", json={}).status_code == 200
    drain_outbox(server)
    assert market.stock(room.sku) == (10, 0) and active_reserved(market) == 0
    ended = deal_row(market, deal["id"])
    assert (ended.remaining, ended.released_units) == (4, 4)
