"""Deletion over real HTTP on SQLite and PostgreSQL: re-authentication, waiting for what is in progress,
then personal data erased everywhere (a scan of every table finds no trace) while orders, payments,
returns, the ledger and tax stay exactly as they were; the account cannot log in; a tombstone and the
audit log record it; repeating it changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from privacy.privacy_world import EMAIL, PASSWORD, history, login, make_world, scan, signup
from shipping.shipping_world import buy
from support import ADDRESS, LiveServer, Market
from yellowcart.auth.models import ApiToken, Role, User
from yellowcart.db import Database, utcnow
from yellowcart.models import Base
from yellowcart.privacy import service
from yellowcart.privacy.models import ExportDocument, PrivacyRequest
from yellowcart.privacy.registry import erased_email


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    return make_world(server, market)


def _delete(server: LiveServer, token: str, **body: Any) -> Any:
    with server.client(token) as c:
        return c.post("/v1/me/privacy/deletions", json=body)


# Money and tax that must add up to the same cents before and after a deletion.
BOOKS = {
    "orders": "SELECT count(*), sum(subtotal_cents), sum(shipping_cents), sum(discount_cents), sum(tax_cents), "
    "sum(total_cents) FROM orders",
    "order_lines": "SELECT count(*), sum(line_subtotal_cents), sum(line_tax_cents), sum(quantity) FROM order_lines",
    "payments": "SELECT count(*), sum(amount_cents), sum(captured_cents), sum(refunded_cents) FROM payments",
    "returns": "SELECT count(*), sum(refund_cents), sum(refund_tax_cents) FROM returns",
    "ledger_entries": "SELECT count(*), max(id) FROM ledger_entries",
    "ledger_postings": "SELECT count(*), sum(amount_cents), sum(CASE WHEN amount_cents > 0 THEN amount_cents END) "
    "FROM ledger_postings",
}


def _books(db: Database) -> dict[str, Any]:
    with db.engine.connect() as conn:
        totals = {name: tuple(conn.execute(text(sql)).one()) for name, sql in BOOKS.items()}
        postings = [tuple(r) for r in conn.execute(text("SELECT * FROM ledger_postings ORDER BY id"))]
        orders = conn.execute(text("SELECT id, status, tax_rate, placed_at, paid_at, ship_to FROM orders ORDER BY id"))
        where = []
        for oid, status, rate, placed, paid, ship_to in orders:
            address = ship_to if isinstance(ship_to, dict) else json.loads(ship_to)
            where.append((oid, status, rate, str(placed), str(paid), address["state"], address["zip"], address["city"]))
    return {"totals": totals, "postings": postings, "orders": where}


def _account_throttles(db: Database) -> int:
    if "login_throttles" not in Base.metadata.tables:
        return 0
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM login_throttles WHERE key LIKE 'account:%'")).scalar_one())


def _dump(db: Database) -> dict[str, list[str]]:
    """Every row of every table but the audit log (which records each operator call, repeats included)."""
    with db.engine.connect() as conn:
        return {
            t.name: sorted(str(tuple(r)) for r in conn.execute(t.select()))
            for t in Base.metadata.sorted_tables
            if t.name != "audit_log"
        }


def test_deletion_needs_proof_and_waits_for_orders_in_flight(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    sku = market.product(world["acme"], stock=5)
    order = buy(server, world["shopper"], [(sku, 1)], address=ADDRESS)["orders"][0]
    # The signup token is minutes old: make it an old one, as a stolen token would be.
    with market.db.transaction() as s:
        s.execute(update(ApiToken).values(created_at=utcnow() - dt.timedelta(hours=2)))
    old = world["shopper"]
    r = _delete(server, old)
    assert r.status_code == 403 and r.json()["code"] == "reauthentication_required"
    r = _delete(server, old, password="not my password")
    assert r.status_code == 403 and r.json()["code"] == "reauthentication_required"
    r = _delete(server, old, password=PASSWORD)
    assert r.status_code == 409 and r.json()["code"] == "deletion_blocked"
    assert r.json()["orders_in_progress"] == [order["id"]]
    for other in (world["seller"], world["operator"]):
        r = _delete(server, other)
        assert r.status_code == 403 and r.json()["code"] == "deletion_not_self_service"
    with market.db.transaction() as s:  # nothing was touched by the refusals
        user = s.get(User, world["shopper_id"])
        assert user is not None and user.email == EMAIL and user.is_active
        assert s.scalar(select(func.count()).select_from(PrivacyRequest)) == 0
    with server.client(old) as c:
        assert c.post(f"/v1/orders/{order['id']}/cancel", json={}).status_code == 200
    # A fresh login proves it is the account holder, without the password in the body.
    fresh = login(server).json()["token"]
    r = _delete(server, fresh)
    assert r.status_code == 201, r.text
    assert r.json()["reauth"] == "fresh_token" and r.json()["channel"] == "self"


def test_deletion_erases_personal_data_and_keeps_the_books(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    made = history(server, market, world)
    with server.client(world["shopper"]) as c:
        assert c.post("/v1/me/privacy/exports").status_code == 201
    before = scan(market.db)
    # The markers really are spread around before (else the scan below would prove nothing) ...
    assert {"users", "orders", "carts", "returns", "order_history", "interaction_events"} <= set(before), before
    # ... and the ledger never held any: it is append-only and names ids and amounts only.
    assert not {name for name in before if name.startswith("ledger_")}
    books = _books(market.db)
    bystander = scan(market.db, ("bob@test.example",))
    assert login(server, password="a wrong guess").status_code == 401  # the login throttle counts it
    throttled = _account_throttles(market.db)

    r = _delete(server, world["shopper"], password=PASSWORD)
    assert r.status_code == 201, r.text
    tomb = r.json()
    assert tomb["kind"] == "deletion" and tomb["status"] == "completed" and tomb["reauth"] == "password"
    assert tomb["user_id"] == world["shopper_id"] and tomb["completed_at"]
    summary = tomb["summary"]
    assert summary["users"] == {"pseudonymised": 1} and summary["orders"] == {"pseudonymised": 2}
    assert summary["support_messages"]["pseudonymised"] >= 1 and summary["idempotency_keys"]["deleted"] == 2

    assert scan(market.db) == {}, "personal data left behind"
    assert scan(market.db, ("bob@test.example",)) == bystander  # other people's data untouched
    assert _books(market.db) == books  # amounts, dates, ledger and tax jurisdiction exactly as before
    with market.db.transaction() as s:
        user = s.get(User, world["shopper_id"])
        assert user is not None and user.email == erased_email(user.id) and not user.is_active
        assert user.password_hash is None and user.home_zip is None
        assert s.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)) == 0
        assert s.scalar(select(func.count()).select_from(ExportDocument)) == 0
        order = s.execute(text("SELECT ship_to FROM orders WHERE id = :o"), {"o": made["order"]}).scalar_one()
        assert order is not None

    assert throttled == 1 and _account_throttles(market.db) == 0  # keyed by the address: gone with it
    assert login(server).status_code == 401
    with server.client(world["shopper"]) as c:
        assert c.get("/v1/me").status_code == 401
        assert c.post("/v1/me/privacy/exports").status_code == 401

    # Operators see the tombstone, with counts only.
    with server.client(world["operator"]) as c:
        [listed] = c.get("/v1/privacy/requests", params={"kind": "deletion"}).json()["items"]
        assert listed["id"] == tomb["id"] and listed["summary"] == summary


def test_deletion_is_audited_and_idempotent(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    history(server, market, world)
    r = _delete(server, world["shopper"], password=PASSWORD)
    assert r.status_code == 201, r.text
    tomb = r.json()
    snapshot = _dump(market.db)
    # The service run again erases nothing more; an operator repeating it gets the same tombstone.
    with market.db.transaction() as s:
        _, subject = service.subject_of(s, world["shopper_id"])
        assert service.erase(s, subject, now=utcnow()) == {}
    with server.client(world["operator"]) as c:
        again = c.post("/v1/privacy/deletions", json={"user_id": world["shopper_id"], "note": "ticket 77"})
        assert again.status_code == 200, again.text
        assert again.json()["id"] == tomb["id"]
    assert _dump(market.db) == snapshot
    audit = pytest.importorskip("yellowcart.audit.models")
    with market.db.transaction() as s:
        rows = s.execute(
            select(
                audit.AuditEntry.action, audit.AuditEntry.actor_id, audit.AuditEntry.subject_id, audit.AuditEntry.detail
            ).where(audit.AuditEntry.action.like("privacy.%"))
        ).all()
    assert [(a, actor, subj) for a, actor, subj, _ in rows] == [
        ("privacy.deletion", world["shopper_id"], str(world["shopper_id"]))
    ]
    assert rows[0][3]["request_id"] == tomb["id"]


def test_an_operator_deletes_for_a_request_received_elsewhere(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    token, user_id = signup(server, email="zebulon.q@example.com", name="Zebulon Quentin")
    with server.client(world["operator"]) as c:
        r = c.post("/v1/privacy/deletions", json={"user_id": user_id, "note": "letter of 2026-11-20"})
        assert r.status_code == 201, r.text
        assert r.json()["channel"] == "operator" and r.json()["reauth"] == "operator"
        assert r.json()["requested_by"] == market.users["ops"]
        assert c.post("/v1/privacy/deletions", json={"user_id": 999999}).status_code == 404
        assert c.post("/v1/privacy/deletions", json={"user_id": market.users["ops"]}).status_code == 403
    with server.client(world["other"]) as c:
        assert c.post("/v1/privacy/deletions", json={"user_id": user_id}).status_code == 403
    with server.client(token) as c:
        assert c.get("/v1/me").status_code == 401
    assert scan(market.db, ("zebulon.q@",)) == {}


def _plant_risk_history(db: Database, user_id: int) -> int:
    """A device/network signal and a risk case with evidence, an appeal and its document (the risk
    engineers' tables, written directly: what they hold is what deletion must clean)."""
    t = Base.metadata.tables
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(
            t["risk_signals"].insert().values(
                kind="login", at=now, user_id=user_id, network="203.0.113.0/24", ip_hash="a" * 64,
                device_hash="b" * 64, ua_family="firefox", timezone="America/New_York", detail={},
            )
        )  # fmt: skip
        case_id = conn.execute(
            t["risk_cases"].insert().values(
                subject_kind="user", user_id=user_id, open_key=f"user:{user_id}", status="open", level="restrict",
                score=0.8, rules=["new_device_network_geo"], categories=["account_security"], opened_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]  # fmt: skip
        conn.execute(
            t["risk_case_events"].insert().values(
                case_id=case_id, at=now, kind="assessment", level="restrict", score=0.8,
                reasons=[{"rule": "new_device_network_geo", "evidence": {"network": "203.0.113.0/24",
                                                                          "device": "zebulon-laptop"}}],
                detail={"seen_from": "Evergreen"},
            )
        )  # fmt: skip
        action_id = conn.execute(
            t["risk_actions"].insert().values(
                case_id=case_id, subject_kind="user", user_id=user_id, kind="restrict", status="overturned",
                categories=["account_security"], automatic=True, created_at=now, lifted_at=now,
                lift_reason="appeal", challenge_hash="c" * 64, challenge_attempts=0,
            )
        ).inserted_primary_key[0]  # fmt: skip
        appeal_id = conn.execute(
            t["risk_appeals"].insert().values(
                action_id=action_id, case_id=case_id, appellant_user_id=user_id,
                statement="I am Quentin Zebulon, I travelled to Evergreen", status="overturned", submitted_at=now,
                decided_at=now, decision_note="Travel confirmed",
            )
        ).inserted_primary_key[0]  # fmt: skip
        conn.execute(
            t["risk_appeal_documents"].insert().values(
                appeal_id=appeal_id, filename="quentin-passport.png", content_type="image/png", size_bytes=4,
                sha256="d" * 64, data=b"\x89PNG", uploaded_at=now,
            )
        )  # fmt: skip
    return int(case_id)


def _count(db: Database, sql: str, **params: Any) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def test_deletion_waits_for_an_open_risk_case_then_erases_the_evidence(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    uid = world["shopper_id"]
    case_id = _plant_risk_history(market.db, uid)
    r = _delete(server, world["shopper"], password=PASSWORD)
    assert r.status_code == 409 and r.json()["risk_cases_open"] == [case_id]
    with market.db.engine.begin() as conn:  # an operator closes the case (the appeal was upheld for them)
        conn.execute(
            text("UPDATE risk_cases SET status = 'closed', open_key = NULL, closed_at = :now WHERE id = :id"),
            {"now": utcnow(), "id": case_id},
        )
    assert scan(market.db)  # the markers are in the case's evidence and the appeal
    r = _delete(server, world["shopper"], password=PASSWORD)
    assert r.status_code == 201, r.text
    assert r.json()["summary"]["risk_signals"]["deleted"] >= 1
    assert scan(market.db) == {}
    assert _count(market.db, "SELECT count(*) FROM risk_signals WHERE user_id = :u", u=uid) == 0
    assert _count(market.db, "SELECT count(*) FROM risk_appeal_documents") == 0
    assert _count(market.db, "SELECT count(*) FROM risk_actions WHERE challenge_hash IS NOT NULL") == 0
    # The decisions stay: the case, its action and the appeal's outcome.
    assert _count(market.db, "SELECT count(*) FROM risk_cases WHERE id = :c AND status = 'closed'", c=case_id) == 1
    assert _count(market.db, "SELECT count(*) FROM risk_appeals WHERE status = 'overturned'") == 1


def test_a_creator_leaves_with_content_taken_down(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    sku = market.product(world["acme"], stock=5)
    token = market.user("quentin-creator", Role.CREATOR)
    uid = market.users["quentin-creator"]
    with market.db.transaction() as s:
        product_id = s.execute(text("SELECT product_id FROM variants WHERE sku = :k"), {"k": sku}).scalar_one()
    market.affiliate("quentin-creator", product_id)
    with server.client(token) as c:
        r = c.post(
            "/v1/content",
            json={"title": "Zebulon unboxes a serum", "description": "filmed at Evergreen", "duration_s": 30,
                  "product_ids": [product_id], "status": "published", "hashtags": ["zebunbox"]},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        content_id = r.json()["id"]
        exported = c.post("/v1/me/privacy/exports").json()
        doc = c.get(exported["download_url"]).json()["sections"]
    assert [x["id"] for x in doc["content"]["content"]] == [content_id]
    assert doc["creator"]["membership"][0]["status"] == "active" and len(doc["creator"]["showcase"]) == 1
    r = _delete(server, token)  # the token is minutes old: fresh enough without the password
    assert r.status_code == 201, r.text
    assert r.json()["summary"]["content"] == {"removed": 1}
    with market.db.engine.connect() as conn:
        row = conn.execute(text("SELECT status, title, description FROM content WHERE id = :c"), {"c": content_id})
        assert tuple(row.one()) == ("removed", "[erased]", "")
        assert (
            conn.execute(text("SELECT status FROM creator_memberships WHERE creator_id = :u"), {"u": uid}).scalar_one()
            == "suspended"
        )
        assert conn.execute(text("SELECT count(*) FROM creator_showcase_items")).scalar_one() == 0
        assert (
            conn.execute(
                text("SELECT count(*) FROM content_anchors WHERE content_id = :c"), {"c": content_id}
            ).scalar_one()
            == 1
        )
    assert scan(market.db, ("quentin-creator", "unboxes", "evergreen", "zebunbox")) == {}
