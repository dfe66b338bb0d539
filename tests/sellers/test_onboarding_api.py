"""Seller onboarding through real HTTP on SQLite and PostgreSQL: a would-be seller signs up, fills in
the application, sees each rule's result and what to fix, imports GMV (JSON and CSV), submits; an
operator works the queue, asks for more information, approves; the seller becomes active. Every
status change is audited. Who may do what, and bad input that changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from sellers.onboarding_world import ok, problem, rules, sign_up, streak, today, us_sections
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.sellers.models import Seller, SellerApplication, SellerApplicationHistory, SellerGmvDay, SellerStatus


def _count(market: Market, model: type[Any]) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_sign_up_fill_in_submit_review_and_approve(server: LiveServer, market: Market) -> None:
    ops = market.user("ops", Role.OPERATOR)
    signed = sign_up(server, "glow")
    app_id, seller_id = signed["application"]["id"], signed["seller_id"]
    assert signed["application"]["status"] == "draft" and signed["application"]["market_code"] == "US"
    with server.client(signed["token"]) as c:
        me = ok(c.get("/v1/me"))
        assert (me["role"], me["seller_id"]) == ("seller", seller_id)
        assert ok(c.get(f"/v1/sellers/{seller_id}"))["status"] == "pending"
        draft = ok(c.get(f"/v1/seller-applications/{app_id}"))
        assert not draft["evaluation"]["eligible"]
        assert all(not r["passed"] and r["fix"] for r in draft["evaluation"]["rules"])

        filled = ok(c.patch(f"/v1/seller-applications/{app_id}", json=us_sections()))
        verdicts = rules(filled)
        assert [k for k, r in verdicts.items() if not r["passed"]] == ["consecutive_gmv_days"]
        assert "next 30 days" in verdicts["consecutive_gmv_days"]["fix"]
        assert filled["entity"]["ein"] == "**-***8263" and filled["document"]["number"] == "****Q4M1"
        assert filled["entity"]["address"]["state"] == "NY" and filled["entity"]["address"]["postal_code"] == "10118"
        assert filled["phone"] == "+1 ***-***-0142" and filled["social"]["handle"] == "glowlabs"

        refused = problem(c.post(f"/v1/seller-applications/{app_id}/submit"), 409, "application_not_eligible")
        assert [f["kind"] for f in refused["failing"]] == ["consecutive_gmv_days"]

        half = ok(c.post(f"/v1/seller-applications/{app_id}/gmv", json={"days": streak(20, 30_000)}))
        assert (
            half["days"] == 20
            and "At most 20 consecutive" in rules(half["application"])["consecutive_gmv_days"]["explanation"]
        )
        older = streak(10, 25_000, ending=today() - dt.timedelta(days=21))
        csv_text = "date,gmv\n" + "".join(f'{d["date"]},"$250.00"\n' for d in older)
        r = c.post(f"/v1/seller-applications/{app_id}/gmv/csv", content=csv_text, headers={"content-type": "text/csv"})
        uploaded = ok(r)
        assert uploaded["days"] == 10 and uploaded["application"]["evaluation"]["eligible"]
        assert uploaded["application"]["gmv"]["imported_days"] == 30

        submitted = ok(c.post(f"/v1/seller-applications/{app_id}/submit"))
        assert submitted["status"] == "submitted" and submitted["queued_at"]
        problem(
            c.patch(f"/v1/seller-applications/{app_id}", json={"phone": {"phone": "2127360143"}}),
            409,
            "application_locked",
        )

    with server.client(ops) as c:
        queue = ok(c.get("/v1/operator/seller-applications"))["items"]
        assert [q["id"] for q in queue] == [app_id] and queue[0]["evaluation"]["eligible"]
        assert queue[0]["reuse"] == {"document": 0, "ein": 0}
        problem(
            c.post(f"/v1/operator/seller-applications/{app_id}/decision", json={"decision": "reject"}),
            422,
            "validation_error",
        )
        asked = ok(
            c.post(
                f"/v1/operator/seller-applications/{app_id}/decision",
                json={"decision": "request_info", "reason": "The licence photo is blurred."},
            )
        )
        assert asked["status"] == "needs_info" and asked["decision_reason"] == "The licence photo is blurred."
        assert ok(c.get("/v1/operator/seller-applications", params={"status": "submitted"}))["items"] == []

    with server.client(signed["token"]) as c:
        mine = ok(c.get("/v1/seller-applications"))["items"]
        assert [(a["id"], a["status"]) for a in mine] == [(app_id, "needs_info")]
        again = us_sections()
        again["document"]["number"] = "Y7K2P7Q4M2"
        ok(c.patch(f"/v1/seller-applications/{app_id}", json={"document": again["document"]}))
        assert ok(c.post(f"/v1/seller-applications/{app_id}/submit"))["status"] == "submitted"

    with server.client(ops) as c:
        approved = ok(c.post(f"/v1/operator/seller-applications/{app_id}/decision", json={"decision": "approve"}))
        assert approved["status"] == "approved" and approved["decided_at"]
        problem(
            c.post(
                f"/v1/operator/seller-applications/{app_id}/decision",
                json={"decision": "reject", "reason": "changed my mind"},
            ),
            409,
            "invalid_transition",
        )
        history = [(h["from_status"], h["to_status"], h["actor_role"], h["reason"]) for h in approved["history"]]
        assert history == [
            (None, "draft", "seller", None),
            ("draft", "submitted", "seller", None),
            ("submitted", "needs_info", "operator", "The licence photo is blurred."),
            ("needs_info", "submitted", "seller", None),
            ("submitted", "approved", "operator", None),
        ]
        assert all(h["at"] and h["actor_user_id"] for h in approved["history"])
    with market.db.transaction() as s:
        assert s.get_one(Seller, seller_id).status is SellerStatus.ACTIVE
    with server.client() as c:
        assert ok(c.get(f"/v1/sellers/{seller_id}"))["status"] == "active"  # public now


def test_operator_opened_seller_gets_its_application_and_rejection_keeps_it_pending(
    server: LiveServer, market: Market
) -> None:
    acme = market.seller("acme", status=SellerStatus.PENDING)
    staff = market.user("acme-staff", Role.SELLER, acme)
    ops = market.user("ops", Role.OPERATOR)
    with server.client(staff) as c:
        problem(c.post("/v1/seller-applications", json={"market_code": "ZZ"}), 422, "unknown_market")
        opened = ok(c.post("/v1/seller-applications", json={"market_code": "US"}), 201)
        assert opened["seller_id"] == acme and opened["history"][0]["to_status"] == "draft"
        problem(c.post("/v1/seller-applications", json={}), 409, "application_exists")
        ok(c.patch(f"/v1/seller-applications/{opened['id']}", json=us_sections()))
        ok(c.post(f"/v1/seller-applications/{opened['id']}/gmv", json={"days": streak(30, 25_000)}))
        ok(c.post(f"/v1/seller-applications/{opened['id']}/submit"))
    with server.client(ops) as c:
        problem(c.post("/v1/seller-applications", json={}), 422, "invalid_input")  # operators name the seller
        other = market.seller("other", status=SellerStatus.PENDING)
        for_other = ok(c.post("/v1/seller-applications", json={"seller_id": other, "market_code": "US-XB"}), 201)
        assert for_other["market_code"] == "US-XB" and for_other["history"][0]["actor_role"] == "operator"
        rejected = ok(
            c.post(
                f"/v1/operator/seller-applications/{opened['id']}/decision",
                json={"decision": "reject", "reason": "Counterfeit goods reported."},
            )
        )
        assert rejected["status"] == "rejected" and rejected["decided_at"]
    with market.db.transaction() as s:
        assert s.get_one(Seller, acme).status is SellerStatus.PENDING
    with server.client(staff) as c:
        seen = ok(c.get(f"/v1/seller-applications/{opened['id']}"))
        assert seen["decision_reason"] == "Counterfeit goods reported." and seen["reuse"] is None
        problem(c.post(f"/v1/seller-applications/{opened['id']}/submit"), 409, "invalid_transition")


def test_who_may_see_and_change_applications(server: LiveServer, market: Market) -> None:
    glow, zed = sign_up(server, "glow"), sign_up(server, "zed")
    app_id = glow["application"]["id"]
    ops = market.user("ops", Role.OPERATOR)
    shopper = market.user("ada", Role.SHOPPER)
    decision = {"decision": "approve"}
    with server.client(zed["token"]) as c:  # another seller: it does not exist
        problem(c.get(f"/v1/seller-applications/{app_id}"), 404, "not_found")
        problem(c.patch(f"/v1/seller-applications/{app_id}", json={"phone": {"phone": "2127360142"}}), 404, "not_found")
        problem(c.post(f"/v1/seller-applications/{app_id}/submit"), 404, "not_found")
        problem(c.get(f"/v1/seller-applications/{app_id}/gmv"), 404, "not_found")
        problem(c.post(f"/v1/seller-applications/{app_id}/gmv/platform-sync"), 404, "not_found")
        assert [a["id"] for a in ok(c.get("/v1/seller-applications"))["items"]] == [zed["application"]["id"]]
        problem(c.get("/v1/operator/seller-applications"), 403, "forbidden")
        problem(c.post(f"/v1/operator/seller-applications/{app_id}/decision", json=decision), 403, "forbidden")
        problem(c.put("/v1/markets/US/policy", json={"rules": [{"kind": "us_phone"}]}), 403, "forbidden")
        problem(c.post("/v1/seller-applications", json={"seller_id": glow["seller_id"]}), 404, "not_found")
    for token in (shopper, market.user("cat", Role.CREATOR)):
        with server.client(token) as c:
            problem(c.get(f"/v1/seller-applications/{app_id}"), 403, "forbidden")
            problem(c.post("/v1/seller-applications", json={}), 403, "forbidden")
            problem(c.get("/v1/seller-applications"), 403, "forbidden")
    with server.client() as c:
        problem(c.get(f"/v1/seller-applications/{app_id}"), 401, "unauthorized")
        problem(c.get("/v1/operator/seller-applications"), 401, "unauthorized")
        assert ok(c.get("/v1/markets/US/policy"))["code"] == "US"  # policies are public
    with server.client(ops) as c:
        assert ok(c.get(f"/v1/seller-applications/{app_id}"))["reuse"] == {"document": 0, "ein": 0}
        problem(c.patch(f"/v1/seller-applications/{app_id}", json={"phone": {"phone": "2127360142"}}), 403, "forbidden")
        problem(c.post(f"/v1/seller-applications/{app_id}/submit"), 403, "forbidden")
        problem(
            c.post(f"/v1/operator/seller-applications/{app_id}/decision", json=decision), 409, "invalid_transition"
        )  # a draft is not decided
        problem(c.get("/v1/seller-applications/99999"), 404, "not_found")
        assert len(ok(c.get("/v1/seller-applications"))["items"]) == 2


def test_bad_input_is_a_clear_422_and_changes_nothing(server: LiveServer, market: Market) -> None:
    signed = sign_up(server, "glow")
    app_id = signed["application"]["id"]
    good = us_sections()
    bad_sections: list[tuple[dict[str, Any], str]] = [
        ({"entity": {**good["entity"], "ein": "07-1234567"}}, "entity.ein"),
        ({"entity": {**good["entity"], "ein": "12-34567"}}, "entity.ein"),
        ({"entity": {**good["entity"], "address": {**good["entity"]["address"], "state": "XX"}}}, "entity"),
        ({"entity": {**good["entity"], "address": {**good["entity"]["address"], "postal_code": "1011"}}}, "entity"),
        ({"document": {**good["document"], "type": "library_card"}}, "document.type"),
        ({"document": {**good["document"], "number": "12"}}, "document.number"),
        ({"document": {**good["document"], "issuing_state": None}}, "document"),
        (
            {
                "document": {
                    **good["document"],
                    "type": "permanent_resident_card",
                    "issuing_country": "MX",
                    "issuing_state": None,
                }
            },
            "document",
        ),
        ({"phone": {"phone": "(911) 736-0142"}}, "phone.phone"),
        ({"phone": {"phone": "+44 20 7946 0958"}}, "phone.phone"),
        ({"shipping_origin": {"country": "US", "postal_code": "ABCDE"}}, "shipping_origin"),
        ({"social": {**good["social"], "follower_count": -5}}, "social.follower_count"),
        ({"social": {**good["social"], "handle": "no spaces please"}}, "social.handle"),
        ({"market_code": "united states"}, "market_code"),
        ({"phone": None}, "phone"),
        ({"surprise": 1}, "surprise"),
    ]
    with server.client(signed["token"]) as c:
        before = ok(c.get(f"/v1/seller-applications/{app_id}"))
        for body, field in bad_sections:
            found = problem(c.patch(f"/v1/seller-applications/{app_id}", json=body), 422, "validation_error")
            assert found["errors"][0]["field"] == field, (body, found)
        problem(c.patch(f"/v1/seller-applications/{app_id}", json={"market_code": "ZZ"}), 422, "unknown_market")
        gmv_url = f"/v1/seller-applications/{app_id}/gmv"
        tomorrow = (today() + dt.timedelta(days=1)).isoformat()
        problem(c.post(gmv_url, json={"days": [{"date": tomorrow, "gmv_cents": 5}]}), 422, "invalid_gmv_history")
        twice = [{"date": "2026-10-01", "gmv_cents": 5}, {"date": "2026-10-01", "gmv_cents": 6}]
        if dt.date(2026, 10, 1) >= today() - dt.timedelta(days=700):
            problem(c.post(gmv_url, json={"days": twice}), 422, "invalid_gmv_history")
        problem(c.post(gmv_url, json={"days": [{"date": "2020-01-01", "gmv_cents": 5}]}), 422, "invalid_gmv_history")
        problem(c.post(gmv_url, json={"days": [{"date": tomorrow, "gmv_cents": -1}]}), 422, "validation_error")
        problem(c.post(gmv_url, json={"days": []}), 422, "validation_error")
        csv_url = f"{gmv_url}/csv"
        yesterday = (today() - dt.timedelta(days=1)).isoformat()
        for text, line in [
            ("day,amount\n2026-01-01,5\n", None),
            ("date,gmv_cents\n", None),
            (f"date,gmv\n{yesterday},12.345\n", 2),
            (f"date,gmv\n{yesterday},5\n31/12/2025,7\n", 3),
            (f"date,gmv_cents\n{yesterday},-3\n", 2),
            (f"date,gmv_cents\n{yesterday},NaN\n", 2),
        ]:
            r = c.post(csv_url, content=text, headers={"content-type": "text/csv"})
            found = problem(r, 422, "invalid_gmv_history")
            assert found.get("line") == line, found
        after = ok(c.get(f"/v1/seller-applications/{app_id}"))
    assert after == before
    assert _count(market, SellerGmvDay) == 0
    with server.client() as c:  # sign-up: taken names and emails, all or nothing
        sellers_before = _count(market, Seller)
        taken_name = {
            "email": "new@sellers.example.com",
            "display_name": "N",
            "password": "correct horse battery",
            "seller_name": "GLOW shop",
        }
        problem(c.post("/v1/seller-signups", json=taken_name), 409, "seller_name_taken")
        taken_email = {**taken_name, "seller_name": "Brand New", "email": "glow@sellers.example.com"}
        problem(c.post("/v1/seller-signups", json=taken_email), 409, "conflict")
        problem(
            c.post("/v1/seller-signups", json={**taken_email, "email": "x@y.example.com", "market_code": "ZZ"}),
            422,
            "unknown_market",
        )
        assert _count(market, Seller) == sellers_before
        assert _count(market, SellerApplication) == 1


def test_queue_order_submitted_first_oldest_first_with_paging(server: LiveServer, market: Market) -> None:
    ops = market.user("ops", Role.OPERATOR)
    ids = []
    for n in range(4):
        signed = sign_up(server, f"shop{n}")
        ids.append(signed["application"]["id"])
        with server.client(signed["token"]) as c:
            ok(
                c.patch(
                    f"/v1/seller-applications/{ids[-1]}",
                    json=us_sections(doc_number=f"DOCNO{n}X1", ein=f"27-491826{n}"),
                )
            )
            ok(c.post(f"/v1/seller-applications/{ids[-1]}/gmv", json={"days": streak(30, 25_000)}))
            ok(c.post(f"/v1/seller-applications/{ids[-1]}/submit"))
    with server.client(ops) as c:
        ok(
            c.post(
                f"/v1/operator/seller-applications/{ids[0]}/decision",
                json={"decision": "request_info", "reason": "Which warehouse?"},
            )
        )
        seen, cursor = [], None
        while True:
            params: dict[str, Any] = {"limit": 1}
            if cursor:
                params["cursor"] = cursor
            page = ok(c.get("/v1/operator/seller-applications", params=params))
            seen += [(item["id"], item["status"]) for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == [(ids[1], "submitted"), (ids[2], "submitted"), (ids[3], "submitted"), (ids[0], "needs_info")]
        problem(c.get("/v1/operator/seller-applications", params={"cursor": "bogus!"}), 422, "invalid_input")
        problem(c.get("/v1/operator/seller-applications", params={"status": "approved"}), 422, "validation_error")
        assert [
            i["id"] for i in ok(c.get("/v1/operator/seller-applications", params={"market_code": "US-XB"}))["items"]
        ] == []
    with market.db.transaction() as s:
        rows = s.scalars(select(SellerApplicationHistory).order_by(SellerApplicationHistory.id)).all()
        assert sum(1 for h in rows if h.to_status.value == "submitted") == 4
        assert [h.reason for h in rows if h.to_status.value == "needs_info"] == ["Which warehouse?"]
