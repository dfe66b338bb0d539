"""Orders complete when their return window closes, through the real flow on SQLite and PostgreSQL:
parcels delivered by signed carrier scans at chosen instants, returns over HTTP, the periodic return
jobs (and `yellowcart jobs returns`) doing the completion, creators' commissions accruing from the
order.status_changed event, and a guarantee claim still accepted on a completed order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from creators.creators_world import World, checkout, creator_payable, join, listing, make_world, offer, touch, video
from returns.returns_world import deliver, line_ids, platform_delivered
from shipping.shipping_world import drain
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.cli import app as cli
from yellowcart.creators.rules import commission
from yellowcart.db import Database, utcnow
from yellowcart.events import OutboxEvent
from yellowcart.ledger.balances import trial_balance
from yellowcart.ledger.postings import scaled
from yellowcart.orders.models import Order, OrderHistory
from yellowcart.settings import get_settings

DAY = dt.timedelta(days=1)


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    acme = market.seller("acme")
    return {
        "acme": acme,
        "shopper": market.user("ada", Role.SHOPPER),
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "operator": market.user("ops", Role.OPERATOR),
    }


def _status(market: Market, order_id: int) -> str:
    with market.db.transaction() as s:
        return str(s.scalar(select(Order.status).where(Order.id == order_id)))


def _completions(market: Market) -> list[tuple[int, str]]:
    """(order, was) of every order.status_changed to COMPLETED in the outbox."""
    with market.db.transaction() as s:
        payloads = s.scalars(select(OutboxEvent.payload).where(OutboxEvent.topic == "order.status_changed")).all()
    return [(int(p["order_id"]), str(p["was"])) for p in payloads if p["status"] == "COMPLETED"]


def test_orders_complete_once_every_window_closed_and_no_return_is_open(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    now = utcnow()
    old, _, _ = platform_delivered(server, market, world, qty=1, delivered_at=now - 32 * DAY)
    recent, _, _ = platform_delivered(server, market, world, qty=1, delivered_at=now - 10 * DAY)
    busy, _, _ = platform_delivered(server, market, world, qty=1, delivered_at=now - 32 * DAY)
    [line] = line_ids(market, busy)
    with server.client(world["shopper"]) as c:  # a guarantee claim, waiting for the operators
        claim = c.post(
            f"/v1/orders/{busy}/returns",
            json={"lines": [{"order_line_id": line, "quantity": 1}], "reason": "damaged", "photos": ["m/1.jpg"]},
        )
        assert claim.status_code == 201 and claim.json()["status"] == "request_pending", claim.text
    run = server.container.run_return_jobs

    assert run(now).completed == [old]
    assert [_status(market, o) for o in (old, recent, busy)] == ["COMPLETED", "DELIVERED", "DELIVERED"]
    with market.db.transaction() as s:
        last = s.scalars(select(OrderHistory).where(OrderHistory.order_id == old).order_by(OrderHistory.id)).all()[-1]
        assert (last.from_status, last.to_status, last.actor_role, last.actor_user_id) == (
            "DELIVERED", "COMPLETED", "system", None,
        )  # fmt: skip
        assert last.reason == "return window closed"
    assert _completions(market) == [(old, "DELIVERED")]
    assert run(now).completed == []  # idempotent: nothing new, no second event
    assert _completions(market) == [(old, "DELIVERED")]

    with server.client(world["operator"]) as c:  # the claim is settled: nothing is open any more
        no = c.post(f"/v1/returns/{claim.json()['id']}/decision", json={"approve": False, "note": "no damage seen"})
        assert no.json()["status"] == "rejected"
    assert run(now).completed == [busy]
    # The recent order's window ends at midnight in the shopper's zone 30 days after delivery: day 20-21 from now.
    assert run(now + 19 * DAY).completed == []
    assert run(now + 22 * DAY).completed == [recent]
    assert sorted(_completions(market)) == sorted([(old, "DELIVERED"), (busy, "DELIVERED"), (recent, "DELIVERED")])


def test_an_open_return_holds_the_order_and_a_refunded_one_is_completed_from_partially_returned(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    now = utcnow()
    order_id, _, _ = platform_delivered(server, market, world, qty=2, delivered_at=now - 25 * DAY)
    [line] = line_ids(market, order_id)
    with server.client(world["shopper"]) as c:  # change of mind in the window: approved, label bought
        ret = c.post(f"/v1/orders/{order_id}/returns", json={"lines": [{"order_line_id": line, "quantity": 1}]})
        assert ret.json()["status"] == "awaiting_buyer_ship", ret.text
        assert c.post(f"/v1/returns/{ret.json()['id']}/ship", json={}).json()["status"] == "buyer_shipped"
    run = server.container.run_return_jobs
    later = now + 10 * DAY  # the window is over, the parcel is still on its way back
    assert run(later).completed == []
    with server.client(world["operator"]) as c:
        assert c.post(f"/v1/returns/{ret.json()['id']}/receive").json()["status"] == "received"
        done = c.post(f"/v1/returns/{ret.json()['id']}/inspection", json={"grades": {str(line): "A"}})
        assert done.json()["status"] == "completed", done.text
    assert _status(market, order_id) == "PARTIALLY_RETURNED"
    assert run(later).completed == [order_id]
    assert _status(market, order_id) == "COMPLETED" and _completions(market) == [(order_id, "PARTIALLY_RETURNED")]


def test_returned_orders_stay_returned(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id, _, _ = platform_delivered(server, market, world, qty=1, price_cents=599, delivered_at=utcnow() - DAY)
    [line] = line_ids(market, order_id)
    with server.client(world["shopper"]) as c:  # a cheap item: refunded at once, kept by the shopper
        ret = c.post(f"/v1/orders/{order_id}/returns", json={"lines": [{"order_line_id": line, "quantity": 1}]})
        assert ret.json()["status"] == "completed", ret.text
    assert _status(market, order_id) == "RETURNED"
    assert server.container.run_return_jobs(utcnow() + 60 * DAY).completed == []
    assert _status(market, order_id) == "RETURNED"


def _ship_and_deliver_at(w: World, order_id: int, at: dt.datetime) -> None:
    """The seller ships with a platform label; the carrier delivers at ``at`` (signed scans)."""
    drain(w.server)  # order.paid: attribution, allocation
    with w.client("seller") as c:
        for shipment in c.get("/v1/shipments", params={"status": "allocated"}).json()["items"]:
            if shipment["order_id"] == order_id:
                assert c.post(f"/v1/shipments/{shipment['id']}/label").status_code == 200
                assert c.post(f"/v1/shipments/{shipment['id']}/ship", json={}).status_code == 200
    deliver(w.server, w.market, order_id, at)
    drain(w.server)


def test_completion_accrues_the_creator_commission_and_a_guarantee_claim_still_works(
    server: LiveServer, market: Market
) -> None:
    w = make_world(server, market)
    join(w, "cara")
    sku, pid = listing(w, price_cents=4999)
    offer(w, pid, 1500)
    touch(w, "ada", video(w, "cara", pid), pid)
    order_id = int(checkout(w, "ada", [(sku, 2)])["id"])
    _ship_and_deliver_at(w, order_id, utcnow() - 35 * DAY)
    assert creator_payable(w, "cara") == 0  # delivered is not completed

    assert server.container.run_return_jobs(utcnow()).completed == [order_id]
    drain(server)  # order.status_changed -> the creator's commission
    owed = commission(2 * 4999, 1500)
    assert owed > 0 and creator_payable(w, "cara") == owed

    # 35 days after delivery one unit turns out defective: the guarantee covers it on the completed order.
    [line] = line_ids(market, order_id)
    with w.client("ada") as c:
        claim = c.post(
            f"/v1/orders/{order_id}/returns",
            json={"lines": [{"order_line_id": line, "quantity": 1}], "reason": "defective"},
        )
        assert claim.status_code == 201, claim.text
        assert claim.json()["status"] == "request_pending" and claim.json()["reviewer"] == "seller"
        return_id = claim.json()["id"]
    with w.client("seller") as c:
        assert c.post(f"/v1/returns/{return_id}/decision", json={"approve": True}).json()["tracking_number"]
    with w.client("ada") as c:
        assert c.post(f"/v1/returns/{return_id}/ship", json={}).json()["status"] == "buyer_shipped"
    with w.client("seller") as c:
        assert c.post(f"/v1/returns/{return_id}/receive").status_code == 200
        done = c.post(f"/v1/returns/{return_id}/inspection", json={"grades": {str(line): "C"}})
        assert done.json()["status"] == "completed", done.text
    drain(server)  # return.refunded: the ledger's refund, the commission's share taken back
    assert _status(market, order_id) == "PARTIALLY_RETURNED"
    left = scaled(owed, 1, 2)
    assert creator_payable(w, "cara") == left

    # Settled: the job completes the order again; the commission does not move twice.
    assert server.container.run_return_jobs(utcnow()).completed == [order_id]
    drain(server)
    assert _status(market, order_id) == "COMPLETED" and creator_payable(w, "cara") == left
    with market.db.transaction() as s:
        assert trial_balance(s).balanced
        assert s.scalars(select(OutboxEvent.topic).where(OutboxEvent.last_error.is_not(None))).all() == []


def test_the_returns_command_completes_orders(
    server: LiveServer, market: Market, world: dict[str, Any], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id, _, _ = platform_delivered(server, market, world, qty=1, delivered_at=utcnow() - 32 * DAY)
    monkeypatch.setenv("YC_DATABASE_URL", db.url)
    monkeypatch.setenv("YC_INLINE_WORKER", "false")
    get_settings.cache_clear()
    try:
        ran = CliRunner().invoke(cli, ["jobs", "returns"])
        again = CliRunner().invoke(cli, ["jobs", "returns"])
    finally:
        get_settings.cache_clear()
    assert ran.exit_code == 0, ran.output
    assert "orders completed 1" in ran.output and "orders completed 0" in again.output
    assert _status(market, order_id) == "COMPLETED"
