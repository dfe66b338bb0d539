"""The promotions job on SQLite and PostgreSQL: it ends promotions whose window passed (paused ones too),
whose budget or total limit is used up once nothing is held any more, and flash deals whose window passed
without starting; every step once. `yellowcart jobs promotions` runs it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from live_deals.deal_world import deal_row
from promotions_admin.promo_world import World, active, create, iso, row, set_columns, world
from support import LiveServer, Market
from yellowcart.cli import app
from yellowcart.db import utcnow
from yellowcart.promotions import jobs
from yellowcart.settings import get_settings


@pytest.fixture
def w(server: LiveServer, market: Market) -> World:
    return world(server, market)


def test_promotions_end_when_their_window_passes_or_their_budget_or_limit_is_used_up(w: World) -> None:
    db = w.server.container.db
    with w.client(w.a) as c:
        expiring = active(c, name="Expiring")
        paused = active(c, name="Paused")
        assert c.post(f"/v1/promotions/{paused['id']}/pause").status_code == 200
        budget = active(c, name="Budget", budget_cents=1_000)
        limit = active(c, kind="coupon", name="Limit", total_limit=3)
        running = active(c, name="Running", budget_cents=1_000, total_limit=3)
        draft = create(c, name="Draft")
    set_columns(w.market, budget["id"], budget_used_cents=1_000, redemptions=2)
    set_columns(w.market, limit["id"], redemptions=3)
    set_columns(w.market, running["id"], budget_used_cents=999, redemptions=2)
    assert jobs.run(db, utcnow()).ended == {budget["id"]: "budget", limit["id"]: "limit"}

    later = utcnow() + dt.timedelta(days=2)
    assert jobs.run(db, later).ended == {expiring["id"]: "expired", paused["id"]: "expired", running["id"]: "expired"}
    assert jobs.run(db, later).ended == {}  # once
    ended = row(w.market, paused["id"])
    assert (ended.status.value, ended.end_reason, ended.ended_at) == ("ended", "expired", later)
    assert row(w.market, budget["id"]).ended_at is not None
    assert row(w.market, draft["id"]).status.value == "draft"  # a draft never ran: it is left to its owner


def test_a_flash_deal_whose_window_passed_before_it_started_is_cancelled(w: World) -> None:
    starts = utcnow() + dt.timedelta(minutes=10)
    with w.client(w.a) as c:
        promo = active(
            c, kind="flash_deal", name="Missed", variant_ids=[w.variant_a], quantity_cap=4,
            starts_at=iso(starts), ends_at=iso(starts + dt.timedelta(minutes=30)),
        )  # fmt: skip
    done = jobs.run(w.server.container.db, starts + dt.timedelta(hours=1))
    assert done.ended == {promo["id"]: "expired"} and done.deals_started == []
    deal = deal_row(w.market, promo["deal"]["deal_id"])
    assert (deal.status.value, deal.end_reason) == ("cancelled", "expired")
    assert w.market.stock(w.sku_a) == (40, 0)


@pytest.fixture
def cli_env(market: Market, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("YC_DATABASE_URL", market.db.url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_command_runs_the_job_once(w: World, cli_env: None) -> None:
    with w.client(w.a) as c:
        promo = active(c)
    over = utcnow() - dt.timedelta(seconds=1)
    set_columns(w.market, promo["id"], starts_at=over - dt.timedelta(hours=1), ends_at=over)
    runner = CliRunner()
    first = runner.invoke(app, ["jobs", "promotions"])
    assert first.exit_code == 0, first.output
    assert "ended 1 promotions" in first.output
    again = runner.invoke(app, ["jobs", "promotions"])
    assert again.exit_code == 0 and "ended 0 promotions" in again.output
    assert row(w.market, promo["id"]).end_reason == "expired"
