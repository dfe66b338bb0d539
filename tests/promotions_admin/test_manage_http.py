"""Managing promotions over real HTTP on SQLite and PostgreSQL: who may create, see and change what,
validation that names the field and writes nothing, and the lifecycle draft -> active <-> paused -> ended."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from promotions_admin.promo_world import World, active, body, count_promotions, create, iso, row, set_columns, world
from support import LiveServer, Market
from yellowcart.db import utcnow
from yellowcart.promotions.models import PromotionShopper


@pytest.fixture
def w(server: LiveServer, market: Market) -> World:
    return world(server, market)


def test_a_seller_sets_up_its_own_promotions_only(w: World) -> None:
    with w.client(w.a) as c:
        mine = create(c, product_ids=[w.product_a])
        assert (mine["seller_id"], mine["funder"], mine["seller_share_bps"]) == (w.seller_a, "seller", 10_000)
        assert (mine["status"], mine["created_by"]) == ("draft", w.market.users["alice"])
        before = count_promotions(w.market)
        assert c.post("/v1/promotions", json=body(seller_id=w.seller_b)).status_code == 403
        assert c.post("/v1/promotions", json=body(funder="platform")).status_code == 403
        assert c.post("/v1/promotions", json=body(funder="split", seller_share_bps=5000)).status_code == 403
        other = c.post("/v1/promotions", json=body(product_ids=[w.product_b]))
        assert other.status_code == 422 and other.json()["field"] == "product_ids", other.text
        assert count_promotions(w.market) == before
    with w.client(w.shopper) as c:
        assert c.post("/v1/promotions", json=body()).status_code == 403
        assert c.get("/v1/promotions").status_code == 403
        assert c.get(f"/v1/promotions/{mine['id']}").status_code == 403
        assert c.post(f"/v1/promotions/{mine['id']}/activate").status_code == 403
    with w.client(w.b) as c:
        assert c.get(f"/v1/promotions/{mine['id']}").status_code == 404
        assert c.patch(f"/v1/promotions/{mine['id']}", json={"name": "mine now"}).status_code == 404
        assert c.post(f"/v1/promotions/{mine['id']}/activate").status_code == 404
        assert c.post(f"/v1/promotions/{mine['id']}/codes", json={"code": "STEAL"}).status_code == 404
        assert c.get("/v1/promotions").json()["items"] == []
    assert row(w.market, mine["id"]).status.value == "draft"


def test_operators_fund_platform_and_split_promotions_the_seller_sees_but_does_not_run(w: World) -> None:
    with w.client(w.operator) as c:
        everywhere = create(c, name="Platform week")
        assert (everywhere["seller_id"], everywhere["funder"], everywhere["seller_share_bps"]) == (None, "platform", 0)
        split = create(c, seller_id=w.seller_a, funder="split", seller_share_bps=3000, kind="bundle", min_quantity=2)
        assert (split["funder"], split["seller_share_bps"]) == ("split", 3000)
        assert split["label"] == "Spring sale: bundle: buy 2, 15% off"
        no_share = c.post("/v1/promotions", json=body(seller_id=w.seller_a, funder="split"))
        assert no_share.status_code == 422 and no_share.json()["field"] == "seller_share_bps"
        no_seller = c.post("/v1/promotions", json=body(funder="split", seller_share_bps=3000))
        assert no_seller.status_code == 422 and no_seller.json()["field"] == "seller_id"
        seller_funded = c.post("/v1/promotions", json=body(funder="seller", seller_id=w.seller_a))
        assert seller_funded.status_code == 422 and seller_funded.json()["field"] == "funder"
        unknown = c.post("/v1/promotions", json=body(seller_id=999_999))
        assert unknown.status_code == 422 and unknown.json()["field"] == "seller_id"
    with w.client(w.a) as c:
        seen = c.get(f"/v1/promotions/{split['id']}")
        assert seen.status_code == 200 and seen.json()["seller_share_bps"] == 3000
        assert [p["id"] for p in c.get("/v1/promotions").json()["items"]] == [split["id"]]
        assert c.post(f"/v1/promotions/{split['id']}/activate").status_code == 403
        assert c.patch(f"/v1/promotions/{split['id']}", json={"seller_share_bps": 10}).status_code == 403
        assert c.get(f"/v1/promotions/{everywhere['id']}").status_code == 404
        mine = create(c)
    with w.client(w.operator) as c:
        everything = c.get("/v1/promotions", params={"limit": 2})
        page = everything.json()
        assert len(page["items"]) == 2 and page["next_cursor"]
        rest = c.get("/v1/promotions", params={"limit": 2, "cursor": page["next_cursor"]}).json()
        assert [p["id"] for p in page["items"] + rest["items"]] == [everywhere["id"], split["id"], mine["id"]]
        by_seller = c.get("/v1/promotions", params={"seller_id": w.seller_a}).json()["items"]
        assert [p["id"] for p in by_seller] == [split["id"], mine["id"]]
        bundles = c.get("/v1/promotions", params={"kind": "bundle"}).json()["items"]
        assert [p["id"] for p in bundles] == [split["id"]]
        assert c.post(f"/v1/promotions/{mine['id']}/activate").status_code == 200  # operators run any
        assert [p["id"] for p in c.get("/v1/promotions", params={"status": "active"}).json()["items"]] == [mine["id"]]


BAD: list[tuple[dict[str, Any], str]] = [
    ({"percent_off_bps": 1500, "amount_off_cents": 300}, "percent_off_bps"),
    ({"percent_off_bps": None}, "percent_off_bps"),
    ({"kind": "free_shipping", "min_spend_cents": 3500}, "percent_off_bps"),
    ({"percent_off_bps": 9001}, "percent_off_bps"),
    ({"starts_at": iso(utcnow() + dt.timedelta(days=3))}, "ends_at"),
    (
        {"ends_at": iso(utcnow() - dt.timedelta(minutes=1)), "starts_at": iso(utcnow() - dt.timedelta(hours=2))},
        "ends_at",
    ),
    ({"kind": "bundle", "min_quantity": 1}, "min_quantity"),
    ({"min_quantity": 3}, "min_quantity"),
    ({"min_spend_cents": 1000}, "min_spend_cents"),
    ({"holdout_bps": 6000}, "holdout_bps"),
    ({"kind": "coupon", "holdout_bps": 1000}, "holdout_bps"),
    ({"claimable": True}, "claimable"),
    ({"quantity_cap": 5}, "quantity_cap"),
    ({"kind": "flash_deal", "quantity_cap": 5}, "variant_ids"),
    ({"kind": "flash_deal"}, "variant_ids"),
    ({"category_id": 999_999}, "category_id"),
    ({"product_ids": [999_999]}, "product_ids"),
    ({"variant_ids": [999_999]}, "variant_ids"),
    ({"ends_at": "2030-01-01T00:00:00"}, "ends_at"),  # no time zone
    ({"surprise": 1}, "surprise"),
]


@pytest.mark.parametrize(("over", "field"), BAD, ids=[f for _, f in BAD])
def test_invalid_terms_are_422s_naming_the_field_and_change_nothing(w: World, over: dict[str, Any], field: str) -> None:
    before = count_promotions(w.market)
    with w.client(w.a) as c:
        r = c.post("/v1/promotions", json=body(**over))
    assert r.status_code == 422, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    named = problem.get("field") or problem["errors"][0]["field"]
    assert named.startswith(field), problem
    assert count_promotions(w.market) == before


def test_the_flash_deal_kind_checks_its_variant_and_cap(w: World) -> None:
    with w.client(w.a) as c:
        two = c.post("/v1/promotions", json=body(kind="flash_deal", variant_ids=[w.variant_a, w.variant_a + 1]))
        assert two.status_code == 422 and two.json()["field"] == "variant_ids"
        no_cap = c.post("/v1/promotions", json=body(kind="flash_deal", variant_ids=[w.variant_a]))
        assert no_cap.status_code == 422 and no_cap.json()["field"] == "quantity_cap"
        budget = c.post(
            "/v1/promotions",
            json=body(kind="flash_deal", variant_ids=[w.variant_a], quantity_cap=5, budget_cents=1000),
        )
        assert budget.status_code == 422 and budget.json()["field"] == "budget_cents"
        free = c.post(
            "/v1/promotions",
            json=body(kind="flash_deal", variant_ids=[w.variant_a], quantity_cap=5, percent_off_bps=None,
                      amount_off_cents=2400),
        )  # fmt: skip
        assert free.status_code == 422 and free.json()["field"] == "amount_off_cents", free.text
        week = c.post(
            "/v1/promotions",
            json=body(kind="flash_deal", variant_ids=[w.variant_a], quantity_cap=5,
                      ends_at=iso(utcnow() + dt.timedelta(days=7))),
        )  # fmt: skip
        assert week.status_code == 422 and week.json()["field"] == "ends_at"
        ok = create(c, kind="flash_deal", variant_ids=[w.variant_a], quantity_cap=5, per_shopper_limit=2)
        assert (ok["quantity_cap"], ok["units_sold"], ok["deal"]) == (5, 0, None)


def test_lifecycle_and_what_a_running_promotion_may_change(w: World) -> None:
    with w.client(w.a) as c:
        draft = create(c, budget_cents=10_000, total_limit=50, per_shopper_limit=2)
        pid = draft["id"]
        changed = c.patch(f"/v1/promotions/{pid}", json={"percent_off_bps": 2000, "product_ids": [w.product_a]})
        assert changed.status_code == 200 and changed.json()["percent_off_bps"] == 2000
        bad = c.patch(f"/v1/promotions/{pid}", json={"amount_off_cents": 100})  # both forms now
        assert bad.status_code == 422 and bad.json()["field"] == "percent_off_bps"
        assert c.patch(f"/v1/promotions/{pid}", json={"name": None}).status_code == 422
        assert c.post(f"/v1/promotions/{pid}/pause").status_code == 409  # a draft is not running
        live = c.post(f"/v1/promotions/{pid}/activate").json()
        assert (live["status"], live["redemptions"], live["budget_used_cents"], live["budget_left_cents"]) == (
            "active", 0, 0, 10_000,
        )  # fmt: skip
        assert c.post(f"/v1/promotions/{pid}/activate").json()["status"] == "active"  # again: no change
        fixed = c.patch(f"/v1/promotions/{pid}", json={"percent_off_bps": 5000, "name": "x"})
        assert fixed.status_code == 409 and fixed.json()["code"] == "promotion_terms_fixed"
        assert fixed.json()["fields"] == ["percent_off_bps"]
        held = c.patch(f"/v1/promotions/{pid}", json={"holdout_bps": 1000})
        assert held.status_code == 409 and held.json()["code"] == "promotion_terms_fixed"
        same = c.patch(f"/v1/promotions/{pid}", json={"percent_off_bps": 2000, "name": "Spring sale II"})
        assert same.status_code == 200 and same.json()["name"] == "Spring sale II"  # unchanged terms may be sent back

        set_columns(w.market, pid, budget_used_cents=4_000, redemptions=20)
        with w.market.db.transaction() as s:
            s.add(PromotionShopper(promotion_id=pid, shopper_id=w.market.users["sam"], uses=2, cap=2))
        for field, value in (("budget_cents", 3_999), ("total_limit", 19), ("per_shopper_limit", 1)):
            r = c.patch(f"/v1/promotions/{pid}", json={field: value})
            assert r.status_code == 422 and r.json()["field"] == field, r.text
        later = utcnow() + dt.timedelta(days=3)
        moved = c.patch(
            f"/v1/promotions/{pid}",
            json={"budget_cents": 4_000, "total_limit": 20, "per_shopper_limit": 3, "ends_at": iso(later)},
        )
        assert moved.status_code == 200, moved.text
        assert (moved.json()["budget_left_cents"], moved.json()["total_limit"]) == (0, 20)
        with w.market.db.transaction() as s:
            assert s.scalar(select(PromotionShopper.cap).where(PromotionShopper.promotion_id == pid)) == 3
        past = c.patch(f"/v1/promotions/{pid}", json={"ends_at": iso(utcnow() - dt.timedelta(seconds=1))})
        assert past.status_code == 422 and past.json()["field"] == "ends_at"

        assert c.post(f"/v1/promotions/{pid}/pause").json()["status"] == "paused"
        assert c.post(f"/v1/promotions/{pid}/activate").status_code == 409  # paused: resume it
        assert c.post(f"/v1/promotions/{pid}/resume").json()["status"] == "active"
        ended = c.post(f"/v1/promotions/{pid}/end").json()
        assert (ended["status"], ended["end_reason"]) == ("ended", "ended") and ended["ended_at"]
        assert c.post(f"/v1/promotions/{pid}/end").json()["ended_at"] == ended["ended_at"]  # once
        assert c.post(f"/v1/promotions/{pid}/resume").status_code == 409
        assert c.patch(f"/v1/promotions/{pid}", json={"name": "again"}).status_code == 409


def test_activation_needs_a_window_that_has_not_passed(w: World) -> None:
    with w.client(w.a) as c:
        draft = create(c)
        over = utcnow() - dt.timedelta(seconds=1)
        set_columns(w.market, draft["id"], starts_at=over - dt.timedelta(hours=1), ends_at=over)
        r = c.post(f"/v1/promotions/{draft['id']}/activate")
        assert r.status_code == 409 and r.json()["code"] == "promotion_window_passed", r.text
        assert row(w.market, draft["id"]).status.value == "draft"
        paused = active(c)
        assert c.post(f"/v1/promotions/{paused['id']}/pause").status_code == 200
        set_columns(w.market, paused["id"], ends_at=over, starts_at=over - dt.timedelta(hours=1))
        assert c.post(f"/v1/promotions/{paused['id']}/resume").json()["code"] == "promotion_window_passed"
