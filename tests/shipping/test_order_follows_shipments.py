"""How an order follows its packages (pure): every combination of package states maps to at most one
legal path of order moves, and a lost package that was refunded stops holding its order back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yellowcart.fulfillment.models import ShipmentStatus as S
from yellowcart.fulfillment.shipping import order_target
from yellowcart.orders.state import SYSTEM_TRANSITIONS, can_transition
from yellowcart.orders.state import OrderStatus as O


@given(
    current=st.sampled_from(list(O)), statuses=st.lists(st.sampled_from(list(S)), max_size=4), lost=st.integers(0, 2)
)
def test_every_suggested_path_is_legal(current: O, statuses: list[S], lost: int) -> None:
    state = current
    for target in order_target(current, statuses, settled_lost=lost):
        assert can_transition(state, target) or target in SYSTEM_TRANSITIONS.get(state, ()), (state, target)
        state = target


@pytest.mark.parametrize(
    ("current", "statuses", "lost", "expected"),
    [
        # One parcel delivered, its sibling lost and refunded: the order is delivered.
        (O.IN_TRANSIT, [S.DELIVERED], 1, [O.DELIVERED]),
        # The only parcel lost and refunded: the order is cancelled.
        (O.IN_TRANSIT, [], 1, [O.CANCELLED]),
        # A lost parcel not yet settled keeps the order in transit.
        (O.IN_TRANSIT, [S.DELIVERED, S.LOST], 0, []),
        # A replacement on its way: the order stays in transit until it is delivered.
        (O.IN_TRANSIT, [S.IN_TRANSIT], 0, []),
        (O.AWAITING_SHIPMENT, [S.SHIPPED, S.ALLOCATED], 0, [O.PARTIALLY_SHIPPING]),
        (O.AWAITING_SHIPMENT, [S.DELIVERED, S.DELIVERED], 0, [O.IN_TRANSIT, O.DELIVERED]),
        # Nothing live and nothing lost (every package cancelled): no move of its own.
        (O.AWAITING_SHIPMENT, [S.CANCELLED], 0, []),
    ],
)
def test_order_moves(current: O, statuses: list[S], lost: int, expected: list[O]) -> None:
    assert order_target(current, statuses, settled_lost=lost) == expected
