"""Platform GMV through real HTTP and the outbox on SQLite and PostgreSQL: a seller's paid orders become
its application's platform GMV days (order.paid), a cancellation takes them out again (order.cancelled),
the sync endpoint recomputes the whole history, and a month of sales on the platform alone meets the
seed market's streak. Imported and platform figures of the same day add up."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update

from sellers.onboarding_world import ok, problem, rules, streak, today, us_sections
from shipping.shipping_world import buy, drain
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.orders.models import Order
from yellowcart.sellers.models import SellerGmvDay

PRICE = 25_000  # the seed market's daily target, exactly


def _world(server: LiveServer, market: Market) -> dict[str, Any]:
    acme = market.seller("acme")  # an active seller from before onboarding existed
    world = {
        "acme": acme,
        "staff": market.user("acme-staff", Role.SELLER, acme),
        "shopper": market.user("ada", Role.SHOPPER),
        "ops": market.user("ops", Role.OPERATOR),
        "sku": market.product(acme, price_cents=PRICE, stock=60),
    }
    with server.client(world["staff"]) as c:
        world["app"] = ok(c.post("/v1/seller-applications", json={"market_code": "US"}), 201)["id"]
        ok(c.patch(f"/v1/seller-applications/{world['app']}", json=us_sections()))
    return world


def _platform_rows(market: Market, app_id: int) -> dict[dt.date, int]:
    with market.db.transaction() as s:
        rows = s.execute(
            select(SellerGmvDay.day, SellerGmvDay.gmv_cents).where(
                SellerGmvDay.application_id == app_id, SellerGmvDay.source == "platform"
            )
        )
        return {day: int(cents) for day, cents in rows}


def test_paid_and_cancelled_orders_move_platform_gmv(server: LiveServer, market: Market) -> None:
    world = _world(server, market)
    app_id = world["app"]
    first = buy(server, world["shopper"], [(world["sku"], 1)])["orders"][0]
    second = buy(server, world["shopper"], [(world["sku"], 2)])["orders"][0]
    drain(server)
    assert _platform_rows(market, app_id) == {today(): 3 * PRICE}
    with server.client(world["shopper"]) as c:
        ok(c.post(f"/v1/orders/{second['id']}/cancel", json={}))
    drain(server)
    assert _platform_rows(market, app_id) == {today(): PRICE}
    drain(server)  # redelivery-safe: recomputed from the orders, nothing doubles
    assert _platform_rows(market, app_id) == {today(): PRICE}
    with server.client(world["staff"]) as c:
        days = ok(c.get(f"/v1/seller-applications/{app_id}/gmv", params={"source": "platform"}))["items"]
        assert days == [{"date": today().isoformat(), "source": "platform", "gmv_cents": PRICE}]
        imported = ok(
            c.post(
                f"/v1/seller-applications/{app_id}/gmv",
                json={"days": [{"date": today().isoformat(), "gmv_cents": 700}]},
            )
        )
        assert imported["application"]["gmv"] == {
            "imported_days": 1,
            "platform_days": 1,
            "first_day": today().isoformat(),
            "last_day": today().isoformat(),
        }
        both = ok(c.get(f"/v1/seller-applications/{app_id}/gmv"))["items"]
        assert {(d["source"], d["gmv_cents"]) for d in both} == {("imported", 700), ("platform", PRICE)}
        problem(c.get(f"/v1/seller-applications/{app_id}/gmv", params={"source": "guess"}), 422, "validation_error")
    assert first["id"] != second["id"]


def test_a_month_of_platform_sales_meets_the_streak(server: LiveServer, market: Market) -> None:
    world = _world(server, market)
    app_id = world["app"]
    order_ids = [buy(server, world["shopper"], [(world["sku"], 1)])["orders"][0]["id"] for _ in range(30)]
    drain(server)
    yesterday = dt.datetime.combine(today() - dt.timedelta(days=1), dt.time(15), dt.UTC)
    with market.db.transaction() as s:  # as if they had been paid one a day for the last thirty days
        for back, order_id in enumerate(order_ids):
            s.execute(update(Order).where(Order.id == order_id).values(paid_at=yesterday - dt.timedelta(days=back)))
    with server.client(world["staff"]) as c:
        stale = ok(c.get(f"/v1/seller-applications/{app_id}"))
        assert not rules(stale)["consecutive_gmv_days"]["passed"]  # the rows still say: all today
        synced = ok(c.post(f"/v1/seller-applications/{app_id}/gmv/platform-sync"))
        assert synced["days"] == 30
        assert synced["application"]["evaluation"]["eligible"], synced["application"]["evaluation"]
        assert synced["application"]["gmv"]["platform_days"] == 30
        assert synced["application"]["gmv"]["imported_days"] == 0
    with server.client(world["ops"]) as c:  # operators may resync too (and see the same result)
        assert ok(c.post(f"/v1/seller-applications/{app_id}/gmv/platform-sync"))["days"] == 30
    assert set(_platform_rows(market, app_id)) == {today() - dt.timedelta(days=back) for back in range(1, 31)}


def test_imported_and_platform_figures_of_a_day_add_up(server: LiveServer, market: Market) -> None:
    world = _world(server, market)
    app_id = world["app"]
    buy(server, world["shopper"], [(world["sku"], 1)])
    drain(server)
    paid = dt.datetime.combine(today() - dt.timedelta(days=1), dt.time(12), dt.UTC)
    with market.db.transaction() as s:
        s.execute(update(Order).values(paid_at=paid))
    half = PRICE // 2
    with server.client(world["staff"]) as c:
        ok(c.post(f"/v1/seller-applications/{app_id}/gmv/platform-sync"))
        # 29 imported days at the target, and yesterday only half of it imported: platform sales fill it up
        days = streak(29, PRICE, ending=today() - dt.timedelta(days=2))
        days.append({"date": (today() - dt.timedelta(days=1)).isoformat(), "gmv_cents": half})
        done = ok(c.post(f"/v1/seller-applications/{app_id}/gmv", json={"days": days}))["application"]
        assert done["evaluation"]["eligible"], done["evaluation"]
        days[-1]["gmv_cents"] = 0
        short = ok(c.post(f"/v1/seller-applications/{app_id}/gmv", json={"days": days}))["application"]
        assert short["evaluation"]["eligible"]  # the platform's $250 alone meets yesterday's target
        with market.db.transaction() as s:
            s.execute(update(Order).values(paid_at=paid - dt.timedelta(days=5)))
        resynced = ok(c.post(f"/v1/seller-applications/{app_id}/gmv/platform-sync"))["application"]
        assert not resynced["evaluation"]["eligible"]
        assert "At most 29 consecutive days" in rules(resynced)["consecutive_gmv_days"]["explanation"]
