"""Posting rules without a database (hypothesis): every entry balances, refunds and chargebacks take
exactly the money given back (what no line holds is the excess), nothing left ever goes negative,
a line reversed in any number of steps ends at exactly zero commission, fee, supply and platform-funded
promotion, and settlement nets before it pays."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yellowcart.catalog.modes import SellingMode
from yellowcart.ledger.chart import Account, Component, EntryKind
from yellowcart.ledger.periods import Period, last_closed, parse_period
from yellowcart.ledger.postings import (
    LineState,
    PostedRow,
    Posting,
    Reversal,
    SaleLine,
    UnbalancedEntry,
    bps_of,
    check_balanced,
    line_states,
    redirect_postings,
    reversal_postings,
    sale_postings,
    settlement_plan,
    spread,
)

CLOSED = [SellingMode.SELLER_FULFILLED, SellingMode.FULL_CUSTODY, SellingMode.PLATFORM_OWNED]


@st.composite
def sale_lines(draw: st.DrawFn) -> list[SaleLine]:
    count = draw(st.integers(1, 4))
    lines = []
    for i in range(count):
        units = draw(st.integers(1, 6))
        unit = draw(st.integers(0, 50_000))
        discount = draw(st.integers(0, unit * units))  # promotions' discounts, the whole price at most
        promo_goods = draw(st.integers(0, discount))  # the platform-funded part (goods and deal)
        lines.append(
            SaleLine(
                line_id=100 + i, mode=draw(st.sampled_from(CLOSED)), units=units, goods=unit * units - discount,
                shipping=draw(st.integers(0, 1500)), tax=draw(st.integers(0, 5000)),
                supply_unit=draw(st.integers(0, unit)), commission_bps=draw(st.integers(0, 3000)),
                fee_bps=draw(st.integers(0, 1000)), promo_goods=promo_goods,
                promo_shipping=draw(st.sampled_from([0, 0, 599, 150])),
            )
        )  # fmt: skip
    return lines


def fold(entries: list[tuple[bool, list[Posting]]]) -> dict[int, LineState]:
    """What the database's GROUP BY gives ``service.order_state``, computed in Python."""
    sums: dict[tuple[int, SellingMode, bool, Component, Account], list[int]] = defaultdict(lambda: [0, 0])
    for is_sale, postings in entries:
        for p in postings:
            if p.line_id is not None and p.mode is not None:
                cell = sums[(p.line_id, p.mode, is_sale, p.component, p.account)]
                cell[0] += p.amount
                cell[1] += p.units or 0
    return line_states(PostedRow(*key, amount, units) for key, (amount, units) in sums.items())


def cash(postings: list[Posting]) -> int:
    return sum(p.amount for p in postings if p.account is Account.PAYMENT_CLEARING)


@given(sale_lines())
def test_sale_balances_and_pays_each_mode_its_share(lines: list[SaleLine]) -> None:
    postings = sale_postings(7, lines)
    assert sum(p.amount for p in postings) == 0
    assert cash(postings) == sum(ln.goods + ln.shipping + ln.tax for ln in lines)
    owed = -sum(p.amount for p in postings if p.account is Account.SELLER_PAYABLE)
    expected = 0
    for ln in lines:
        if ln.mode is SellingMode.SELLER_FULFILLED:
            # Credited goods and shipping before the platform's discounts; charged on those too.
            before = ln.goods + ln.promo_goods, ln.shipping + ln.promo_shipping
            expected += sum(before) - bps_of(before[0], ln.commission_bps) - bps_of(sum(before), ln.fee_bps)
        elif ln.mode is SellingMode.FULL_CUSTODY:
            expected += ln.supply_unit * ln.units  # whatever the shopper paid
    assert owed == expected
    expense = sum(p.amount for p in postings if p.account is Account.PROMOTION_EXPENSE)
    assert expense == sum(ln.promo_goods + ln.promo_shipping for ln in lines)
    revenue = -sum(p.amount for p in postings if p.account is Account.RETAIL_REVENUE)
    assert revenue == sum(ln.goods + ln.promo_goods for ln in lines if ln.mode is not SellingMode.SELLER_FULFILLED)
    state = fold([(True, postings)])
    assert all(state[ln.line_id].left.units == ln.units for ln in lines)
    assert all(state[ln.line_id].left.promotion == ln.promo_goods + ln.promo_shipping for ln in lines)


@st.composite
def reversals(draw: st.DrawFn, line_ids: list[int]) -> list[Reversal]:
    out = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from([EntryKind.REFUND, EntryKind.REFUND, EntryKind.CHARGEBACK]))
        units = None
        if kind is EntryKind.REFUND and draw(st.booleans()):
            chosen = draw(st.lists(st.sampled_from(line_ids), min_size=1, max_size=2, unique=True))
            units = {lid: draw(st.integers(0, 4)) for lid in chosen}
        out.append(Reversal(kind, draw(st.integers(0, 60_000)), units))
    return out


@settings(max_examples=300)
@given(st.data())
def test_reversals_take_exactly_the_money_and_never_go_negative(data: st.DataObject) -> None:
    lines = data.draw(sale_lines())
    entries = [(True, sale_postings(7, lines))]
    for reversal in data.draw(reversals([ln.line_id for ln in lines])):
        before = fold(entries)
        postings = reversal_postings(7, before, reversal)
        assert sum(p.amount for p in postings) == 0
        assert -cash(postings) == reversal.amount  # held money first, the rest as excess
        excess = sum(p.amount for p in postings if p.component is Component.EXCESS)
        assert excess == max(reversal.amount - sum(s.cash_left for s in before.values()), 0)
        entries.append((False, postings))
        for lid, s in fold(entries).items():
            assert min(s.left.goods, s.left.shipping, s.left.tax, s.left.commission, s.left.fee) >= 0
            assert 0 <= s.left.units <= before[lid].left.units and 0 <= s.left.supply <= before[lid].left.supply
            assert s.left.commission <= before[lid].left.commission and s.left.fee <= before[lid].left.fee
            assert 0 <= s.left.promotion <= before[lid].left.promotion


