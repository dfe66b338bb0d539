"""Settlement statements per party (seller or creator) per semi-monthly period, closing a period, and
payouts.

A statement's line items are the postings to the party's accounts booked in the period; its opening
and closing balances are the sums before the period's first and after its last instant, so opening +
lines = closing by construction. Closing a period (``close_period``) stores each party's statement,
nets a seller's invoiced redirect commission against what the platform owes it, and pays the rest
through a ``PayoutAdapter``. Creators are settled by the same code: their one account is the creator
payable (affiliate commission), with nothing to net. Both entries are booked at the period's end (the
first instant of the next period) and are idempotent per (party, period): a rerun pays nobody twice.
Periods close in order: closing one after a later one is refused, so no entry is ever booked into a
closed period.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.db import Database, flush_guarded
from yellowcart.errors import Conflict, InvalidInput
from yellowcart.ledger import balances
from yellowcart.ledger.chart import CREATOR_ACCOUNTS, SELLER_ACCOUNTS, Account, Component, EntryKind
from yellowcart.ledger.funding import FundingLine, seller_funding
from yellowcart.ledger.models import LedgerPosting, Payout, SettlementStatement
from yellowcart.ledger.parties import Party
from yellowcart.ledger.payouts import PayoutAdapter
from yellowcart.ledger.periods import TIMEZONE, Period
from yellowcart.ledger.postings import netting_postings, payout_postings, seller_view, settlement_plan
from yellowcart.ledger.service import post_entry
from yellowcart.money import format_usd
from yellowcart.risk import enforcement


@dataclass(frozen=True, slots=True)
class StatementLine:
    posting_id: int
    entry_id: int
    posted_at: dt.datetime
    kind: EntryKind
    account: Account
    component: Component
    amount_cents: int  # as the party reads it: + the platform owes more
    order_id: int | None
    order_line_id: int | None
    units: int | None
    reference: str | None
    memo: str


@dataclass(frozen=True, slots=True)
class Statement:
    party: Party
    period: Period
    opening_cents: int
    closing_cents: int
    lines: list[StatementLine]
    closed: SettlementStatement | None = None
    payout: Payout | None = None
    # Sellers: the promotions on the orders sold in the period and who funded them (memo lines: the
    # platform's part is in ``lines`` as promotion postings; the seller's own part is already out of its
    # goods, shown here so the seller sees what its promotions cost it).
    promotions: list[FundingLine] = field(default_factory=list)

    @property
    def seller_id(self) -> int | None:
        return self.party.seller_id

    @property
    def creator_id(self) -> int | None:
        return self.party.creator_id

    @property
    def totals(self) -> dict[str, int]:
        """Line items summed per component (goods, commission, supply, payout...)."""
        out: dict[str, int] = {}
        for line in self.lines:
            out[line.component.value] = out.get(line.component.value, 0) + line.amount_cents
        return out


def build_statement(session: Session, *, party: Party, period: Period) -> Statement:
    """The statement as the ledger says it, whether or not the period is closed."""
    opening = balances.party_net(session, party=party, before=period.start_at)
    closing = balances.party_net(session, party=party, before=period.end_at)
    rows = balances.party_postings(session, party=party, since=period.start_at, until=period.end_at)
    lines = [
        StatementLine(
            posting_id=p.id,
            entry_id=e.id,
            posted_at=p.posted_at,
            kind=e.kind,
            account=p.account,
            component=p.component,
            amount_cents=seller_view(p.account, p.amount_cents),
            order_id=p.order_id,
            order_line_id=p.order_line_id,
            units=p.units,
            reference=e.reference,
            memo=e.memo,
        )
        for p, e in rows
    ]
    closed = session.scalar(
        select(SettlementStatement).where(
            balances.party_column(SettlementStatement, party) == party.id,
            SettlementStatement.period_start == period.start,
        )
    )
    payout = session.scalar(
        select(Payout).where(balances.party_column(Payout, party) == party.id, Payout.period_start == period.start)
    )
    promotions = (
        []
        if party.seller_id is None
        else seller_funding(session, seller_id=party.seller_id, since=period.start_at, until=period.end_at)
    )
    return Statement(party, period, opening, closing, lines, closed, payout, promotions)


def get_statement(session: Session, *, principal: Principal, seller_id: int, period: Period) -> Statement:
    balances.require_seller_access(session, principal=principal, seller_id=seller_id)
    return build_statement(session, party=Party.seller(seller_id), period=period)


def list_statements(session: Session, *, principal: Principal, seller_id: int) -> Sequence[SettlementStatement]:
    """The seller's closed periods, newest first."""
    balances.require_seller_access(session, principal=principal, seller_id=seller_id)
    return party_statements(session, party=Party.seller(seller_id))


