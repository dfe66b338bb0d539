"""Pure rules for stock that arrives or leaves outside orders: the state machines of inbound
consignments, purchase orders and removals (as data), what a receiving count must add up to, and
the carrier/tracking check. No I/O: unit- and property-tested without a database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from yellowcart.errors import InvalidInput, InvalidTransition
from yellowcart.fulfillment.carriers.tracking_numbers import CARRIERS, validate_tracking_number
from yellowcart.inventory.custody_models import ConsignmentStatus, PurchaseOrderStatus, RemovalStatus

C, P, R = ConsignmentStatus, PurchaseOrderStatus, RemovalStatus
S = TypeVar("S", bound=StrEnum)

CONSIGNMENT_MOVES: dict[ConsignmentStatus, frozenset[ConsignmentStatus]] = {
    C.DRAFT: frozenset({C.SHIPPED, C.CANCELLED}),
    C.SHIPPED: frozenset({C.RECEIVING, C.RECEIVED, C.CANCELLED}),
    C.RECEIVING: frozenset({C.RECEIVED}),  # counted units are in stock: no cancelling any more
    C.RECEIVED: frozenset(),
    C.CANCELLED: frozenset(),
}
PURCHASE_ORDER_MOVES: dict[PurchaseOrderStatus, frozenset[PurchaseOrderStatus]] = {
    P.DRAFT: frozenset({P.ORDERED, P.CANCELLED}),
    P.ORDERED: frozenset({P.RECEIVING, P.RECEIVED, P.CANCELLED}),
    P.RECEIVING: frozenset({P.RECEIVED}),
    P.RECEIVED: frozenset(),
    P.CANCELLED: frozenset(),
}
REMOVAL_MOVES: dict[RemovalStatus, frozenset[RemovalStatus]] = {
    R.REQUESTED: frozenset({R.APPROVED, R.REJECTED, R.CANCELLED}),
    R.APPROVED: frozenset({R.SHIPPED, R.CANCELLED}),  # cancelling puts the set-aside units back
    R.SHIPPED: frozenset(),
    R.REJECTED: frozenset(),
    R.CANCELLED: frozenset(),
}
#: A document may be counted in these states (RECEIVED too: a retried receipt replays, adds nothing).
RECEIVABLE_CONSIGNMENT = frozenset({C.SHIPPED, C.RECEIVING, C.RECEIVED})
RECEIVABLE_PURCHASE_ORDER = frozenset({P.ORDERED, P.RECEIVING, P.RECEIVED})


def check_move(what: str, moves: Mapping[S, frozenset[S]], current: S, target: S) -> None:
    """Raise a structured 409 naming the allowed moves when ``current -> target`` is not one."""
    if target not in moves[current]:
        raise InvalidTransition(
            f"A {what} that is {current.value} cannot become {target.value}.",
            current=current.value,
            target=target.value,
            allowed=sorted(t.value for t in moves[current]),
        )


class CountsDoNotAddUp(InvalidInput):
    code, title = "counts_do_not_add_up", "Received, damaged and short must add up to the expected quantity"


class OverReceiptNotDeclared(InvalidInput):
    code, title = "over_receipt_not_declared", "More units arrived than expected"


@dataclass(frozen=True, slots=True)
class Count:
    """What a receiver reports for one line."""

    received: int  # good units: they become sellable
    damaged: int = 0
    short: int = 0
    over_receipt: bool = False  # more arrived than expected, and the receiver says so


@dataclass(frozen=True, slots=True)
class Counted:
    """A settled count: ``received + damaged + short == expected + surplus``, never both short and surplus."""

    expected: int
    received: int
    damaged: int
    short: int
    surplus: int


def settle_counts(expected: int, count: Count, *, sku: str = "") -> Counted:
    """Check one line's count against what the document expected.

    Every expected unit is accounted for: received, damaged or short. Units beyond the expected
    quantity are only taken when the receiver declares an over-receipt (a miscount otherwise puts
    phantom units on sale); the surplus is recorded and nothing is short.
    """
    where = {"sku": sku} if sku else {}
    if expected <= 0:
        raise ValueError("expected must be positive")
    if min(count.received, count.damaged, count.short) < 0:
        raise InvalidInput("Counts are zero or more.", field="lines", **where)
    arrived = count.received + count.damaged
    if arrived > expected:
        if not count.over_receipt:
            raise OverReceiptNotDeclared(
                f"{arrived} units arrived but {expected} were expected; set over_receipt to record the surplus.",
                field="lines", expected=expected, arrived=arrived, **where,
            )  # fmt: skip
        if count.short:
            raise CountsDoNotAddUp("An over-receipt has nothing short.", field="lines", **where)
        return Counted(expected, count.received, count.damaged, 0, arrived - expected)
    if count.over_receipt:
        raise InvalidInput(f"over_receipt is set but only {arrived} of {expected} arrived.", field="lines", **where)
    if arrived + count.short != expected:
        raise CountsDoNotAddUp(
            f"received {count.received} + damaged {count.damaged} + short {count.short} must equal {expected}.",
            field="lines", expected=expected, **where,
        )  # fmt: skip
    return Counted(expected, count.received, count.damaged, count.short, 0)


def check_carrier(carrier: str | None, tracking_number: str | None) -> tuple[str | None, str | None]:
    """Carrier and tracking as stored: a parcel carrier we know (``ups``, ``usps``...) must come with a
    well-formed tracking number (check digit included); another carrier (freight, a courier) is free
    text. A tracking number needs a carrier."""
    if tracking_number is not None and carrier is None:
        raise InvalidInput("A tracking number needs its carrier.", field="carrier")
    if carrier is None:
        return None, None
    if carrier in CARRIERS and tracking_number is not None:
        return carrier, validate_tracking_number(carrier, tracking_number)
    return carrier, tracking_number
