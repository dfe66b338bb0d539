"""The pure rules of custody: the price check's margin arithmetic, receiving counts, the document
state machines and the carrier check (no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody.custody_world import VALID_UPS, WRONG_UPS
from yellowcart.catalog.custody_rules import (
    BPS,
    MarginTooLow,
    OverrideNeedsReason,
    PriceBelowSupply,
    check_retail_price,
    lowest_price_for_margin,
    margin_bps,
)
from yellowcart.errors import InvalidInput, InvalidTransition
from yellowcart.fulfillment.carriers.errors import InvalidTrackingNumber
from yellowcart.inventory.custody_models import ConsignmentStatus, PurchaseOrderStatus, RemovalStatus
from yellowcart.inventory.custody_rules import (
    CONSIGNMENT_MOVES,
    PURCHASE_ORDER_MOVES,
    REMOVAL_MOVES,
    Count,
    CountsDoNotAddUp,
    OverReceiptNotDeclared,
    check_carrier,
    check_move,
    settle_counts,
)

cents = st.integers(min_value=1, max_value=10_000_000)
minimums = st.integers(min_value=0, max_value=BPS - 1)


# ---- price check --------------------------------------------------------------------------------


@given(supply=cents, price=cents)
def test_margin_is_the_floor_of_the_exact_ratio(supply: int, price: int) -> None:
    m = margin_bps(supply_cents=supply, price_cents=price)
    # m <= (price - supply) / price * BPS < m + 1, checked in integers
    assert m * price <= (price - supply) * BPS < (m + 1) * price


@given(supply=cents, price=cents, minimum=minimums, override=st.booleans())
def test_a_price_is_accepted_exactly_when_it_covers_supply_and_margin(
    supply: int, price: int, minimum: int, override: bool
) -> None:
    exact_ok = price >= supply and (price - supply) * BPS >= minimum * price
    try:
        margin = check_retail_price(
            supply_cents=supply, price_cents=price, min_margin_bps=minimum, override=override, reason="launch"
        )
    except PriceBelowSupply:
        assert price < supply
    except MarginTooLow as exc:
        assert price >= supply and not exact_ok and not override
        assert exc.extra["min_margin_bps"] == minimum
    else:
        assert price >= supply and (exact_ok or override)
        assert margin == margin_bps(supply_cents=supply, price_cents=price)


@given(supply=cents, minimum=minimums)
def test_lowest_price_for_margin_is_the_edge(supply: int, minimum: int) -> None:
    edge = lowest_price_for_margin(supply_cents=supply, min_margin_bps=minimum)
    assert check_retail_price(supply_cents=supply, price_cents=edge, min_margin_bps=minimum) >= minimum
    if edge - 1 >= supply:
        with pytest.raises(MarginTooLow):
            check_retail_price(supply_cents=supply, price_cents=edge - 1, min_margin_bps=minimum)


def test_override_below_minimum_needs_a_reason_and_never_goes_below_supply() -> None:
    with pytest.raises(OverrideNeedsReason):
        check_retail_price(supply_cents=1000, price_cents=1050, min_margin_bps=1500, override=True, reason="  ")
    assert check_retail_price(
        supply_cents=1000, price_cents=1050, min_margin_bps=1500, override=True, reason="launch price"
    ) == margin_bps(supply_cents=1000, price_cents=1050)
    with pytest.raises(PriceBelowSupply):
        check_retail_price(supply_cents=1000, price_cents=999, min_margin_bps=0, override=True, reason="clearance")


# ---- receiving counts ---------------------------------------------------------------------------


counts = st.integers(min_value=0, max_value=300)


@given(
    expected=st.integers(min_value=1, max_value=200), received=counts, damaged=counts, short=counts, over=st.booleans()
)
def test_a_settled_count_accounts_for_every_unit(
    expected: int, received: int, damaged: int, short: int, over: bool
) -> None:
    try:
        c = settle_counts(expected, Count(received, damaged, short, over))
    except (CountsDoNotAddUp, OverReceiptNotDeclared, InvalidInput):
        arrived = received + damaged
        legal = (arrived + short == expected and not over) or (arrived > expected and over and short == 0)
        assert not legal
    else:
        assert c.received + c.damaged + c.short == c.expected + c.surplus
        assert c.short == 0 or c.surplus == 0
        assert (c.surplus > 0) == over
        assert (c.received, c.damaged) == (received, damaged)


def test_over_receipt_must_be_declared() -> None:
    with pytest.raises(OverReceiptNotDeclared):
        settle_counts(10, Count(received=11))
    assert settle_counts(10, Count(received=10, damaged=2, over_receipt=True)).surplus == 2
    with pytest.raises(CountsDoNotAddUp):
        settle_counts(10, Count(received=7, damaged=1, short=1))


# ---- state machines and carriers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("moves", "terminal"),
    [
        (CONSIGNMENT_MOVES, {ConsignmentStatus.RECEIVED, ConsignmentStatus.CANCELLED}),
        (PURCHASE_ORDER_MOVES, {PurchaseOrderStatus.RECEIVED, PurchaseOrderStatus.CANCELLED}),
        (REMOVAL_MOVES, {RemovalStatus.SHIPPED, RemovalStatus.REJECTED, RemovalStatus.CANCELLED}),
    ],
)
def test_state_machines_are_total_and_end_where_they_should(moves: dict, terminal: set) -> None:  # type: ignore[type-arg]
    assert set(moves) == set(type(next(iter(moves))))  # every status has its row
    assert {s for s, nxt in moves.items() if not nxt} == terminal
    for current, targets in moves.items():
        for target in type(current):
            if target in targets:
                check_move("thing", moves, current, target)
            else:
                with pytest.raises(InvalidTransition):
                    check_move("thing", moves, current, target)


def test_receiving_cannot_be_cancelled() -> None:
    with pytest.raises(InvalidTransition) as caught:
        check_move("consignment", CONSIGNMENT_MOVES, ConsignmentStatus.RECEIVING, ConsignmentStatus.CANCELLED)
    assert caught.value.extra["allowed"] == ["received"]


def test_carrier_check() -> None:
    assert check_carrier("ups", VALID_UPS.lower()) == ("ups", VALID_UPS)
    with pytest.raises(InvalidTrackingNumber):
        check_carrier("ups", WRONG_UPS)
    assert check_carrier("XPO freight", "PRO 12345") == ("XPO freight", "PRO 12345")  # free text
    assert check_carrier(None, None) == (None, None)
    with pytest.raises(InvalidInput):
        check_carrier(None, VALID_UPS)
