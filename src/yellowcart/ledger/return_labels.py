"""Return labels the seller pays, in the ledger: the platform buys every return label from its carrier;
when the return policy makes the seller pay it (by default for the seller's faults: wrong item, damaged,
defective, not as described), its cost is charged to the seller's payable and credited to the platform's
shipping cost, so it shows on the seller's statement beside the return's refund.

The charge is posted from ``return.refunded`` (returns/refunds.py), which carries the label's payer and
cost: a seller pays for a return the platform refunded, not for one the shopper withdrew or that came
back empty (the platform bears those labels). One entry per return (source key ``return:<id>:label``),
so a redelivered event posts nothing. The cost is split over the return's lines by units, for the
statement's order lines; platform-owned lines have no seller to charge (the platform is the seller).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from yellowcart.catalog.modes import SellingMode
from yellowcart.events import OutboxEvent
from yellowcart.ledger.chart import Account, Component, EntryKind
from yellowcart.ledger.models import LedgerEntry
from yellowcart.ledger.postings import Posting, check_balanced
from yellowcart.ledger.service import post_entry
from yellowcart.money import allocate
from yellowcart.returns.policy import Payer

#: Modes whose seller has a payable to charge (platform-owned: the platform is the seller).
CHARGEABLE = frozenset({SellingMode.SELLER_FULFILLED, SellingMode.FULL_CUSTODY})


@dataclass(frozen=True, slots=True)
class LabelLine:
    """One line of the return: its order line, units coming back and selling mode."""

    line_id: int
    units: int
    mode: SellingMode


def label_key(return_id: int) -> str:
    return f"return:{return_id}:label"


def label_postings(seller_id: int, cost_cents: int, lines: Sequence[LabelLine]) -> list[Posting]:
    """The seller is debited the label (its payable goes down), the platform's shipping cost credited;
    split over the lines by units (money.allocate: exact to the cent). Pure."""
    if cost_cents < 0:
        raise ValueError("a label cost is not negative")
    if not lines or cost_cents == 0:
        return []
    shares = allocate(cost_cents, [max(ln.units, 1) for ln in lines])
    out: list[Posting] = []
    for ln, share in zip(lines, shares, strict=True):
        if ln.mode not in CHARGEABLE:
            continue
        out += [
            Posting(Account.SELLER_PAYABLE, share, Component.RETURN_LABEL, seller_id, ln.mode, ln.line_id),
            Posting(Account.SHIPPING_COST, -share, Component.RETURN_LABEL, seller_id, ln.mode, ln.line_id),
        ]
    return check_balanced(out)


def post_return_label(
    session: Session,
    *,
    return_id: int,
    order_id: int,
    seller_id: int,
    cost_cents: int,
    lines: Sequence[LabelLine],
    posted_at: dt.datetime,
) -> LedgerEntry | None:
    """Charge a seller-paid return label to the seller (once per return); None when already posted or
    there is nothing to charge (no label bought, or only platform-owned lines)."""
    return post_entry(
        session,
        source_key=label_key(return_id),
        kind=EntryKind.RETURN_LABEL,
        postings=label_postings(seller_id, cost_cents, lines),
        posted_at=posted_at,
        seller_id=seller_id,
        order_id=order_id,
        reference=f"return-{return_id}",
        memo=f"return label, return {return_id} (order {order_id})",
    )


def on_return_refunded(clock: Callable[[], dt.datetime]) -> Callable[[Session, OutboxEvent], None]:
    """``return.refunded``: charge the label to the seller when the policy made the seller pay it."""

    def handle(session: Session, event: OutboxEvent) -> None:
        payload = event.payload
        cost = int(payload.get("label_cost_cents") or 0)
        if payload.get("label_payer") != Payer.SELLER.value or cost <= 0:
            return
        lines = [
            LabelLine(int(line["order_line_id"]), int(line["quantity"]), SellingMode(line["selling_mode"]))
            for line in payload.get("lines") or []
        ]
        post_return_label(
            session,
            return_id=int(payload["return_id"]),
            order_id=int(payload["order_id"]),
            seller_id=int(payload["seller_id"]),
            cost_cents=cost,
            lines=lines,
            posted_at=clock(),
        )

    return handle