def party_statements(session: Session, *, party: Party) -> Sequence[SettlementStatement]:
    """A party's closed periods, newest first (the caller checked who may see them)."""
    return session.scalars(
        select(SettlementStatement)
        .where(balances.party_column(SettlementStatement, party) == party.id)
        .order_by(SettlementStatement.period_start.desc())
    ).all()


def party_payouts(session: Session, *, party: Party) -> Sequence[Payout]:
    """A party's payouts, newest first (the caller checked who may see them)."""
    return session.scalars(
        select(Payout).where(balances.party_column(Payout, party) == party.id).order_by(Payout.period_start.desc())
    ).all()


def list_payouts(
    session: Session, *, principal: Principal, seller_id: int | None = None, period: Period | None = None
) -> Sequence[Payout]:
    """Payouts newest first: a seller's own (seller or operators), or everyone's, creators' included
    (operators)."""
    if seller_id is None:
        balances.require_operator(principal)
    else:
        balances.require_seller_access(session, principal=principal, seller_id=seller_id)
    query = select(Payout)
    if seller_id is not None:
        query = query.where(Payout.seller_id == seller_id)
    if period is not None:
        query = query.where(Payout.period_start == period.start)
    return session.scalars(query.order_by(Payout.period_start.desc(), Payout.seller_id, Payout.creator_id)).all()


# ---- CSV -------------------------------------------------------------------------------------------

CSV_HEADER = ("posted_at", "entry_id", "kind", "order_id", "order_line_id", "account", "component", "units",
              "amount_cents", "amount_usd", "reference", "memo")  # fmt: skip


def _cell(text: str | None) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: quote text ones (OWASP CSV injection)."""
    value = text or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def statement_csv(statement: Statement) -> str:
    """The statement as a CSV download: opening row, one row per line item, closing row."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")
    out.writerow(CSV_HEADER)
    period = statement.period
    opening, closing = statement.opening_cents, statement.closing_cents
    title = f"{statement.party.label}, period {period.label}, times in {TIMEZONE}"
    out.writerow([period.start_at.isoformat(), "", "opening_balance", *[""] * 5, opening, _usd(opening), "", title])
    for ln in statement.lines:
        units = "" if ln.units is None else ln.units
        out.writerow(
            [ln.posted_at.isoformat(), ln.entry_id, ln.kind.value, ln.order_id or "", ln.order_line_id or "",
             ln.account.value, ln.component.value, units, ln.amount_cents, _usd(ln.amount_cents),
             _cell(ln.reference), _cell(ln.memo)]
        )  # fmt: skip
    out.writerow([period.end_at.isoformat(), "", "closing_balance", *[""] * 5, closing, _usd(closing), "", ""])
    for promo in statement.promotions:  # memo rows: no amount (the balance moved through the lines above)
        memo = (f"{promo.label}: {_usd(promo.amount_cents)} off, seller-funded {_usd(promo.seller_funded_cents)},"
                f" platform-funded {_usd(promo.platform_funded_cents)}")  # fmt: skip
        out.writerow(["", "", "promotion_funding", promo.order_id, "", "", promo.kind.value, "", "", "", "",
                      _cell(memo)])  # fmt: skip
    return buffer.getvalue()


def _usd(cents: int) -> str:
    return format_usd(cents).replace("$", "").replace(",", "")


# ---- closing a period ------------------------------------------------------------------------------


@dataclass
class SettleRun:
    period: Period
    statements: int = 0  # closed by this run
    already_closed: int = 0
    payouts: list[tuple[Party, int, str]] = field(default_factory=list)  # (party, cents, transfer reference)
    netted_cents: int = 0


