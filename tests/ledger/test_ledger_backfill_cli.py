"""The demo market gets a ledger (SQLite and PostgreSQL): generation ends with the backfill, which posts a
sale for every captured order and the refunds its returns imply, once; the operator's commands
(`yellowcart ledger backfill`, `ledger trial-balance`, `settle --period`) work on it and are idempotent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from yellowcart.checkout.models import Payment
from yellowcart.cli import app
from yellowcart.db import Database
from yellowcart.demo.generate import generate_market
from yellowcart.ledger import balances
from yellowcart.ledger.chart import Account, EntryKind
from yellowcart.ledger.models import LedgerEntry, LedgerPosting, Payout, SettlementStatement
from yellowcart.ledger.parties import Party
from yellowcart.ledger.periods import Period
from yellowcart.orders.models import Order, OrderHistory
from yellowcart.orders.state import OrderStatus
from yellowcart.settings import get_settings

runner = CliRunner()


@pytest.fixture
def demo(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    generate_market(db, seed=11, scale=0.03, progress=False)
    monkeypatch.setenv("YC_DATABASE_URL", db.url)
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def test_demo_generation_posts_the_ledger_once(demo: Database) -> None:
    with demo.transaction() as s:
        shipped = set(s.scalars(select(OrderHistory.order_id).where(OrderHistory.to_status == OrderStatus.IN_TRANSIT)))
        sales = list(s.scalars(select(LedgerEntry.order_id).where(LedgerEntry.kind == EntryKind.SALE)))
        assert shipped and sorted(sales) == sorted(shipped)  # every captured order, once
        tb = balances.trial_balance(s)
        assert tb.balanced and tb.accounts[Account.SELLER_PAYABLE] < 0
        clearing = s.scalar(
            select(func.sum(LedgerPosting.amount_cents)).where(LedgerPosting.account == Account.PAYMENT_CLEARING)
        )
        money = s.scalar(select(func.sum(Payment.captured_cents - Payment.refunded_cents)))
        assert clearing == money  # captured less refunded, as the payments recorded them
        returned = list(s.scalars(select(Order.id).where(Order.status == OrderStatus.RETURNED)))
        refunded = set(s.scalars(select(LedgerEntry.order_id).where(LedgerEntry.kind == EntryKind.REFUND)))
        assert set(returned) <= refunded
        entries = tb.entries
    again = runner.invoke(app, ["ledger", "backfill"])
    assert again.exit_code == 0, again.output
    assert "0 orders posted" in again.output
    with demo.transaction() as s:
        assert balances.trial_balance(s).entries == entries
    checked = runner.invoke(app, ["ledger", "trial-balance"])
    assert checked.exit_code == 0 and "payment_clearing" in checked.output


def test_settle_command_closes_a_demo_period_once(demo: Database) -> None:
    first = runner.invoke(app, ["settle", "--period", "2026-09-01"])
    assert first.exit_code == 0, first.output
    with demo.transaction() as s:
        statements = s.scalars(select(SettlementStatement)).all()
        payouts = {(p.seller_id, p.creator_id): p.amount_cents for p in s.scalars(select(Payout))}
        assert statements and payouts
        for st in statements:  # sellers' and (demo commission earned) creators'
            assert st.payout_cents == max(st.closing_cents, 0) == payouts.get((st.seller_id, st.creator_id), 0)
            party = Party.seller(st.seller_id) if st.seller_id is not None else Party.creator(st.creator_id or 0)
            owed = balances.party_net(s, party=party, before=Period(st.period_start).end_at)
            assert owed == st.closing_cents
    rerun = runner.invoke(app, ["settle", "--period", "2026-09-01"])
    assert rerun.exit_code == 0 and "0 payouts" in rerun.output
    assert runner.invoke(app, ["settle", "--period", "2026-08-16"]).exit_code != 0  # an earlier period: refused
    assert runner.invoke(app, ["settle", "--period", "2026-09-02"]).exit_code != 0
