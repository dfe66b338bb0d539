"""Market policies through real HTTP on SQLite and PostgreSQL: public to read, operators replace them
(validated: unknown kinds and bad parameters are a 422 and change nothing), a change re-evaluates the
market's undecided applications, and a new cross-border market admits a seller without a US entity."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sellers.onboarding_world import ok, problem, rules, sign_up, streak, today, us_sections
from support import LiveServer, Market
from yellowcart.auth.models import Role


def test_seeded_markets_are_public(server: LiveServer, market: Market) -> None:
    with server.client() as c:
        markets = {m["code"]: m for m in ok(c.get("/v1/markets"))["items"]}
        assert set(markets) == {"US", "US-XB"}
        us = ok(c.get("/v1/markets/US/policy"))
        assert us == markets["US"]
        assert [r["kind"] for r in us["rules"]] == [
            "us_entity_with_ein",
            "id_document",
            "us_phone",
            "us_shipping_origin",
            "min_followers",
            "consecutive_gmv_days",
        ]
        assert {"kind": "min_followers", "min_followers": 5000} in us["rules"]
        gmv = next(r for r in us["rules"] if r["kind"] == "consecutive_gmv_days")
        assert gmv["days"] == 30 and gmv["daily_target_cents"] > 0
        assert "us_entity_with_ein" not in {r["kind"] for r in markets["US-XB"]["rules"]}
        problem(c.get("/v1/markets/ZZ/policy"), 404, "unknown_market")
        problem(c.get("/v1/markets/not-a-code/policy"), 422, "validation_error")


def test_operator_changes_a_policy_and_undecided_applications_follow(server: LiveServer, market: Market) -> None:
    ops = market.user("ops", Role.OPERATOR)
    signed = sign_up(server, "glow")
    app_id = signed["application"]["id"]
    with server.client(signed["token"]) as c:
        ok(c.patch(f"/v1/seller-applications/{app_id}", json=us_sections(followers=3000)))
        draft = ok(c.post(f"/v1/seller-applications/{app_id}/gmv", json={"days": streak(30, 25_000)}))["application"]
        assert [k for k, r in rules(draft).items() if not r["passed"]] == ["min_followers"]
    with server.client(ops) as c:
        policy = ok(c.get("/v1/markets/US/policy"))
        before = policy["version"]
        lowered = [{**r, "min_followers": 2500} if r["kind"] == "min_followers" else r for r in policy["rules"]]
        changed = ok(c.put("/v1/markets/US/policy", json={"rules": lowered}))
        assert changed["version"] == before + 1 and changed["reevaluated"] == 1
        assert {"kind": "min_followers", "min_followers": 2500} in changed["rules"]
        bad_bodies: list[dict[str, Any]] = [
            {"rules": [{"kind": "horoscope"}]},
            {"rules": [{"kind": "min_followers", "min_followers": "lots"}]},
            {"rules": [{"kind": "min_followers", "min_followers": -1}]},
            {"rules": [{"kind": "consecutive_gmv_days", "days": 30, "daily_target_cents": 100, "lookback_days": 7}]},
            {"rules": [{"kind": "id_document", "accepted_types": ["gym_card"]}]},
            {"rules": [{"kind": "us_phone"}, {"kind": "us_phone"}]},
            {"rules": []},
            {"rules": [{"kind": "us_phone", "strict": True}]},
            {"name": "", "rules": [{"kind": "us_phone"}]},
        ]
        for body in bad_bodies:
            found = problem(c.put("/v1/markets/US/policy", json=body), 422, "validation_error")
            assert found["errors"][0]["field"].split(".")[0] in {"rules", "name"}, found
        assert ok(c.get("/v1/markets/US/policy")) == {**changed, "reevaluated": None}
    with server.client(signed["token"]) as c:
        now = ok(c.get(f"/v1/seller-applications/{app_id}"))
        assert now["evaluation"]["eligible"] and now["evaluation"]["policy_version"] == before + 1
        assert "3,000 followers (at least 2,500 needed)" in rules(now)["min_followers"]["explanation"]


def test_operators_open_a_market_and_its_policy_applies(server: LiveServer, market: Market) -> None:
    ops = market.user("ops", Role.OPERATOR)
    eu_rules = [
        {"kind": "business_entity", "countries": ["DE", "FR"]},
        {"kind": "id_document", "accepted_types": ["passport"], "min_days_valid": 30},
        {"kind": "min_followers", "min_followers": 100},
    ]
    with server.client(ops) as c:
        created = ok(c.put("/v1/markets/US-EU/policy", json={"name": "US: EU sellers", "rules": eu_rules}))
        assert (created["code"], created["name"], created["version"], created["reevaluated"]) == (
            "US-EU",
            "US: EU sellers",
            1,
            0,
        )
    signed = sign_up(server, "berlin", market_code="US-EU")
    app_id = signed["application"]["id"]
    entity = {
        "entity_type": "corporation",
        "legal_name": "Berlin Glow GmbH",
        "country": "DE",
        "address": {"line1": "Unter den Linden 1", "city": "Berlin", "state": "Berlin", "postal_code": "10117"},
    }
    document = {
        "type": "passport",
        "number": "C01X00T47",
        "issuing_country": "DE",
        "expires_on": (today() + dt.timedelta(days=400)).isoformat(),
    }
    social = {"platform": "instagram", "handle": "berlinglow", "follower_count": 150}
    with server.client(signed["token"]) as c:
        filled = ok(
            c.patch(
                f"/v1/seller-applications/{app_id}", json={"entity": entity, "document": document, "social": social}
            )
        )
        assert filled["evaluation"]["eligible"], filled["evaluation"]
        assert filled["entity"]["ein"] is None and filled["phone"] is None
        assert set(rules(filled)) == {"business_entity", "id_document", "min_followers"}
        moved = ok(c.patch(f"/v1/seller-applications/{app_id}", json={"market_code": "US"}))
        assert not moved["evaluation"]["eligible"]
        assert "registered in DE, not the US" in rules(moved)["us_entity_with_ein"]["explanation"]
        back = ok(c.patch(f"/v1/seller-applications/{app_id}", json={"market_code": "US-EU"}))
        assert back["evaluation"]["eligible"]
        assert ok(c.post(f"/v1/seller-applications/{app_id}/submit"))["status"] == "submitted"
