"""Seller-paid return labels reach the seller's balance, through the real flow on SQLite and PostgreSQL:
a return the policy makes the seller pay (a fault reason) is refunded, its label is charged to the
seller's payable and credited to the platform's shipping cost, once, and shows on the seller's
statement (JSON and CSV); labels the platform pays, and labels of returns that were withdrawn, charge
nobody; a full-custody consignor pays its fault labels too."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from returns.returns_world import line_ids, platform_delivered, seller_delivered
from shipping.shipping_world import drain
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.events import OutboxEvent, emit
from yellowcart.ledger.balances import trial_balance
from yellowcart.ledger.chart import EntryKind
from yellowcart.ledger.models import LedgerEntry, LedgerPosting
from yellowcart.ledger.periods import Period


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    acme = market.seller("acme")
    return {
        "acme": acme,
        "shopper": market.user("ada", Role.SHOPPER),
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "operator": market.user("ops", Role.OPERATOR),
    }


def _payable(server: LiveServer, world: dict[str, Any]) -> int:
    with server.client(world["seller"]) as c:
        return int(c.get(f"/v1/sellers/{world['acme']}/balance").json()["payable_cents"])


def _label_entries(market: Market) -> list[LedgerEntry]:
    with market.db.transaction() as s:
        rows = list(s.scalars(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.RETURN_LABEL)))
        for entry in rows:
            _ = entry.postings
        s.expunge_all()
        return rows


def _seller_payable_of(market: Market, source_key: str) -> int:
    """What an entry moved on the seller's payable, as the seller reads it (+ owed more)."""
    with market.db.transaction() as s:
        rows = s.scalars(
            select(LedgerPosting.amount_cents)
            .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
            .where(LedgerEntry.source_key == source_key, LedgerPosting.account == "seller_payable")
        ).all()
        assert rows, f"no entry {source_key}"
        return -sum(rows)


def _return_through(
    server: LiveServer, world: dict[str, Any], order_id: int, line: int, *, reason: str, reviewer: str
) -> dict[str, Any]:
    """Request, approve (the reviewer), ship back, receive and grade: the return is refunded."""
    with server.client(world["shopper"]) as c:
        ret = c.post(
            f"/v1/orders/{order_id}/returns",
            json={"lines": [{"order_line_id": line, "quantity": 1}], "reason": reason},
        ).json()
    with server.client(world[reviewer]) as c:
        if ret["status"] == "request_pending":
            ret = c.post(f"/v1/returns/{ret['id']}/decision", json={"approve": True}).json()
    assert ret["status"] == "awaiting_buyer_ship" and ret["tracking_number"], ret
    with server.client(world["shopper"]) as c:
        assert c.post(f"/v1/returns/{ret['id']}/ship", json={}).json()["status"] == "buyer_shipped"
    with server.client(world[reviewer]) as c:
        assert c.post(f"/v1/returns/{ret['id']}/receive").status_code == 200
        done = c.post(f"/v1/returns/{ret['id']}/inspection", json={"grades": {str(line): "A"}}).json()
    assert done["status"] == "completed", done
    drain(server)  # return.refunded: the refund, and the label when the seller pays it
    return dict(done)


def test_a_seller_paid_label_is_charged_to_the_seller_once_and_shown_on_its_statement(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    order_id, _ = seller_delivered(server, market, world, qty=2, price_cents=4999)
    [line] = line_ids(market, order_id)
    before = _payable(server, world)
    ret = _return_through(server, world, order_id, line, reason="defective", reviewer="seller")
    cost = ret["label_cost_cents"]
    assert ret["label_payer"] == "seller" and cost > 0

    [entry] = _label_entries(market)
    assert (entry.source_key, entry.order_id, entry.seller_id) == (f"return:{ret['id']}:label", order_id, world["acme"])
    assert sorted((p.account.value, p.amount_cents, p.component.value, p.order_line_id) for p in entry.postings) == [
        ("seller_payable", cost, "return_label", line),
        ("shipping_cost", -cost, "return_label", line),
    ]
    refund = _seller_payable_of(market, f"order:{order_id}:refund:return-{ret['id']}")
    assert refund < 0  # the seller gives back the goods of a seller-fulfilled line
    assert _payable(server, world) == before + refund - cost

    period = Period.containing(entry.posted_at)
    with server.client(world["seller"]) as c:
        statement = c.get(f"/v1/sellers/{world['acme']}/statements/{period.label}").json()
        csv = c.get(f"/v1/sellers/{world['acme']}/statements/{period.label}.csv").text
    [shown] = [ln for ln in statement["lines"] if ln["kind"] == "return_label"]
    assert (shown["component"], shown["amount_cents"], shown["order_id"], shown["order_line_id"]) == (
        "return_label", -cost, order_id, line,
    )  # fmt: skip
    assert shown["reference"] == f"return-{ret['id']}" and statement["totals"]["return_label"] == -cost
    assert f",return_label,{order_id},{line},seller_payable,return_label,,{-cost}," in csv

    # The same event again (a redelivery): nothing moves.
    with market.db.transaction() as s:
        [payload] = s.scalars(select(OutboxEvent.payload).where(OutboxEvent.topic == "return.refunded")).all()
        emit(s, "return.refunded", **payload)
    drain(server)
    assert len(_label_entries(market)) == 1 and _payable(server, world) == before + refund - cost
    with market.db.transaction() as s:
        tb = trial_balance(s)
        assert tb.balanced and tb.accounts["shipping_cost"] == -cost
        assert s.scalars(select(OutboxEvent.topic).where(OutboxEvent.last_error.is_not(None))).all() == []


def test_platform_paid_and_withdrawn_labels_charge_nobody(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    order_id, _ = seller_delivered(server, market, world, qty=2, price_cents=4999)
    [line] = line_ids(market, order_id)
    mind = _return_through(server, world, order_id, line, reason="no_reason", reviewer="seller")
    assert mind["label_payer"] == "platform" and mind["label_cost_cents"] > 0

    with server.client(world["shopper"]) as c:  # a fault claim, approved and labelled, then withdrawn
        claim = c.post(
            f"/v1/orders/{order_id}/returns",
            json={"lines": [{"order_line_id": line, "quantity": 1}], "reason": "not_as_described"},
        ).json()
    with server.client(world["seller"]) as c:
        approved = c.post(f"/v1/returns/{claim['id']}/decision", json={"approve": True}).json()
    assert approved["label_payer"] == "seller" and approved["label_cost_cents"] > 0
    with server.client(world["shopper"]) as c:
        assert c.post(f"/v1/returns/{claim['id']}/cancel").json()["status"] == "cancelled"
    drain(server)
    assert _label_entries(market) == []
    with market.db.transaction() as s:
        assert trial_balance(s).accounts["shipping_cost"] == 0


def test_a_full_custody_consignor_pays_its_fault_labels(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    order_id, _, _ = platform_delivered(server, market, world, qty=1, price_cents=4999)
    [line] = line_ids(market, order_id)
    before = _payable(server, world)
    ret = _return_through(server, world, order_id, line, reason="damaged", reviewer="operator")
    cost = ret["label_cost_cents"]
    assert ret["label_payer"] == "seller" and cost > 0
    [entry] = _label_entries(market)
    charged = sorted((p.account.value, p.amount_cents, p.selling_mode) for p in entry.postings)
    assert charged == [("seller_payable", cost, "full_custody"), ("shipping_cost", -cost, "full_custody")]
    supply_back = _seller_payable_of(market, f"order:{order_id}:refund:return-{ret['id']}")
    assert _payable(server, world) == before + supply_back - cost
