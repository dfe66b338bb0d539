"""Operators' and accounts' risk APIs over real HTTP on both backends: the case queue and a case's
evidence (operators only), decisions that suspend (the seller goes SUSPENDED, its members' tokens stop
working at once), appeals once per action with checked documents, and an overturn that reinstates
everything. The account never sees a rule, an explanation or evidence, nor anyone else's actions."""

from __future__ import annotations

from typing import Any

from risk_cases.risk_world import (
    PASSWORD,
    PDF,
    PNG,
    account,
    active,
    appeal,
    assessment,
    keys_in,
    problem,
    record,
    seller_status,
)
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.risk import enforcement
from yellowcart.risk.case_models import MAX_DOCUMENT_BYTES
from yellowcart.sellers.models import SellerStatus

DETECTION_KEYS = {"rule", "rules", "explanation", "evidence", "reasons", "score", "anomaly", "automatic"}


def test_operator_queue_filters_and_a_case_shows_its_evidence(server: LiveServer, market: Market) -> None:
    acme, globex = market.seller("acme"), market.seller("globex")
    ops = market.user("ops", Role.OPERATOR)
    shopper = market.user("ada", Role.SHOPPER)
    seller = market.user("acme-staff", Role.SELLER, seller_id=acme)
    db = server.container.db
    suspend_case = record(db, assessment("seller", acme, "suspend", "bought_shop"))
    hold_case = record(db, assessment("seller", globex, "hold_payouts", "brushing"))
    user_case = record(db, assessment("user", market.users["ada"], "step_up", "promo_abuse"))

    with server.client(ops) as c:
        queue = c.get("/v1/operator/risk/cases").json()
        assert [i["id"] for i in queue["items"]] == [user_case, hold_case, suspend_case]  # newest first
        by_level = c.get("/v1/operator/risk/cases", params={"level": "suspend"}).json()["items"]
        assert [(i["id"], i["awaiting_decision"]) for i in by_level] == [(suspend_case, True)]
        sellers_only = c.get("/v1/operator/risk/cases", params={"subject_kind": "seller", "limit": 1}).json()
        assert [i["id"] for i in sellers_only["items"]] == [hold_case] and sellers_only["next_cursor"]
        nxt = c.get("/v1/operator/risk/cases", params={"subject_kind": "seller", "cursor": sellers_only["next_cursor"]})
        assert [i["id"] for i in nxt.json()["items"]] == [suspend_case]
        assert c.get("/v1/operator/risk/cases", params={"status": "dismissed"}).json()["items"] == []
        assert c.get("/v1/operator/risk/cases", params={"level": "extreme"}).status_code == 422

        case = c.get(f"/v1/operator/risk/cases/{suspend_case}").json()
        (assessed,) = [e for e in case["events"] if e["kind"] == "assessment"]
        assert assessed["reasons"][0]["rule"] == "bought_shop"
        assert assessed["reasons"][0]["evidence"]["device_id_hash"] == "9f2c"
        assert [a["kind"] for a in case["actions"]] == ["step_up", "hold_payouts", "restrict"]
        assert c.get("/v1/operator/risk/cases/999999").status_code == 404

    for token in (shopper, seller):
        with server.client(token) as c:
            problem(c.get("/v1/operator/risk/cases"), 403, "forbidden")
            problem(c.get(f"/v1/operator/risk/cases/{suspend_case}"), 403, "forbidden")
            decision = {"decision": "dismiss", "note": "mine now"}
            problem(c.post(f"/v1/operator/risk/cases/{suspend_case}/decisions", json=decision), 403, "forbidden")


def test_rule_automation_flags_are_operators_only(server: LiveServer, market: Market) -> None:
    ops = market.user("ops", Role.OPERATOR)
    seller = market.user("acme-staff", Role.SELLER, seller_id=market.seller("acme"))
    with server.client(ops) as c:
        assert c.get("/v1/operator/risk/rules").json() == []
        put = c.put("/v1/operator/risk/rules/bought_shop", json={"automatic": True, "note": "clear-cut"})
        assert put.status_code == 200 and put.json()["automatic"] is True, put.text
        assert [(r["rule"], r["automatic"]) for r in c.get("/v1/operator/risk/rules").json()] == [("bought_shop", True)]
        problem(c.put("/v1/operator/risk/rules/no_such_rule", json={"automatic": True}), 404, "risk_rule_not_found")
    with server.client(seller) as c:
        problem(c.put("/v1/operator/risk/rules/bought_shop", json={"automatic": False}), 403, "forbidden")


