"""Live deals through real HTTP on both backends: who may run a room's deals, the price only inside
the room and only while the deal runs, the countdown, and what ending gives back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select, update

from live_deals.deal_world import (
    active_reserved,
    buy,
    deal_body,
    deal_row,
    drain_outbox,
    live_room,
    product_id,
    running_deal,
)
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.modes import SellingMode
from yellowcart.content.models import Anchor, Content, ContentKind, ContentStatus, LiveState
from yellowcart.db import utcnow
from yellowcart.events import OutboxEvent
from yellowcart.live.deal_models import LiveDeal
from yellowcart.money import percent_of
from yellowcart.orders.models import Order


def test_only_the_host_and_operators_run_a_rooms_deals(server: LiveServer, market: Market) -> None:
    room = live_room(server, market)
    body = deal_body(room)
    other_seller = market.user("rival", Role.SELLER, seller_id=market.seller("rival-shop"))
    with server.client() as anon:
        assert anon.post(f"/v1/live-rooms/{room.id}/deals", json=body).status_code == 401
    for token in (market.user("shopper", Role.SHOPPER), other_seller, market.user("creator", Role.CREATOR)):
        with server.client(token) as c:
            refused = c.post(f"/v1/live-rooms/{room.id}/deals", json=body)
            assert refused.status_code == 403, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
    with server.client(room.host) as c:
        made = c.post(f"/v1/live-rooms/{room.id}/deals", json=body)
        assert made.status_code == 201, made.text
        deal_id = made.json()["id"]
    with server.client(other_seller) as c:
        assert c.post(f"/v1/live-rooms/{room.id}/deals/{deal_id}/start").status_code == 403
        assert c.post(f"/v1/live-rooms/{room.id}/deals/{deal_id}/end").status_code == 403
    with server.client(market.user("ops", Role.OPERATOR)) as c:
        started = c.post(f"/v1/live-rooms/{room.id}/deals/{deal_id}/start")
        assert started.status_code == 200 and started.json()["status"] == "running"
    with server.client() as anon:  # the room's deals are public, like the room
        listed = anon.get(f"/v1/live-rooms/{room.id}/deals").json()["items"]
        assert [d["id"] for d in listed] == [deal_id]
        assert anon.get(f"/v1/live-rooms/{room.id}/deals/{deal_id}").json()["remaining"] == 20


def test_a_creator_host_cannot_discount_a_sellers_own_price(server: LiveServer, market: Market) -> None:
    seller_id = market.seller("maker")
    own_price = market.product(seller_id, stock=10)
    custody = market.product(seller_id, stock=10, mode=SellingMode.FULL_CUSTODY, price_cents=2000)
    creator = market.user("creator", Role.CREATOR)
    ids = [product_id(market, own_price), product_id(market, custody)]
    with market.db.transaction() as s:  # (how a creator comes to tag listings is the affiliate programme's)
        room = Content(
            kind=ContentKind.LIVE,
            owner_user_id=market.users["creator"],
            title="Picks",
            status=ContentStatus.PUBLISHED,
            live_state=LiveState.SCHEDULED,
            anchors=[Anchor(product_id=pid, position=i) for i, pid in enumerate(ids)],
        )
        s.add(room)
        s.flush()
        room_id = room.id
    with server.client(creator) as c:
        url = f"/v1/live-rooms/{room_id}/deals"
        common = {"quantity": 5, "duration_seconds": 300}
        assert c.post(url, json={"sku": own_price, "price_cents": 1000, **common}).status_code == 403
        below_supply = c.post(url, json={"sku": custody, "price_cents": 1100, **common})  # supply is 60%: 1200
        assert below_supply.status_code == 422 and below_supply.json()["field"] == "price_cents"
        assert c.post(url, json={"sku": custody, "price_cents": 1200, **common}).status_code == 201


def test_bad_terms_are_refused_and_change_nothing(server: LiveServer, market: Market) -> None:
    room = live_room(server, market, price_cents=2000)
    other = market.product(room.seller_id, stock=5)  # the host's, but not tagged in the room
    url = f"/v1/live-rooms/{room.id}/deals"
    with server.client(room.host) as c:
        for bad, field in (
            ({"price_cents": 2000}, "price_cents"),  # not below the normal price
            ({"duration_seconds": 5}, "duration_seconds"),
            ({"quantity": 0}, "quantity"),
            ({"sku": other}, "sku"),
        ):
            refused = c.post(url, json=deal_body(room, **bad))
            assert refused.status_code == 422, (bad, refused.text)
            assert field in refused.text
        both = deal_body(room, ends_at="2030-01-01T00:00:00Z")
        assert c.post(url, json=both).status_code == 422  # ends_at and duration_seconds
        assert c.post(url, json=deal_body(room)).status_code == 201
        again = c.post(url, json=deal_body(room))
        assert again.status_code == 409 and again.json()["code"] == "deal_exists"
        assert len(c.get(url).json()["items"]) == 1


def test_price_only_in_the_room_and_while_the_deal_runs(server: LiveServer, market: Market) -> None:
    room = live_room(server, market, price_cents=2000)
    shopper = market.user("ada", Role.SHOPPER)
    with server.client(room.host) as c:
        deal = c.post(f"/v1/live-rooms/{room.id}/deals", json=deal_body(room, price_cents=1500)).json()
    early = buy(server, shopper, room, deal["id"])
    assert early.status_code == 409 and early.json()["code"] == "deal_not_started"

    with server.client(room.host) as c:
        started = c.post(f"/v1/live-rooms/{room.id}/deals/{deal['id']}/start").json()
    assert started["status"] == "running" and 595 <= started["seconds_left"] <= 600
    other_room = live_room(server, market, name="other")
    elsewhere = buy(server, shopper, room, deal["id"], room_id=other_room.id)
    assert elsewhere.status_code == 409 and elsewhere.json()["code"] == "deal_not_in_room"

    normal = buy(server, shopper, room, None, quantity=2)
    assert normal.status_code == 201, normal.text
    assert normal.json()["orders"][0]["lines"][0]["unit_price_cents"] == 2000 and normal.json()["deals"] == []

    bought = buy(server, shopper, room, deal["id"], quantity=2)
    assert bought.status_code == 201, bought.text
    order = bought.json()["orders"][0]
    assert order["lines"][0]["unit_price_cents"] == 1500 and order["subtotal_cents"] == 3000
    with server.client() as anon:
        ny = next(r for r in anon.get("/v1/tax-rates").json() if r["state"] == "NY")
    assert order["tax_cents"] == percent_of(3000, Decimal(ny["rate"]))  # tax on the deal price
    assert bought.json()["deals"] == [
        {
            "sku": room.sku,
            "deal_id": deal["id"],
            "room_id": room.id,
            "quantity": 2,
            "unit_price_cents": 1500,
            "was_cents": 2000,
        }
    ]
    with server.client(room.host) as c:
        ended = c.post(f"/v1/live-rooms/{room.id}/deals/{deal['id']}/end").json()
    assert ended["status"] == "ended" and ended["released_units"] == 18 and ended["seconds_left"] is None
    late = buy(server, shopper, room, deal["id"])
    assert late.status_code == 409 and late.json()["code"] == "deal_ended"


def test_deal_ended_between_cart_and_checkout_is_409_and_writes_nothing(server: LiveServer, market: Market) -> None:
    room = live_room(server, market, stock=30)
    shopper = market.user("ada", Role.SHOPPER)
    deal = running_deal(server, room, quantity=10)
    over = utcnow() - dt.timedelta(seconds=1)
    with market.db.transaction() as s:  # the countdown ran out; the job has not run yet
        s.execute(
            update(LiveDeal)
            .where(LiveDeal.id == deal["id"])
            .values(starts_at=over - dt.timedelta(minutes=10), ends_at=over)
        )
    before = (market.stock(room.sku), active_reserved(market))
    late = buy(server, shopper, room, deal["id"])
    assert late.status_code == 409 and late.json()["code"] == "deal_ended"
    assert late.headers["content-type"].startswith("application/problem+json")
    assert (market.stock(room.sku), active_reserved(market)) == before
    assert deal_row(market, deal["id"]).remaining == 10
    with market.db.transaction() as s:
        assert s.scalar(select(func.count(Order.id))) == 0


def test_ordinary_checkout_cannot_take_the_deal_units(server: LiveServer, market: Market) -> None:
    room = live_room(server, market, stock=25)
    deal = running_deal(server, room, quantity=20)
    assert market.stock(room.sku) == (25, 20)
    shopper = market.user("ada", Role.SHOPPER)
    too_many = buy(server, shopper, room, None, quantity=6)
    assert too_many.status_code == 409 and too_many.json()["code"] == "insufficient_stock"
    assert buy(server, shopper, room, None, quantity=5).status_code == 201
    assert buy(server, shopper, room, deal["id"], quantity=3).status_code == 201
    assert market.stock(room.sku) == (25, 25)
    assert active_reserved(market) == 25


def test_host_ending_the_room_ends_its_deals_and_gives_the_rest_back(server: LiveServer, market: Market) -> None:
    room = live_room(server, market, stock=[10, 10])  # the deal draws from two warehouses
    deal = running_deal(server, room, quantity=15)
    assert market.stock(room.sku) == (20, 15)
    shopper = market.user("ada", Role.SHOPPER)
    assert buy(server, shopper, room, deal["id"], quantity=12).status_code == 201  # splits across set-asides
    with server.client(room.host) as c:
        assert c.patch(f"/v1/content/{room.id}", json={"live_state": "ended"}).status_code == 200
    gone = buy(server, shopper, room, deal["id"])  # before the worker: the room is over, so is the deal
    assert gone.status_code == 409 and gone.json()["code"] == "deal_ended"
    drain_outbox(server)
    drain_outbox(server)  # a redelivery or second run gives nothing back twice
    ended = deal_row(market, deal["id"])
    assert (ended.status.value, ended.end_reason, ended.released_units, ended.remaining) == (
        "ended",
        "room_ended",
        3,
        3,
    )
    assert market.stock(room.sku) == (20, 12)
    assert active_reserved(market) == 12
    with market.db.transaction() as s:
        topics = s.scalars(select(OutboxEvent.topic).where(OutboxEvent.topic.like("live.deal%"))).all()
    assert sorted(topics) == ["live.deal_ended", "live.deal_sold", "live.deal_started"]
