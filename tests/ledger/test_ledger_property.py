"""The ledger's promise, proved on a real database (SQLite and PostgreSQL) with hypothesis' stateful
testing: after any sequence of orders in every selling mode (some with promotions: seller, platform and
split funded discounts, free shipping, flash deals), cancellations, shipments (capture), partial
and full refunds (with and without units), chargebacks, redirect commissions, creators' commissions
(accrued on completion, reversed for returned units) and settlements with payouts, driven through the
real outbox events and services:

- every entry sums to zero and so does the trial balance;
- each seller's balance (the service) == the sum of its postings (plain SQL) == what its statement says
  (closing balance; opening + line items = closing);
- payment clearing holds exactly what the payments captured, less refunds and chargebacks;
- the creator's balance == the sum of its postings == its statement, and each attributed line holds
  exactly the commission on its units kept once its order completed (nothing before);
- a settlement pays max(closing balance, 0), sellers and creators alike, and a rerun pays nobody twice;
- an order nobody took money back from books the platform-funded part of its promotions as promotion
  expense, and one refunded in full keeps none of it.
"""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ledger.ledger_world import Clock, drain, ledger_bus, listing, move, place_order
from ledger_promotions.promo_world import Deal, offers_of, place_promoted_order, promotion
from support import Market
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.checkout import payments
from yellowcart.checkout.models import Payment
from yellowcart.checkout.refunds import refund_order
from yellowcart.content.models import Content, ContentKind
from yellowcart.creators import commissions
from yellowcart.creators import handlers as creator_handlers
from yellowcart.creators.models import Attribution
from yellowcart.creators.rules import RateKind, TouchKind, commission, line_target
from yellowcart.db import Database
from yellowcart.events import emit
from yellowcart.ledger import balances, rates, service, settlement
from yellowcart.ledger import creators as creator_ledger
from yellowcart.ledger.chart import Account, EntryKind
from yellowcart.ledger.models import LedgerEntry, LedgerPosting, SettlementStatement
from yellowcart.ledger.parties import Party
from yellowcart.ledger.payouts import ManualPayoutAdapter
from yellowcart.ledger.periods import Period, last_closed
from yellowcart.money import allocate
from yellowcart.orders.models import Order
from yellowcart.orders.state import OrderStatus
from yellowcart.promotions import engine
from yellowcart.promotions.models import OrderDiscount, PromotionKind

MODES = [SellingMode.SELLER_FULFILLED, SellingMode.FULL_CUSTODY, SellingMode.PLATFORM_OWNED]
CREATOR_SUM = text(
    "SELECT COALESCE(SUM(amount_cents), 0) FROM ledger_postings WHERE creator_id = :c AND account = 'creator_payable'"
)
SELLER_SUM = text(
    "SELECT COALESCE(SUM(amount_cents), 0) FROM ledger_postings "
    "WHERE seller_id = :s AND account IN ('seller_payable', 'redirect_receivable')"
)


