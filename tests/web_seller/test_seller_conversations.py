"""The seller centre's messages. In a real browser (headless chromium): a shopper asks about an order over
the API, the seller finds it in the inbox with the response-time clock (an overdue one first, in red),
answers with a quick reply filled in for the order, the shopper's API view shows the answer and the
conversation stops waiting on the seller; the seller passes another conversation to the platform.
Over plain HTTP: what must be refused (another seller's conversation, a shopper on /seller pages, a
seller on /ops pages, a form without its CSRF token, an empty reply, an escalation without a reason),
each writing nothing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select

from shipping.shipping_world import buy
from support import LiveServer, Market
from web.web_client import signed_in
from web_browser.browser_world import PASSWORD, person, shot, sign_in
from yellowcart.auth.models import Role
from yellowcart.db import utcnow
from yellowcart.support.models import Conversation, EventKind, Message


def _order(server: LiveServer, market: Market, seller_id: int, shopper: str) -> int:
    sku = market.product(seller_id, price_cents=2500, title="Glow serum")
    return int(buy(server, shopper, [(sku, 1)])["orders"][0]["id"])


def _ask(server: LiveServer, shopper: str, order_id: int, text: str) -> int:
    """The shopper opens the order's conversation and asks for a person (the first-response clock starts)."""
    with server.client(shopper) as c:
        conv = c.post(f"/v1/orders/{order_id}/conversations", json={})
        assert conv.status_code == 201, conv.text
        asked = c.post(f"/v1/conversations/{conv.json()['id']}/messages", json={"text": text, "ask_person": True})
        assert asked.status_code == 201, asked.text
    return int(conv.json()["id"])


def _backdate(market: Market, conv_id: int, hours: int, sla_hours: int = 12) -> None:
    """Pretend the shopper asked ``hours`` ago."""
    asked = utcnow() - dt.timedelta(hours=hours)
    with market.db.transaction() as s:
        conv = s.get(Conversation, conv_id)
        assert conv is not None
        conv.needs_human_at, conv.first_response_due_at = asked, asked + dt.timedelta(hours=sla_hours)


def _messages(market: Market, conv_id: int) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(func.count()).where(Message.conversation_id == conv_id)) or 0)


def _conv(market: Market, conv_id: int) -> Conversation:
    with market.db.transaction() as s:
        found = s.get(Conversation, conv_id)
        assert found is not None
        return found


