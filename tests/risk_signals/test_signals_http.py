"""Signals captured over real HTTP: login, token use (deduplicated), shop-profile change, a seller's
message, checkout; each with its context and nothing raw (IP, device id, text) stored."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import select

from risk_signals.scenarios import KEY, KEY_TEXT
from shipping.shipping_world import ADDRESS, drain
from support import LiveServer, Market
from support_cs.support_world import make_world, open_conv, say, seller_order
from yellowcart.auth.models import Role
from yellowcart.auth.service import create_user
from yellowcart.db import Database
from yellowcart.risk.signal_models import RiskSignal, SignalKind
from yellowcart.risk.signals import address_fingerprint, payment_fingerprint, template_fingerprint
from yellowcart.sellers.identity import keyed_hash

HEADERS = {
    "X-Device-Id": "device-aaaa-1111",
    "X-Client-Timezone": "America/Chicago",
    "User-Agent": "yellowcart-ios/3.2 (iPhone; iOS 17.1)",
}


def rows(db: Database, kind: SignalKind | None = None) -> list[RiskSignal]:
    with db.transaction() as s:
        query = select(RiskSignal).order_by(RiskSignal.id)
        return list(s.scalars(query.where(RiskSignal.kind == kind) if kind else query).all())


def eventually(db: Database, kind: SignalKind, count: int) -> list[RiskSignal]:
    """Token uses are written just after the response goes out: wait for them (bounded)."""
    deadline = time.monotonic() + 5
    found = rows(db, kind)
    while len(found) < count and time.monotonic() < deadline:
        time.sleep(0.02)
        found = rows(db, kind)
    return found


def dump(row: RiskSignal) -> str:
    return json.dumps({c.name: str(getattr(row, c.name)) for c in RiskSignal.__table__.columns})


def test_login_records_context_minimised(server: LiveServer, db: Database) -> None:
    with db.transaction() as s:
        user = create_user(s, email="ada@risk.example", display_name="Ada", role=Role.SHOPPER, password="pw-123456")
    with server.client() as c:
        r = c.post("/v1/auth/tokens", json={"email": "ada@risk.example", "password": "pw-123456"}, headers=HEADERS)
        assert r.status_code == 201, r.text
        odd = {**HEADERS, "X-Client-Timezone": "Mars/Olympus", "X-Forwarded-For": "2001:db8:7:1::9"}
        assert (
            c.post(
                "/v1/auth/tokens", json={"email": "ada@risk.example", "password": "pw-123456"}, headers=odd
            ).status_code
            == 201
        )
        assert c.post("/v1/auth/tokens", json={"email": "ada@risk.example", "password": "nope"}).status_code == 401
    first, second = rows(db, SignalKind.LOGIN)
    assert (first.user_id, first.seller_id) == (user.id, None)
    assert first.network == "127.0.0.0/24" and first.ip_hash == keyed_hash(KEY, "ip", "127.0.0.1")
    assert first.device_hash == keyed_hash(KEY, "device", "device-aaaa-1111")
    assert (first.ua_family, first.timezone, first.detail) == ("ios/app", "America/Chicago", {"check": "allow"})
    assert "127.0.0.1" not in dump(first) and "device-aaaa-1111" not in dump(first)
    # Behind our proxy the first forwarded hop is the client; a zone that does not exist is dropped.
    assert second.network == "2001:db8:7::/48" and second.timezone is None


def test_token_use_is_one_row_per_token_network_device_day(server: LiveServer, market: Market, db: Database) -> None:
    from yellowcart.risk.signals import token_uses

    token = market.user("ada", Role.SHOPPER)
    with server.client(token) as c:
        for _ in range(5):
            assert c.get("/v1/me", headers=HEADERS).status_code == 200
        for _ in range(3):
            assert c.get("/v1/me", headers={**HEADERS, "X-Device-Id": "device-bbbb-2222"}).status_code == 200
    used = eventually(db, SignalKind.TOKEN_USE, 2)
    assert len(used) == 2
    assert {u.device_hash for u in used} == {
        keyed_hash(KEY, "device", "device-aaaa-1111"),
        keyed_hash(KEY, "device", "device-bbbb-2222"),
    }
    assert all(u.user_id == market.users["ada"] and u.token_id is not None for u in used)
    token_uses.forget()  # another process has not seen it: the unique key still keeps one row
    with server.client(token) as c:
        assert c.get("/v1/me", headers=HEADERS).status_code == 200
    with server.client("yc_not-a-real-token-value") as c:
        assert c.get("/v1/me", headers=HEADERS).status_code == 401
    time.sleep(0.2)
    assert len(rows(db, SignalKind.TOKEN_USE)) == 2


def test_shop_profile_change_by_the_shop_only(server: LiveServer, market: Market, db: Database) -> None:
    shop = market.seller("acme")
    staff = market.user("acme-staff", Role.SELLER, shop)
    ops = market.user("ops", Role.OPERATOR)
    with server.client(staff) as c:
        r = c.patch(f"/v1/sellers/{shop}", json={"store_url": "https://acme.example.com"}, headers=HEADERS)
        assert r.status_code == 200, r.text
    with server.client(ops) as c:
        assert c.patch(f"/v1/sellers/{shop}", json={"name": "Acme Co"}, headers=HEADERS).status_code == 200
    [change] = rows(db, SignalKind.PROFILE_CHANGE)
    assert (change.seller_id, change.user_id) == (shop, market.users["acme-staff"])
    assert change.detail == {"fields": ["store_url"]}
    assert change.device_hash == keyed_hash(KEY, "device", "device-aaaa-1111")


def test_seller_messages_keep_a_template_fingerprint_not_the_text(
    server: LiveServer, market: Market, db: Database
) -> None:
    world = make_world(market)
    order_id = seller_order(server, market, world)
    with server.client(world["shopper"]) as c:
        conv = open_conv(c, order_id)
        say(c, conv["id"], "Where is my parcel?")
    with server.client(world["seller"]) as c:
        c.headers.update(HEADERS)
        say(c, conv["id"], "Hi Ada, your order #1234 ships today")
        say(c, conv["id"], "Hi Bo, your order #77 ships today")
    messages = rows(db, SignalKind.MESSAGE)
    assert len(messages) == 2  # the shopper's question is not a seller's message
    first, second = messages
    assert first.fingerprint == second.fingerprint == template_fingerprint(KEY, "Hi Ada, your order #1234 ships today")
    assert (first.seller_id, first.user_id) == (world["acme"], market.users["acme-staff"])
    assert first.detail == {"conversation_id": conv["id"]}
    assert "ships" not in dump(first) and "Ada" not in dump(first)


def _checkout(server: LiveServer, token: str, sku: str) -> Any:
    body = {"items": [{"sku": sku, "quantity": 1}], "shipping_address": ADDRESS, "payment_method": "tok_visa"}
    with server.client(token) as c:
        return c.post("/v1/checkout", json=body, headers={**HEADERS, "Idempotency-Key": uuid.uuid4().hex})


def test_checkout_records_its_signal(server: LiveServer, market: Market, db: Database) -> None:
    sku = market.product(market.seller("acme"), stock=5)
    token = market.user("ada", Role.SHOPPER)
    assert _checkout(server, token, sku).status_code == 201
    drain(server)
    [checkout] = rows(db, SignalKind.CHECKOUT)
    assert checkout.user_id == market.users["ada"] and checkout.zip == ADDRESS["zip"][:5]
    assert checkout.fingerprint == payment_fingerprint(KEY, "tok_visa")
    assert checkout.address_hash == address_fingerprint(KEY, ADDRESS) and ADDRESS["line1"] not in dump(checkout)
    assert KEY_TEXT not in dump(checkout)