class LedgerMachine(RuleBasedStateMachine):
    """One example = two fresh sellers; the database and the clock carry over between examples, so
    settlements always close later periods and every invariant holds for the whole ledger."""

    db: ClassVar[Database]
    market: ClassVar[Market]
    shopper: ClassVar[int]
    creator: ClassVar[int]
    content: ClassVar[int]
    operator: ClassVar[Principal]
    clock: ClassVar[Clock]
    provider: ClassVar[payments.TestPaymentProvider]
    names: ClassVar[itertools.count[int]] = itertools.count()
    conversions: ClassVar[itertools.count[int]] = itertools.count(1)

    def __init__(self) -> None:
        super().__init__()
        self.bus = ledger_bus(self.provider, self.clock)
        creator_handlers.register(self.bus, clock=self.clock)
        self.sellers = [self.market.seller(f"seller-{next(self.names)}") for _ in range(2)]
        self.listings = {
            (sid, mode): listing(self.market, sid, mode, 700 + 900 * i, supply=500 + 300 * i)
            for sid in self.sellers
            for i, mode in enumerate(MODES)
        }
        self.offers: dict[int, list[engine.Offer]] = {sid: self._promotions(sid) for sid in self.sellers}
        self.flash = promotion(self.db, created_by=self.operator.user_id, kind=PromotionKind.FLASH_DEAL,
                               percent_off_bps=1000)  # fmt: skip
        self.unshipped: list[int] = []
        self.shipped: list[int] = []
        self.chargebacks = 0
        self.attributed: list[tuple[int, int]] = []
        self.completed: list[int] = []
        self.returns = itertools.count()

    def _promotions(self, sid: int) -> list[engine.Offer]:
        """A split-funded 10% off the seller's own listing, the platform's $3 coupon over $10 and its free
        shipping (the engine picks what applies to each order)."""
        by = self.operator.user_id
        own = self.listings[(sid, SellingMode.SELLER_FULFILLED)]
        with self.db.transaction() as s:
            product = s.scalar(select(Variant.product_id).where(Variant.id == own))
        ids = [
            promotion(self.db, created_by=by, kind=PromotionKind.PRODUCT_DISCOUNT, seller_id=sid,
                      seller_share_bps=5000, percent_off_bps=1000, product_ids=[int(product or 0)]),
            promotion(self.db, created_by=by, kind=PromotionKind.COUPON, amount_off_cents=300, min_spend_cents=1000),
            promotion(self.db, created_by=by, kind=PromotionKind.FREE_SHIPPING),
        ]  # fmt: skip
        return offers_of(self.db, ids)

    # ---- rules ---------------------------------------------------------------------------------

    @rule(seller=st.integers(0, 1), lines=st.lists(st.tuples(st.sampled_from(MODES), st.integers(1, 4)), min_size=1,
          max_size=3, unique_by=lambda t: t[0]), discount=st.sampled_from([0, 0, 150]),
          promo=st.sampled_from(["none", "none", "offers", "deal"]))  # fmt: skip
    def place(self, seller: int, lines: list[tuple[SellingMode, int]], discount: int, promo: str) -> None:
        sid = self.sellers[seller]
        items = [(self.listings[(sid, mode)], qty) for mode, qty in lines]
        if promo == "none":
            self.unshipped.append(place_order(self.db, self.shopper, items, discount=discount))
            return
        custody = self.listings[(sid, SellingMode.FULL_CUSTODY)]
        deals = {custody: Deal(self.flash, 100)} if promo == "deal" and custody in dict(items) else {}
        self.unshipped.append(place_promoted_order(self.db, self.shopper, items, self.offers[sid], deals=deals))

    @precondition(lambda self: self.unshipped)
    @rule(pick=st.integers(0, 10**6))
    def ship(self, pick: int) -> None:
        oid = self.unshipped.pop(pick % len(self.unshipped))
        move(self.db, oid, OrderStatus.IN_TRANSIT)
        drain(self.db, self.bus)
        self.shipped.append(oid)

    @precondition(lambda self: self.unshipped)
    @rule(pick=st.integers(0, 10**6))
    def cancel(self, pick: int) -> None:
        move(self.db, self.unshipped.pop(pick % len(self.unshipped)), OrderStatus.CANCELLED)
        drain(self.db, self.bus)

    @precondition(lambda self: self.shipped)
    @rule(pick=st.integers(0, 10**6), share=st.sampled_from([0.1, 0.37, 0.5, 1.0, 1.3]), units=st.booleans())
    def refund(self, pick: int, share: float, units: bool) -> None:
        oid = self.shipped[pick % len(self.shipped)]
        with self.db.transaction() as s:
            order = s.get(Order, oid)
            assert order is not None
            lines = {order.lines[pick % len(order.lines)].id: 1 + pick % 3} if units else None
            refund_order(s, provider=self.provider, order_id=oid, amount_cents=max(1, int(order.total_cents * share)),
                         idempotency_key=f"r-{oid}-{pick}-{share}", lines=lines)  # fmt: skip
        drain(self.db, self.bus)

    @precondition(lambda self: self.shipped)
    @rule(pick=st.integers(0, 10**6), share=st.sampled_from([0.2, 0.5, 1.0]))
    def chargeback(self, pick: int, share: float) -> None:
        oid = self.shipped[pick % len(self.shipped)]
        with self.db.transaction() as s:
            left = service.cash_left(s, order_id=oid)
            if left > 0:
                cents = max(1, int(left * share))
                service.record_chargeback(
                    s,
                    principal=self.operator,
                    order_id=oid,
                    amount_cents=cents,
                    reference=f"dp-{pick}",
                    now=self.clock(),
                )
                self.chargebacks += 1

    @rule(seller=st.integers(0, 1), gmv=st.integers(100, 50_000), reverse=st.booleans())
    def redirect(self, seller: int, gmv: int, reverse: bool) -> None:
        sid = self.sellers[seller]
        with self.db.transaction() as s:
            if reverse and self.attributed:
                cid, rsid = self.attributed.pop()
                emit(s, "redirect.conversion_reversed", conversion_id=cid, seller_id=rsid, commission_cents=gmv)
            else:
                cid = next(self.conversions)
                emit(s, "redirect.conversion_attributed", conversion_id=cid, seller_id=sid, gmv_cents=gmv,
                     commission_cents=gmv // 20)  # fmt: skip
                self.attributed.append((cid, sid))
        drain(self.db, self.bus)

    @precondition(lambda self: self.shipped)
    @rule(pick=st.integers(0, 10**6), rate=st.integers(100, 8000))
    def complete(self, pick: int, rate: int) -> None:
        """A shipped order's lines are credited to the creator (as attribution would) and it completes."""
        oid = self.shipped.pop(pick % len(self.shipped))
        with self.db.transaction() as s:
            order = s.get_one(Order, oid)
            seller = order.seller_id
            for ln in order.lines:
                product = s.scalar(select(Variant.product_id).where(Variant.id == ln.variant_id))
                s.add(Attribution(
                    creator_id=self.creator, content_id=self.content, product_id=product, seller_id=seller,
                    shopper_id=self.shopper, order_id=oid, order_line_id=ln.id, selling_mode=ln.selling_mode,
                    touch=TouchKind.VIEW, touched_at=order.placed_at, ordered_at=order.placed_at,
                    rate_kind=RateKind.OPEN, rate_bps=rate, units=ln.quantity, base_cents=ln.line_subtotal_cents,
                    commission_cents=commission(ln.line_subtotal_cents, rate), attributed_at=self.clock(),
                ))  # fmt: skip
        for status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
            move(self.db, oid, status)
        drain(self.db, self.bus)
        self.completed.append(oid)

    @precondition(lambda self: self.completed)
    @rule(pick=st.integers(0, 10**6), units=st.integers(1, 3))
    def creator_return(self, pick: int, units: int) -> None:
        """Units of a completed order come back: their share of the creator's commission is reversed."""
        oid = self.completed[pick % len(self.completed)]
        with self.db.transaction() as s:
            order = s.get_one(Order, oid)
            line = order.lines[pick % len(order.lines)]
            commissions.reverse_return(s, lines={line.id: units}, reference=f"r-{next(self.returns)}", return_id=None,
                                       posted_at=self.clock())  # fmt: skip

    @rule(hours=st.sampled_from([1, 7, 30, 200, 400]))
    def advance(self, hours: int) -> None:
        self.clock.advance(hours)

    @rule()
    def settle(self) -> None:
        period = last_closed(self.clock())
        with self.db.transaction() as s:
            latest = s.scalar(select(func.max(SettlementStatement.period_start)))
        if latest is not None and Period(latest) >= period:
            return
        adapter = ManualPayoutAdapter()
        settlement.close_period(self.db, period=period, adapter=adapter, now=self.clock())
        again = settlement.close_period(self.db, period=period, adapter=adapter, now=self.clock())
        assert again.statements == 0 and again.payouts == []  # a rerun pays nobody twice
        with self.db.transaction() as s:
            for row in s.scalars(select(SettlementStatement).where(SettlementStatement.period_start == period.start)):
                assert row.payout_cents == max(row.closing_cents, 0)

    # ---- invariants ----------------------------------------------------------------------------

    @invariant()
    def ledger_balances(self) -> None:
        with self.db.transaction() as s:
            tb = balances.trial_balance(s)
            assert tb.total_cents == 0 and tb.unbalanced_entries == []

    @invariant()
    def seller_balance_is_its_postings_and_its_statement(self) -> None:
        now = self.clock()
        period = Period.containing(now)
        with self.db.transaction() as s:
            for sid in self.sellers:
                balance = balances.seller_balance(s, seller_id=sid)
                raw = int(s.execute(SELLER_SUM, {"s": sid}).scalar_one())
                assert balance.net_cents == -raw
                st_ = settlement.build_statement(s, party=Party.seller(sid), period=period)
                assert st_.closing_cents == balance.net_cents
                assert st_.opening_cents + sum(ln.amount_cents for ln in st_.lines) == st_.closing_cents

    @invariant()
    def creator_balance_is_its_postings_and_its_statement_and_lines_hold_their_due(self) -> None:
        period = Period.containing(self.clock())
        with self.db.transaction() as s:
            balance = creator_ledger.creator_balance(s, creator_id=self.creator)
            raw = int(s.execute(CREATOR_SUM, {"c": self.creator}).scalar_one())
            assert balance == -raw  # negative after a return took back commission already paid out
            st_ = settlement.build_statement(s, party=Party.creator(self.creator), period=period)
            assert st_.closing_cents == balance
            assert st_.opening_cents + sum(ln.amount_cents for ln in st_.lines) == st_.closing_cents
            rows = s.scalars(select(Attribution).where(Attribution.order_id.in_(self.completed))).all()
            returned = commissions.returned_units(s, [a.id for a in rows])
            held = creator_ledger.held_on_lines(s, [a.order_line_id for a in rows if a.order_line_id])
            for a in rows:
                due = line_target(commission_cents=a.commission_cents, units=a.units or 0,
                                  returned_units=returned.get(a.id, 0), earned=a.earned_at is not None)  # fmt: skip
                assert held.get(a.order_line_id or 0, 0) == due and a.earned_at is not None

    @invariant()
    def clearing_holds_captured_less_refunds_and_chargebacks(self) -> None:
        mine = self.unshipped + self.shipped
        if not mine:
            return
        with self.db.transaction() as s:
            paid = s.execute(
                select(func.sum(Payment.captured_cents - Payment.refunded_cents))
                .join(Order, Order.payment_id == Payment.id)
                .where(Order.id.in_(mine))
            ).scalar_one()
            charged_back = sum(
                -p.amount_cents
                for e in s.scalars(
                    select(LedgerEntry).where(LedgerEntry.order_id.in_(mine), LedgerEntry.kind == EntryKind.CHARGEBACK)
                )
                for p in e.postings
                if p.account.value == "payment_clearing"
            )
            clearing = sum(service.cash_left(s, order_id=oid) for oid in mine)
            assert clearing == int(paid or 0) - charged_back

    @invariant()
    def orders_book_their_mode_share_until_money_goes_back(self) -> None:
        """Independent of the ledger's rules: an order nobody took money back from owes its seller
        the mode's share; one refunded in full keeps no cash, tax, commission or fee."""
        if not self.shipped:
            return
        p = LedgerPosting
        with self.db.transaction() as s:
            sums: dict[tuple[int, Account], int] = {
                (oid, account): int(total)
                for oid, account, total in s.execute(
                    select(p.order_id, p.account, func.sum(p.amount_cents))
                    .where(p.order_id.in_(self.shipped))
                    .group_by(p.order_id, p.account)
                )
            }
            touched = set(
                s.scalars(
                    select(LedgerEntry.order_id).where(
                        LedgerEntry.order_id.in_(self.shipped), LedgerEntry.kind != EntryKind.SALE
                    )
                )
            )
            for order in s.scalars(select(Order).where(Order.id.in_(self.shipped))):
                payment = s.get(Payment, order.payment_id)
                assert payment is not None
                funded = platform_funded(s, order)
                if order.id not in touched:
                    assert -sums.get((order.id, Account.SELLER_PAYABLE), 0) == expected_share(order, funded)
                    assert sums.get((order.id, Account.PROMOTION_EXPENSE), 0) == sum(map(sum, funded.values()))
                elif payment.refunded_cents == payment.captured_cents and not self._charged_back(s, order.id):
                    for account in (Account.PAYMENT_CLEARING, Account.SALES_TAX_PAYABLE, Account.COMMISSION_REVENUE,
                                    Account.FEE_REVENUE, Account.PROMOTION_EXPENSE):  # fmt: skip
                        assert sums.get((order.id, account), 0) == 0

    def _charged_back(self, s: Session, order_id: int) -> bool:
        kind = s.scalar(
            select(LedgerEntry.id).where(LedgerEntry.order_id == order_id, LedgerEntry.kind == EntryKind.CHARGEBACK)
        )
        return kind is not None


def platform_funded(s: Session, order: Order) -> dict[int, tuple[int, int]]:
    """Order line id -> the platform-funded cents of its promotions: (its goods and deal rows, its share
    of a waived shipping fee's, spread like shipping by goods paid)."""
    rows = s.execute(
        select(OrderDiscount.order_line_id, OrderDiscount.platform_funded_cents).where(
            OrderDiscount.order_id == order.id
        )
    ).all()
    waived = sum(c for lid, c in rows if lid is None)
    paid = [ln.line_subtotal_cents - ln.line_discount_cents for ln in order.lines]
    return {
        ln.id: (sum(c for lid, c in rows if lid == ln.id), part)
        for ln, part in zip(order.lines, allocate(waived, paid), strict=True)
    }


def expected_share(order: Order, funded: dict[int, tuple[int, int]]) -> int:
    """The seller's share by the DESIGN.md table, with the test's rates (10% commission, 2.5% fee):
    goods and shipping before the platform-funded part of promotions, commission and fee on those."""
    legacy = order.discount_cents - sum(ln.line_discount_cents for ln in order.lines)
    discounts = allocate(legacy, [ln.line_subtotal_cents for ln in order.lines])
    owed = 0
    for ln, discount in zip(order.lines, discounts, strict=True):
        goods = ln.line_subtotal_cents - ln.line_discount_cents - discount + funded[ln.id][0]
        if ln.selling_mode is SellingMode.SELLER_FULFILLED:
            shipping = ln.line_shipping_cents + funded[ln.id][1]
            owed += goods + shipping - round_half_up(goods * 1000) - round_half_up((goods + shipping) * 250)
        elif ln.selling_mode is SellingMode.FULL_CUSTODY:
            owed += (ln.supply_price_cents or 0) * ln.quantity
    return owed


def round_half_up(cents_times_bps: int) -> int:
    return (cents_times_bps + 5000) // 10_000


def test_any_sequence_keeps_the_ledger_balanced(db: Database, market: Market) -> None:
    market.user("ada", Role.SHOPPER)
    market.user("ops", Role.OPERATOR)
    market.user("cr", Role.CREATOR)
    operator = Principal(market.users["ops"], Role.OPERATOR)
    with db.transaction() as s:
        rates.set_rate(s, principal=operator, category_id=None, commission_bps=1000, fee_bps=250)
        content = Content(kind=ContentKind.VIDEO, owner_user_id=market.users["cr"], title="picks", duration_s=30)
        s.add(content)
        s.flush()
    machine: Any = LedgerMachine
    machine.creator, machine.content = market.users["cr"], content.id
    machine.db, machine.market, machine.shopper, machine.operator = db, market, market.users["ada"], operator
    machine.clock, machine.provider = Clock(), payments.TestPaymentProvider()
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=25,
            deadline=None,
            # The database and the clock carry over between examples (settlements must close periods in
            # order), so a replay is not the same run: report a failure as found instead of shrinking it.
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
