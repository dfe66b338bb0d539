"""Ledger tables: journal entries and their postings (append-only), commission rates, settlement
statements and payouts.

Append-only is enforced twice: no code path updates or deletes an entry or a posting (a correction
is a reversing entry), and a trigger on both backends refuses an UPDATE. DELETE stays possible for
wiping a whole database (tests, ``demo --reset``). Idempotency is a UNIQUE ``source_key`` per entry:
a replayed event finds its key taken and posts nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DDL, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Base, UTCDateTime, str_enum, utcnow
from yellowcart.ledger.chart import Account, Component, EntryKind

SELLER_ACCOUNT_CHECK = "account NOT IN ('seller_payable', 'redirect_receivable') OR seller_id IS NOT NULL"
CREATOR_ACCOUNT_CHECK = "account <> 'creator_payable' OR creator_id IS NOT NULL"
#: Statements and payouts are a seller's or a creator's, never both, never nobody's.
ONE_PARTY_CHECK = "(seller_id IS NULL) <> (creator_id IS NULL)"
DEFAULT_RATE_KEY = "default"


class LedgerEntry(Base):
    """A journal entry: one money movement, its postings summing to zero."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_order", "order_id"),
        Index("ix_ledger_entries_seller_posted", "seller_id", "posted_at"),
        Index("ix_ledger_entries_kind_posted", "kind", "posted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What caused it ("order:12:sale", "order:12:refund:<key>", "payout:3:2026-11-16"): UNIQUE, so a
    # replayed event or a rerun job posts nothing twice.
    source_key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind, 24))
    posted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # the booking instant statements use
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_payouts.id"))
    conversion_id: Mapped[int | None]  # redirect: the attributed store order (the redirect domain's id)
    reference: Mapped[str | None] = mapped_column(String(120))  # refund key, return, chargeback reference
    gmv_cents: Mapped[int | None]  # redirect: attributed GMV (negative on reversal)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    memo: Mapped[str] = mapped_column(String(300), default="")

    postings: Mapped[list[LedgerPosting]] = relationship(order_by="LedgerPosting.id", viewonly=True)


class LedgerPosting(Base):
    """One side of an entry: signed cents (debit +, credit -) on one account, tagged with the seller,
    selling mode and order line it is about, so balances and analytics are single GROUP BYs."""

    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("amount_cents <> 0 OR units IS NOT NULL", name="moves_something"),
        CheckConstraint(SELLER_ACCOUNT_CHECK, name="seller_account_has_seller"),
        CheckConstraint(CREATOR_ACCOUNT_CHECK, name="creator_account_has_creator"),
        CheckConstraint("rate_bps IS NULL OR (rate_bps >= 0 AND rate_bps <= 10000)", name="rate_range"),
        Index("ix_ledger_postings_account_seller", "account", "seller_id", "posted_at"),
        Index("ix_ledger_postings_seller_posted", "seller_id", "posted_at"),
        Index("ix_ledger_postings_creator_posted", "creator_id", "posted_at"),
        Index("ix_ledger_postings_order", "order_id"),
        Index("ix_ledger_postings_order_line", "order_line_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account: Mapped[Account] = mapped_column(str_enum(Account, 32))
    amount_cents: Mapped[int]
    component: Mapped[Component] = mapped_column(str_enum(Component, 16))
    posted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # the entry's, copied for range scans
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"))
    selling_mode: Mapped[SellingMode | None] = mapped_column(str_enum(SellingMode, 24))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    units: Mapped[int | None]  # goods postings: units sold (+) or returned (-)
    rate_bps: Mapped[int | None]  # commission / fee postings: the rate applied
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # affiliate commission: the creator


class CommissionRate(Base):
    """Commission and transaction fee in basis points, per category (applies to its subtree) with a
    default (``rate_key = 'default'``, no category). Operators change them; entries record the rate used."""

    __tablename__ = "ledger_commission_rates"
    __table_args__ = (
        CheckConstraint("commission_bps >= 0 AND commission_bps <= 10000", name="commission_range"),
        CheckConstraint("fee_bps >= 0 AND fee_bps <= 10000", name="fee_range"),
        CheckConstraint("(category_id IS NULL) = (rate_key = 'default')", name="default_has_no_category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rate_key: Mapped[str] = mapped_column(String(32), unique=True)  # "default" or "category:<id>"
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    commission_bps: Mapped[int]
    fee_bps: Mapped[int]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Payout(Base):
    """A bank transfer to a seller or a creator for a settlement period: at most one per (party, period)."""

    __tablename__ = "ledger_payouts"
    __table_args__ = (
        UniqueConstraint("seller_id", "period_start", name="uq_ledger_payouts_seller_period"),
        UniqueConstraint("creator_id", "period_start", name="uq_ledger_payouts_creator_period"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(ONE_PARTY_CHECK, name="one_party"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"))
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    amount_cents: Mapped[int]
    adapter: Mapped[str] = mapped_column(String(32))
    transfer_reference: Mapped[str] = mapped_column(String(120))  # the bank's (or the operator's) reference
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SettlementStatement(Base):
    """A closed period of one seller or creator: the balances it closed with (line items are the postings)."""

    __tablename__ = "ledger_statements"
    __table_args__ = (
        UniqueConstraint("seller_id", "period_start", name="uq_ledger_statements_seller_period"),
        UniqueConstraint("creator_id", "period_start", name="uq_ledger_statements_creator_period"),
        # netted_cents < 0: a commission credit moved back to the payable (see postings.settlement_plan).
        CheckConstraint("payout_cents >= 0", name="payout_not_negative"),
        CheckConstraint(ONE_PARTY_CHECK, name="one_party"),
        Index("ix_ledger_statements_period", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"))
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    opening_cents: Mapped[int]
    closing_cents: Mapped[int]
    netted_cents: Mapped[int] = mapped_column(default=0)
    payout_cents: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


# ---- append-only: refuse UPDATE in the database itself ----------------------------------------------

APPEND_ONLY_TABLES = ("ledger_entries", "ledger_postings")
PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'ledger rows are append-only: post a reversing entry'; END $$ LANGUAGE plpgsql"
)


def append_only_ddl(table: str, dialect: str) -> list[str]:
    """Statements that make ``table`` refuse UPDATE (used by create_all and by migration 0009)."""
    name = f"{table}_append_only"
    if dialect == "postgresql":
        return [
            PG_FUNCTION,
            f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION ledger_append_only()",
        ]
    return [
        f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: post a reversing entry'); END"
    ]


def _install_triggers() -> None:
    for table in APPEND_ONLY_TABLES:
        for dialect in ("postgresql", "sqlite"):
            for statement in append_only_ddl(table, dialect):
                ddl = DDL(statement).execute_if(dialect=dialect)  # type: ignore[no-untyped-call]
                event.listen(Base.metadata.tables[table], "after_create", ddl)


_install_triggers()
