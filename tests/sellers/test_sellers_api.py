"""Seller accounts through real HTTP on SQLite and PostgreSQL: operators onboard and govern sellers,
a seller edits only its own storefront settings, and the public sees active sellers only."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import func, select

from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.sellers.models import Seller, SellerStatus


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def _seller_count(market: Market) -> int:
    with market.db.transaction() as s:
        return s.scalar(select(func.count(Seller.id))) or 0


def test_operator_opens_a_seller_account(server: LiveServer, market: Market) -> None:
    ops = market.user("ops", Role.OPERATOR)
    with server.client(ops) as c:
        r = c.post("/v1/sellers", json={"name": " Acme Beauty ", "store_url": "https://acme.example.com"})
        assert r.status_code == 201, r.text
        assert r.json() == {
            "id": r.json()["id"],
            "name": "Acme Beauty",
            "status": "pending",
            "default_selling_mode": "seller_fulfilled",
            "store_url": "https://acme.example.com",
        }
        before = _seller_count(market)
        _problem(c.post("/v1/sellers", json={"name": "ACME beauty"}), 409, "seller_name_taken")
        body = _problem(
            c.post("/v1/sellers", json={"name": "B", "store_url": "http://b.example.com"}), 422, "validation_error"
        )
        assert body["errors"][0]["field"] == "store_url"
        _problem(c.post("/v1/sellers", json={"name": "C", "default_selling_mode": "barter"}), 422, "validation_error")
        _problem(c.post("/v1/sellers", json={"name": "   "}), 422, "validation_error")
        assert _seller_count(market) == before
        redirect = c.post(
            "/v1/sellers", json={"name": "Shopify Co", "default_selling_mode": "redirect", "status": "active"}
        )
        assert redirect.status_code == 201, redirect.text
        assert redirect.json()["status"] == "active"


def test_only_operators_list_and_open_sellers(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    for token in (
        market.user("ada", Role.SHOPPER),
        market.user("acme-staff", Role.SELLER, acme),
        market.user("cat", Role.CREATOR),
    ):
        with server.client(token) as c:
            _problem(c.get("/v1/sellers"), 403, "forbidden")
            _problem(c.post("/v1/sellers", json={"name": "x"}), 403, "forbidden")
            _problem(
                c.post(f"/v1/sellers/{acme}/members", json={"email": "a@b.co", "display_name": "A"}), 403, "forbidden"
            )
    with server.client() as c:
        r = c.get("/v1/sellers")
        _problem(r, 401, "unauthorized")
        assert r.headers["www-authenticate"] == "Bearer"
        _problem(c.post("/v1/sellers", json={"name": "x"}), 401, "unauthorized")


def test_operator_lists_sellers_by_status_with_paging(server: LiveServer, market: Market) -> None:
    active = [market.seller(f"active-{n}") for n in range(5)]
    pending = [market.seller(f"pending-{n}", status=SellerStatus.PENDING) for n in range(2)]
    ops = market.user("ops", Role.OPERATOR)
    seen: list[int] = []
    cursor = None
    with server.client(ops) as c:
        while True:
            params: dict[str, Any] = {"status": "active", "limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = c.get("/v1/sellers", params=params).json()
            seen += [s["id"] for s in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert [s["id"] for s in c.get("/v1/sellers", params={"status": "pending"}).json()["items"]] == pending[::-1]
        _problem(c.get("/v1/sellers", params={"cursor": "garbage!"}), 422, "invalid_input")
    assert seen == active[::-1]


def test_public_sees_active_sellers_only(server: LiveServer, market: Market) -> None:
    pending = market.seller("newbie", status=SellerStatus.PENDING)
    active, other = market.seller("acme"), market.seller("o")
    own = market.user("newbie-staff", Role.SELLER, pending)
    stranger = market.user("o-staff", Role.SELLER, other)
    ops = market.user("ops", Role.OPERATOR)
    for token in (None, stranger, market.user("ada", Role.SHOPPER)):
        with server.client(token) as c:
            _problem(c.get(f"/v1/sellers/{pending}"), 404, "not_found")
            assert c.get(f"/v1/sellers/{active}").json()["name"] == "acme"
            _problem(c.get("/v1/sellers/999999"), 404, "not_found")
    for token in (own, ops):
        with server.client(token) as c:
            r = c.get(f"/v1/sellers/{pending}")
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "pending"


def test_seller_edits_its_storefront_but_not_its_status(server: LiveServer, market: Market) -> None:
    acme, other = market.seller("acme", status=SellerStatus.PENDING), market.seller("other")
    owner = market.user("acme-staff", Role.SELLER, acme)
    ops = market.user("ops", Role.OPERATOR)
    with server.client(owner) as c:
        r = c.patch(
            f"/v1/sellers/{acme}", json={"store_url": "https://acme.example.com", "default_selling_mode": "redirect"}
        )
        assert r.status_code == 200, r.text
        assert (r.json()["store_url"], r.json()["default_selling_mode"]) == ("https://acme.example.com", "redirect")
        _problem(c.patch(f"/v1/sellers/{acme}", json={"status": "active"}), 403, "seller_field_not_allowed")
        _problem(c.patch(f"/v1/sellers/{acme}", json={"name": "Acme Inc"}), 403, "seller_field_not_allowed")
        assert c.patch(f"/v1/sellers/{acme}", json={"status": "pending"}).status_code == 200  # no change: fine
        _problem(c.patch(f"/v1/sellers/{other}", json={"store_url": "https://x.example.com"}), 404, "not_found")
        _problem(c.patch(f"/v1/sellers/{acme}", json={"status": None}), 422, "validation_error")
        cleared = c.patch(f"/v1/sellers/{acme}", json={"store_url": None}).json()
        assert cleared["store_url"] is None
    with server.client(market.user("ada", Role.SHOPPER)) as c:
        _problem(c.patch(f"/v1/sellers/{acme}", json={"store_url": None}), 403, "forbidden")
    with server.client(ops) as c:
        r = c.patch(f"/v1/sellers/{acme}", json={"status": "active", "default_selling_mode": "full_custody"})
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["default_selling_mode"]) == ("active", "full_custody")
        _problem(c.patch(f"/v1/sellers/{acme}", json={"name": "OTHER"}), 409, "seller_name_taken")
        _problem(c.patch("/v1/sellers/999999", json={"status": "active"}), 404, "not_found")
    with market.db.transaction() as s:
        row = s.get_one(Seller, acme)
        assert (row.name, row.status) == ("acme", SellerStatus.ACTIVE)


def test_operator_adds_a_member_who_can_sell(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    ops = market.user("ops", Role.OPERATOR)
    with server.client(ops) as c:
        r = c.post(
            f"/v1/sellers/{acme}/members",
            json={"email": "Sam@Acme.example.com", "display_name": "Sam", "password": "correct horse battery"},
        )
        assert r.status_code == 201, r.text
        member = r.json()
        assert member == {
            "user_id": member["user_id"],
            "seller_id": acme,
            "email": "sam@acme.example.com",
            "display_name": "Sam",
            "role": "seller",
        }
        _problem(
            c.post(f"/v1/sellers/{acme}/members", json={"email": "sam@acme.example.com", "display_name": "S"}),
            409,
            "conflict",
        )
        _problem(
            c.post("/v1/sellers/999999/members", json={"email": "x@acme.example.com", "display_name": "X"}),
            404,
            "not_found",
        )
        _problem(
            c.post(f"/v1/sellers/{acme}/members", json={"email": "not-an-email", "display_name": "X"}),
            422,
            "validation_error",
        )
        _problem(
            c.post(
                f"/v1/sellers/{acme}/members",
                json={"email": "y@acme.example.com", "display_name": "Y", "password": "short"},
            ),
            422,
            "validation_error",
        )
        c.post("/v1/categories", json={"slug": "home", "name": "Home"}).raise_for_status()
    with server.client() as c:
        login = c.post("/v1/auth/tokens", json={"email": "sam@acme.example.com", "password": "correct horse battery"})
        assert login.status_code == 201, login.text
    with server.client(login.json()["token"]) as c:
        me = c.get("/v1/me").json()
        assert (me["role"], me["seller_id"]) == ("seller", acme)
        product = c.post(
            "/v1/products",
            json={"title": "Mug", "category": "home", "variants": [{"sku": "MUG-1", "price_cents": 900}]},
        )
        assert product.status_code == 201, product.text
        assert product.json()["seller"]["id"] == acme


def test_concurrent_same_name_sellers_give_one_account_and_clean_409s(server: LiveServer, market: Market) -> None:
    ops = market.user("ops", Role.OPERATOR)
    barrier = threading.Barrier(6)

    def create(_: int) -> httpx.Response:
        with server.client(ops) as c:
            barrier.wait()
            return c.post("/v1/sellers", json={"name": "Hot Name"})

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(create, range(6)))
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"seller_name_taken"}
    assert _seller_count(market) == 1
