"""The hot-path checks over real HTTP: a payout-destination change is masked, checked and fails CLOSED;
a checkout fails OPEN when its check raises or is slow; a suspended shopper cannot check out; the
operators' view of rules, signals and a live assessment."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from sqlalchemy import select, update

from risk_signals.scenarios import KEY
from shipping.shipping_world import ADDRESS
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.db import Database, utcnow
from yellowcart.orders.models import Order
from yellowcart.risk import checks
from yellowcart.risk.rules import Level
from yellowcart.risk.signal_models import PayoutDestination, RiskAssessmentRow, RiskSignal, SignalKind
from yellowcart.risk.signals import payout_account_hash

HOME = {"X-Device-Id": "owner-laptop-01", "X-Client-Timezone": "America/Denver", "X-Forwarded-For": "10.9.8.7"}
ELSEWHERE = {"X-Device-Id": "unknown-phone-99", "X-Client-Timezone": "Asia/Manila", "X-Forwarded-For": "203.0.113.50"}
ACCOUNT = {"routing_number": "021000021", "account_number": "000123456789"}


def destinations(db: Database) -> list[PayoutDestination]:
    with db.transaction() as s:
        return list(s.scalars(select(PayoutDestination).order_by(PayoutDestination.id)).all())


def payout_signals(db: Database) -> list[RiskSignal]:
    with db.transaction() as s:
        query = select(RiskSignal).where(RiskSignal.kind == SignalKind.PAYOUT_CHANGE).order_by(RiskSignal.id)
        return list(s.scalars(query).all())


@pytest.fixture
def shop(server: LiveServer, market: Market) -> tuple[int, str]:
    """A shop whose staff has worked from one laptop at one place (its token use is the history)."""
    shop_id = market.seller("acme")
    staff = market.user("acme-staff", Role.SELLER, shop_id)
    with server.client(staff) as c:
        assert c.get("/v1/me", headers=HOME).status_code == 200
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with market.db.transaction() as s:
            if s.scalar(select(RiskSignal.id).where(RiskSignal.kind == SignalKind.TOKEN_USE)) is not None:
                break
        time.sleep(0.02)
    with market.db.transaction() as s:  # ... for a while: a place seen only minutes ago is not "known"
        s.execute(update(RiskSignal).values(at=utcnow() - dt.timedelta(days=3)))
    return shop_id, staff


def test_payout_destination_is_masked_and_its_change_recorded(
    server: LiveServer, market: Market, db: Database, shop: tuple[int, str]
) -> None:
    shop_id, staff = shop
    with server.client(staff) as c:
        r = c.put(f"/v1/sellers/{shop_id}/payout-destination", json=ACCOUNT, headers=HOME)
        assert r.status_code == 200, r.text
        assert r.json()["account"] == "****6789" and r.json()["routing_number"] == "021000021"
        assert c.get(f"/v1/sellers/{shop_id}/payout-destination").json()["account"] == "****6789"
        bad = c.put(f"/v1/sellers/{shop_id}/payout-destination", json={**ACCOUNT, "routing_number": "021000022"})
        assert bad.status_code == 422
    other = market.user("zed-staff", Role.SELLER, market.seller("zed"))
    with server.client(other) as c:
        assert c.put(f"/v1/sellers/{shop_id}/payout-destination", json=ACCOUNT).status_code == 404
        assert c.get(f"/v1/sellers/{shop_id}/payout-destination").status_code == 404
    with server.client(market.user("ops", Role.OPERATOR)) as c:
        assert c.get(f"/v1/sellers/{shop_id}/payout-destination").json()["account"] == "****6789"
    [row] = destinations(db)
    expected = payout_account_hash(KEY, "021000021", "000123456789")
    assert (row.account_last4, row.account_hash) == ("6789", expected)
    assert "000123456789" not in str({c.name: getattr(row, c.name) for c in PayoutDestination.__table__.columns})
    [signal] = payout_signals(db)
    assert (signal.seller_id, signal.fingerprint, signal.detail) == (shop_id, expected, {"outcome": "applied"})
    assert signal.network == "10.9.8.0/24"


def test_payout_change_from_a_new_device_and_network_needs_verification(
    server: LiveServer, db: Database, shop: tuple[int, str]
) -> None:
    shop_id, staff = shop
    with server.client(staff) as c:
        r = c.put(f"/v1/sellers/{shop_id}/payout-destination", json=ACCOUNT, headers=ELSEWHERE)
    assert r.status_code == 403 and r.json()["code"] == "payout_change_needs_verification", r.text
    assert set(r.json()["reasons"]) >= {"new_device", "new_network"}
    assert destinations(db) == []
    [attempt] = payout_signals(db)
    assert attempt.detail == {"outcome": "refused"}  # the refused attempt is kept as evidence


def test_payout_change_fails_closed(
    server: LiveServer, db: Database, shop: tuple[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shop_id, staff = shop

    def broken(*args: object, **kwargs: object) -> checks.Decision:
        raise RuntimeError("risk store down")

    monkeypatch.setattr(checks, "payout_decision", broken)
    with server.client(staff) as c:
        r = c.put(f"/v1/sellers/{shop_id}/payout-destination", json=ACCOUNT, headers=HOME)
    assert r.status_code == 503 and r.json()["code"] == "risk_unavailable", r.text
    assert destinations(db) == [] and payout_signals(db) == []


def test_payout_change_refused_while_the_shop_is_held(server: LiveServer, db: Database, shop: tuple[int, str]) -> None:
    shop_id, staff = shop
    with db.transaction() as s:
        s.add(
            RiskAssessmentRow(
                subject_kind="seller",
                subject_id=shop_id,
                level=Level.HOLD_PAYOUTS.value,
                score=0.6,
                reasons=[],
                assessed_at=utcnow(),
            )
        )
    with server.client(staff) as c:
        r = c.put(f"/v1/sellers/{shop_id}/payout-destination", json=ACCOUNT, headers=HOME)
    assert r.status_code == 403 and r.json()["reasons"] == ["account_held"]


def _checkout(server: LiveServer, token: str, sku: str) -> tuple[int, dict[str, object]]:
    body = {"items": [{"sku": sku, "quantity": 1}], "shipping_address": ADDRESS, "payment_method": "tok_visa"}
    with server.client(token) as c:
        r = c.post("/v1/checkout", json=body, headers={**HOME, "Idempotency-Key": uuid.uuid4().hex})
    return r.status_code, r.json()


def _orders(db: Database) -> int:
    with db.transaction() as s:
        return len(s.scalars(select(Order.id)).all())


def test_checkout_fails_open_when_the_check_raises(
    server: LiveServer,
    market: Market,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sku = market.product(market.seller("acme"), stock=5)
    token = market.user("ada", Role.SHOPPER)

    def broken(*args: object, **kwargs: object) -> checks.Decision:
        raise RuntimeError("risk store down")

    monkeypatch.setattr(checks, "checkout_decision", broken)
    status, body = _checkout(server, token, sku)
    assert status == 201, body
    assert _orders(db) == 1
    assert "risk_check_failed_open" in capsys.readouterr().out


def test_checkout_fails_open_when_the_check_is_slow(
    server: LiveServer, market: Market, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sku = market.product(market.seller("acme"), stock=5)
    token = market.user("ada", Role.SHOPPER)

    def slow_refusal(*args: object, **kwargs: object) -> checks.Decision:
        time.sleep(checks.CHECKOUT_BUDGET_MS / 1000 + 0.03)
        return checks.Decision("deny", Level.SUSPEND, ("account_suspended",))

    monkeypatch.setattr(checks, "checkout_decision", slow_refusal)
    status, body = _checkout(server, token, sku)
    assert status == 201, body  # past its budget the check's answer is ignored: the sale goes through


def test_a_suspicion_alone_does_not_stop_a_checkout(server: LiveServer, market: Market, db: Database) -> None:
    """An assessed "suspend" level is a suspicion for an operator to decide (the due process); only a
    suspension in force stops a checkout (tests/risk_cases covers that path)."""
    sku = market.product(market.seller("acme"), stock=5)
    token = market.user("ada", Role.SHOPPER)
    with db.transaction() as s:
        s.add(
            RiskAssessmentRow(
                subject_kind="user",
                subject_id=market.users["ada"],
                level=Level.SUSPEND.value,
                score=0.9,
                reasons=[],
                assessed_at=utcnow(),
            )
        )
    status, body = _checkout(server, token, sku)
    assert status == 201, body
    assert _orders(db) == 1


def test_operators_see_rules_signals_and_a_live_assessment(server: LiveServer, market: Market, db: Database) -> None:
    ops = market.user("ops", Role.OPERATOR)
    shopper = market.user("ada", Role.SHOPPER)
    with server.client(shopper) as c:
        assert c.get("/v1/operator/risk/detection-rules").status_code == 403
        assert c.get("/v1/me", headers=HOME).status_code == 200
    with server.client(ops) as c:
        listed = c.get("/v1/operator/risk/detection-rules").json()
        brushing = next(r for r in listed if r["name"] == "brushing")
        assert brushing["params"] == {"share": 0.3, "orders": 5} and brushing["weak"] is False
        r = c.patch("/v1/operator/risk/detection-rules/brushing", json={"params": {"share": 0.5}, "level": "restrict"})
        assert r.status_code == 200, r.text
        assert r.json()["params"] == {"share": 0.5, "orders": 5} and r.json()["level"] == "restrict"
        assert c.patch("/v1/operator/risk/detection-rules/brushing", json={"params": {"nope": 1}}).status_code == 422
        assert c.patch("/v1/operator/risk/detection-rules/nothing", json={"enabled": False}).status_code == 404
        changed = next(r for r in c.get("/v1/operator/risk/detection-rules").json() if r["name"] == "brushing")
        assert changed["params"]["share"] == 0.5
        uid = market.users["ada"]
        deadline = time.monotonic() + 5
        seen = c.get(f"/v1/operator/risk/subjects/user/{uid}/signals").json()
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
            seen = c.get(f"/v1/operator/risk/subjects/user/{uid}/signals").json()
        assert seen[0]["kind"] == "token_use" and seen[0]["network"] == "10.9.8.0/24"
        assessed = c.get(f"/v1/operator/risk/subjects/user/{uid}/assessment").json()
        assert assessed["level"] == "allow" and assessed["reasons"] == []
