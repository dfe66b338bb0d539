"""Payout adapters: how money reaches a seller's (or a creator's) bank. The ledger records the payout; the adapter moves
the money (or, for ``manual``, records the reference an operator puts on a bank transfer made by hand).

An adapter must be idempotent on ``reference`` (one per party and period): a settlement rerun after a
crash asks again with the same reference and must not pay twice. Known limit, as for payment captures:
the adapter is called inside the settlement's transaction for that seller; a networked adapter would
move the call between two transactions the way checkout does with the payment provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from yellowcart.errors import InvalidInput


class PayoutAdapter(Protocol):
    name: str

    def transfer(self, *, payee: str, amount_cents: int, reference: str) -> str:
        """Pay ``amount_cents`` to the payee's bank ("seller 3", "creator 7"); returns the transfer's reference."""
        ...


@dataclass(slots=True)
class ManualPayoutAdapter:
    """No network call: the operator wires the money from the statement, quoting this reference."""

    name: str = "manual"

    def transfer(self, *, payee: str, amount_cents: int, reference: str) -> str:
        if amount_cents <= 0:
            raise ValueError("a payout is positive")
        return f"MANUAL-{reference}"


ADAPTERS: dict[str, type[ManualPayoutAdapter]] = {"manual": ManualPayoutAdapter}


def make_payout_adapter(name: str) -> PayoutAdapter:
    factory = ADAPTERS.get(name)
    if factory is None:
        raise InvalidInput(f"Unknown payout adapter {name!r}; known: {', '.join(sorted(ADAPTERS))}.", field="adapter")
    return factory()
