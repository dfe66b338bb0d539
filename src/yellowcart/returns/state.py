"""The return lifecycle (pure), after the seed market's: request pending -> awaiting buyer ship ->
buyer shipped -> received (inspected) -> completed (refunded); or receive rejected, rejected, cancelled.

A returnless refund goes straight from the request to completed. The shopper may cancel until the
parcel is on its way back; a reviewer rejects only a pending request, and only with a reason.
"""

from __future__ import annotations

import enum

from yellowcart.errors import Conflict


class ReturnStatus(enum.StrEnum):
    REQUEST_PENDING = "request_pending"  # waiting for the seller's / operator's answer (48 h)
    AWAITING_BUYER_SHIP = "awaiting_buyer_ship"  # approved; a label is issued
    BUYER_SHIPPED = "buyer_shipped"  # on its way back
    RECEIVED = "received"  # at the warehouse, waiting for inspection and the refund
    RECEIVE_REJECTED = "receive_rejected"  # inspection found the box empty or another item: no refund
    COMPLETED = "completed"  # refunded
    REJECTED = "rejected"  # the request was refused (with a reason)
    CANCELLED = "cancelled"  # the shopper withdrew it


R = ReturnStatus

TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    R.REQUEST_PENDING: frozenset({R.AWAITING_BUYER_SHIP, R.COMPLETED, R.REJECTED, R.CANCELLED}),
    R.AWAITING_BUYER_SHIP: frozenset({R.BUYER_SHIPPED, R.CANCELLED}),
    # -> COMPLETED: lost by the carrier on the way back, refunded on proof of shipment (see jobs).
    R.BUYER_SHIPPED: frozenset({R.RECEIVED, R.RECEIVE_REJECTED, R.COMPLETED}),
    R.RECEIVED: frozenset({R.COMPLETED, R.RECEIVE_REJECTED}),
    R.RECEIVE_REJECTED: frozenset(),
    R.COMPLETED: frozenset(),
    R.REJECTED: frozenset(),
    R.CANCELLED: frozenset(),
}

TERMINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
#: Units in these returns are spoken for: they cannot be asked back a second time.
OPEN = frozenset(TRANSITIONS) - {R.REJECTED, R.CANCELLED, R.RECEIVE_REJECTED}
#: The item is (or was) physically on its way back or in the warehouse.
ITEM_SENT = frozenset({R.BUYER_SHIPPED, R.RECEIVED, R.RECEIVE_REJECTED})


class InvalidReturnTransition(Conflict):
    code, title = "invalid_return_transition", "The return is not in a state for this"


def check(current: ReturnStatus, target: ReturnStatus) -> None:
    if target not in TRANSITIONS[current]:
        allowed = sorted(t.value for t in TRANSITIONS[current])
        raise InvalidReturnTransition(
            f"A return in {current.value} cannot move to {target.value}.",
            current=current.value,
            target=target.value,
            allowed=allowed,
        )
