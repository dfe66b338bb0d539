"""Who a statement and a payout are for: a seller or a creator (pure, no I/O).

Settlement was written for sellers; creators are paid the same way (semi-monthly statements, payouts
through the same adapter, idempotent per party and period). A ``Party`` says which accounts are the
party's, which column of postings, statements and payouts names it, and how its keys read. A seller
keeps the keys it had before creators existed (``payout:<seller>:<period>``), so nothing already posted
changes meaning.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from yellowcart.ledger.chart import CREATOR_ACCOUNTS, SELLER_ACCOUNTS, Account


class PartyKind(enum.StrEnum):
    SELLER = "seller"
    CREATOR = "creator"  # a user with the creator role, named by its user id


@dataclass(frozen=True, order=True, slots=True)
class Party:
    kind: PartyKind
    id: int

    @classmethod
    def seller(cls, seller_id: int) -> Party:
        return cls(PartyKind.SELLER, seller_id)

    @classmethod
    def creator(cls, user_id: int) -> Party:
        return cls(PartyKind.CREATOR, user_id)

    @property
    def accounts(self) -> frozenset[Account]:
        """The party's own accounts: its balance is minus the sum of their postings."""
        return SELLER_ACCOUNTS if self.kind is PartyKind.SELLER else CREATOR_ACCOUNTS

    @property
    def payable(self) -> Account:
        """The account a payout empties."""
        return Account.SELLER_PAYABLE if self.kind is PartyKind.SELLER else Account.CREATOR_PAYABLE

    @property
    def column(self) -> str:
        """The column naming the party on postings, statements and payouts."""
        return "seller_id" if self.kind is PartyKind.SELLER else "creator_id"

    @property
    def seller_id(self) -> int | None:
        return self.id if self.kind is PartyKind.SELLER else None

    @property
    def creator_id(self) -> int | None:
        return self.id if self.kind is PartyKind.CREATOR else None

    def ids(self) -> dict[str, int]:
        """Keyword arguments naming the party (for rows and postings)."""
        return {self.column: self.id}

    @property
    def key(self) -> str:
        """Its part of source keys and payout references: sellers as before creators, creators prefixed."""
        return str(self.id) if self.kind is PartyKind.SELLER else f"creator:{self.id}"

    @property
    def label(self) -> str:
        return f"{self.kind.value} {self.id}"
