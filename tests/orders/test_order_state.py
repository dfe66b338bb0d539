"""The order state machine, property-tested: any walk through allowed moves stays legal, every
illegal move is refused with a structured error, and nothing leaves a terminal state."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yellowcart.errors import InvalidTransition
from yellowcart.orders.state import PRE_SHIPMENT, SHIPPED, TERMINAL, TRANSITIONS, OrderStatus, check_transition

statuses = st.sampled_from(list(OrderStatus))


@given(statuses, statuses)
def test_check_matches_table(current: OrderStatus, target: OrderStatus) -> None:
    if target in TRANSITIONS[current]:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidTransition) as info:
            check_transition(current, target)
        problem = info.value.to_problem()
        assert problem["status"] == 409 and problem["code"] == "invalid_transition"
        assert problem["current"] == current.value and problem["target"] == target.value


@given(st.lists(st.integers(min_value=0, max_value=100), max_size=30))
def test_random_walks_never_unship(choices: list[int]) -> None:
    """Once an order has shipped it never returns to a pre-shipment state or gets cancelled."""
    state, shipped = OrderStatus.UNPAID, False
    for pick in choices:
        options = sorted(TRANSITIONS[state])
        if not options:
            assert state in TERMINAL
            break
        state = options[pick % len(options)]
        shipped = shipped or state in SHIPPED
        if shipped:
            assert state not in PRE_SHIPMENT and state is not OrderStatus.CANCELLED


def test_cancellable_exactly_before_shipment() -> None:
    cancellable = {s for s, nxt in TRANSITIONS.items() if OrderStatus.CANCELLED in nxt}
    assert cancellable == set(PRE_SHIPMENT)
    assert {OrderStatus.CANCELLED, OrderStatus.RETURNED} == TERMINAL


def test_every_status_reachable_from_unpaid() -> None:
    seen, frontier = {OrderStatus.UNPAID}, [OrderStatus.UNPAID]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(OrderStatus)
