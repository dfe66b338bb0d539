"""Ledger API shapes: balances, entries, statements, payouts, commission rates, chargebacks."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from yellowcart.catalog.modes import SellingMode
from yellowcart.ledger.balances import SellerBalance, TrialBalance
from yellowcart.ledger.chart import Account, Component, EntryKind
from yellowcart.ledger.periods import TIMEZONE
from yellowcart.ledger.settlement import SettleRun, Statement, StatementLine
from yellowcart.promotions.models import DiscountKind

PERIOD_PATTERN = r"^\d{4}-\d{2}-(01|16)$"
PeriodField = Field(pattern=PERIOD_PATTERN, description="The period's first day: YYYY-MM-01 or YYYY-MM-16")


class BalanceOut(BaseModel):
    seller_id: int
    payable_cents: int = Field(description="What the platform owes the seller")
    receivable_cents: int = Field(description="Redirect commission invoiced to the seller, not settled yet")
    net_cents: int = Field(description="payable - receivable: what a payout would pay when positive")
    as_of: dt.datetime

    @classmethod
    def of(cls, b: SellerBalance, as_of: dt.datetime) -> BalanceOut:
        return cls(
            seller_id=b.seller_id,
            payable_cents=b.payable_cents,
            receivable_cents=b.receivable_cents,
            net_cents=b.net_cents,
            as_of=as_of,
        )


class PostingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account: Account
    amount_cents: int = Field(description="Signed: debit +, credit -")
    component: Component
    seller_id: int | None
    selling_mode: SellingMode | None
    order_line_id: int | None
    units: int | None
    rate_bps: int | None


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source_key: str
    kind: EntryKind
    posted_at: dt.datetime
    seller_id: int | None
    order_id: int | None
    payout_id: int | None
    conversion_id: int | None
    reference: str | None
    gmv_cents: int | None
    memo: str
    postings: list[PostingOut]


class EntryPage(BaseModel):
    items: list[EntryOut]
    next_cursor: str | None


class TrialBalanceOut(BaseModel):
    balanced: bool
    total_cents: int = Field(description="Sum of every posting: 0 in a sound ledger")
    unbalanced_entries: list[int] = Field(description="Entries whose postings do not sum to 0 (none, ever)")
    entries: int
    postings: int
    accounts: dict[Account, int] = Field(description="Each account's balance (debit +, credit -)")

    @classmethod
    def of(cls, tb: TrialBalance) -> TrialBalanceOut:
        return cls(
            balanced=tb.balanced,
            total_cents=tb.total_cents,
            unbalanced_entries=tb.unbalanced_entries,
            entries=tb.entries,
            postings=tb.postings,
            accounts=tb.accounts,
        )


class StatementLineOut(BaseModel):
    posting_id: int
    entry_id: int
    posted_at: dt.datetime
    kind: EntryKind
    account: Account
    component: Component
    amount_cents: int = Field(description="As the seller (or creator) reads it: + the platform owes more, - less")
    order_id: int | None
    order_line_id: int | None
    units: int | None
    reference: str | None
    memo: str

    @classmethod
    def of(cls, ln: StatementLine) -> StatementLineOut:
        return cls(**{name: getattr(ln, name) for name in cls.model_fields})


class PromotionFundingOut(BaseModel):
    """One promotion's discounts on one order sold in the period, and who funded them."""

    model_config = ConfigDict(from_attributes=True)

    order_id: int
    promotion_id: int
    label: str
    kind: DiscountKind = Field(description="goods, shipping (a waived fee) or deal (a flash deal's price)")
    amount_cents: int = Field(description="What the promotion took off")
    seller_funded_cents: int = Field(description="The seller's cost: already out of the goods it is credited")
    platform_funded_cents: int = Field(description="Paid by the platform: in the lines as 'promotion' postings")


class PayoutOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    seller_id: int | None = Field(description="The seller paid (null: a creator's payout)")
    creator_id: int | None = Field(default=None, description="The creator paid (a user id; null: a seller's)")
    period_start: dt.date
    period_end: dt.date
    amount_cents: int
    adapter: str
    transfer_reference: str
    created_at: dt.datetime


class PayoutList(BaseModel):
    items: list[PayoutOut]


class StatementOut(BaseModel):
    seller_id: int | None = Field(description="The seller's statement (null: a creator's)")
    creator_id: int | None = Field(default=None, description="The creator's statement (a user id)")
    period: str
    period_start: dt.datetime
    period_end: dt.datetime = Field(description="Exclusive: the first instant of the next period")
    timezone: str = TIMEZONE
    status: str = Field(description="open (still moving or not settled yet) or closed")
    opening_balance_cents: int
    closing_balance_cents: int
    netted_cents: int | None = Field(description="Closed: redirect commission netted against the payable (sellers)")
    payout: PayoutOut | None
    totals: dict[str, int] = Field(description="Line items summed per component")
    lines: list[StatementLineOut]
    promotions: list[PromotionFundingOut] = Field(
        default_factory=list, description="Sellers: promotions on the orders sold in the period, by funder (memo)"
    )

    @classmethod
    def of(cls, st: Statement) -> StatementOut:
        return cls(
            seller_id=st.seller_id,
            creator_id=st.creator_id,
            period=st.period.label,
            period_start=st.period.start_at,
            period_end=st.period.end_at,
            status="closed" if st.closed is not None else "open",
            opening_balance_cents=st.opening_cents,
            closing_balance_cents=st.closing_cents,
            netted_cents=st.closed.netted_cents if st.closed is not None else None,
            payout=PayoutOut.model_validate(st.payout) if st.payout is not None else None,
            totals=st.totals,
            lines=[StatementLineOut.of(ln) for ln in st.lines],
            promotions=[PromotionFundingOut.model_validate(p) for p in st.promotions],
        )


class ClosedStatementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seller_id: int | None
    creator_id: int | None = None
    period_start: dt.date
    period_end: dt.date
    opening_cents: int
    closing_cents: int
    netted_cents: int
    payout_cents: int
    closed_at: dt.datetime


class ClosedStatementList(BaseModel):
    items: list[ClosedStatementOut]


class SettleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = PeriodField
    adapter: str = Field(default="manual", max_length=32, description="Payout adapter; built in: manual")


class SettledPayout(BaseModel):
    seller_id: int | None
    creator_id: int | None = None
    amount_cents: int
    transfer_reference: str


class SettleOut(BaseModel):
    period: str
    statements_closed: int
    already_closed: int
    netted_cents: int
    payouts: list[SettledPayout]

    @classmethod
    def of(cls, run: SettleRun) -> SettleOut:
        return cls(
            period=run.period.label,
            statements_closed=run.statements,
            already_closed=run.already_closed,
            netted_cents=run.netted_cents,
            payouts=[
                SettledPayout(
                    seller_id=party.seller_id, creator_id=party.creator_id, amount_cents=a, transfer_reference=r
                )
                for party, a, r in run.payouts
            ],
        )


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    commission_bps: int = Field(ge=0, le=10_000, description="Commission on goods, basis points (600 = 6%)")
    fee_bps: int = Field(ge=0, le=10_000, description="Transaction fee on goods + shipping, basis points")


class RateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rate_key: str
    category_id: int | None
    commission_bps: int
    fee_bps: int
    updated_at: dt.datetime


class RateList(BaseModel):
    items: list[RateOut]
    built_in_default: RateIn = Field(description="Applies when no default row is set")


class ChargebackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: int = Field(ge=1, le=2_147_483_647)
    amount_cents: int = Field(gt=0, le=100_000_000)
    reference: str = Field(
        min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:\-]+$", description="The processor's dispute id"
    )
