"""Exports over real HTTP on SQLite and PostgreSQL: one JSON document with everything held about the
caller (account, orders with their addresses, returns, conversations and messages, events, cart),
downloaded by its owner only, listed for operators without its content, audited, and gone once expired."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from sqlalchemy import select, update

from privacy.privacy_world import ADDRESS, EMAIL, history, make_world
from support import LiveServer, Market
from yellowcart.privacy import jobs
from yellowcart.privacy.models import ExportDocument, PrivacyRequest


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    return make_world(server, market)


def _export(server: LiveServer, token: str) -> dict[str, Any]:
    with server.client(token) as c:
        r = c.post("/v1/me/privacy/exports")
    assert r.status_code == 201, r.text
    assert r.headers["location"] == r.json()["download_url"]
    return r.json()  # type: ignore[no-any-return]


def test_export_holds_everything_about_the_shopper(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    made = history(server, market, world)
    meta = _export(server, world["shopper"])
    assert meta["status"] == "ready" and meta["expires_at"]
    with server.client(world["shopper"]) as c:
        r = c.get(meta["download_url"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert "attachment" in r.headers["content-disposition"] and r.headers["cache-control"] == "no-store"
    assert hashlib.sha256(r.content).hexdigest() == meta["sha256"] and len(r.content) == meta["size_bytes"]
    doc = r.json()
    sections = doc["sections"]
    assert doc["format"] == "yellowcart.personal-data/1" and doc["user_id"] == world["shopper_id"]

    account = sections["account"]["user"]
    assert account["email"] == EMAIL and account["display_name"] == "Quentin Zebulon"
    assert "password_hash" not in account
    assert all("token_hash" not in t for t in sections["account"]["api_tokens"])

    orders = {o["id"]: o for o in sections["orders"]["orders"]}
    assert set(orders) == {made["order"], made["cancelled"]}
    assert orders[made["order"]]["ship_to"]["line1"] == ADDRESS["line1"]
    assert orders[made["cancelled"]]["cancel_reason"] == "Quentin changed his mind"
    assert {ln["order_id"] for ln in sections["orders"]["order_lines"]} == set(orders)
    assert any(h["to_status"] == "CANCELLED" for h in sections["orders"]["order_history"])

    [ret] = sections["returns"]["returns"]
    assert ret["id"] == made["return"] and "zipper" in ret["comment"] and ret["refund_cents"] > 0
    assert ret["photos"] == ["https://img.example/quentin-zipper.jpg"]

    [conv] = sections["conversations"]["conversations"]
    assert conv["id"] == made["conversation"]
    assert any("dented" in m["body"] for m in sections["conversations"]["messages"])

    events = sections["interactions"]["interaction_events"]
    assert {"quentin-phone-0001", "quentin-phone-0002"} <= {e["client_event_id"] for e in events}
    assert {e["type"] for e in events} == {"view", "like", "purchase"}
    assert any(c["ship_to"] and c["ship_to"]["line1"] == ADDRESS["line1"] for c in sections["checkout"]["carts"])
    assert len(sections["checkout"]["payments"]) == 2
    assert sections["privacy"]["requests"] == []  # built before this request was recorded
    # Every registered section is present, even when empty for this shopper.
    assert {"creator", "content", "promotions", "notifications", "risk", "seller_application"} <= set(sections)
    assert meta["summary"]["orders"] >= 2 and meta["summary"]["returns"] >= 1


def test_only_the_owner_downloads(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    meta = _export(server, world["shopper"])
    for intruder in (world["other"], world["operator"], world["seller"]):
        with server.client(intruder) as c:
            assert c.get(meta["download_url"]).status_code == 404
            assert c.get("/v1/me/privacy/exports").json()["items"] == []
    with server.client() as c:
        assert c.get(meta["download_url"]).status_code == 401
    with server.client(world["shopper"]) as c:
        assert [e["id"] for e in c.get("/v1/me/privacy/exports").json()["items"]] == [meta["id"]]
        assert c.get("/v1/me/privacy/exports/999999").status_code == 404
    # Operators see that it happened, not what it holds.
    with server.client(world["operator"]) as c:
        page = c.get("/v1/privacy/requests", params={"kind": "export"}).json()
        [listed] = page["items"]
        assert listed["user_id"] == world["shopper_id"] and listed["kind"] == "export"
        assert "sections" not in listed and "content" not in listed
    with server.client(world["shopper"]) as c:
        assert c.get("/v1/privacy/requests").status_code == 403


def test_exports_are_audited(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    audit = pytest.importorskip("yellowcart.audit.models")
    meta = _export(server, world["shopper"])
    with server.client(world["shopper"]) as c:
        assert c.get(meta["download_url"]).status_code == 200
    with market.db.transaction() as s:
        entries = s.scalars(
            select(audit.AuditEntry).where(audit.AuditEntry.action.like("privacy.%")).order_by(audit.AuditEntry.id)
        ).all()
        got = [(e.action, e.actor_id, e.subject_kind, e.subject_id) for e in entries]
    uid = world["shopper_id"]
    assert got == [
        ("privacy.export_created", uid, "user", str(uid)),
        ("privacy.export_downloaded", uid, "user", str(uid)),
    ]


def test_an_expired_export_is_gone(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    meta = _export(server, world["shopper"])
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with market.db.transaction() as s:
        s.execute(update(PrivacyRequest).where(PrivacyRequest.id == meta["id"]).values(expires_at=past))
    with server.client(world["shopper"]) as c:
        r = c.get(meta["download_url"])
        assert r.status_code == 410 and r.json()["code"] == "export_expired"
    assert jobs.run(market.db, dt.datetime.now(dt.UTC)) == 1
    assert jobs.run(market.db, dt.datetime.now(dt.UTC)) == 0
    with market.db.transaction() as s:
        assert s.scalar(select(ExportDocument).where(ExportDocument.request_id == meta["id"])) is None
        request = s.get(PrivacyRequest, meta["id"])
        assert request is not None and request.status.value == "expired"
    with server.client(world["shopper"]) as c:
        assert c.get(meta["download_url"]).status_code == 410
