"""The ledger on SQLite and PostgreSQL, driven by the real outbox events: capture recognises the sale per
selling mode, refunds (partial with units, full without) reverse it with the cost borne per mode,
cancellations before capture post nothing, redirect conversions invoice commission, replays post
nothing twice, and the database refuses to update a posting."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ledger.ledger_world import Clock, drain, ledger_bus, listing, move, place_order
from support import Market
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.modes import SellingMode
from yellowcart.checkout import payments
from yellowcart.checkout.models import Payment, PaymentStatus
from yellowcart.checkout.refunds import refund_order
from yellowcart.db import Database
from yellowcart.errors import Conflict, InvalidInput
from yellowcart.events import emit
from yellowcart.ledger import balances, rates, service
from yellowcart.ledger.chart import Account, Component, EntryKind
from yellowcart.ledger.models import LedgerEntry, LedgerPosting
from yellowcart.ledger.postings import bps_of
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import OrderStatus

M = SellingMode


@pytest.fixture
def world(db: Database, market: Market) -> dict[str, Any]:
    acme = market.seller("acme")
    shopper = market.user("ada", Role.SHOPPER)
    ops = market.user("ops", Role.OPERATOR)
    with db.transaction() as s:
        rates.set_rate(s, principal=Principal(market.users["ops"], Role.OPERATOR), category_id=None,
                       commission_bps=1000, fee_bps=250)  # fmt: skip
    provider = payments.TestPaymentProvider()
    clock = Clock()
    return {
        "acme": acme, "shopper": market.users["ada"], "ops": ops, "provider": provider, "clock": clock,
        "bus": ledger_bus(provider, clock),
        "sf": listing(market, acme, M.SELLER_FULFILLED, 2000),
        "fc": listing(market, acme, M.FULL_CUSTODY, 1500, supply=900),
        "po": listing(market, acme, M.PLATFORM_OWNED, 1200),
        "token": shopper,
        "operator": Principal(market.users["ops"], Role.OPERATOR),
    }  # fmt: skip


def by_account(db: Database, order_id: int) -> dict[Account, int]:
    with db.transaction() as s:
        rows = s.execute(
            select(LedgerPosting.account, func.sum(LedgerPosting.amount_cents))
            .where(LedgerPosting.order_id == order_id)
            .group_by(LedgerPosting.account)
        )
        return {a: int(v) for a, v in rows if v}


def entries(db: Database, kind: EntryKind | None = None) -> int:
    with db.transaction() as s:
        q = select(func.count()).select_from(LedgerEntry)
        return int(s.scalar(q.where(LedgerEntry.kind == kind) if kind else q) or 0)


def order_row(db: Database, order_id: int) -> tuple[Order, list[OrderLine]]:
    with db.transaction() as s:
        order = s.get(Order, order_id)
        assert order is not None
        lines = list(order.lines)
        s.expunge_all()
        return order, lines


def shipped(db: Database, w: dict[str, Any], items: list[tuple[int, int]]) -> int:
    oid = place_order(db, w["shopper"], items)
    move(db, oid, OrderStatus.IN_TRANSIT)
    drain(db, w["bus"])
    return oid


def test_capture_posts_the_sale_per_mode(db: Database, world: dict[str, Any]) -> None:
    oid = shipped(db, world, [(world["sf"], 2), (world["fc"], 3), (world["po"], 1)])
    order, lines = order_row(db, oid)
    sf, fc, po = lines
    with db.transaction() as s:
        assert s.get(Payment, order.payment_id).captured_cents == order.total_cents  # type: ignore[union-attr]
    posted = by_account(db, oid)
    commission = bps_of(sf.line_subtotal_cents, 1000)
    fee = bps_of(sf.line_subtotal_cents + sf.line_shipping_cents, 250)
    supply = 900 * fc.quantity
    assert posted[Account.PAYMENT_CLEARING] == order.total_cents
    assert posted[Account.SALES_TAX_PAYABLE] == -order.tax_cents
    assert posted[Account.SELLER_PAYABLE] == -(
        sf.line_subtotal_cents + sf.line_shipping_cents - commission - fee + supply
    )
    assert posted[Account.COMMISSION_REVENUE] == -commission and posted[Account.FEE_REVENUE] == -fee
    assert posted[Account.RETAIL_REVENUE] == -(fc.line_subtotal_cents + po.line_subtotal_cents)
    assert posted[Account.COST_OF_GOODS] == supply
    assert sum(posted.values()) == 0
    with db.transaction() as s:
        rates_used = set(
            s.scalars(select(LedgerPosting.rate_bps).where(LedgerPosting.component == Component.COMMISSION))
        )
        assert rates_used == {1000}
        emit(s, "payment.captured", order_id=oid, payment_id=order.payment_id, amount_cents=order.total_cents)
    drain(db, world["bus"])  # a replayed event posts nothing
    assert entries(db, EntryKind.SALE) == 1 and by_account(db, oid) == posted


def test_partial_refund_with_units_reverses_the_custody_supply(db: Database, world: dict[str, Any]) -> None:
    oid = shipped(db, world, [(world["fc"], 3), (world["sf"], 1)])
    _, (fc, sf) = order_row(db, oid)
    share = fc.line_subtotal_cents // 3 + fc.line_tax_cents // 3
    with db.transaction() as s:
        assert refund_order(s, provider=world["provider"], order_id=oid, amount_cents=share,
                            idempotency_key="ret-1", lines={fc.id: 1}) == share  # fmt: skip
    drain(db, world["bus"])
    with db.transaction() as s:
        state = service.order_state(s, order_id=oid)
        assert state[fc.id].left.units == 2 and state[sf.id].left.units == 1
        assert state[fc.id].left.supply == 900 * 2  # one unit's supply price no longer owed
        assert state[sf.id].left.goods == sf.line_subtotal_cents  # the other line untouched
        assert balances.seller_balance(s, seller_id=world["acme"]).payable_cents == (
            900 * 2 + sf.line_subtotal_cents + sf.line_shipping_cents
            - bps_of(sf.line_subtotal_cents, 1000) - bps_of(sf.line_subtotal_cents + sf.line_shipping_cents, 250)
        )  # fmt: skip
        refunds = -sum(p.amount_cents for p in s.scalars(select(LedgerPosting).where(
            LedgerPosting.account == Account.PAYMENT_CLEARING, LedgerPosting.amount_cents < 0)))  # fmt: skip
        assert refunds == share


def test_full_refund_without_units_leaves_nothing_on_any_account(db: Database, world: dict[str, Any]) -> None:
    oid = shipped(db, world, [(world["sf"], 2), (world["fc"], 1), (world["po"], 2)])
    order, _ = order_row(db, oid)
    with db.transaction() as s:
        half = refund_order(s, provider=world["provider"], order_id=oid, amount_cents=order.total_cents // 3,
                            idempotency_key="part")  # fmt: skip
    drain(db, world["bus"])
    with db.transaction() as s:
        refund_order(
            s, provider=world["provider"], order_id=oid, amount_cents=order.total_cents, idempotency_key="rest"
        )
        payment = s.get(Payment, order.payment_id)
        assert payment is not None and payment.status is PaymentStatus.REFUNDED
    drain(db, world["bus"])
    assert half > 0 and entries(db, EntryKind.REFUND) == 2
    posted = by_account(db, oid)
    platform_sales = (Account.RETAIL_REVENUE, Account.SHIPPING_REVENUE, Account.REFUNDS)
    assert sum(posted.pop(a, 0) for a in platform_sales) == 0  # the platform's sales, refunded (contra-revenue)
    assert posted == {}  # cash, tax, seller payable, commission, fee, supply: all back to 0
    with db.transaction() as s:
        assert all(st.left.units == 0 for st in service.order_state(s, order_id=oid).values())
        assert balances.trial_balance(s).balanced


def test_a_returns_refund_is_posted_once_with_its_units(db: Database, world: dict[str, Any]) -> None:
    """returns/refunds.py refunds with key return-<id> and then announces return.refunded with the units."""
    oid = shipped(db, world, [(world["fc"], 2), (world["po"], 1)])
    _, (fc, _po) = order_row(db, oid)
    with db.transaction() as s:
        paid = refund_order(s, provider=world["provider"], order_id=oid, amount_cents=1500, idempotency_key="return-9")
        lines = [{"order_line_id": fc.id, "quantity": 1, "refund_cents": paid, "tax_cents": 0}]
        emit(s, "return.refunded", return_id=9, order_id=oid, refund_cents=paid, lines=lines)
        emit(s, "return.refunded", return_id=9, order_id=oid, refund_cents=paid, lines=lines)  # redelivered
    drain(db, world["bus"])
    assert entries(db, EntryKind.REFUND) == 1
    with db.transaction() as s:
        state = service.order_state(s, order_id=oid)
        assert state[fc.id].left.units == 1 and state[fc.id].left.supply == 900  # one unit's supply reversed
        assert -sum(p.amount_cents for p in s.scalars(select(LedgerPosting).where(
            LedgerPosting.account == Account.PAYMENT_CLEARING, LedgerPosting.amount_cents < 0))) == paid  # fmt: skip


def test_cancel_before_capture_posts_nothing(db: Database, world: dict[str, Any]) -> None:
    oid = place_order(db, world["shopper"], [(world["sf"], 1)])
    move(db, oid, OrderStatus.CANCELLED)
    drain(db, world["bus"])
    assert entries(db) == 0
    with db.transaction() as s:
        order = s.get(Order, oid)
        assert order is not None and s.get(Payment, order.payment_id).status is PaymentStatus.VOIDED  # type: ignore[union-attr]


def test_chargeback_is_borne_per_mode_and_idempotent(db: Database, world: dict[str, Any]) -> None:
    sf_order = shipped(db, world, [(world["sf"], 1)])
    po_order = shipped(db, world, [(world["po"], 1)])

    def chargeback(s: Session, order_id: int, cents: int, reference: str) -> tuple[LedgerEntry, bool]:
        return service.record_chargeback(
            s, principal=world["operator"], order_id=order_id, amount_cents=cents, reference=reference,
            now=world["clock"](),
        )  # fmt: skip

    with db.transaction() as s:
        before = balances.seller_balance(s, seller_id=world["acme"]).payable_cents
        entry, created = chargeback(s, sf_order, 1000, "dp_1")
        assert created and entry.kind is EntryKind.CHARGEBACK
        again, created_again = chargeback(s, sf_order, 1000, "dp_1")
        assert again.id == entry.id and not created_again
        with pytest.raises(Conflict):
            chargeback(s, sf_order, 999, "dp_1")  # the same reference with another amount
        with pytest.raises(InvalidInput):
            chargeback(s, po_order, 10**6, "dp_2")  # more than the order holds
        chargeback(s, po_order, 500, "dp_3")
        after = balances.seller_balance(s, seller_id=world["acme"]).payable_cents
    assert before > after  # the seller-fulfilled chargeback is the seller's
    assert by_account(db, po_order).get(Account.CHARGEBACKS, 0) > 0  # the platform-owned one the platform's
    unshipped = place_order(db, world["shopper"], [(world["po"], 1)])
    with pytest.raises(Conflict), db.transaction() as s:
        chargeback(s, unshipped, 1, "x")  # nothing captured


def test_redirect_conversions_invoice_and_withdraw_commission(db: Database, world: dict[str, Any]) -> None:
    acme = world["acme"]
    with db.transaction() as s:
        emit(s, "redirect.conversion_attributed", conversion_id=7, seller_id=acme, gmv_cents=10_000,
             commission_cents=500)  # fmt: skip
        emit(
            s, "redirect.conversion_attributed", conversion_id=7, seller_id=acme, gmv_cents=10_000, commission_cents=500
        )  # fmt: skip  (redelivered)
    drain(db, world["bus"])
    with db.transaction() as s:
        assert balances.seller_balance(s, seller_id=acme).receivable_cents == 500
        emit(s, "redirect.conversion_reversed", conversion_id=7, seller_id=acme, commission_cents=200)  # a refund
    drain(db, world["bus"])
    with db.transaction() as s:
        assert balances.seller_balance(s, seller_id=acme).receivable_cents == 300
        emit(s, "redirect.conversion_reversed", conversion_id=7, seller_id=acme, commission_cents=900)  # cancelled
    drain(db, world["bus"])
    with db.transaction() as s:
        bal = balances.seller_balance(s, seller_id=acme)
        assert bal.receivable_cents == 0 and bal.net_cents == 0  # never more withdrawn than invoiced
        reversals = s.scalars(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.REDIRECT_REVERSAL)).all()
        assert sorted(r.gmv_cents or 0 for r in reversals) == [-6000, -4000]  # GMV in step with the commission
        assert balances.trial_balance(s).balanced


def test_postings_cannot_be_updated(db: Database, world: dict[str, Any]) -> None:
    shipped(db, world, [(world["sf"], 1)])
    for table in ("ledger_postings", "ledger_entries"):
        with pytest.raises(DBAPIError), db.transaction() as s:
            s.execute(text(f"UPDATE {table} SET posted_at = posted_at"))


def test_unbalanced_postings_are_never_written(db: Database, world: dict[str, Any]) -> None:
    from yellowcart.ledger.postings import Posting, UnbalancedEntry

    with pytest.raises(UnbalancedEntry), db.transaction() as s:
        service.post_entry(s, source_key="bad", kind=EntryKind.SALE, posted_at=world["clock"](),
                           postings=[Posting(Account.PAYMENT_CLEARING, 1, Component.CASH)])  # fmt: skip
    assert entries(db) == 0


def test_commission_credited_back_after_netting_is_paid_out(db: Database, world: dict[str, Any]) -> None:
    """Found by the property test: a store refund that withdraws commission already netted in an earlier
    period leaves the receivable negative; the next settlement moves that credit to the payable and pays it."""
    from yellowcart.ledger import settlement
    from yellowcart.ledger.models import SettlementStatement
    from yellowcart.ledger.payouts import ManualPayoutAdapter
    from yellowcart.ledger.periods import last_closed

    acme, clock = world["acme"], world["clock"]
    shipped(db, world, [(world["sf"], 1)])  # the platform owes acme its share of a $20 sale
    with db.transaction() as s:
        emit(s, "redirect.conversion_attributed", conversion_id=3, seller_id=acme, gmv_cents=5000, commission_cents=500)
    drain(db, world["bus"])
    clock.advance(24 * 20)
    first = settlement.close_period(db, period=last_closed(clock()), adapter=ManualPayoutAdapter(), now=clock())
    assert first.netted_cents == 500
    with db.transaction() as s:
        emit(s, "redirect.conversion_reversed", conversion_id=3, seller_id=acme, commission_cents=500)
    drain(db, world["bus"])
    with db.transaction() as s:
        assert balances.seller_balance(s, seller_id=acme).receivable_cents == -500
    clock.advance(24 * 16)
    second = settlement.close_period(db, period=last_closed(clock()), adapter=ManualPayoutAdapter(), now=clock())
    assert [cents for _, cents, _ in second.payouts] == [500]
    with db.transaction() as s:
        bal = balances.seller_balance(s, seller_id=acme)
        assert (bal.receivable_cents, bal.net_cents) == (0, 0)
        row = s.scalar(select(SettlementStatement).order_by(SettlementStatement.period_start.desc()).limit(1))
        assert row is not None and (row.netted_cents, row.payout_cents) == (-500, 500)
        assert balances.trial_balance(s).balanced
