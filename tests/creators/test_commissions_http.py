"""Commissions through the real flow on SQLite and PostgreSQL: a checkout shipped, delivered and completed
accrues the creator's commission in the ledger (the seller pays it); a return through the returns API takes
back its units' share, once; a return before completion only lowers what completion accrues; a store
order from a creator's click pays the creator too (and self-referral there earns nothing)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from creators.creators_world import (
    World,
    attributions,
    checkout,
    complete,
    creator_payable,
    join,
    listing,
    make_world,
    offer,
    ship_and_deliver,
    touch,
    video,
)
from redirect.redirect_world import click, deliver, line, open_shop, order, refund
from returns.returns_world import line_ids
from shipping.shipping_world import drain
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.creators.models import Membership
from yellowcart.creators.rules import commission
from yellowcart.events import OutboxEvent, emit
from yellowcart.ledger.balances import trial_balance
from yellowcart.ledger.models import LedgerEntry, LedgerPosting
from yellowcart.ledger.postings import scaled


@pytest.fixture
def w(server: LiveServer, market: Market) -> World:
    world = make_world(server, market)
    join(world, "cara")
    return world


def _held(w: World) -> list[tuple[str, int]]:
    with w.client("cara") as c:
        items = c.get(f"/v1/creators/{w.ids['cara']}/commissions").json()["items"]
    return [(i["status"], i["held_cents"]) for i in items]


def _creator_postings(w: World) -> list[tuple[str, int]]:
    """(account, amount) of the creator entries, oldest first."""
    with w.market.db.transaction() as s:
        rows = s.execute(
            select(LedgerPosting.account, LedgerPosting.amount_cents)
            .where(LedgerPosting.component == "creator")
            .order_by(LedgerPosting.id)
        )
        return [(a.value, int(n)) for a, n in rows]


def _return_one(w: World, order_id: int, line_id: int) -> int:
    """A change-of-mind return of one unit: shipped back, received and graded by the seller."""
    with w.client("ada") as c:
        r = c.post(f"/v1/orders/{order_id}/returns", json={"lines": [{"order_line_id": line_id, "quantity": 1}]})
        assert r.status_code == 201, r.text
        ret = r.json()
        if ret["status"] != "completed":  # returnless refunds complete at approval
            assert c.post(f"/v1/returns/{ret['id']}/ship", json={}).status_code == 200
    if ret["status"] != "completed":
        with w.client("seller") as c:
            assert c.post(f"/v1/returns/{ret['id']}/receive").status_code == 200
            done = c.post(f"/v1/returns/{ret['id']}/inspection", json={"grades": {str(line_id): "A"}})
            assert done.status_code == 200 and done.json()["status"] == "completed", done.text
    drain(w.server)  # return.refunded -> ledger refund and creator reversal
    return int(ret["id"])


def test_accrued_on_completion_reversed_for_returned_units_once(w: World) -> None:
    sku, pid = listing(w, price_cents=4999)
    offer(w, pid, 1500)
    content = video(w, "cara", pid)
    touch(w, "ada", content, pid)
    placed = checkout(w, "ada", [(sku, 2)])
    oid = int(placed["id"])
    drain(w.server)
    owed = commission(2 * 4999, 1500)
    assert _held(w) == [("pending", 0)]
    ship_and_deliver(w, oid)
    assert _held(w) == [("pending", 0)] and creator_payable(w, "cara") == 0  # delivered is not completed
    with w.client("seller") as c:
        before = c.get(f"/v1/sellers/{w.seller_id}/balance").json()["payable_cents"]
    complete(w, oid)
    assert _held(w) == [("earned", owed)] and creator_payable(w, "cara") == owed
    assert _creator_postings(w) == [("seller_payable", owed), ("creator_payable", -owed)]  # the seller pays it
    with w.client("seller") as c:
        assert c.get(f"/v1/sellers/{w.seller_id}/balance").json()["payable_cents"] == before - owed
    [line_id] = line_ids(w.market, oid)
    return_id = _return_one(w, oid, line_id)
    left = scaled(owed, 1, 2)
    assert _held(w) == [("earned", left)] and creator_payable(w, "cara") == left
    # the same events again (a redelivery, a second completion): nothing moves
    with w.market.db.transaction() as s:
        payload = s.scalars(select(OutboxEvent.payload).where(OutboxEvent.topic == "return.refunded")).one()
        emit(s, "return.refunded", **payload)
        emit(s, "order.status_changed", order_id=oid, seller_id=w.seller_id, shopper_id=w.ids["ada"],
             status="COMPLETED", was="PARTIALLY_RETURNED")  # fmt: skip
    drain(w.server)
    assert creator_payable(w, "cara") == left and payload["return_id"] == return_id
    with w.client("cara") as c:
        assert c.get(f"/v1/creators/{w.ids['cara']}/balance").json()["payable_cents"] == left
    with w.market.db.transaction() as s:
        assert trial_balance(s).balanced
        kinds = s.scalars(select(LedgerEntry.kind).where(LedgerEntry.source_key.like("creator:%"))).all()
        assert sorted(k.value for k in kinds) == ["creator_commission", "creator_reversal"]
        assert s.scalars(select(OutboxEvent.topic).where(OutboxEvent.last_error.is_not(None))).all() == []


def test_return_before_completion_lowers_what_completion_accrues(w: World) -> None:
    sku, pid = listing(w, price_cents=800)  # under $10 a unit: refunded without the item, at approval
    offer(w, pid, 2000)
    touch(w, "ada", video(w, "cara", pid), pid, kind="cart_tap")
    oid = int(checkout(w, "ada", [(sku, 3)])["id"])
    ship_and_deliver(w, oid)
    [line_id] = line_ids(w.market, oid)
    _return_one(w, oid, line_id)
    assert _held(w) == [("pending", 0)] and _creator_postings(w) == []  # nothing accrued: nothing to reverse
    complete(w, oid)  # PARTIALLY_RETURNED -> COMPLETED
    owed = scaled(commission(3 * 800, 2000), 2, 3)
    assert _held(w) == [("earned", owed)] and creator_payable(w, "cara") == owed
    [a] = attributions(w)
    assert a.earned_at is not None and a.commission_cents == commission(2400, 2000)


def test_store_orders_from_a_creator_click_pay_the_creator(server: LiveServer, market: Market) -> None:
    shop = open_shop(server, market, "acme", price_cents=2500)
    w = make_world_for_shop(server, market)
    join(w, "cara")
    with server.client(shop.staff) as c:
        r = c.put(f"/v1/products/{shop.product_id}/creator-rates/open", json={"rate_bps": 1000})
        assert r.status_code == 200
    content = video(w, "cara", shop.product_id)
    click_id = click(server, shop.product_id, w.tokens["ada"], content_id=content)["click_id"]
    assert (
        deliver(server, shop.connection_id, order(501, [line(shop.sku, 2500, 2)], click_id=click_id)).json()["outcome"]
        == "attributed"
    )
    drain(server)
    assert creator_payable(w, "cara") == 500  # 10% of the 50.00 the store sold
    assert _creator_postings(w) == [("redirect_receivable", 500), ("creator_payable", -500)]  # invoiced to the seller
    refunded = deliver(server, shop.connection_id, refund(9, 501, [(shop.sku, 1, 2500)]), topic="refunds/create")
    assert refunded.json()["outcome"] == "reversed"
    drain(server)
    assert creator_payable(w, "cara") == 250 and _held(w) == [("earned", 250)]
    # cara clicks her own video while signed in and buys on the store: she earns nothing
    own_click = click(server, shop.product_id, w.tokens["cara"], content_id=content)["click_id"]
    deliver(server, shop.connection_id, order(502, [line(shop.sku, 2500)], click_id=own_click))
    drain(server)
    assert len(attributions(w)) == 1 and creator_payable(w, "cara") == 250
    with market.db.transaction() as s:
        assert s.get(Membership, w.ids["cara"]) is not None and trial_balance(s).balanced
        assert s.scalars(select(OutboxEvent.topic).where(OutboxEvent.last_error.is_not(None))).all() == []


def make_world_for_shop(server: LiveServer, market: Market) -> World:
    """Creators and a shopper beside a shop opened by ``open_shop`` (its seller is the first one)."""
    tokens = {
        "cara": market.user("cara", Role.CREATOR),
        "ada": market.user("ada", Role.SHOPPER),
        "ops": market.user("ops", Role.OPERATOR),
    }
    return World(server, market, market.seller_ids[0], tokens, dict(market.users))
