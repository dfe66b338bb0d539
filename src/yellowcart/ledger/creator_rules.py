"""Posting rules for creators' affiliate commissions (pure, no I/O, property-tested with the ledger).

A creator is owed a commission on what its content sold. Who pays it depends on who sells the line:
the seller on what it sells itself (seller fulfilled: its payable shrinks; a redirect store order: its
redirect invoice grows), the platform on what it sells (full custody, platform owned: an expense). The
creator's side is always its own payable, which settlement pays out like a seller's.
"""

from __future__ import annotations

from dataclasses import dataclass

from yellowcart.catalog.modes import SellingMode
from yellowcart.ledger.chart import Account, Component
from yellowcart.ledger.postings import Posting, check_balanced

A, C, M = Account, Component, SellingMode


def commission_bearer(mode: SellingMode) -> Account:
    """Who pays a creator's commission on a line: the seller on what it sells itself (its payable, or its
    redirect invoice for store orders), the platform on what it sells (full custody, platform owned)."""
    if mode is M.SELLER_FULFILLED:
        return A.SELLER_PAYABLE
    if mode is M.REDIRECT:
        return A.REDIRECT_RECEIVABLE
    return A.CREATOR_COMMISSIONS


@dataclass(frozen=True, slots=True)
class CreatorCommission:
    """A change of what a creator is owed on one attributed line (or store order): + accrued, - reversed."""

    seller_id: int
    creator_id: int
    mode: SellingMode
    amount: int
    rate_bps: int
    line_id: int | None = None
    units: int | None = None  # units the change is about (accrued +, returned -), when known


def creator_commission_postings(c: CreatorCommission) -> list[Posting]:
    """Dr the bearer / Cr the creator's payable (or back, for a reversal)."""
    if c.mode is M.REDIRECT and c.line_id is not None:
        raise ValueError("store orders have no order line")
    units = c.units if c.amount else None
    bearer = commission_bearer(c.mode)
    return check_balanced(
        [
            Posting(bearer, c.amount, C.CREATOR, c.seller_id, c.mode, c.line_id, units, c.rate_bps),
            Posting(A.CREATOR_PAYABLE, -c.amount, C.CREATOR, c.seller_id, c.mode, c.line_id, None, c.rate_bps,
                    c.creator_id),
        ]
    )  # fmt: skip