def close_period(db: Database, *, period: Period, adapter: PayoutAdapter, now: dt.datetime) -> SettleRun:
    """Close ``period`` for every seller and creator with money in the ledger: one transaction each."""
    if period.end_at > now:
        raise InvalidInput(
            f"Period {period.label} is not over yet (it ends {period.end_at.isoformat()}).", field="period"
        )
    with db.transaction() as session:
        later = session.scalar(
            select(func.max(SettlementStatement.period_start)).where(SettlementStatement.period_start > period.start)
        )
        if later is not None:
            raise Conflict(f"Period {later.isoformat()} is closed already; periods close in order.", field="period")
        parties = _parties_with_money(session, before=period.end_at)
    run = SettleRun(period)
    for party in parties:
        with db.transaction() as session:
            _close_party(session, party=party, period=period, adapter=adapter, run=run)
    return run


def _parties_with_money(session: Session, *, before: dt.datetime) -> list[Party]:
    """Every seller, then every creator, with a posting on its accounts booked before ``before``."""
    p = LedgerPosting
    sellers = session.scalars(
        select(p.seller_id).where(p.account.in_(SELLER_ACCOUNTS), p.posted_at < before).distinct()
    ).all()
    creators = session.scalars(
        select(p.creator_id).where(p.account.in_(CREATOR_ACCOUNTS), p.posted_at < before).distinct()
    ).all()
    return [Party.seller(sid) for sid in sorted(s for s in sellers if s is not None)] + [
        Party.creator(cid) for cid in sorted(c for c in creators if c is not None)
    ]


def _close_party(session: Session, *, party: Party, period: Period, adapter: PayoutAdapter, run: SettleRun) -> None:
    statement = build_statement(session, party=party, period=period)
    if statement.closed is not None:
        run.already_closed += 1
        return
    if not statement.lines and statement.closing_cents == 0:
        return  # nothing happened and nothing is owed: no statement to keep
    sums = balances.party_sums(session, party=party, before=period.end_at)
    plan = settlement_plan(sums.get(party.payable, 0), sums.get(Account.REDIRECT_RECEIVABLE, 0))
    if enforcement.payouts_held(session, seller_id=party.seller_id, user_id=party.creator_id):
        plan = replace(plan, payout=0)  # risk hold: the money stays owed; the first settlement after the hold pays it
    row = SettlementStatement(
        **party.ids(),
        period_start=period.start,
        period_end=period.end,
        opening_cents=statement.opening_cents,
        closing_cents=statement.closing_cents,
        netted_cents=plan.netting,
        payout_cents=plan.payout,
    )
    flush_guarded(session, lambda: session.add(row), lambda: Conflict("closed concurrently"))
    run.statements += 1
    seller_id = party.seller_id
    label = f"{party.key}:{period.label}"
    if plan.netting and seller_id is not None:
        post_entry(session, source_key=f"netting:{label}", kind=EntryKind.NETTING, posted_at=period.end_at,
                   postings=netting_postings(seller_id, plan.netting), seller_id=seller_id,
                   memo=f"redirect commission netted, period {period.label}")  # fmt: skip
        run.netted_cents += plan.netting
    if plan.payout:
        _pay(session, party=party, period=period, amount=plan.payout, adapter=adapter, run=run)


def _pay(
    session: Session, *, party: Party, period: Period, amount: int, adapter: PayoutAdapter, run: SettleRun
) -> None:
    """Transfer through the adapter (idempotent on the reference), record the payout, post it."""
    reference = f"yc-payout-{party.key.replace(':', '-')}-{period.label}"
    transfer = adapter.transfer(payee=party.label, amount_cents=amount, reference=reference)
    payout = Payout(**party.ids(), period_start=period.start, period_end=period.end, amount_cents=amount,
                    adapter=adapter.name, transfer_reference=transfer)  # fmt: skip
    session.add(payout)
    session.flush()
    seller_id = party.seller_id
    post_entry(session, source_key=f"payout:{party.key}:{period.label}", kind=EntryKind.PAYOUT,
               posted_at=period.end_at, postings=payout_postings(party, amount), seller_id=seller_id,
               payout_id=payout.id, reference=transfer, memo=f"payout for period {period.label}")  # fmt: skip
    run.payouts.append((party, amount, transfer))
