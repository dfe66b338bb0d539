"""The order page's messages in a real browser: a shopper writes to the seller from the order page, the page
opens the conversation's SSE stream with its session (``GET /app/conversations/{id}/stream``), and the
seller's reply, posted through the API with a bearer token, appears without a reload, rendered as text and
the same way the server renders it."""

from __future__ import annotations

import re
from typing import Any

from shipping.shipping_world import buy, drain
from support import LiveServer, Market
from web_browser.browser_world import person, shot, sign_in
from yellowcart.auth.models import Role
from yellowcart.auth.service import create_token

LIVE = "document.getElementById('messages').dataset.live === 'on'"


def test_a_sellers_reply_appears_on_the_order_page_without_a_reload(
    server: LiveServer, market: Market, page: Any
) -> None:
    acme = market.seller("acme")
    seller_token = market.user("acme-staff", Role.SELLER, seller_id=acme)
    shopper = person(market, "ada", Role.SHOPPER)
    with market.db.transaction() as s:
        shopper_token, _ = create_token(s, user_id=market.users["ada"])
    sku = market.product(acme, title="Glow serum", stock=5)
    order_id = buy(server, shopper_token, [(sku, 1)])["orders"][0]["id"]
    drain(server)

    # No conversation yet: nothing to listen to. The first message opens it; the page then goes live.
    sign_in(page, server.base_url, shopper)
    page.goto(f"{server.base_url}/orders/{order_id}")
    assert page.locator("#messages").get_attribute("data-stream") is None
    page.get_by_label("Your message").fill("Could you add a gift note?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(rf"/orders/{order_id}#messages$"))
    stream = page.locator("#messages").get_attribute("data-stream") or ""
    found = re.fullmatch(r"/app/conversations/(\d+)/stream", stream)
    assert found, stream
    assert page.locator("ol.messages").get_attribute("aria-live") == "polite"
    page.wait_for_function(LIVE)
    page.evaluate("window.ycNoReload = true")

    # The seller answers through the API; the reply shows up on the open page, as text, once.
    with server.client(seller_token) as c:
        r = c.post(f"/v1/conversations/{found.group(1)}/messages", json={"text": "Sure: <b>gift</b> note added"})
        assert r.status_code == 201, r.text
        reply_id = r.json()["message"]["id"]
    reply = page.locator(f'#messages li[data-id="{reply_id}"]')
    reply.wait_for()
    assert page.evaluate("window.ycNoReload") is True  # the same document: no navigation happened
    assert reply.get_attribute("class") == "msg them"
    assert reply.locator("p").inner_text() == "Sure: <b>gift</b> note added"
    assert reply.locator("b").count() == 0  # never parsed as HTML
    ids = page.locator("#messages li[data-id]").evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(ids) == len(set(ids)) == 2 and ids[-1] == str(reply_id)
    live = reply.inner_text()
    assert live.startswith("Seller\n")
    shot(page, "shopper-messages-live")

    # After a reload the server renders the same message the same way.
    page.reload()
    assert page.locator(f'#messages li[data-id="{reply_id}"]').inner_text() == live
