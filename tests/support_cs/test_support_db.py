"""What the database itself refuses in customer service's tables (SQLite and PostgreSQL), and one
conversation per (order, counterpart) even when shoppers' requests race."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from support import LiveServer, Market
from support_cs.support_world import make_world, open_conv, say, seller_order
from yellowcart.db import utcnow
from yellowcart.support.models import Conversation, Message, Participant


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    return make_world(market)


def test_database_refuses_broken_rows(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id = seller_order(server, market, world)
    with server.client(world["shopper"]) as c:
        conv = open_conv(c, order_id)
        say(c, conv["id"], "hello?")
    cid, now = conv["id"], utcnow()
    shopper = market.users["ada"]
    broken = [
        insert(Conversation).values(
            order_id=order_id, counterpart="seller", shopper_id=shopper, seller_id=world["acme"], status="open",
            created_at=now,
        ),  # a second conversation with the seller about the same order
        text(f"UPDATE support_conversations SET status = 'closed' WHERE id = {cid}"),  # closed, never resolved
        text(f"UPDATE support_conversations SET first_response_due_at = NULL WHERE id = {cid}"),  # clock, no due
        text(f"UPDATE support_conversations SET counterpart = 'courier' WHERE id = {cid}"),
        insert(Message).values(conversation_id=cid, sender_role="shopper", body="x", images=[], masked=[],
                               card_type="order", auto_answer=False, created_at=now),  # a card without its id
        insert(Message).values(conversation_id=cid, sender_role="shopper", body="x" * 2001, images=[], masked=[],
                               auto_answer=False, created_at=now),
        insert(Message).values(conversation_id=cid, sender_role="seller", body="unsigned", images=[], masked=[],
                               auto_answer=False, created_at=now),  # staff messages name their author
        insert(Participant).values(conversation_id=cid, user_id=shopper, role="shopper", last_read_message_id=-1),
    ]  # fmt: skip
    for statement in broken:
        with pytest.raises(IntegrityError), market.db.transaction() as s:
            s.execute(statement)


def test_racing_opens_make_one_conversation(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id = seller_order(server, market, world)

    def open_once(_: int) -> tuple[int, int]:
        with server.client(world["shopper"]) as c:
            r = c.post(f"/v1/orders/{order_id}/conversations", json={})
            return r.status_code, int(r.json()["id"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(open_once, range(6)))
    assert {cid for _, cid in results} == {results[0][1]}
    assert sorted(code for code, _ in results) == [200] * 5 + [201]
