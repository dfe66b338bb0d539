"""Receiving under concurrency, with real threads against the real server on SQLite and PostgreSQL:
receivers posting the same count at once add the units once; receivers with different counts get one
winner and clean 409s; receiving while shoppers check out the same SKU loses and invents no unit."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from custody.custody_world import at, build_world, ok, priced, shipped_consignment, variant_of
from shipping.shipping_world import put_stock
from support import ADDRESS, LiveServer, Market
from yellowcart.inventory.custody_models import StockReceipt
from yellowcart.inventory.models import Reservation, ReservationStatus


@pytest.fixture
def w(server: LiveServer, market: Market) -> dict[str, Any]:
    return build_world(market)


def _all_at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run every call in its own thread, released together."""
    gate = threading.Barrier(len(calls))
    answers: list[httpx.Response | None] = [None] * len(calls)

    def run(i: int) -> None:
        gate.wait()
        answers[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(a is not None for a in answers), "a call did not finish"
    return [a for a in answers if a is not None]


def _poster(server: LiveServer, token: str, path: str, body: dict[str, Any]) -> Callable[[], httpx.Response]:
    def call() -> httpx.Response:
        with server.client(token) as c:
            return c.post(path, json=body)

    return call


def _receipt_count(market: Market) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(func.count(StockReceipt.id))) or 0)


def test_the_same_receipt_posted_at_once_is_counted_once(server: LiveServer, market: Market, w: dict[str, Any]) -> None:
    sku = w["cons"]
    cid = shipped_consignment(server, w, [(sku, 12)])["id"]
    body = {"lines": [{"sku": sku, "received": 11, "damaged": 1}]}
    answers = _all_at_once([_poster(server, w["ops"], f"/v1/inbound-consignments/{cid}/receipts", body)] * 4)
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert {a.json()["status"] for a in answers} == {"received"}
    assert at(market.db, sku, w["plat"]) == (11, 0)
    assert _receipt_count(market) == 1


def test_different_counts_at_once_have_one_winner(server: LiveServer, market: Market, w: dict[str, Any]) -> None:
    sku = w["cons"]
    cid = shipped_consignment(server, w, [(sku, 10)])["id"]
    path = f"/v1/inbound-consignments/{cid}/receipts"
    bodies = [{"lines": [{"sku": sku, "received": 10 - k, "damaged": k}]} for k in range(3)]
    answers = _all_at_once([_poster(server, w["ops"], path, b) for b in bodies])
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409, 409], [a.text for a in answers]
    won = next(a.json() for a in answers if a.status_code == 200)
    assert all(a.json()["code"] == "already_received" for a in answers if a.status_code == 409)
    assert at(market.db, sku, w["plat"]) == (won["lines"][0]["received"], 0)
    assert _receipt_count(market) == 1


def test_receiving_while_shoppers_reserve_loses_no_unit(server: LiveServer, market: Market, w: dict[str, Any]) -> None:
    sku, plat = w["cons"], w["plat"]
    priced(market, sku)
    put_stock(market.db, sku, plat, 4)
    asns = [shipped_consignment(server, w, [(sku, 5)])["id"] for _ in range(3)]
    receivers = [
        _poster(server, w["ops"], f"/v1/inbound-consignments/{cid}/receipts", {"lines": [{"sku": sku, "received": 5}]})
        for cid in asns
    ]

    def shopper() -> httpx.Response:
        body = {"items": [{"sku": sku, "quantity": 1}], "shipping_address": ADDRESS, "payment_method": "tok_visa"}
        with server.client(w["shopper"]) as c:
            return c.post("/v1/checkout", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})

    answers = _all_at_once([*receivers, *[shopper] * 8])
    assert [a.status_code for a in answers[:3]] == [200] * 3, [a.text for a in answers[:3]]
    bought = [a for a in answers[3:] if a.status_code == 201]
    assert all(
        a.status_code == 409 and a.json()["code"] == "insufficient_stock" for a in answers[3:] if a not in bought
    )
    on_hand, reserved = at(market.db, sku, plat)
    assert on_hand == 4 + 3 * 5  # every received unit is there, none invented
    assert reserved == len(bought)  # and every sale holds exactly its unit
    with market.db.transaction() as s:
        held = s.scalar(
            select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                Reservation.variant_id == variant_of(market.db, sku).id,
                Reservation.status == ReservationStatus.ACTIVE,
            )
        )
    assert held == reserved
    assert _receipt_count(market) == 3
    with server.client(w["ops"]) as c:
        assert {ok(c.get(f"/v1/inbound-consignments/{cid}"))["status"] for cid in asns} == {"received"}