@given(st.data())
def test_refunding_everything_left_in_steps_ends_at_exactly_zero(data: st.DataObject) -> None:
    lines = data.draw(sale_lines())
    entries = [(True, sale_postings(7, lines))]
    for reversal in data.draw(reversals([ln.line_id for ln in lines])):
        entries.append((False, reversal_postings(7, fold(entries), reversal)))
    state = fold(entries)
    everything = Reversal(EntryKind.REFUND, sum(s.cash_left for s in state.values()))
    entries.append((False, reversal_postings(7, state, everything)))
    for s in fold(entries).values():
        assert (s.left.goods, s.left.shipping, s.left.tax, s.left.commission, s.left.fee) == (0, 0, 0, 0, 0)
        assert s.left.units == 0 and s.left.supply == 0  # every unit back: no supply owed
        assert s.left.promotion == 0  # the platform's subsidy is taken back with the goods
    expense = sum(p.amount for _, postings in entries for p in postings if p.account is Account.PROMOTION_EXPENSE)
    assert expense == 0


def test_returned_units_reverse_their_share_and_their_supply_only() -> None:
    fc = SaleLine(1, SellingMode.FULL_CUSTODY, units=4, goods=4000, shipping=0, tax=400, supply_unit=600)
    sf = SaleLine(2, SellingMode.SELLER_FULFILLED, units=1, goods=2000, shipping=500, tax=200, commission_bps=1000)
    state = fold([(True, sale_postings(3, [fc, sf]))])
    postings = reversal_postings(3, state, Reversal(EntryKind.REFUND, 1100, {1: 1}))
    after = fold([(True, sale_postings(3, [fc, sf])), (False, postings)])
    assert after[1].left.units == 3 and after[1].left.supply == 1800 and after[1].left.goods == 3000
    assert after[2].left == state[2].left  # the other line untouched
    platform_cost = sum(p.amount for p in postings if p.account is Account.REFUNDS)
    assert platform_cost == 1000  # the goods refund is the platform's; the tax share reduces tax owed


def test_chargeback_of_seller_fulfilled_is_the_sellers_and_returns_no_units() -> None:
    sf = SaleLine(5, SellingMode.SELLER_FULFILLED, units=2, goods=3000, shipping=0, tax=0, commission_bps=1000)
    state = fold([(True, sale_postings(3, [sf]))])
    postings = reversal_postings(3, state, Reversal(EntryKind.CHARGEBACK, 3000))
    seller = sum(p.amount for p in postings if p.account is Account.SELLER_PAYABLE)
    assert seller == 3000 - 300  # debited the goods, given back the commission
    assert all(not p.units for p in postings)


@given(st.integers(0, 10_000), st.dictionaries(st.integers(0, 5), st.integers(0, 3000)), st.data())
def test_spread_never_exceeds_room(amount: int, room_raw: dict[int, int], data: st.DataObject) -> None:
    room = {(k, Component.GOODS): v for k, v in room_raw.items()}
    first = {k: data.draw(st.integers(0, v)) for k, v in room.items() if data.draw(st.booleans())}
    parts, excess = spread(amount, first, room)
    assert sum(parts.values()) + excess == amount
    assert all(0 <= parts[k] <= room[k] for k in parts)
    assert excess == max(amount - sum(room.values()), 0)


@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6))
def test_settlement_nets_invoices_then_pays_what_is_owed(payable_sum: int, receivable_sum: int) -> None:
    plan = settlement_plan(payable_sum, receivable_sum)
    owed, invoiced = -payable_sum, receivable_sum
    assert plan.payout >= 0
    # What is paid is what the seller is owed net of what it was invoiced, never less than zero.
    assert plan.payout == max(owed - invoiced, 0) or (owed <= 0 < invoiced and plan.payout == 0)
    if invoiced >= 0:
        assert 0 <= plan.netting <= invoiced and plan.netting + plan.payout <= max(owed, 0)
    else:  # a credit goes back to the payable in full
        assert plan.netting == invoiced


def test_redirect_and_unbalanced_entries() -> None:
    invoice = redirect_postings(9, 450)
    assert sum(p.amount for p in invoice) == 0 and invoice[0].account is Account.REDIRECT_RECEIVABLE
    assert [p.amount for p in redirect_postings(9, 450, reverse=True)] == [-p.amount for p in invoice]
    with pytest.raises(UnbalancedEntry):
        check_balanced([Posting(Account.PAYMENT_CLEARING, 5, Component.CASH)])
    with pytest.raises(ValueError, match="must name the seller"):
        Posting(Account.SELLER_PAYABLE, 5, Component.GOODS)


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)))
def test_periods_tile_time_semi_monthly(instant: dt.datetime) -> None:
    period = Period.containing(instant)
    assert period.start_at <= instant < period.end_at
    assert period.start.day in (1, 16) and period.next().start == period.end
    assert period.next().previous() == period
    assert last_closed(instant).end_at <= instant
    assert parse_period(period.label) == period


def test_period_boundaries_and_bad_labels() -> None:
    assert Period(dt.date(2026, 11, 16)).end == dt.date(2026, 12, 1)
    assert Period(dt.date(2026, 12, 16)).end == dt.date(2027, 1, 1)
    assert Period(dt.date(2028, 2, 1)).end == dt.date(2028, 2, 16)
    for bad in ("2026-11-15", "2026-13-01", "16/11/2026"):
        with pytest.raises(ValueError):
            parse_period(bad)