def _decide(c: Any, case_id: int, **body: Any) -> dict[str, Any]:
    r = c.post(f"/v1/operator/risk/cases/{case_id}/decisions", json={"note": "reviewed the evidence", **body})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_suspension_appeal_and_overturn_reinstate_the_seller(server: LiveServer, market: Market) -> None:
    acme, globex = market.seller("acme"), market.seller("globex")
    ops = market.user("ops", Role.OPERATOR)
    staff = account(market, "acme-staff", Role.SELLER, seller_id=acme)
    rival = market.user("globex-staff", Role.SELLER, seller_id=globex)
    db = server.container.db
    case_id = record(db, assessment("seller", acme, "suspend", "bought_shop"))
    assert case_id is not None
    with server.client(staff) as c:
        assert c.get("/v1/me").status_code == 200  # the token is cached by the server now

    with server.client(ops) as c:
        decided = _decide(c, case_id, decision="action", action="suspend")
    assert decided["case"]["status"] == "actioned" and decided["tokens_revoked"] == 1
    assert [a["kind"] for a in decided["applied"]] == ["suspend"]
    assert seller_status(db, acme) is SellerStatus.SUSPENDED
    with server.client(staff) as c:
        problem(c.get("/v1/me"), 401, "unauthorized")  # revoked at once in this process

    with server.client() as anon:  # a suspended account may still log in: to see the action and appeal
        login = anon.post("/v1/auth/tokens", json={"email": "acme-staff@test.example", "password": PASSWORD})
        assert login.status_code == 201, login.text
    token = login.json()["token"]
    with server.client(token) as c:
        mine = c.get("/v1/me/risk-actions").json()
        assert [a["kind"] for a in mine] == ["suspend", "restrict", "hold_payouts", "step_up"]
        assert {tuple(a["categories"]) for a in mine} == {("ownership_change",)}
        assert not keys_in(mine) & DETECTION_KEYS, keys_in(mine) & DETECTION_KEYS
        suspend = mine[0]
        assert suspend["can_appeal"] and "appeals" in suspend["next_step"]

        filed = appeal(c, suspend["id"], "I still run this shop; here is my licence and a utility bill.",
                       ("licence.pdf", PDF, "application/pdf"), ("bill.png", PNG, "image/png"))  # fmt: skip
        assert filed.status_code == 201, filed.text
        assert filed.json()["status"] == "pending" and [d["filename"] for d in filed.json()["documents"]] == [
            "licence.pdf", "bill.png"]  # fmt: skip
        problem(appeal(c, suspend["id"], "And once more, please reconsider."), 409, "appeal_exists")
        appeal_id = filed.json()["id"]
        status = c.get(f"/v1/me/risk-appeals/{appeal_id}").json()
        assert status["status"] == "pending" and status["decision_note"] is None

    with server.client(rival) as c:  # another account: neither the action nor the appeal exist for it
        assert c.get("/v1/me/risk-actions").json() == []
        problem(appeal(c, suspend["id"], "This is not even my shop at all."), 404, "not_found")
        problem(c.get(f"/v1/me/risk-appeals/{appeal_id}"), 404, "not_found")

    with server.client(ops) as c:
        queue = c.get("/v1/operator/risk/appeals", params={"status": "pending"}).json()["items"]
        assert [a["id"] for a in queue] == [appeal_id] and queue[0]["statement"].startswith("I still run")
        doc = queue[0]["documents"][0]
        download = c.get(f"/v1/operator/risk/appeals/{appeal_id}/documents/{doc['id']}")
        assert download.status_code == 200 and download.content == PDF
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["x-content-type-options"] == "nosniff"
        overturned = c.post(f"/v1/operator/risk/appeals/{appeal_id}/decision",
                            json={"outcome": "overturn", "note": "Ownership confirmed by documents."})  # fmt: skip
        assert overturned.status_code == 200, overturned.text
        assert sorted(a["kind"] for a in overturned.json()["lifted"]) == [
            "hold_payouts", "restrict", "step_up", "suspend"]  # fmt: skip
        again = c.post(
            f"/v1/operator/risk/appeals/{appeal_id}/decision", json={"outcome": "uphold", "note": "second thoughts"}
        )
        problem(again, 409, "appeal_decided")
        case = c.get(f"/v1/operator/risk/cases/{case_id}").json()
        assert case["status"] == "closed" and case["cleared_at"] is not None
        kinds = [e["kind"] for e in case["events"]]
        assert kinds.count("lifted") == 4 and kinds[-1] == "appeal_decided" and "appeal" in kinds

    assert seller_status(db, acme) is SellerStatus.ACTIVE  # reinstated
    assert active(db, seller_id=acme) == []
    with db.transaction() as s:
        assert not enforcement.payouts_held(s, seller_id=acme)  # released to the next settlement
    with server.client(token) as c:
        mine = c.get("/v1/me/risk-actions").json()
        assert {a["status"] for a in mine} == {"overturned"} and not any(a["can_appeal"] for a in mine)
        decided_appeal = c.get(f"/v1/me/risk-appeals/{appeal_id}").json()
        assert decided_appeal["status"] == "overturned"
        assert decided_appeal["decision_note"] == "Ownership confirmed by documents."


