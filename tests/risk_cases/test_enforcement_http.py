"""Risk actions enforced over real HTTP on both backends: a restricted seller cannot add listings or go
live until an operator lifts it; a user owing a step-up is refused login and checkout until it
re-verifies with an e-mailed code; a seller re-verifies with the ID document and phone it was approved
with, and a wrong answer is counted and kept as evidence."""

from __future__ import annotations

import re
import uuid

from risk_cases.risk_world import (
    DOCUMENT,
    PASSWORD,
    PHONE,
    account,
    active,
    approved_with_documents,
    assessment,
    problem,
    record,
)
from support import ADDRESS, LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.sellers import identity
from yellowcart.support.email import LogEmailAdapter


def _product(sku: str) -> dict[str, object]:
    return {"title": "Serum", "description": "d", "category": "beauty", "status": "active",
            "variants": [{"sku": sku, "price_cents": 1999}]}  # fmt: skip


def test_restricted_seller_cannot_list_or_go_live_until_lifted(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    market.product(acme)  # the category exists, and a listing to tag
    seller = market.user("acme-staff", Role.SELLER, seller_id=acme)
    ops = market.user("ops", Role.OPERATOR)
    case_id = record(server.container.db, assessment("seller", acme, "restrict", "bought_shop"))

    with server.client(seller) as c:
        refused = problem(c.post("/v1/products", json=_product("NEW-1")), 403, "account_restricted")
        assert refused["what"] == "new listings"
        room = c.post("/v1/content", json={"kind": "live", "title": "Launch"})
        assert room.status_code == 201, room.text  # scheduling is fine ...
        on_air = c.patch(f"/v1/content/{room.json()['id']}", json={"live_state": "live"})
        assert problem(on_air, 403, "account_restricted")["what"] == "going live"  # ... going live is not

    with server.client(ops) as c:
        detail = c.get(f"/v1/operator/risk/cases/{case_id}").json()
        restrict = next(a for a in detail["actions"] if a["kind"] == "restrict")
        step_up = next(a for a in detail["actions"] if a["kind"] == "step_up")
        for action in (restrict, step_up):
            lift = {"decision": "lift", "action_id": action["id"], "note": "verified by phone"}
            lifted = c.post(f"/v1/operator/risk/cases/{case_id}/decisions", json=lift)
            assert lifted.status_code == 200, lifted.text
    assert active(server.container.db, seller_id=acme) == ["hold_payouts"]

    with server.client(seller) as c:
        assert c.post("/v1/products", json=_product("NEW-2")).status_code == 201
        assert c.patch(f"/v1/content/{room.json()['id']}", json={"live_state": "live"}).status_code == 200


def test_user_step_up_blocks_login_and_checkout_until_the_emailed_code(server: LiveServer, market: Market) -> None:
    sku = market.product(market.seller("acme"), stock=5)
    token = account(market, "ada", Role.SHOPPER)
    ada = market.users["ada"]
    record(server.container.db, assessment("user", ada, "step_up", "account_takeover"))
    creds = {"email": "ada@test.example", "password": PASSWORD}
    buy = {"items": [{"sku": sku, "quantity": 1}], "shipping_address": ADDRESS, "payment_method": "tok_visa"}
    mail = server.container.support.email
    assert isinstance(mail, LogEmailAdapter)

    with server.client() as anon:
        problem(anon.post("/v1/auth/tokens", json=creds), 403, "step_up_required")
        assert anon.post("/v1/auth/tokens", json={**creds, "password": "wrong"}).status_code == 401  # no oracle
        with server.client(token) as c:
            checkout = c.post("/v1/checkout", json=buy, headers={"Idempotency-Key": str(uuid.uuid4())})
            problem(checkout, 403, "step_up_required")
            mine = c.get("/v1/me/risk-actions").json()
            assert [(a["kind"], a["categories"]) for a in mine] == [("step_up", ["account_security"])]
            assert "step-up/code" in mine[0]["next_step"]

        wrong = {**creds, "password": "not it"}
        assert anon.post("/v1/risk/step-up/code", json=wrong).status_code == 202  # same answer, nothing sent
        assert mail.sent == []
        assert anon.post("/v1/risk/step-up/code", json=creds).status_code == 202
        (sent,) = mail.sent
        assert sent.to == "ada@test.example"
        code = re.search(r"\b(\d{6})\b", sent.body).group(1)  # type: ignore[union-attr]
        assert anon.post("/v1/risk/step-up/code", json=creds).status_code == 202
        assert len(mail.sent) == 1  # not another within a minute

        miss = "000000" if code != "000000" else "111111"
        bad = problem(anon.post("/v1/risk/step-up/verify", json={**creds, "code": miss}), 422, "verification_failed")
        assert bad["attempts_left"] == 4
        ok = anon.post("/v1/risk/step-up/verify", json={**creds, "code": code})
        assert ok.status_code == 200 and ok.json()["outcome"] == "verified", ok.text
        problem(anon.post("/v1/risk/step-up/verify", json={**creds, "code": code}), 409, "no_step_up_pending")

        login = anon.post("/v1/auth/tokens", json=creds)
        assert login.status_code == 201, login.text
        with server.client(login.json()["token"]) as c:
            placed = c.post("/v1/checkout", json=buy, headers={"Idempotency-Key": str(uuid.uuid4())})
            assert placed.status_code == 201, placed.text
    assert active(server.container.db, user_id=ada) == []


def test_seller_step_up_by_its_id_document_and_phone(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    market.product(acme)
    key = identity.pii_key(server.container.settings.pii_hash_key)
    approved_with_documents(market, acme, key)
    seller = market.user("acme-staff", Role.SELLER, seller_id=acme)
    ops = market.user("ops", Role.OPERATOR)
    case_id = record(server.container.db, assessment("seller", acme, "step_up", "operator_turnover"))

    with server.client(seller) as c:
        problem(c.post("/v1/products", json=_product("NEW-1")), 403, "step_up_required")
        (action,) = c.get("/v1/me/risk-actions").json()
        assert action["kind"] == "step_up" and "/verify" in action["next_step"]
        url = f"/v1/me/risk-actions/{action['id']}/verify"
        someone_else = {**DOCUMENT, "number": "X9876543"}
        failed = c.post(url, json={"document": someone_else, "phone": {"phone": PHONE}})
        assert problem(failed, 422, "verification_failed")["attempts_left"] == 4
        passed = c.post(url, json={"document": DOCUMENT, "phone": {"phone": "+1 212 736 0142"}})
        assert passed.status_code == 200 and passed.json()["outcome"] == "verified", passed.text
        assert c.post("/v1/products", json=_product("NEW-2")).status_code == 201

    with server.client(ops) as c:
        events = c.get(f"/v1/operator/risk/cases/{case_id}").json()["events"]
    checks = [e["detail"] for e in events if e["kind"] == "verification"]
    assert [(d["document_matched"], d["phone_matched"], d["matched"]) for d in checks] == [
        (False, True, False),  # the failed attempt is evidence for the operator
        (True, True, True),
    ]
    assert [e["detail"]["reason"] for e in events if e["kind"] == "lifted"] == ["verified"]
