"""A promotion's analytics over real HTTP (SQLite and PostgreSQL), on a synthetic market whose true
lift is known: the counts and money add up to what was written, the 95% interval of the incremental
GMV brackets the truth, too small a hold-out says so, the chart renders, and only operators and the
promotion's own seller may look."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ledger_promotions.promo_world import promotion
from promotions_analytics.analytics_world import START, TRUE_LIFT, populate
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.promotions import analytics
from yellowcart.promotions.models import PromotionKind

WINDOW = {"starts_at": START, "ends_at": START + dt.timedelta(days=3)}


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    acme, zed = market.seller("acme"), market.seller("zed")
    sku = market.product(acme, price_cents=2000)
    return {
        "acme": acme,
        "sku": sku,
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "stranger": market.user("zed-staff", Role.SELLER, zed),
        "shopper": market.user("ada", Role.SHOPPER),
        "operator": market.user("ops", Role.OPERATOR),
    }


def test_figures_add_up_and_the_interval_brackets_the_true_lift(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    pid = promotion(market.db, created_by=market.users["ops"], kind=PromotionKind.PRODUCT_DISCOUNT,
                    seller_id=world["acme"], percent_off_bps=1000, holdout_bps=2000, **WINDOW)  # fmt: skip
    want = populate(market, promotion_id=pid, holdout_bps=2000, sku=world["sku"], shoppers=1500, seed=11)
    with server.client(world["seller"]) as c:
        r = c.get(f"/v1/promotions/{pid}/analytics")
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["redemptions"] == {"held": want.held, "used": want.orders, "released": want.released}
    assert (a["orders"], a["units"], a["gmv_cents"]) == (want.orders, want.units, want.gmv)
    assert a["discount"] == {"total_cents": want.discount, "seller_funded_cents": 0,
                             "platform_funded_cents": want.discount}  # fmt: skip
    assert a["average_discount_cents"] == 200
    lift = a["lift"]
    assert lift["state"] == "estimated"
    assert (lift["exposed_shoppers"], lift["held_out_shoppers"]) == (want.exposed, want.held_out)
    assert 0.15 < want.held_out / 1500 < 0.25  # the hold-out function's share
    assert lift["lift_low_cents"] <= TRUE_LIFT <= lift["lift_high_cents"]
    low, high = lift["incremental_gmv_low_cents"], lift["incremental_gmv_high_cents"]
    assert low <= round(TRUE_LIFT * want.exposed) <= high and low > 0  # the promotion does sell more
    assert [d["day"] for d in a["daily"]] == [(START + dt.timedelta(days=i)).date().isoformat() for i in range(3)]
    assert sum(d["with_promotion_cents"] for d in a["daily"]) == want.gmv
    with server.client(world["operator"]) as c:
        r = c.get(f"/v1/promotions/{pid}/analytics.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg") and "incremental GMV" in r.text and "exposed" in r.text


def test_a_small_hold_out_says_it_is_not_enough(market: Market, world: dict[str, Any]) -> None:
    pid = promotion(market.db, created_by=market.users["ops"], kind=PromotionKind.PRODUCT_DISCOUNT,
                    seller_id=world["acme"], percent_off_bps=1000, holdout_bps=100, **WINDOW)  # fmt: skip
    want = populate(market, promotion_id=pid, holdout_bps=100, sku=world["sku"], shoppers=300, seed=3)
    operator = Principal(market.users["ops"], Role.OPERATOR)
    with market.db.transaction() as s:
        a = analytics.promotion_analytics(s, principal=operator, promotion_id=pid, now=START + dt.timedelta(days=1))
    assert a.lift.state == "not_enough_held_out" and a.lift.held_out_shoppers == want.held_out < 30
    assert a.lift.incremental_gmv_cents is None and a.lift.lift_low_cents is None
    assert a.window_end == START + dt.timedelta(days=1) and len(a.daily) == 1  # a running promotion: so far


def test_only_operators_and_the_owning_seller_may_look(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    own = promotion(market.db, created_by=market.users["ops"], kind=PromotionKind.COUPON, seller_id=world["acme"],
                    seller_share_bps=10_000, amount_off_cents=300, **WINDOW)  # fmt: skip
    platform = promotion(market.db, created_by=market.users["ops"], kind=PromotionKind.FREE_SHIPPING, **WINDOW)
    cases = [
        (world["operator"], own, 200),
        (world["operator"], platform, 200),
        (world["seller"], own, 200),
        (world["seller"], platform, 404),  # the platform's own promotion
        (world["stranger"], own, 404),  # another seller's reads as missing
        (world["shopper"], own, 403),
        (None, own, 401),
        (world["operator"], 999_999, 404),
    ]
    for token, pid, status in cases:
        with server.client(token) as c:
            assert c.get(f"/v1/promotions/{pid}/analytics").status_code == status, (token, pid)
            assert c.get(f"/v1/promotions/{pid}/analytics.svg").status_code == status
    with server.client(world["operator"]) as c:
        empty = c.get(f"/v1/promotions/{platform}/analytics").json()
    assert empty["orders"] == 0 and empty["average_discount_cents"] is None
    assert empty["lift"]["state"] == "no_holdout"