def test_an_upheld_appeal_leaves_the_action_in_force(server: LiveServer, market: Market) -> None:
    ops = market.user("ops", Role.OPERATOR)
    token = account(market, "ada", Role.CREATOR)
    ada = market.users["ada"]
    record(server.container.db, assessment("user", ada, "hold_payouts", "promo_abuse"))
    with server.client(token) as c:
        hold = next(a for a in c.get("/v1/me/risk-actions").json() if a["kind"] == "hold_payouts")
        appeal_id = appeal(c, hold["id"], "Those were my own family's orders.").json()["id"]
    with server.client(ops) as c:
        upheld = c.post(f"/v1/operator/risk/appeals/{appeal_id}/decision",
                        json={"outcome": "uphold", "note": "Forty accounts on one device."})  # fmt: skip
        assert upheld.status_code == 200 and upheld.json()["lifted"] == []
    with server.client(token) as c:
        hold = next(a for a in c.get("/v1/me/risk-actions").json() if a["kind"] == "hold_payouts")
        assert hold["status"] == "active" and not hold["can_appeal"]
        assert hold["appeal"]["status"] == "upheld" and hold["next_step"] is None
    with server.container.db.transaction() as s:
        assert enforcement.payouts_held(s, user_id=ada)  # a creator's payouts stay held


def test_appeal_documents_are_checked(server: LiveServer, market: Market) -> None:
    token = account(market, "ada", Role.SHOPPER)
    record(server.container.db, assessment("user", market.users["ada"], "step_up", "account_takeover"))
    with server.client(token) as c:
        (action,) = c.get("/v1/me/risk-actions").json()
        aid = action["id"]
        why = "Someone else used my password; I changed it."
        problem(appeal(c, aid, why, ("x.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")), 415,
                "unsupported_document_type")  # fmt: skip
        problem(appeal(c, aid, why, ("x.html", b"<html>", "text/html")), 415, "unsupported_document_type")
        big = PDF + b"0" * MAX_DOCUMENT_BYTES
        problem(appeal(c, aid, why, ("big.pdf", big, "application/pdf")), 413, "file_too_large")
        four = [(f"{i}.pdf", PDF, "application/pdf") for i in range(4)]
        problem(appeal(c, aid, why, *four), 422, "invalid_input")
        problem(appeal(c, aid, "short"), 422, "invalid_input")
        problem(appeal(c, aid, why + "\x00"), 422, "invalid_input")  # binary documents pass the edge; text never
        plain = c.post(f"/v1/me/risk-actions/{aid}/appeals", json={"statement": why})
        problem(plain, 422, "invalid_input")
        assert c.get("/v1/me/risk-actions").json()[0]["can_appeal"]  # nothing was filed by the refusals
        ok = appeal(c, aid, why, ("../../etc/passwd.pdf", PDF, "application/pdf"))
        assert ok.status_code == 201, ok.text
        assert ok.json()["documents"][0]["filename"] == "passwd.pdf"
