"""The order state machine as data: pure, no I/O, property-tested.

Statuses follow the seed market (TikTok Shop US) plus the two that returns need. An order is split
per seller at checkout, so each order has one seller and moves on its own.
"""

from __future__ import annotations

import enum

from yellowcart.errors import InvalidTransition


class OrderStatus(enum.StrEnum):
    UNPAID = "UNPAID"
    ON_HOLD = "ON_HOLD"
    AWAITING_SHIPMENT = "AWAITING_SHIPMENT"
    PARTIALLY_SHIPPING = "PARTIALLY_SHIPPING"
    AWAITING_COLLECTION = "AWAITING_COLLECTION"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    PARTIALLY_RETURNED = "PARTIALLY_RETURNED"
    RETURNED = "RETURNED"


S = OrderStatus

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.UNPAID: frozenset({S.ON_HOLD, S.AWAITING_SHIPMENT, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.AWAITING_SHIPMENT, S.CANCELLED}),
    S.AWAITING_SHIPMENT: frozenset({S.PARTIALLY_SHIPPING, S.AWAITING_COLLECTION, S.IN_TRANSIT, S.CANCELLED}),
    S.PARTIALLY_SHIPPING: frozenset({S.AWAITING_COLLECTION, S.IN_TRANSIT}),
    S.AWAITING_COLLECTION: frozenset({S.IN_TRANSIT, S.CANCELLED}),
    S.IN_TRANSIT: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.COMPLETED, S.PARTIALLY_RETURNED, S.RETURNED}),
    S.COMPLETED: frozenset({S.PARTIALLY_RETURNED, S.RETURNED}),
    S.PARTIALLY_RETURNED: frozenset({S.RETURNED, S.COMPLETED}),
    S.RETURNED: frozenset(),
    S.CANCELLED: frozenset(),
}

#: Moves only the platform's own jobs make, never a shopper, seller or operator request: an order whose
#: every parcel was lost in transit and refunded in full is closed as cancelled.
SYSTEM_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {S.IN_TRANSIT: frozenset({S.CANCELLED})}

#: Nothing has left a warehouse yet: cancelling releases stock and voids the authorisation.
PRE_SHIPMENT = frozenset({S.UNPAID, S.ON_HOLD, S.AWAITING_SHIPMENT, S.AWAITING_COLLECTION})
#: Terminal: no transition leaves them.
TERMINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
#: The stock reservation becomes a real decrement when the parcel leaves (first time IN_TRANSIT).
SHIPPED = frozenset({S.IN_TRANSIT, S.DELIVERED, S.COMPLETED, S.PARTIALLY_RETURNED, S.RETURNED})


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: OrderStatus, target: OrderStatus, *, system: bool = False) -> None:
    """Raise a clear, structured error for an illegal move (``system``: also the platform-only moves)."""
    if not can_transition(current, target) and not (system and target in SYSTEM_TRANSITIONS.get(current, ())):
        allowed = sorted(t.value for t in TRANSITIONS[current])
        raise InvalidTransition(
            f"An order in {current.value} cannot move to {target.value}.",
            current=current.value,
            target=target.value,
            allowed=allowed,
        )
