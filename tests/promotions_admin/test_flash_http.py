"""Flash deals over real HTTP on SQLite and PostgreSQL: a flash_deal promotion sells through a live deal
without a room: activating it makes the deal, the jobs start it (its units set aside) and end it when it
sells out or its window passes, checkout buys it with ``deal_id`` alone, ending the promotion ends the
deal, and 30 shoppers racing for a cap of 10 buy exactly 10."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from live_deals.deal_world import active_reserved, deal_row, drain_outbox, live_room, running_deal
from promotions_admin.promo_world import World, active, buy, create, iso, row, variant_of, world
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.db import utcnow
from yellowcart.live import deal_checkout
from yellowcart.live.deal_jobs import run_live_deals
from yellowcart.live.deal_models import DealPurchase
from yellowcart.promotions import jobs


@pytest.fixture
def w(server: LiveServer, market: Market) -> World:
    return world(server, market, price_cents=2000, stock=40)


def flash(w: World, c: httpx.Client, **over: Any) -> dict[str, Any]:
    terms: dict[str, Any] = {
        "kind": "flash_deal",
        "name": "Flash",
        "variant_ids": [w.variant_a],
        "percent_off_bps": 2500,
        "quantity_cap": 5,
        "per_shopper_limit": 2,
        "ends_at": iso(utcnow() + dt.timedelta(hours=2)),
    }
    terms.update(over)
    return active(c, **terms)


def test_a_flash_deal_starts_with_the_jobs_sells_out_and_ends(w: World) -> None:
    starts = utcnow() + dt.timedelta(minutes=5)
    with w.client(w.a) as c:
        promo = flash(w, c, starts_at=iso(starts))
        deal = promo["deal"]
        terms = (deal["status"], deal["price_cents"], deal["was_cents"], deal["quantity"])
        assert terms == ("scheduled", 1500, 2000, 5)
        assert c.post(f"/v1/promotions/{promo['id']}/pause").json()["code"] == "flash_deal_not_pausable"
        fixed = c.patch(f"/v1/promotions/{promo['id']}", json={"ends_at": iso(starts + dt.timedelta(hours=1))})
        assert fixed.status_code == 409 and fixed.json()["code"] == "promotion_terms_fixed"
        twin = create(c, kind="flash_deal", variant_ids=[w.variant_a], quantity_cap=3)
        taken = c.post(f"/v1/promotions/{twin['id']}/activate")
        assert taken.status_code == 409 and taken.json()["code"] == "flash_deal_exists"
    assert w.market.stock(w.sku_a) == (40, 0)  # nothing set aside before it starts
    early = buy(w.server, w.shopper, w.sku_a, deal_id=deal["deal_id"])
    assert early.status_code == 409 and early.json()["code"] == "deal_not_started"

    db = w.server.container.db
    assert jobs.run(db, utcnow()).deals_started == []  # not yet
    assert jobs.run(db, starts).deals_started == [promo["id"]]
    assert jobs.run(db, starts).deals_started == []  # once
    assert w.market.stock(w.sku_a) == (40, 5)

    bought = buy(w.server, w.shopper, w.sku_a, quantity=2, deal_id=deal["deal_id"])
    assert bought.status_code == 201, bought.text
    line = bought.json()["orders"][0]["lines"][0]
    assert (line["sku"], line["quantity"], line["unit_price_cents"]) == (w.sku_a, 2, 1500)
    over_limit = buy(w.server, w.shopper, w.sku_a, deal_id=deal["deal_id"])
    assert over_limit.status_code == 409 and over_limit.json()["code"] == "deal_limit_reached"
    for name, quantity in (("ann", 2), ("ben", 1)):
        token = w.market.user(name, Role.SHOPPER)
        assert buy(w.server, token, w.sku_a, quantity=quantity, deal_id=deal["deal_id"]).status_code == 201
    late = buy(w.server, w.market.user("cat", Role.SHOPPER), w.sku_a, deal_id=deal["deal_id"])
    assert late.status_code == 409 and late.json()["code"] == "deal_sold_out"
    with w.client(w.a) as c:
        sold = c.get(f"/v1/promotions/{promo['id']}").json()
    assert (sold["units_sold"], sold["deal"]["remaining"]) == (5, 0)

    assert jobs.run(db, utcnow()).ended == {promo["id"]: "sold_out"}
    assert jobs.run(db, utcnow()).ended == {}
    ended = deal_row(w.market, deal["deal_id"])
    assert (ended.status.value, ended.end_reason, ended.released_units) == ("ended", "sold_out", 0)
    assert row(w.market, promo["id"]).end_reason == "sold_out"
    assert w.market.stock(w.sku_a) == (40, 5) and active_reserved(w.market) == 5
    with w.market.db.transaction() as s:
        rooms = s.execute(select(DealPurchase.room_id, func.sum(DealPurchase.quantity)).group_by(DealPurchase.room_id))
        assert rooms.all() == [(None, 5)]


def test_ending_the_promotion_ends_its_deal_and_gives_the_units_back(w: World) -> None:
    with w.client(w.a) as c:
        promo = flash(w, c, quantity_cap=8)  # starts now: set aside at activation
        assert promo["deal"]["status"] == "running"
        assert w.market.stock(w.sku_a) == (40, 8)
        assert buy(w.server, w.shopper, w.sku_a, deal_id=promo["deal"]["deal_id"]).status_code == 201
        ended = c.post(f"/v1/promotions/{promo['id']}/end").json()
    assert (ended["status"], ended["end_reason"], ended["units_sold"]) == ("ended", "ended", 1)
    deal = deal_row(w.market, promo["deal"]["deal_id"])
    assert (deal.status.value, deal.end_reason, deal.released_units) == ("ended", "promotion_ended", 7)
    assert w.market.stock(w.sku_a) == (40, 1)
    gone = buy(w.server, w.shopper, w.sku_a, deal_id=promo["deal"]["deal_id"])
    assert gone.status_code == 409 and gone.json()["code"] == "deal_ended"


def test_a_short_sku_cannot_start_a_flash_deal(w: World) -> None:
    with w.client(w.a) as c:
        now_short = c.post(
            "/v1/promotions",
            json={"kind": "flash_deal", "name": "Too many", "variant_ids": [w.variant_a], "percent_off_bps": 1000,
                  "quantity_cap": 41, "ends_at": iso(utcnow() + dt.timedelta(hours=1))},
        ).json()  # fmt: skip
        r = c.post(f"/v1/promotions/{now_short['id']}/activate")
        assert r.status_code == 409 and r.json()["code"] == "insufficient_stock", r.text
        assert row(w.market, now_short["id"]).status.value == "draft"  # nothing kept
        starts = utcnow() + dt.timedelta(minutes=1)
        later = flash(w, c, quantity_cap=30, starts_at=iso(starts))
    assert buy(w.server, w.shopper, w.sku_a, quantity=15).status_code == 201
    done = jobs.run(w.server.container.db, starts)
    assert done.ended == {later["id"]: "insufficient_stock"}
    assert deal_row(w.market, later["deal"]["deal_id"]).status.value == "cancelled"
    assert w.market.stock(w.sku_a) == (40, 15)


def test_room_and_flash_deals_are_bought_each_their_own_way(server: LiveServer, market: Market) -> None:
    room = live_room(server, market, stock=20)
    in_room = running_deal(server, room, quantity=2)
    other = market.product(room.seller_id, stock=10, price_cents=1999)
    with server.client(room.host) as c:
        promo = active(
            c, kind="flash_deal", name="Flash", variant_ids=[variant_of(market, other)[1]], percent_off_bps=1000,
            quantity_cap=3, ends_at=iso(utcnow() + dt.timedelta(hours=2)),
        )  # fmt: skip
    flash_id = promo["deal"]["deal_id"]
    with market.db.transaction() as s:
        with pytest.raises(deal_checkout.DealNotInRoom):
            deal_checkout.offer(s, deal_id=flash_id, room_id=room.id, sku=other, quantity=1, now=utcnow())
        with pytest.raises(deal_checkout.DealNotInRoom):
            deal_checkout.offer(s, deal_id=in_room["id"], room_id=None, sku=room.sku, quantity=1, now=utcnow())
        got = deal_checkout.offer(s, deal_id=flash_id, room_id=None, sku=other, quantity=1, now=utcnow())
        assert (got.room_id, got.price_cents) == (None, 1799)
    # the live-deals job ends both when their windows are over, a room-less deal without any room check
    run = run_live_deals(server.container.db, now=utcnow() + dt.timedelta(hours=3))
    assert sorted(run.ended) == sorted([in_room["id"], flash_id])
    assert deal_row(market, flash_id).end_reason == "expired"
    assert market.stock(other) == (10, 0)
    assert jobs.run(server.container.db, utcnow()).ended == {promo["id"]: "expired"}
    drain_outbox(server)  # the deals' events with no room reach their handlers harmlessly


def test_thirty_shoppers_race_for_ten_units(w: World) -> None:
    with w.client(w.a) as c:
        promo = flash(w, c, quantity_cap=10, per_shopper_limit=1)
    deal_id = promo["deal"]["deal_id"]
    shoppers = [w.market.user(f"racer{i}", Role.SHOPPER) for i in range(30)]

    def attempt(token: str) -> httpx.Response:
        return buy(w.server, token, w.sku_a, deal_id=deal_id)

    with ThreadPoolExecutor(30) as pool:
        responses = list(pool.map(attempt, shoppers))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 10, [r.text for r in responses if r.status_code not in (201, 409)]
    assert statuses.count(409) == 20
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"deal_sold_out"}
    assert deal_row(w.market, deal_id).remaining == 0
    with w.market.db.transaction() as s:
        assert s.scalar(select(func.coalesce(func.sum(DealPurchase.quantity), 0))) == 10
    assert w.market.stock(w.sku_a) == (40, 10) and active_reserved(w.market) == 10
    assert run_live_deals(w.server.container.db, now=utcnow()).ended == [deal_id]  # sold out: over at once
    assert deal_row(w.market, deal_id).end_reason == "sold_out"
    assert jobs.run(w.server.container.db, utcnow()).ended == {promo["id"]: "sold_out"}