def test_seller_answers_with_a_quick_reply_and_asks_the_platform(server: LiveServer, market: Market, desk: Any) -> None:
    acme = market.seller("acme")
    email = person(market, "sam", Role.SELLER, seller_id=acme)
    seller_api = market.user("acme-api", Role.SELLER, seller_id=acme)
    shopper = market.user("ada", Role.SHOPPER)
    first, second = _order(server, market, acme, shopper), _order(server, market, acme, shopper)
    with server.client(seller_api) as c:
        made = c.post("/v1/support/templates", json={
            "kind": "quick_reply", "title": "Ships tomorrow", "shortcut": "soon",
            "body": "Hi {shopper_name}, order {order_id} ships tomorrow.",
        })  # fmt: skip
        assert made.status_code == 201, made.text
    asked = _ask(server, shopper, first, "Can you gift wrap it?")
    late = _ask(server, shopper, second, "Is this the 30 ml bottle?")
    _backdate(market, late, hours=13)  # an hour past the 12 h goal

    # The inbox: both wait on the seller, the overdue one first and in red, the other with time left.
    sign_in(desk, server.base_url, email)
    desk.get_by_role("link", name="Messages").click()
    rows = desk.locator("#inbox tbody tr")
    assert rows.count() == 2
    assert f"Order #{second}" in rows.nth(0).inner_text() and f"Order #{first}" in rows.nth(1).inner_text()
    overdue = rows.nth(0).locator("[data-clock]")
    assert re.fullmatch(r"overdue by 1 h \d+ min", overdue.inner_text()) and "seller-late" in (
        overdue.get_attribute("class") or ""
    )
    assert re.fullmatch(r"11 h 5\d min left", rows.nth(1).locator("[data-clock]").inner_text())
    assert "gift wrap" in rows.nth(1).inner_text() and "1 new" in rows.nth(1).inner_text()
    assert re.search(r"\b2\s+waiting on you", desk.locator("#inbox-counts").inner_text())
    shot(desk, "seller-conversations")

    # The conversation: the shopper's question, the order card; the quick reply is filled in for the order.
    desk.get_by_role("link", name=f"Order #{first}").click()
    assert "Can you gift wrap it?" in desk.locator("#messages").inner_text()
    assert "1 x Glow serum" in desk.locator("#order-card").inner_text()
    assert f"Hi ada, order {first} ships tomorrow." in desk.locator("#quick-replies").inner_text()
    desk.get_by_role("button", name="Ships tomorrow").click()
    assert "Message sent." in desk.locator(".notice.ok").inner_text()
    assert f"Hi ada, order {first} ships tomorrow." in desk.locator("#messages li.msg.me").last.inner_text()
    assert "Nothing waits on you" in desk.locator("#clock").inner_text()
    shot(desk, "seller-conversation")

    # The shopper reads the answer over the API; the conversation no longer waits on the seller.
    with server.client(shopper) as c:
        texts = [m["text"] for m in c.get(f"/v1/conversations/{asked}/messages").json()["items"]]
        state = c.get(f"/v1/conversations/{asked}").json()
        still = c.get("/v1/conversations", params={"awaiting_response": "true"}).json()["items"]
    assert f"Hi ada, order {first} ships tomorrow." in texts
    assert state["first_response_at"] is not None and not state["first_response_breached"]
    assert [c["id"] for c in still] == [late]

    # The other one goes to the platform, with the reason kept in its history.
    desk.get_by_role("link", name="Messages").click()
    assert desk.locator("#inbox tbody tr.conv-waiting").count() == 1
    desk.get_by_role("link", name=f"Order #{second}").click()
    desk.get_by_label("Why should yellowcart support step in?").fill("Shopper says the bottle arrived empty.")
    desk.get_by_role("button", name="Ask yellowcart support").click()
    assert "Passed to yellowcart support" in desk.locator(".notice.ok").inner_text()
    assert "With yellowcart support since" in desk.locator("#escalated").inner_text()
    assert "asked yellowcart support" in desk.locator("#messages").inner_text()
    escalated = _conv(market, late)
    assert escalated.escalated_at is not None and escalated.escalated_by == market.users["sam"]
    with server.client(shopper) as c:
        events = c.get(f"/v1/conversations/{late}/events").json()
    assert [(e["kind"], e["actor_role"], e["note"]) for e in events if e["kind"] == EventKind.ESCALATED] == [
        ("escalated", "seller", "Shopper says the bottle arrived empty.")
    ]


# ---- over plain HTTP: what must be refused ------------------------------------------------------------


