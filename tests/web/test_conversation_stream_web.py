"""The order page's live messages over real HTTP on SQLite and PostgreSQL: the session-authenticated twin of
``GET /v1/conversations/{id}/stream`` (an EventSource sends the cookie, never a bearer token). Given a
shopper signed in on the web with an order and its conversation, when they open the stream, then the seller's
reply posted through the API arrives on it and Last-Event-ID resumes; anyone else gets the 404 of an unknown
conversation, and a visitor without a (live) session the 401 every /app route answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from shipping.shipping_world import buy, drain
from support import LiveServer, Market
from support_cs.support_world import make_world, open_conv, say
from support_cs.test_stream_http import sse_events, until
from web_browser.browser_world import PASSWORD, person
from yellowcart.auth.models import Role
from yellowcart.auth.service import create_token
from yellowcart.web.session import COOKIE, CSRF_HEADER


def _csrf(c: httpx.Client, page: str = "/signin") -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', c.get(page).text)
    assert found, "no CSRF token on the sign-in page"
    return found.group(1)


@contextmanager
def _web(server: LiveServer, email: str | None = None) -> Iterator[httpx.Client]:
    """A browser-like client: an anonymous session, signed in on the web when ``email`` is given."""
    with server.client() as c:
        csrf = _csrf(c)
        if email is not None:
            r = c.post("/signin", data={"email": email, "password": PASSWORD, "csrf_token": csrf})
            assert r.status_code == 303, r.text
        yield c


def _world(server: LiveServer, market: Market) -> dict[str, Any]:
    """acme's order for a shopper who signs in with a password, and its conversation (one message)."""
    world = make_world(market)
    world["web_shopper"] = person(market, "wendy", Role.SHOPPER)
    world["web_other"] = person(market, "otto", Role.SHOPPER)
    world["web_stranger"] = person(market, "zoe", Role.SELLER, seller_id=world["zed"])
    with market.db.transaction() as s:
        token, _ = create_token(s, user_id=market.users["wendy"])
    sku = market.product(world["acme"], stock=10)
    world["order_id"] = int(buy(server, token, [(sku, 1)])["orders"][0]["id"])
    drain(server)
    with server.client(token) as c:
        world["conversation_id"] = open_conv(c, world["order_id"])["id"]
        world["first"] = say(c, world["conversation_id"], "Is it gift wrapped?")["message"]["id"]
    return world


def test_the_signed_in_shopper_streams_the_conversation(server: LiveServer, market: Market) -> None:
    w = _world(server, market)
    cid, first = w["conversation_id"], w["first"]
    with _web(server, w["web_shopper"]) as c:
        html = c.get(f"/orders/{w['order_id']}").text
        assert f'data-stream="/app/conversations/{cid}/stream"' in html and f'data-id="{first}"' in html
        assert '<script src="/static/messages.js' in html and 'aria-live="polite"' in html

        with c.stream("GET", f"/app/conversations/{cid}/stream", params={"after": first}) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            assert r.headers["cache-control"] == "no-store"
            events = sse_events(r.iter_lines())
            ready = until(events, lambda e: e.get("event") == "ready")
            assert ready["data"] == {"conversation_id": cid, "after": first}
            with server.client(w["seller"]) as seller:
                reply = say(seller, cid, "Yes, <b>free</b> of charge.")["message"]
            got = until(events, lambda e: e.get("event") == "message")
            assert got["id"] == str(reply["id"])
            assert got["data"]["text"] == "Yes, <b>free</b> of charge."
            assert got["data"]["from_me"] is False and got["data"]["sender_role"] == "seller"

        # An EventSource reconnect sends Last-Event-ID: it wins over the page's ``after``.
        headers = {"Last-Event-ID": str(first)}
        with c.stream("GET", f"/app/conversations/{cid}/stream?after={reply['id']}", headers=headers) as r:
            events = sse_events(r.iter_lines())
            replayed = until(events, lambda e: e.get("event") == "message")
            assert replayed["data"]["id"] == reply["id"] and replayed["data"]["from_me"] is False


def test_only_participants_with_a_live_session_listen(server: LiveServer, market: Market) -> None:
    w = _world(server, market)
    cid = w["conversation_id"]
    url = f"/app/conversations/{cid}/stream"
    with _web(server, w["web_other"]) as c:
        foreign = c.get(url)
        unknown = c.get("/app/conversations/999999/stream")
        page = c.get(f"/orders/{w['order_id']}")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json() == {"title": "Not found", "status": 404}  # no hint that it exists
    assert "/app/conversations/" not in page.text  # and their 404 page names no stream
    with _web(server, w["web_stranger"]) as c:  # another seller's staff
        assert c.get(url).status_code == 404

    with _web(server) as anonymous:  # signed out: the answer of /app/events, the other /app route
        events = anonymous.post("/app/events", json={"events": []}, headers={CSRF_HEADER: _csrf(anonymous)})
        stream = anonymous.get(url)
    assert stream.status_code == events.status_code == 401
    assert stream.json() == events.json() == {"title": "Sign in first", "status": 401}

    with _web(server, w["web_shopper"]) as c:
        assert c.get(url, headers={"Last-Event-ID": "x"}).status_code == 422
        assert c.get(url, params={"after": -1}).status_code == 422
        stale = c.cookies[COOKIE]
        assert c.post("/signout", data={"csrf_token": _csrf(c, "/orders")}).status_code == 303  # revokes the token
    with server.client(cookies={COOKIE: stale}) as c:
        assert c.get(url).status_code == 401
