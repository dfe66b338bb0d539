"""`yellowcart jobs live-deals` as an operator runs it: ends what is due, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from live_deals.deal_world import deal_row, live_room, running_deal
from support import LiveServer, Market
from yellowcart.cli import app
from yellowcart.db import utcnow
from yellowcart.live.deal_models import LiveDeal
from yellowcart.settings import get_settings


@pytest.fixture
def cli_env(market: Market, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("YC_DATABASE_URL", market.db.url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_command_ends_expired_deals_once(server: LiveServer, market: Market, cli_env: None) -> None:
    room = live_room(server, market, stock=10)
    deal = running_deal(server, room, quantity=4)
    over = utcnow() - dt.timedelta(seconds=1)
    with market.db.transaction() as s:
        s.execute(
            update(LiveDeal)
            .where(LiveDeal.id == deal["id"])
            .values(starts_at=over - dt.timedelta(minutes=5), ends_at=over)
        )
    runner = CliRunner()
    first = runner.invoke(app, ["jobs", "live-deals"])
    assert first.exit_code == 0, first.output
    assert "ended 1" in first.output
    again = runner.invoke(app, ["jobs", "live-deals"])
    assert again.exit_code == 0 and "ended 0" in again.output
    assert deal_row(market, deal["id"]).released_units == 4
    assert market.stock(room.sku) == (10, 0)
