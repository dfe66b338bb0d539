"""Rate limits over real HTTP: 429 problem with Retry-After before anything changes, per token and per
IP on writes, a tighter per-IP limit on sign-up and login; reads are never limited here."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from audit_limits.audit_world import NO_EXEMPTION
from support import LiveServer, Market
from yellowcart.auth.models import Role, User
from yellowcart.checkout.models import Cart

#: A minute's worth of a limit is 1 request: a refused one stays refused for the whole test.
SLOW = 1


def carts(market: Market) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(func.count(Cart.id))) or 0)


def assert_throttled(r: httpx.Response, limit: str) -> dict[str, Any]:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["retry-after"]) >= 1
    body: dict[str, Any] = r.json()
    assert (body["code"], body["limit"], body["status"]) == ("rate_limited", limit, 429)
    assert body["retry_after_seconds"] == int(r.headers["retry-after"])
    return body


@pytest.mark.parametrize(
    "limits", [{"rate_limit_token_per_minute": SLOW, "rate_limit_token_burst": 2, "rate_limit_ip_per_minute": 0}]
)
def test_a_token_over_its_write_limit_gets_429_and_nothing_changes(server: LiveServer, market: Market) -> None:
    alice, bob = market.user("alice", Role.SHOPPER), market.user("bob", Role.SHOPPER)
    with server.client(alice) as c:
        assert [c.post("/v1/carts", json={}).status_code for _ in range(2)] == [200, 200]
        assert carts(market) == 1
        body = assert_throttled(c.post("/v1/checkout", json={}, headers={"Idempotency-Key": "k1"}), "token")
        assert body["retry_after_seconds"] >= 30  # one request a minute: the next is about a minute away
        assert c.get("/v1/me").status_code == 200  # reads are not limited
    assert carts(market) == 1
    with server.client(bob) as c:  # another token has its own allowance
        assert c.post("/v1/carts", json={}).status_code == 200
    assert carts(market) == 2


@pytest.mark.parametrize(
    "limits",
    [{"rate_limit_ip_per_minute": SLOW, "rate_limit_ip_burst": 3, "rate_limit_token_per_minute": 0, **NO_EXEMPTION}],
)
def test_an_address_over_its_write_limit_is_refused_whatever_token_it_uses(server: LiveServer, market: Market) -> None:
    tokens = [market.user(f"u{i}", Role.SHOPPER) for i in range(4)]
    for token in tokens[:3]:
        with server.client(token) as c:
            assert c.post("/v1/carts", json={}).status_code == 200
    with server.client(tokens[3]) as c:
        assert_throttled(c.post("/v1/carts", json={}), "ip")
        assert c.get("/v1/products").status_code == 200
    with server.client() as c:  # anonymous writes count against the address too
        assert_throttled(c.post("/v1/events", json={"events": []}), "ip")
    assert carts(market) == 3


@pytest.mark.parametrize(
    "limits", [{"rate_limit_ip_per_minute": SLOW, "rate_limit_ip_burst": 1, "rate_limit_token_burst": 2}]
)
def test_loopback_is_exempt_from_per_ip_limits_by_default_but_tokens_are_not(
    server: LiveServer, market: Market
) -> None:
    tokens = [market.user(f"u{i}", Role.SHOPPER) for i in range(3)]
    for token in tokens:
        with server.client(token) as c:
            assert c.post("/v1/carts", json={}).status_code == 200
    assert carts(market) == 3


@pytest.mark.parametrize("limits", [{"rate_limit_auth_per_minute": SLOW, "rate_limit_auth_burst": 2, **NO_EXEMPTION}])
def test_sign_up_and_login_are_limited_per_address(server: LiveServer, market: Market) -> None:
    def signup(i: int) -> httpx.Response:
        body = {"email": f"new{i}@example.com", "display_name": "N", "password": "long enough pass"}
        with server.client() as c:
            return c.post("/v1/users", json=body)

    assert [signup(i).status_code for i in range(2)] == [201, 201]
    assert_throttled(signup(2), "auth")
    with server.client() as c:
        assert_throttled(c.post("/v1/auth/tokens", json={"email": "new0@example.com", "password": "x"}), "auth")
    with market.db.transaction() as s:
        assert s.scalar(select(func.count(User.id))) == 2


@pytest.mark.parametrize("limits", [{"rate_limit_token_burst": 2, "rate_limit_token_per_minute": SLOW}])
def test_a_malformed_or_unknown_token_is_limited_as_well(server: LiveServer, market: Market) -> None:
    with server.client("yc_not-a-real-token") as c:
        assert [c.post("/v1/carts", json={}).status_code for _ in range(2)] == [401, 401]
        assert_throttled(c.post("/v1/carts", json={}), "token")


@pytest.mark.parametrize("limits", [{"rate_limits_enabled": False, "rate_limit_token_burst": 1, **NO_EXEMPTION}])
def test_limits_can_be_switched_off(server: LiveServer, market: Market) -> None:
    with server.client(market.user("alice", Role.SHOPPER)) as c:
        assert {c.post("/v1/carts", json={}).status_code for _ in range(3)} <= {200, 201}


def test_defaults_let_a_busy_shopper_through(server: LiveServer, market: Market) -> None:
    with server.client(market.user("alice", Role.SHOPPER)) as c:
        statuses = {c.post("/v1/carts", json={}).status_code for _ in range(60)}
    assert statuses <= {200, 201}
