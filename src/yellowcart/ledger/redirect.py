"""Redirect commissions: a store order the platform's link brought is invoiced to the seller (a
receivable), and withdrawn in step with the store's refunds and cancellations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yellowcart.ledger.chart import Account, EntryKind
from yellowcart.ledger.models import LedgerEntry, LedgerPosting
from yellowcart.ledger.postings import redirect_postings, scaled
from yellowcart.ledger.service import find_entry, post_entry


def post_redirect_commission(
    session: Session,
    *,
    conversion_id: int,
    seller_id: int,
    gmv_cents: int,
    commission_cents: int,
    posted_at: dt.datetime,
) -> LedgerEntry | None:
    """A store order attributed to the platform's link: commission invoiced to the seller."""
    return post_entry(
        session,
        source_key=f"redirect:{conversion_id}:attributed",
        kind=EntryKind.REDIRECT_COMMISSION,
        postings=redirect_postings(seller_id, commission_cents),
        posted_at=posted_at,
        seller_id=seller_id,
        conversion_id=conversion_id,
        gmv_cents=gmv_cents,
        memo=f"redirect conversion {conversion_id}",
    )


def post_redirect_reversal(
    session: Session,
    *,
    conversion_id: int,
    seller_id: int,
    commission_cents: int,
    reversal_key: str,
    posted_at: dt.datetime,
) -> LedgerEntry | None:
    """(Part of) the attributed order was refunded or cancelled: withdraw that much of the invoice, never
    more than is still invoiced. A conversion may be reversed in several steps, each with its own
    ``reversal_key`` (the outbox event's id: a redelivered event has the same one)."""
    source_key = f"redirect:{conversion_id}:reversed:{reversal_key}"
    if find_entry(session, source_key) is not None:
        return None
    attributed = find_entry(session, f"redirect:{conversion_id}:attributed")
    gmv = None
    if attributed is not None:
        invoiced = sum(p.amount_cents for p in attributed.postings if p.account is Account.REDIRECT_RECEIVABLE)
        withdrawn = -int(
            session.scalar(
                select(func.coalesce(func.sum(LedgerPosting.amount_cents), 0))
                .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
                .where(
                    LedgerEntry.conversion_id == conversion_id,
                    LedgerEntry.kind == EntryKind.REDIRECT_REVERSAL,
                    LedgerPosting.account == Account.REDIRECT_RECEIVABLE,
                )
            )
            or 0
        )
        commission_cents = max(min(commission_cents, invoiced - withdrawn), 0)
        gmv = -scaled(attributed.gmv_cents or 0, commission_cents, invoiced) if invoiced else None
    return post_entry(
        session,
        source_key=source_key,
        kind=EntryKind.REDIRECT_REVERSAL,
        postings=redirect_postings(seller_id, commission_cents, reverse=True),
        posted_at=posted_at,
        seller_id=seller_id,
        conversion_id=conversion_id,
        gmv_cents=gmv,
        memo=f"redirect conversion {conversion_id} reversed",
    )
