"""The audit log: operators' writes recorded by the generic hook, domains' own records, append-only in
the database itself, and an operator-only, filtered, paginated query."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from audit_limits.audit_world import audit_rows
from support import LiveServer, Market
from yellowcart.audit import log as audit_log
from yellowcart.audit.models import AuditEntry
from yellowcart.auth.models import Role
from yellowcart.db import utcnow
from yellowcart.settings import Settings


def test_operator_writes_are_recorded_with_who_what_subject_request_and_network(
    server: LiveServer, market: Market
) -> None:
    ops = market.user("ops", Role.OPERATOR)
    with server.client(ops) as c:
        created = c.post("/v1/sellers", json={"name": "Acme"}, headers={"X-Request-Id": "req-42"})
        assert created.status_code == 201, created.text
        seller_id = created.json()["id"]
        rate = {"rate": "0.0725", "effective_date": "2026-01-01", "source": "CDTFA"}
        assert c.put("/v1/tax-rates/CA", json=rate).status_code == 200
        period = c.post("/v1/operator/settlements", json={"period": "2026-10-01"})
        assert period.status_code in (200, 201), period.text

    rows = audit_rows(market, actor_id=market.users["ops"])
    by_action = {r.action: r for r in rows}
    seller = by_action["POST /v1/sellers"]
    assert (seller.actor_role, seller.subject_kind, seller.subject_id) == ("operator", "seller", str(seller_id))
    assert seller.request_id == "req-42"
    assert seller.network == "127.0.0.0/24"  # the prefix, never the address
    assert seller.detail["status"] == 201 and seller.detail["body"] == {"name": "Acme"}
    tax = by_action["PUT /v1/tax-rates/{state}"]
    assert (tax.subject_kind, tax.subject_id, tax.detail["path_params"]) == ("tax_rate", "CA", {"state": "CA"})
    assert by_action["POST /v1/operator/settlements"].detail["body"] == {"period": "2026-10-01"}
    assert all(r.request_id for r in rows)


def test_secrets_and_personal_data_in_an_operator_request_are_never_written(server: LiveServer, market: Market) -> None:
    ops = market.user("ops", Role.OPERATOR)
    seller_id = market.seller("acme")
    body = {"email": "sam@acme.example.com", "display_name": "Sam Doe", "password": "hunter2hunter2"}
    with server.client(ops) as c:
        assert c.post(f"/v1/sellers/{seller_id}/members", json=body).status_code == 201

    [row] = audit_rows(market, action="POST /v1/sellers/{seller_id}/members")
    assert (row.subject_kind, row.subject_id) == ("seller", str(seller_id))
    stored = json.dumps(row.detail)
    for secret in ("sam@acme", "Sam Doe", "hunter2", ops):
        assert secret not in stored


def test_failed_and_non_operator_writes_leave_no_record(server: LiveServer, market: Market) -> None:
    ops = market.user("ops", Role.OPERATOR)
    shopper = market.user("shopper", Role.SHOPPER)
    with server.client(ops) as c:
        assert c.post("/v1/sellers", json={"name": ""}).status_code == 422
        assert c.get("/v1/sellers").status_code == 200
    with server.client(shopper) as c:
        assert c.post("/v1/carts", json={}).status_code in (200, 201)
        assert c.post("/v1/sellers", json={"name": "Nope"}).status_code == 403
    assert audit_rows(market) == []


def test_domains_record_their_own_actions_redacted_in_their_transaction(market: Market) -> None:
    ops = market.user("ops", Role.OPERATOR)
    with market.db.transaction() as s:
        entry = audit_log.record(
            s,
            actor_id=market.users["ops"],
            action="risk.suspend",
            subject_kind="seller",
            subject_id=7,
            detail={"reason": "bought shop, payout to 000123456789", "token": ops, "evidence": {"email": "x@y.com"}},
        )
        assert entry.id is not None
    with pytest.raises(RuntimeError), market.db.transaction() as s:  # rolled back with the action it describes
        audit_log.record(s, actor_id=None, action="risk.ban", subject_kind="seller", subject_id=8, detail={})
        raise RuntimeError("the action failed")

    [row] = audit_rows(market)
    assert (row.action, row.actor_role, row.subject_kind, row.subject_id) == ("risk.suspend", "operator", "seller", "7")
    assert row.request_id is None and row.network is None  # not inside an HTTP request
    assert row.detail == {
        "reason": "bought shop, payout to [redacted]",
        "token": "[redacted]",
        "evidence": {"email": "[redacted]"},
    }


def test_the_database_refuses_to_change_or_delete_audit_rows(market: Market, backend: str) -> None:
    with market.db.transaction() as s:
        audit_log.record(s, actor_id=None, action="test.append", subject_kind=None, subject_id=None, detail={})
    for statement in (
        update(AuditEntry).values(action="test.rewritten"),
        delete(AuditEntry),
        text("UPDATE audit_log SET detail = '{}'"),
        text("DELETE FROM audit_log"),
    ):
        with pytest.raises(DBAPIError, match="append-only"), market.db.transaction() as s:
            s.execute(statement)
    assert [r.action for r in audit_rows(market)] == ["test.append"]


def _seed(market: Market) -> tuple[int, int]:
    market.user("ops", Role.OPERATOR)
    market.user("ops2", Role.OPERATOR)
    a, b = market.users["ops"], market.users["ops2"]
    old = utcnow() - dt.timedelta(days=3)
    with market.db.transaction() as s:
        audit_log.record(s, actor_id=a, action="risk.restrict", subject_kind="seller", subject_id=1, detail={}, at=old)
        audit_log.record(s, actor_id=a, action="risk.suspend", subject_kind="seller", subject_id=1, detail={})
        audit_log.record(s, actor_id=b, action="privacy.export", subject_kind="user", subject_id=9, detail={})
        audit_log.record(s, actor_id=a, action="risk.restrict", subject_kind="seller", subject_id=2, detail={})
    return a, b


def test_operators_query_the_log_with_filters_and_pages(server: LiveServer, market: Market) -> None:
    _, b = _seed(market)
    since = (utcnow() - dt.timedelta(days=1)).isoformat()
    with server.client(market.tokens["ops"]) as c:

        def actions(**params: object) -> list[str]:
            r = c.get("/v1/operator/audit", params=params)
            assert r.status_code == 200, r.text
            return [(i["action"], i["subject_id"]) for i in r.json()["items"]]  # type: ignore[misc]

        assert actions(actor=b) == [("privacy.export", "9")]
        assert actions(action="risk.restrict") == [("risk.restrict", "2"), ("risk.restrict", "1")]
        assert actions(action="risk.*", subject_kind="seller", subject_id="1") == [
            ("risk.suspend", "1"),
            ("risk.restrict", "1"),
        ]
        assert actions(action="risk.restrict", since=since) == [("risk.restrict", "2")]
        assert actions(action="risk.restrict", until=since) == [("risk.restrict", "1")]

        seen, cursor = [], None
        while True:
            page = c.get("/v1/operator/audit", params={"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(seen, reverse=True) and len(seen) == 4  # newest first, each once

        assert c.get("/v1/operator/audit", params={"subject_id": "1"}).status_code == 422
        assert c.get("/v1/operator/audit", params={"since": "2026-11-25T10:00:00"}).status_code == 422
        assert c.get("/v1/operator/audit", params={"cursor": "nonsense"}).status_code == 422


def test_only_operators_read_the_log(server: LiveServer, market: Market) -> None:
    _seed(market)
    seller = market.user("seller", Role.SELLER, market.seller("s"))
    with server.client(market.user("shopper", Role.SHOPPER)) as c:
        assert c.get("/v1/operator/audit").status_code == 403
    with server.client(seller) as c:
        r = c.get("/v1/operator/audit")
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    with server.client() as c:
        assert c.get("/v1/operator/audit").status_code == 401


def test_records_made_while_handling_a_request_carry_its_id_and_network(market: Market) -> None:
    container = SimpleNamespace(settings=Settings(trust_proxy=False))
    scope = {
        "type": "http",
        "headers": [(b"x-request-id", b"abc-1")],
        "client": ("198.51.100.7", 5000),
        "app": SimpleNamespace(state=SimpleNamespace(container=container)),
    }
    token = audit_log.bind(audit_log.RequestAudit(scope))
    try:
        with market.db.transaction() as s:
            audit_log.record(s, actor_id=None, action="risk.case_opened", subject_kind="seller", subject_id=3)
    finally:
        audit_log.unbind(token)
    [row] = audit_rows(market)
    assert (row.request_id, row.network) == ("abc-1", "198.51.100.0/24")
    assert "198.51.100.7" not in str(row.detail)
