"""Reading the ledger: who may see a seller's money, balances, the trial balance, entries.

Balances are sums of postings (one GROUP BY); nothing is cached in a mutable balance column, so a
balance can never drift from the entries it is made of.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.errors import Forbidden, NotFound
from yellowcart.ledger.chart import SELLER_ACCOUNTS, Account, EntryKind
from yellowcart.ledger.models import LedgerEntry, LedgerPosting
from yellowcart.ledger.parties import Party, PartyKind
from yellowcart.sellers.models import Seller


def require_seller_access(session: Session, *, principal: Principal, seller_id: int) -> None:
    """The seller itself or an operator; another seller's money reads as missing."""
    if principal.role not in (Role.SELLER, Role.OPERATOR):
        raise Forbidden("A seller's money is for the seller and operators.")
    if (principal.role is Role.SELLER and principal.seller_id != seller_id) or session.get(Seller, seller_id) is None:
        raise NotFound(f"Seller {seller_id} does not exist.")


def require_operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise Forbidden("This is for operators.")


@dataclass(frozen=True, slots=True)
class SellerBalance:
    """``payable``: what the platform owes the seller; ``receivable``: redirect commission the seller
    owes; ``net``: the difference (what a payout would pay when positive)."""

    seller_id: int
    payable_cents: int
    receivable_cents: int

    @property
    def net_cents(self) -> int:
        return self.payable_cents - self.receivable_cents

    @property
    def sums(self) -> tuple[int, int]:
        """The two accounts' signed posting sums (payable credit-normal, receivable debit-normal)."""
        return -self.payable_cents, self.receivable_cents


def seller_balances(
    session: Session, *, before: dt.datetime | None = None, seller_id: int | None = None
) -> dict[int, SellerBalance]:
    """Every seller's balance (or one's) from postings booked before ``before`` (all when None)."""
    p = LedgerPosting
    query = select(p.seller_id, p.account, func.sum(p.amount_cents)).where(p.account.in_(SELLER_ACCOUNTS))
    if before is not None:
        query = query.where(p.posted_at < before)
    if seller_id is not None:
        query = query.where(p.seller_id == seller_id)
    sums: dict[int, dict[Account, int]] = {}
    for sid, account, total in session.execute(query.group_by(p.seller_id, p.account)):
        if sid is not None:
            sums.setdefault(sid, {})[account] = int(total or 0)
    return {
        sid: SellerBalance(sid, -s.get(Account.SELLER_PAYABLE, 0), s.get(Account.REDIRECT_RECEIVABLE, 0))
        for sid, s in sums.items()
    }


def seller_balance(session: Session, *, seller_id: int, before: dt.datetime | None = None) -> SellerBalance:
    return seller_balances(session, before=before, seller_id=seller_id).get(seller_id, SellerBalance(seller_id, 0, 0))


@dataclass(frozen=True, slots=True)
class TrialBalance:
    """Every account's balance; ``total`` must be 0 and ``unbalanced_entries`` empty."""

    accounts: dict[Account, int]
    total_cents: int
    unbalanced_entries: list[int]
    entries: int
    postings: int

    @property
    def balanced(self) -> bool:
        return self.total_cents == 0 and not self.unbalanced_entries


def trial_balance(session: Session) -> TrialBalance:
    """The reconciliation check: the whole ledger and each entry sum to zero (three grouped queries)."""
    p = LedgerPosting
    by_account = {
        account: int(total or 0)
        for account, total in session.execute(select(p.account, func.sum(p.amount_cents)).group_by(p.account))
    }
    unbalanced = session.scalars(
        select(p.entry_id).group_by(p.entry_id).having(func.sum(p.amount_cents) != 0).order_by(p.entry_id)
    ).all()
    entries = session.scalar(select(func.count()).select_from(LedgerEntry)) or 0
    postings = session.scalar(select(func.count()).select_from(LedgerPosting)) or 0
    return TrialBalance(
        accounts={a: by_account.get(a, 0) for a in Account},
        total_cents=sum(by_account.values()),
        unbalanced_entries=list(unbalanced),
        entries=int(entries),
        postings=int(postings),
    )


def party_column(model: Any, party: Party) -> Any:
    """The column of ``model`` (postings, statements, payouts) that names the party."""
    return model.seller_id if party.kind is PartyKind.SELLER else model.creator_id


def party_sums(session: Session, *, party: Party, before: dt.datetime | None = None) -> dict[Account, int]:
    """The signed posting sums of each of the party's accounts, booked before ``before`` (all when None)."""
    p = LedgerPosting
    query = select(p.account, func.sum(p.amount_cents)).where(
        party_column(p, party) == party.id, p.account.in_(party.accounts)
    )
    if before is not None:
        query = query.where(p.posted_at < before)
    return {account: int(total or 0) for account, total in session.execute(query.group_by(p.account))}


def party_net(session: Session, *, party: Party, before: dt.datetime | None = None) -> int:
    """What the platform owes the party (+) or the party owes (-): minus the sum of its accounts."""
    return -sum(party_sums(session, party=party, before=before).values())


def seller_postings(
    session: Session,
    *,
    seller_id: int,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    before_id: int | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> Sequence[tuple[LedgerPosting, LedgerEntry]]:
    """Postings on the seller's own accounts (payable and receivable), with their entries."""
    return party_postings(
        session,
        party=Party.seller(seller_id),
        since=since,
        until=until,
        before_id=before_id,
        limit=limit,
        newest_first=newest_first,
    )


def party_postings(
    session: Session,
    *,
    party: Party,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    before_id: int | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> Sequence[tuple[LedgerPosting, LedgerEntry]]:
    """Postings on a party's own accounts (a seller's payable and receivable, a creator's payable)."""
    p = LedgerPosting
    query = (
        select(p, LedgerEntry)
        .join(LedgerEntry, LedgerEntry.id == p.entry_id)
        .where(party_column(p, party) == party.id, p.account.in_(party.accounts))
    )
    if since is not None:
        query = query.where(p.posted_at >= since)
    if until is not None:
        query = query.where(p.posted_at < until)
    if before_id is not None:
        query = query.where(p.id < before_id)
    query = query.order_by(p.id.desc()) if newest_first else query.order_by(p.posted_at, p.id)
    if limit is not None:
        query = query.limit(limit)
    return [(posting, entry) for posting, entry in session.execute(query)]


def list_entries(
    session: Session,
    *,
    order_id: int | None = None,
    seller_id: int | None = None,
    kind: EntryKind | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> Sequence[LedgerEntry]:
    """Entries newest first with their postings (operators)."""
    query = select(LedgerEntry).options(selectinload(LedgerEntry.postings))
    if order_id is not None:
        query = query.where(LedgerEntry.order_id == order_id)
    if seller_id is not None:
        query = query.where(LedgerEntry.seller_id == seller_id)
    if kind is not None:
        query = query.where(LedgerEntry.kind == kind)
    if before_id is not None:
        query = query.where(LedgerEntry.id < before_id)
    return session.scalars(query.order_by(LedgerEntry.id.desc()).limit(limit)).all()