def test_conversations_are_the_sellers_own_and_bad_writes_change_nothing(server: LiveServer, market: Market) -> None:
    acme, zed = market.seller("acme"), market.seller("zed")
    shopper = market.user("ada", Role.SHOPPER)
    conv = _ask(server, shopper, _order(server, market, acme, shopper), "Where is the receipt?")
    before = _messages(market, conv)

    with signed_in(server, person(market, "zoe", Role.SELLER, seller_id=zed), PASSWORD) as (c, csrf):
        assert c.get("/seller/conversations/999999").status_code == 404
        assert c.get(f"/seller/conversations/{conv}").status_code == 404  # another seller's: missing
        assert f"/seller/conversations/{conv}" not in c.get("/seller/conversations?view=all").text
        for action, data in (("messages", {"text": "Hello"}), ("escalate", {"reason": "x"}), ("close", {})):
            answer = c.post(f"/seller/conversations/{conv}/{action}", data={"csrf_token": csrf, **data})
            assert answer.status_code == 404, action
        assert c.get("/ops/conversations").status_code == 403  # a seller in the console

    with signed_in(server, person(market, "shay", Role.SHOPPER), PASSWORD) as (c, csrf):
        assert c.get("/seller/conversations").status_code == 403
        assert (
            c.post(f"/seller/conversations/{conv}/messages", data={"csrf_token": csrf, "text": "Hi"}).status_code == 403
        )

    with signed_in(server, person(market, "sam", Role.SELLER, seller_id=acme), PASSWORD) as (c, csrf):
        page = c.get("/seller/conversations?view=waiting")
        assert page.status_code == 200 and f"/seller/conversations/{conv}" in page.text
        # No CSRF token: refused before any work.
        assert c.post(f"/seller/conversations/{conv}/messages", data={"text": "Hi"}).status_code == 403
        # An empty reply: the conversation again with a clear error.
        empty = c.post(f"/seller/conversations/{conv}/messages", data={"csrf_token": csrf, "text": "   "})
        assert empty.status_code == 422 and "A message needs text, an image or a card." in empty.text
        assert 'role="alert"' in empty.text
        # Not a template of this seller's, or not a number.
        for bad in ("abc", "999999"):
            wrong = c.post(f"/seller/conversations/{conv}/messages", data={"csrf_token": csrf, "template_id": bad})
            assert wrong.status_code in (404, 422) and "template" in wrong.text.lower()
        # Escalating needs a reason.
        blank = c.post(f"/seller/conversations/{conv}/escalate", data={"csrf_token": csrf, "reason": " "})
        assert blank.status_code == 422 and "Say why" in blank.text
        assert _messages(market, conv) == before
        state = _conv(market, conv)
        assert state.escalated_at is None and state.first_response_at is None

        # A real answer, then closing it: the inbox's waiting view empties, the "all" view keeps it.
        sent = c.post(f"/seller/conversations/{conv}/messages", data={"csrf_token": csrf, "text": "Attached below."})
        assert sent.status_code == 303 and sent.headers["location"].startswith(
            f"/seller/conversations/{conv}?done=sent"
        )
        assert f"/seller/conversations/{conv}" not in c.get("/seller/conversations?view=waiting").text
        assert c.post(f"/seller/conversations/{conv}/close", data={"csrf_token": csrf}).status_code == 303
        assert _conv(market, conv).status.value == "closed"
        assert f"/seller/conversations/{conv}" not in c.get("/seller/conversations").text  # open only
        assert f"/seller/conversations/{conv}" in c.get("/seller/conversations?view=all").text

    with server.client(follow_redirects=False) as anonymous:
        answer = anonymous.get("/seller/conversations")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")


def test_a_shoppers_new_message_appears_on_the_sellers_page_without_a_reload(
    server: LiveServer, market: Market, desk: Any
) -> None:
    acme = market.seller("acme")
    email = person(market, "sam", Role.SELLER, seller_id=acme)
    shopper = market.user("ada", Role.SHOPPER)
    conv = _ask(server, shopper, _order(server, market, acme, shopper), "Is it vegan?")
    sign_in(desk, server.base_url, email)
    desk.goto(f"{server.base_url}/seller/conversations/{conv}")
    desk.evaluate("window.__marker = 'same page'")
    desk.wait_for_function("document.getElementById('messages').dataset.live === 'on'")
    with server.client(shopper) as c:
        posted = c.post(f"/v1/conversations/{conv}/messages", json={"text": "And <b>cruelty-free</b>?"})
        assert posted.status_code == 201, posted.text
    newest = desk.locator("#messages li[data-id]").last
    newest.get_by_text("And <b>cruelty-free</b>?").wait_for()  # shown as text, never as markup
    assert desk.evaluate("window.__marker") == "same page"
    assert desk.locator("#messages li[data-id]").count() == _messages(market, conv)
