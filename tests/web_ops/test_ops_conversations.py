"""The console's escalated conversations. In a real browser (headless chromium): a seller passed a
conversation to the platform; an operator finds it in the queue (the seller, the order, how long ago, the
reason, nobody joined yet), joins, answers as yellowcart support and resolves it; the shopper reads the
answer over the API. Over plain HTTP: operators only, a missing conversation, a write without its CSRF
token, an empty answer (each writing nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from shipping.shipping_world import buy
from support import LiveServer, Market
from web.web_client import signed_in
from web_browser.browser_world import PASSWORD, person, shot, sign_in
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import utcnow
from yellowcart.support import thread
from yellowcart.support.models import Conversation, ConversationStatus, Message, Participant

REASON = "Shopper says the bottle arrived empty."


def _escalated(server: LiveServer, market: Market) -> dict[str, Any]:
    """acme's order, the shopper's question for a person, and acme's staff passing it to the platform
    two hours ago; plus an open conversation nobody escalated (it stays out of the queue)."""
    acme = market.seller("acme")
    staff = person(market, "sam", Role.SELLER, seller_id=acme)
    shopper = market.user("ada", Role.SHOPPER)
    convs = []
    for text in ("The bottle is empty!", "Do you ship to Alaska?"):
        sku = market.product(acme, price_cents=2500, title="Glow serum")
        order_id = int(buy(server, shopper, [(sku, 1)])["orders"][0]["id"])
        with server.client(shopper) as c:
            conv = c.post(f"/v1/orders/{order_id}/conversations", json={}).json()
            assert c.post(
                f"/v1/conversations/{conv['id']}/messages", json={"text": text, "ask_person": True}
            ).is_success
        convs.append((int(conv["id"]), order_id))
    seller = Principal(user_id=market.users["sam"], role=Role.SELLER, seller_id=acme)
    with market.db.transaction() as s:
        at = utcnow() - dt.timedelta(hours=2, minutes=5)
        thread.ask_platform(s, principal=seller, conversation_id=convs[0][0], reason=REASON, now=at)
    return {"shopper": shopper, "staff": staff, "conv": convs[0][0], "order": convs[0][1], "quiet": convs[1][0]}


def _conv(market: Market, conv_id: int) -> Conversation:
    with market.db.transaction() as s:
        found = s.get(Conversation, conv_id)
        assert found is not None
        return found


def test_operator_joins_answers_and_resolves_an_escalated_conversation(
    server: LiveServer, market: Market, page: Any
) -> None:
    world = _escalated(server, market)
    conv, order_id = world["conv"], world["order"]
    operator = person(market, "olive", Role.OPERATOR)

    # The queue: the escalated conversation only, with its seller, age, who escalated and why, nobody joined.
    sign_in(page, server.base_url, operator)
    page.get_by_role("link", name="Conversations").click()
    rows = page.locator("#queue tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert f"#{conv} · order #{order_id}" in row and "acme" in row and "2 h ago" in row
    assert "seller Sam" in row and REASON in row and "nobody yet" in row and "waiting on us" in row
    shot(page, "ops-conversations")

    # Reading it all: a look is not a read receipt until the operator joins.
    page.get_by_role("link", name=f"#{conv} · order #{order_id}").click()
    assert "The bottle is empty!" in page.locator("#messages").inner_text()
    assert "The seller asked yellowcart support" in page.locator("#messages").inner_text()
    assert "acme" in page.locator("#order-card").inner_text()
    with market.db.transaction() as s:
        assert s.get(Participant, (conv, market.users["olive"])) is None
    page.get_by_role("button", name="Join the conversation").click()
    assert "You joined" in page.get_by_role("status").inner_text()
    assert page.locator("#joined").inner_text() == "Olive"
    assert page.get_by_role("button", name="Join the conversation").count() == 0

    # Answering as the platform stops the first-response clock; resolving closes it.
    page.get_by_label("Answer as yellowcart support").fill("We are sending a new bottle today.")
    page.get_by_role("button", name="Send answer").click()
    assert "Answer sent" in page.get_by_role("status").inner_text()
    assert "We are sending a new bottle today." in page.locator("#messages li.msg.me").last.inner_text()
    shot(page, "ops-conversation")
    page.get_by_role("button", name="Resolve and close").click()
    assert "resolved and closed" in page.get_by_role("status").inner_text()
    assert page.locator(".status-pill").inner_text() == "closed"
    state = _conv(market, conv)
    assert state.status is ConversationStatus.CLOSED and state.resolved_by == "operator"
    assert state.first_response_at is not None

    # The shopper reads the answer from yellowcart support; the open queue is empty, the closed one has it.
    with server.client(world["shopper"]) as c:
        said = [(m["sender_role"], m["text"]) for m in c.get(f"/v1/conversations/{conv}/messages").json()["items"]]
    assert ("operator", "We are sending a new bottle today.") in said
    page.get_by_role("link", name="Escalated conversations").click()
    assert page.locator("#queue").count() == 0 and "No escalated conversations" in page.content()
    page.get_by_role("link", name="Closed").click()
    assert f"#{conv} · order #{order_id}" in page.locator("#queue").inner_text()


def test_the_console_refuses_others_and_bad_writes(server: LiveServer, market: Market) -> None:
    world = _escalated(server, market)
    conv = world["conv"]
    with market.db.transaction() as s:
        before = int(s.scalar(select(func.count()).select_from(Message)) or 0)

    with signed_in(server, world["staff"], PASSWORD) as (c, csrf):  # the conversation's own seller
        assert c.get("/ops/conversations").status_code == 403
        assert c.get(f"/ops/conversations/{conv}").status_code == 403
        assert c.post(f"/ops/conversations/{conv}/close", data={"csrf_token": csrf}).status_code == 403

    with signed_in(server, person(market, "olive", Role.OPERATOR), PASSWORD) as (c, csrf):
        assert c.get("/ops/conversations/999999").status_code == 404
        assert c.post("/ops/conversations/999999/join", data={"csrf_token": csrf}).status_code == 404
        # A conversation nobody escalated is out of the queue, yet an operator may still open it.
        assert f"/ops/conversations/{world['quiet']}" not in c.get("/ops/conversations?view=all").text
        assert c.get(f"/ops/conversations/{world['quiet']}").status_code == 200
        for action in ("join", "messages", "close"):
            assert c.post(f"/ops/conversations/{conv}/{action}", data={"text": "Hi"}).status_code == 403, action
        empty = c.post(f"/ops/conversations/{conv}/messages", data={"csrf_token": csrf, "text": "  "})
        assert empty.status_code == 422 and "A message needs text" in empty.text and 'role="alert"' in empty.text

    with market.db.transaction() as s:
        assert int(s.scalar(select(func.count()).select_from(Message)) or 0) == before
        assert s.scalar(select(func.count()).select_from(Participant).where(Participant.joined_at.is_not(None))) == 0
    state = _conv(market, conv)
    assert state.status is ConversationStatus.OPEN and state.first_response_at is None
