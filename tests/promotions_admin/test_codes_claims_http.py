"""Coupon codes and claims over real HTTP on SQLite and PostgreSQL: a code names one coupon across all
promotions, random codes are unguessable and personal ones work for their shopper only; claiming is for
shoppers, idempotent, and a shopper in the hold-out group finds nothing (404)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from promotions_admin.promo_world import World, active, create, set_columns, split_by_holdout, world
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.db import utcnow
from yellowcart.errors import DomainError
from yellowcart.promotions import offers
from yellowcart.promotions.models import CouponClaim, CouponCode


@pytest.fixture
def w(server: LiveServer, market: Market) -> World:
    return world(server, market)


def _codes(w: World) -> int:
    with w.market.db.transaction() as s:
        return int(s.scalar(select(func.count(CouponCode.id))) or 0)


def test_codes_are_unique_across_promotions_and_personal_ones_belong_to_their_shopper(w: World) -> None:
    with w.client(w.a) as c:
        spring = create(c, kind="coupon", name="Spring", amount_off_cents=400, percent_off_bps=None)
        given = c.post(f"/v1/promotions/{spring['id']}/codes", json={"code": "spring-24"})
        assert given.status_code == 201, given.text
        assert [x["code"] for x in given.json()["items"]] == ["SPRING-24"]
        again = c.post(f"/v1/promotions/{spring['id']}/codes", json={"code": "Spring-24"})
        assert again.status_code == 409 and again.json()["code"] == "coupon_code_taken"
        many = c.post(f"/v1/promotions/{spring['id']}/codes", json={"count": 25})
        assert many.status_code == 201
        made = [x["code"] for x in many.json()["items"]]
        assert len(set(made)) == 25 and all(re.fullmatch(r"[A-HJKMNP-Z2-9]{10}", m) for m in made), made
        sam = w.market.users["sam"]
        personal = c.post(f"/v1/promotions/{spring['id']}/codes", json={"count": 1, "shopper_id": sam}).json()
        mine = personal["items"][0]
        assert mine["shopper_id"] == sam
        for bad in ({"code": "a b"}, {"code": "AB"}, {"code": "X", "count": 2}, {}, {"count": 1001}):
            assert c.post(f"/v1/promotions/{spring['id']}/codes", json=bad).status_code == 422, bad
        seller = c.post(f"/v1/promotions/{spring['id']}/codes", json={"count": 1, "shopper_id": w.market.users["bob"]})
        assert seller.status_code == 422 and seller.json()["field"] == "shopper_id"
        listed = c.get(f"/v1/promotions/{spring['id']}/codes", params={"limit": 20}).json()
        rest = c.get(f"/v1/promotions/{spring['id']}/codes", params={"cursor": listed["next_cursor"]}).json()
        assert len(listed["items"]) + len(rest["items"]) == 27 and rest["next_cursor"] is None
        discount = create(c)
        refused = c.post(f"/v1/promotions/{discount['id']}/codes", json={"code": "NOPE"})
        assert refused.status_code == 409 and refused.json()["code"] == "not_a_coupon"
    with w.client(w.b) as c:
        other = create(c, kind="coupon", name="Theirs")
        taken = c.post(f"/v1/promotions/{other['id']}/codes", json={"code": "SPRING-24"})
        assert taken.status_code == 409 and taken.json()["code"] == "coupon_code_taken"
        assert c.get(f"/v1/promotions/{spring['id']}/codes").status_code == 404
    assert _codes(w) == 27

    with w.client(w.a) as c:
        assert c.post(f"/v1/promotions/{spring['id']}/activate").status_code == 200
    other_shopper = w.market.user("tess", Role.SHOPPER)
    with w.market.db.transaction() as s:
        assert offers.check_code(s, code=mine["code"], shopper_id=sam, now=utcnow()).id == spring["id"]
        with pytest.raises(DomainError) as refused_code:
            offers.check_code(s, code=mine["code"], shopper_id=w.market.users["tess"], now=utcnow())
        assert refused_code.value.code == "coupon_not_yours"
    with w.client(w.shopper) as c:
        coupons = c.get("/v1/me/coupons").json()["items"]
        listed_mine = [(x["promotion_id"], x["code"], x["usable_now"]) for x in coupons]
        assert listed_mine == [(spring["id"], mine["code"], True)]
        assert coupons[0]["description"] == "$4.00 off"
    with w.client(other_shopper) as c:
        assert c.get("/v1/me/coupons").json()["items"] == []


def test_a_coupon_with_a_holdout_group_is_claimed_not_coded(w: World) -> None:
    with w.client(w.a) as c:
        held = create(c, kind="coupon", name="Claim me", claimable=True, holdout_bps=2000)
        r = c.post(f"/v1/promotions/{held['id']}/codes", json={"code": "HELDOUT"})
        assert r.status_code == 409 and r.json()["code"] == "coupon_has_holdout"
        code_only = create(c, kind="coupon", name="Codes")
        assert c.patch(f"/v1/promotions/{code_only['id']}", json={"holdout_bps": 100}).status_code == 422
    assert _codes(w) == 0


def test_claims_are_for_shoppers_idempotent_and_hidden_from_the_holdout_group(w: World) -> None:
    with w.client(w.a) as c:
        coupon = active(
            c, kind="coupon", name="Claim 10%", percent_off_bps=1000, claimable=True, holdout_bps=5000,
            per_shopper_limit=2, min_spend_cents=2000,
        )  # fmt: skip
        code_only = active(c, kind="coupon", name="Code only")
        draft = create(c, kind="coupon", name="Not yet", claimable=True)
        assert c.post(f"/v1/promotions/{coupon['id']}/claim").status_code == 403  # sellers do not claim
    held, shown = split_by_holdout(w.market, coupon["id"], 5000)
    with w.client(held) as c:
        hidden = c.post(f"/v1/promotions/{coupon['id']}/claim")
        assert hidden.status_code == 404 and hidden.json()["code"] == "promotion_not_found"
        assert c.get("/v1/me/coupons").json()["items"] == []
    with w.client(shown) as c:
        first = c.post(f"/v1/promotions/{coupon['id']}/claim")
        assert first.status_code == 200, first.text
        second = c.post(f"/v1/promotions/{coupon['id']}/claim")
        assert second.status_code == 200 and second.json()["claimed_at"] == first.json()["claimed_at"]
        mine = c.get("/v1/me/coupons").json()["items"]
        assert [(x["promotion_id"], x["code"], x["uses_left"], x["usable_now"]) for x in mine] == [
            (coupon["id"], None, 2, True)
        ]
        assert mine[0]["min_spend_cents"] == 2000
        assert c.post(f"/v1/promotions/{code_only['id']}/claim").json()["code"] == "coupon_not_claimable"
        assert c.post(f"/v1/promotions/{draft['id']}/claim").status_code == 404
        assert c.post("/v1/promotions/999999/claim").status_code == 404
    with w.market.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CouponClaim)) == 1

    over = utcnow() - dt.timedelta(seconds=1)
    set_columns(w.market, coupon["id"], starts_at=over - dt.timedelta(hours=1), ends_at=over)
    late = w.market.user("late", Role.SHOPPER)
    with w.client(late) as c:
        r = c.post(f"/v1/promotions/{coupon['id']}/claim")
        assert r.status_code in (404, 409)  # held out (404) or too late (409): never claimed
        if r.status_code == 409:
            assert r.json()["code"] == "coupon_expired"
    with w.client(shown) as c:
        assert c.get("/v1/me/coupons").json()["items"][0]["usable_now"] is False
