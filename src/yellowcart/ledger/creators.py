"""Creators' affiliate commissions in the ledger: what the creators domain decided a creator is owed on
an attributed order line (or store order), posted as a change of the creator's payable.

The creators domain says *how much* a line should hold now (accrued when the order completes, less its
returned units); this module posts the difference from what the line already holds, read from the
postings themselves, so a replayed event or a rerun backfill moves nothing twice. Each change is one
entry with its own UNIQUE source key (``creator:line:<id>:accrued``, ``creator:line:<id>:return:<id>``,
``creator:conversion:<id>:...``). Balances, statements and payouts are settlement's, for a creator party.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yellowcart.db import id_in
from yellowcart.ledger.balances import party_net
from yellowcart.ledger.chart import Account, EntryKind
from yellowcart.ledger.creator_rules import CreatorCommission, creator_commission_postings
from yellowcart.ledger.models import LedgerEntry, LedgerPosting
from yellowcart.ledger.parties import Party
from yellowcart.ledger.service import post_entry


def held_on_line(session: Session, *, order_line_id: int) -> int:
    """Commission the line's creator holds now (accrued less reversed), from the postings."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerPosting.amount_cents), 0)).where(
            LedgerPosting.order_line_id == order_line_id, LedgerPosting.account == Account.CREATOR_PAYABLE
        )
    )
    return -int(total or 0)


def held_on_conversion(session: Session, *, conversion_id: int) -> int:
    """Commission a store order's creator holds now (redirect conversions have no order line)."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerPosting.amount_cents), 0))
        .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
        .where(LedgerEntry.conversion_id == conversion_id, LedgerPosting.account == Account.CREATOR_PAYABLE)
    )
    return -int(total or 0)


def held_on_lines(session: Session, line_ids: Sequence[int]) -> dict[int, int]:
    """:func:`held_on_line` for many lines (one grouped query); lines holding nothing are absent."""
    if not line_ids:
        return {}
    p = LedgerPosting
    rows = session.execute(
        select(p.order_line_id, func.sum(p.amount_cents))
        .where(id_in(session, p.order_line_id, line_ids), p.account == Account.CREATOR_PAYABLE)
        .group_by(p.order_line_id)
    )
    return {int(lid): -int(total or 0) for lid, total in rows if lid is not None}


def held_on_conversions(session: Session, conversion_ids: Sequence[int]) -> dict[int, int]:
    """:func:`held_on_conversion` for many store orders (one grouped query)."""
    if not conversion_ids:
        return {}
    p, e = LedgerPosting, LedgerEntry
    rows = session.execute(
        select(e.conversion_id, func.sum(p.amount_cents))
        .join(e, e.id == p.entry_id)
        .where(id_in(session, e.conversion_id, conversion_ids), p.account == Account.CREATOR_PAYABLE)
        .group_by(e.conversion_id)
    )
    return {int(cid): -int(total or 0) for cid, total in rows if cid is not None}


def post_creator_commission(
    session: Session,
    *,
    source_key: str,
    change: CreatorCommission,
    posted_at: dt.datetime,
    order_id: int | None = None,
    conversion_id: int | None = None,
    reference: str | None = None,
) -> LedgerEntry | None:
    """Post one change of a creator's commission (+ accrued, - reversed); None when the key was posted
    already or nothing moves."""
    kind = EntryKind.CREATOR_COMMISSION if change.amount > 0 else EntryKind.CREATOR_REVERSAL
    subject = f"order {order_id}" if order_id is not None else f"store order (conversion {conversion_id})"
    return post_entry(
        session,
        source_key=source_key,
        kind=kind,
        postings=creator_commission_postings(change),
        posted_at=posted_at,
        seller_id=change.seller_id,
        order_id=order_id,
        conversion_id=conversion_id,
        reference=reference,
        memo=f"creator {change.creator_id} commission {'accrued' if change.amount > 0 else 'reversed'}, {subject}",
    )


def creator_balance(session: Session, *, creator_id: int, before: dt.datetime | None = None) -> int:
    """What the platform owes the creator now (or before an instant)."""
    return party_net(session, party=Party.creator(creator_id), before=before)
