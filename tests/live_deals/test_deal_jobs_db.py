"""The deals' job and handlers on both backends: scheduled deals start when due (and only on air),
expired ones end once, a SKU without the units cancels the deal, and the room's end ends its deals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from live_deals.deal_world import active_reserved, buy, deal_body, deal_row, drain_outbox, live_room
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.db import utcnow
from yellowcart.events import OutboxEvent
from yellowcart.inventory.holds import release_unattached
from yellowcart.live.deal_jobs import run_live_deals


def _schedule(server: LiveServer, room_id: int, host: str, body: dict[str, object]) -> int:
    with server.client(host) as c:
        made = c.post(f"/v1/live-rooms/{room_id}/deals", json=body)
        assert made.status_code == 201, made.text
        assert made.json()["status"] == "scheduled"
        return int(made.json()["id"])


def _topics(market: Market) -> list[str]:
    with market.db.transaction() as s:
        return list(s.scalars(select(OutboxEvent.topic).where(OutboxEvent.topic.like("live.deal%"))).all())


def test_the_job_starts_due_deals_on_air_and_ends_them_once(server: LiveServer, market: Market) -> None:
    room = live_room(server, market, stock=12)
    soon = utcnow() + dt.timedelta(seconds=30)
    deal_id = _schedule(server, room.id, room.host, deal_body(room, quantity=8, starts_at=soon.isoformat()))
    db = server.container.db
    assert run_live_deals(db, now=utcnow()).started == []  # not yet
    assert market.stock(room.sku) == (12, 0)

    run = run_live_deals(db, now=soon + dt.timedelta(seconds=1))
    assert run.started == [deal_id]
    deal = deal_row(market, deal_id)
    assert deal.status.value == "running" and deal.ends_at - deal.starts_at == dt.timedelta(seconds=600)
    assert market.stock(room.sku) == (12, 8)
    assert run_live_deals(db, now=soon + dt.timedelta(seconds=2)).started == []

    shopper = market.user("ada", Role.SHOPPER)
    assert buy(server, shopper, room, deal_id, quantity=3).status_code == 201
    after = deal.ends_at + dt.timedelta(seconds=1)
    ended = run_live_deals(db, now=after)
    assert ended.ended == [deal_id] and run_live_deals(db, now=after).ended == []
    deal = deal_row(market, deal_id)
    assert (deal.status.value, deal.end_reason, deal.released_units, deal.remaining) == ("ended", "expired", 5, 5)
    assert market.stock(room.sku) == (12, 3) and active_reserved(market) == 3
    assert sorted(_topics(market)) == ["live.deal_ended", "live.deal_sold", "live.deal_started"]


def test_a_deal_waits_for_its_room_and_is_cancelled_if_the_time_passes(server: LiveServer, market: Market) -> None:
    room = live_room(server, market, on_air=False)
    deal_id = _schedule(server, room.id, room.host, deal_body(room, duration_seconds=60))
    with server.client() as anon:  # a room not yet on air is a draft: its deals are not public either
        assert anon.get(f"/v1/live-rooms/{room.id}/deals").status_code == 404
    db = server.container.db
    assert run_live_deals(db, now=utcnow()).started == []  # the room is not on air
    with server.client(room.host) as c:
        refused = c.post(f"/v1/live-rooms/{room.id}/deals/{deal_id}/start")
        assert refused.status_code == 409 and refused.json()["code"] == "room_not_live"
    run = run_live_deals(db, now=utcnow() + dt.timedelta(minutes=2))
    assert run.cancelled == [deal_id]
    deal = deal_row(market, deal_id)
    assert (deal.status.value, deal.end_reason, deal.released_units) == ("cancelled", "expired", None)
    assert market.stock(room.sku) == (30, 0)
    assert _topics(market) == ["live.deal_cancelled"]


def test_a_sku_without_the_units_cancels_the_deal(server: LiveServer, market: Market) -> None:
    room = live_room(server, market, stock=5)
    deal_id = _schedule(server, room.id, room.host, deal_body(room, quantity=6))
    with server.client(room.host) as c:
        refused = c.post(f"/v1/live-rooms/{room.id}/deals/{deal_id}/start")
        assert refused.status_code == 409 and refused.json()["code"] == "insufficient_stock"
    assert deal_row(market, deal_id).status.value == "scheduled" and market.stock(room.sku) == (5, 0)
    run = run_live_deals(server.container.db, now=utcnow())
    assert run.cancelled == [deal_id] and deal_row(market, deal_id).end_reason == "insufficient_stock"
    assert market.stock(room.sku) == (5, 0)


def test_room_end_cancels_scheduled_deals_through_the_outbox(server: LiveServer, market: Market) -> None:
    room = live_room(server, market)
    later = (utcnow() + dt.timedelta(hours=1)).isoformat()
    deal_id = _schedule(server, room.id, room.host, deal_body(room, starts_at=later))
    with server.client(room.host) as c:
        assert c.patch(f"/v1/content/{room.id}", json={"live_state": "ended"}).status_code == 200
        refused = c.post(f"/v1/live-rooms/{room.id}/deals", json=deal_body(room, price_cents=1000))
        assert refused.status_code == 409 and refused.json()["code"] == "room_ended"
    drain_outbox(server)
    deal = deal_row(market, deal_id)
    assert (deal.status.value, deal.end_reason) == ("cancelled", "room_ended")


def test_the_hold_sweep_is_the_safety_net_when_the_job_never_ran(server: LiveServer, market: Market) -> None:
    room = live_room(server, market, stock=10)
    deal_id = _schedule(server, room.id, room.host, deal_body(room, quantity=4, duration_seconds=60))
    with server.client(room.host) as c:
        assert c.post(f"/v1/live-rooms/{room.id}/deals/{deal_id}/start").status_code == 200
    deal = deal_row(market, deal_id)
    with market.db.transaction() as s:
        assert release_unattached(s, expired_before=deal.ends_at) == 0  # the set-aside outlives the deal
    with market.db.transaction() as s:
        assert release_unattached(s, expired_before=deal.ends_at + dt.timedelta(hours=1)) == 1
    assert market.stock(room.sku) == (10, 0)
    run_live_deals(server.container.db, now=deal.ends_at + dt.timedelta(hours=1))
    ended = deal_row(market, deal_id)
    assert (ended.status.value, ended.released_units) == ("ended", 0)  # nothing given back twice
    assert market.stock(room.sku) == (10, 0) and active_reserved(market) == 0
