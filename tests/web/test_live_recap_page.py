"""The live room recap page and the seller centre's live rooms over real HTTP on SQLite and PostgreSQL: a seller
member hosts a room that sells a deal and ends; the host and an operator read its recap (figures, top
products, the chart inline with its title and description), anyone else signed in gets the 404 page and a
signed-out visitor is asked to sign in; the room page offers the recap link to the host once the room has
ended; /seller/live lists the shop's rooms with a recap link on the ones the member hosted."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import httpx

from live_rooms.room_world import Room as ApiRoom
from live_rooms.room_world import buy_deal, drain, product_id, start_deal
from support import LiveServer, Market
from web.web_client import signed_in
from web_browser.browser_world import PASSWORD, person
from yellowcart.auth.models import Role
from yellowcart.auth.service import create_token

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class World:
    room: ApiRoom
    host: str  # e-mail addresses of people who sign in to the web apps
    teammate: str
    operator: str
    shopper: str


def _token(market: Market, name: str) -> str:
    with market.db.transaction() as s:
        token, _ = create_token(s, user_id=market.users[name])
    return token


def _world(server: LiveServer, market: Market, *, end: bool = True) -> World:
    """A member of the shop hosts a room tagging two listings; a shopper buys two units of its deal."""
    shop = market.seller("glow")
    host = person(market, "hana", Role.SELLER, seller_id=shop)
    skus = [market.product(shop, price_cents=2500, title="Glow serum"), market.product(shop, title="Night cream")]
    pids = [product_id(market, sku) for sku in skus]
    host_token = _token(market, "hana")
    with server.client(host_token) as c:
        made = c.post("/v1/content", json={"kind": "live", "title": "Friday <drop>", "product_ids": pids})
        assert made.status_code == 201, made.text
        room = ApiRoom(int(made.json()["id"]), host_token, pids, skus)
        assert c.patch(f"/v1/content/{room.id}", json={"live_state": "live"}).status_code == 200
    deal = start_deal(server, room, quantity=10, price_cents=1500)
    assert buy_deal(server, market.user("ada", Role.SHOPPER), room, deal, quantity=2).status_code == 201
    if end:
        with server.client(host_token) as c:
            assert c.patch(f"/v1/content/{room.id}", json={"live_state": "ended"}).status_code == 200
    drain(server)  # the room's run: on air, ended
    return World(
        room=room,
        host=host,
        teammate=person(market, "tom", Role.SELLER, seller_id=shop),
        operator=person(market, "olive", Role.OPERATOR),
        shopper=person(market, "shay", Role.SHOPPER),
    )


def _html(response: httpx.Response, status: int = 200) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _fact(html: str, key: str) -> str:
    found = re.search(rf'data-fact="{key}">([^<]*)<', html)
    assert found, f"{key} not on the page"
    return found.group(1)


def test_the_host_and_operators_read_the_recap(server: LiveServer, market: Market) -> None:
    w = _world(server, market)
    for email in (w.host, w.operator):
        with signed_in(server, email, PASSWORD) as (c, _):
            html = _html(c.get(f"/live/{w.room.id}/recap"))
            assert '<h1 id="recap-h">Recap: Friday &lt;drop&gt;</h1>' in html
            assert (_fact(html, "orders"), _fact(html, "units"), _fact(html, "gmv")) == ("1", "2", "$30.00")
            assert _fact(html, "viewers") == "0" and _fact(html, "peak") == "0" and _fact(html, "conversion") == "n/a"
            assert "the recap so far" not in html  # the room has ended
            top = html[html.index('id="top-products"') :]
            assert f'href="/products/{w.room.products[0]}">Glow serum' in top and "$30.00" in top

            figure = html[html.index("<figure>") + len("<figure>") : html.index("</figure>")]
            svg = ET.fromstring(figure)  # the chart, inline: well-formed, its text escaped
            title, desc = svg[0], svg[1]  # first children: what assistive technology reads
            assert (title.tag, desc.tag) == (f"{SVG}title", f"{SVG}desc")
            assert svg.get("role") == "img" and svg.get("aria-labelledby") == title.get("id") == "recap-chart-title"
            assert svg.get("aria-describedby") == desc.get("id") and svg.get("aria-label") is None
            assert title.text == "Recap chart of Friday <drop>"
            assert desc.text and "1 order, 2 deal units sold, $30.00 GMV" in desc.text and "Glow serum" in desc.text
            assert ("All your live rooms" in html) is (email == w.host)


def test_anyone_else_gets_the_not_found_page(server: LiveServer, market: Market) -> None:
    w = _world(server, market)
    for email in (w.teammate, w.shopper):  # a member of the same shop did not host it: not theirs either
        with signed_in(server, email, PASSWORD) as (c, _):
            page = _html(c.get(f"/live/{w.room.id}/recap"), 404)
            assert 'data-status="404"' in page and "Friday" not in page and "$30.00" not in page
    with signed_in(server, w.host, PASSWORD) as (c, _):
        assert 'data-status="404"' in _html(c.get("/live/999999/recap"), 404)
        assert 'data-status="404"' in _html(c.get("/live/abc/recap"), 404)
    with server.client(follow_redirects=False) as anonymous:
        asked = anonymous.get(f"/live/{w.room.id}/recap")
        assert asked.status_code == 303 and asked.headers["location"] == f"/signin?next=%2Flive%2F{w.room.id}%2Frecap"
        assert anonymous.get(f"/live/{w.room.id}/recap-link").text.strip() == ""


def test_the_room_page_links_the_host_to_the_recap_once_ended(server: LiveServer, market: Market) -> None:
    w = _world(server, market, end=False)
    link = f'href="/live/{w.room.id}/recap"'
    with signed_in(server, w.host, PASSWORD) as (host, _):
        room_page = _html(host.get(f"/live/{w.room.id}"))
        assert f'hx-get="/live/{w.room.id}/recap-link"' in room_page
        assert link not in _html(host.get(f"/live/{w.room.id}/recap-link"))  # still on air
        assert "the recap so far" in _html(host.get(f"/live/{w.room.id}/recap"))
        with server.client(w.room.host) as api:
            assert api.patch(f"/v1/content/{w.room.id}", json={"live_state": "ended"}).status_code == 200
        assert link in _html(host.get(f"/live/{w.room.id}/recap-link"))
    for email in (w.operator, w.shopper):
        with signed_in(server, email, PASSWORD) as (c, _):
            shown = _html(c.get(f"/live/{w.room.id}/recap-link"))
            assert (link in shown) is (email == w.operator)
    with server.client() as anonymous:  # a signed-out viewer's page does not even ask
        assert "recap-link" not in _html(anonymous.get(f"/live/{w.room.id}"))


def test_seller_centre_lists_the_shops_rooms(server: LiveServer, market: Market) -> None:
    w = _world(server, market)
    other = market.seller("other")
    other_token = market.user("otto", Role.SELLER, seller_id=other)
    with server.client(other_token) as c:  # another shop's room is not listed
        made = c.post("/v1/content", json={"kind": "live", "title": "Elsewhere", "product_ids": []})
        assert made.status_code == 201, made.text
    with server.client(w.room.host) as c:
        planned = c.post("/v1/content", json={"kind": "live", "title": "Next week", "product_ids": []})
        assert planned.status_code == 201, planned.text

    with signed_in(server, w.host, PASSWORD) as (c, _):
        html = _html(c.get("/seller/live"))
        assert '<a href="/seller/live" aria-current="page">Live rooms</a>' in html
        rows = html[html.index('id="live-rooms"') :]
        assert "Elsewhere" not in rows
        assert rows.index("Next week") < rows.index("Friday &lt;drop&gt;")  # newest first
        ended = rows[rows.index(f'id="room-{w.room.id}"') :]
        assert "ended" in ended and f'href="/live/{w.room.id}/recap">Recap<' in ended
        scheduled = rows[rows.index(f'id="room-{planned.json()["id"]}"') :]
        assert "after the room goes live" in scheduled[: scheduled.index("</tr>")]
    with signed_in(server, w.teammate, PASSWORD) as (c, _):
        rows = _html(c.get("/seller/live"))
        assert "Friday &lt;drop&gt;" in rows and f'href="/live/{w.room.id}/recap"' not in rows
    with signed_in(server, w.shopper, PASSWORD) as (c, _):
        assert "Not for your account" in _html(c.get("/seller/live"), 403)
