"""Inbound consignments (ASNs): a seller sends full-custody stock to a platform warehouse.

``draft -> shipped -> receiving -> received``, or ``cancelled`` before receiving starts. The seller
(or an operator for it) creates the notice with its lines, marks it shipped with the carrier and
tracking; warehouse staff (operators) count each line (``inventory.receiving``: received, damaged,
short, declared surplus) and the good units become sellable in the same transaction. When every line
is counted, or an operator closes the rest as short, ``inbound.received`` is emitted.

A seller sees and acts on its own consignments only (another's reads as missing); operators on all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.modes import SellingMode
from yellowcart.errors import Forbidden, InvalidInput, NotFound
from yellowcart.events import emit
from yellowcart.inventory.custody_models import ConsignmentStatus, InboundConsignment, InboundLine, StockReceipt
from yellowcart.inventory.custody_rules import (
    CONSIGNMENT_MOVES,
    RECEIVABLE_CONSIGNMENT,
    Count,
    check_carrier,
    check_move,
)
from yellowcart.inventory.receiving import (
    DocumentLine,
    ReceiptKind,
    document_lines,
    platform_warehouse,
    receipts_for,
    receive_lines,
    resolve_skus,
    short_counts,
)

S = ConsignmentStatus
WHAT = "consignment"


@dataclass(frozen=True, slots=True)
class NewConsignment:
    warehouse_id: int
    expected_arrival: dt.date
    lines: Sequence[tuple[str, int]]  # (sku, quantity expected)
    seller_id: int | None = None  # operators: for whom (default: the SKUs' seller)
    carrier: str | None = None
    tracking_number: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ConsignmentView:
    consignment: InboundConsignment
    lines: list[DocumentLine]
    receipts: dict[int, StockReceipt]  # by line id: the lines counted so far


# ---- the seller's side ---------------------------------------------------------------------------


def create_consignment(
    session: Session, *, principal: Principal, spec: NewConsignment, now: dt.datetime
) -> InboundConsignment:
    """A draft notice of full-custody SKUs the seller will send to a platform warehouse."""
    visible = _sellers_in_scope(principal, spec.seller_id)
    if spec.expected_arrival < now.date() - dt.timedelta(days=1):
        raise InvalidInput("expected_arrival is in the past.", field="expected_arrival")
    carrier, tracking = check_carrier(spec.carrier, spec.tracking_number)
    warehouse = platform_warehouse(session, spec.warehouse_id)
    found = resolve_skus(session, spec.lines, mode=SellingMode.FULL_CUSTODY, visible=visible)
    sellers = {product.seller_id for _, product in found.values()}
    if len(sellers) != 1:
        raise InvalidInput("One consignment carries one seller's SKUs.", field="lines", seller_ids=sorted(sellers))
    consignment = InboundConsignment(
        seller_id=sellers.pop(),
        warehouse_id=warehouse.id,
        status=S.DRAFT,
        expected_arrival=spec.expected_arrival,
        carrier=carrier,
        tracking_number=tracking,
        note=spec.note,
        created_by=principal.user_id,
        created_at=now,
        lines=[InboundLine(variant_id=found[sku][0].id, quantity=qty) for sku, qty in spec.lines],
    )
    session.add(consignment)
    session.flush()
    return consignment


def ship_consignment(
    session: Session,
    *,
    principal: Principal,
    consignment_id: int,
    carrier: str | None,
    tracking_number: str | None,
    now: dt.datetime,
) -> InboundConsignment:
    """The goods left the seller: carrier and tracking given here replace the draft's."""
    consignment = _locked(session, principal, consignment_id)
    check_move(WHAT, CONSIGNMENT_MOVES, consignment.status, S.SHIPPED)
    if carrier is not None or tracking_number is not None:
        consignment.carrier, consignment.tracking_number = check_carrier(carrier, tracking_number)
    consignment.status, consignment.shipped_at = S.SHIPPED, now
    session.flush()
    return consignment


def cancel_consignment(
    session: Session, *, principal: Principal, consignment_id: int, reason: str | None, now: dt.datetime
) -> InboundConsignment:
    """Call it off before the warehouse starts counting (nothing is in stock yet)."""
    consignment = _locked(session, principal, consignment_id)
    check_move(WHAT, CONSIGNMENT_MOVES, consignment.status, S.CANCELLED)
    consignment.status, consignment.cancel_reason, consignment.closed_at = S.CANCELLED, reason, now
    session.flush()
    return consignment


# ---- the warehouse's side ------------------------------------------------------------------------


def receive_consignment(
    session: Session, *, principal: Principal, consignment_id: int, counts: Mapping[str, Count], now: dt.datetime
) -> ConsignmentView:
    """Count lines (by SKU); good units are in stock when this returns. Replays add nothing."""
    _require_operator(principal)
    consignment = _locked(session, principal, consignment_id)
    if consignment.status not in RECEIVABLE_CONSIGNMENT:
        check_move(WHAT, CONSIGNMENT_MOVES, consignment.status, S.RECEIVING)
    lines = _lines(session, consignment)
    receipts = receive_lines(
        session, principal=principal, kind=ReceiptKind.INBOUND, warehouse_id=consignment.warehouse_id,
        lines=lines, counts=counts, now=now,
    )  # fmt: skip
    _advance(session, consignment, lines, receipts, now)
    return ConsignmentView(consignment, lines, receipts)


def close_consignment(
    session: Session, *, principal: Principal, consignment_id: int, reason: str, now: dt.datetime
) -> ConsignmentView:
    """Finish receiving: every line not counted yet is recorded as entirely short."""
    _require_operator(principal)
    if not reason.strip():
        raise InvalidInput("Say why the consignment is closed.", field="reason")
    consignment = _locked(session, principal, consignment_id)
    check_move(WHAT, CONSIGNMENT_MOVES, consignment.status, S.RECEIVED)
    lines = _lines(session, consignment)
    done = receipts_for(session, ReceiptKind.INBOUND, [line.line_id for line in lines])
    receipts = receive_lines(
        session, principal=principal, kind=ReceiptKind.INBOUND, warehouse_id=consignment.warehouse_id,
        lines=lines, counts=short_counts(lines, done), now=now,
    )  # fmt: skip
    consignment.note = f"{consignment.note or ''}\nclosed: {reason.strip()}".strip()[:500]
    _advance(session, consignment, lines, receipts, now)
    return ConsignmentView(consignment, lines, receipts)


def _advance(
    session: Session,
    consignment: InboundConsignment,
    lines: list[DocumentLine],
    receipts: dict[int, StockReceipt],
    now: dt.datetime,
) -> None:
    """shipped -> receiving on the first count; -> received (and the event) once every line is counted."""
    if receipts and consignment.status is S.SHIPPED:
        consignment.status, consignment.receiving_at = S.RECEIVING, now
    if consignment.status is S.RECEIVING and all(line.line_id in receipts for line in lines):
        consignment.status, consignment.closed_at = S.RECEIVED, now
        emit(
            session,
            "inbound.received",
            consignment_id=consignment.id,
            seller_id=consignment.seller_id,
            warehouse_id=consignment.warehouse_id,
            lines=[_event_line(line, receipts[line.line_id]) for line in lines],
        )
    session.flush()


def _event_line(line: DocumentLine, r: StockReceipt) -> dict[str, object]:
    return {
        "variant_id": line.variant_id, "sku": line.sku, "expected": r.expected, "received": r.received,
        "damaged": r.damaged, "short": r.short, "surplus": r.surplus,
    }  # fmt: skip


# ---- reading -------------------------------------------------------------------------------------


def list_consignments(
    session: Session,
    *,
    principal: Principal,
    status: ConsignmentStatus | None = None,
    warehouse_id: int | None = None,
    seller_id: int | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[ConsignmentView]:
    """Newest first: a seller's own, everyone's for operators."""
    query = select(InboundConsignment)
    if principal.role is Role.SELLER:
        query = query.where(InboundConsignment.seller_id == principal.seller_id)
    elif not principal.is_operator:
        raise Forbidden("Only sellers and operators see consignments.")
    for column, value in (
        (InboundConsignment.status, status),
        (InboundConsignment.warehouse_id, warehouse_id),
        (InboundConsignment.seller_id, seller_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if after_id is not None:
        query = query.where(InboundConsignment.id < after_id)
    found = session.scalars(query.order_by(InboundConsignment.id.desc()).limit(limit)).all()
    return [_view(session, c) for c in found]


def get_consignment(session: Session, *, principal: Principal, consignment_id: int) -> ConsignmentView:
    return _view(session, _visible(session, principal, consignment_id, lock=False))


def _view(session: Session, consignment: InboundConsignment) -> ConsignmentView:
    lines = _lines(session, consignment)
    return ConsignmentView(consignment, lines, receipts_for(session, ReceiptKind.INBOUND, [ln.line_id for ln in lines]))


# ---- helpers -------------------------------------------------------------------------------------


def _sellers_in_scope(principal: Principal, requested: int | None) -> set[int] | None:
    """Sellers send their own stock; operators may file a notice for any seller (None: all)."""
    if principal.role is Role.SELLER:
        if requested is not None and requested != principal.seller_id:
            raise Forbidden("Sellers file consignments for their own account only.", field="seller_id")
        return {int(principal.seller_id or 0)}
    if not principal.is_operator:
        raise Forbidden("Only sellers and operators file consignments.")
    return None if requested is None else {requested}


def _require_operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise Forbidden("Receiving is done by warehouse staff (operators).")


def _visible(session: Session, principal: Principal, consignment_id: int, *, lock: bool) -> InboundConsignment:
    consignment = session.get(InboundConsignment, consignment_id, with_for_update=lock)
    mine = consignment is not None and (
        principal.is_operator or (principal.role is Role.SELLER and principal.seller_id == consignment.seller_id)
    )
    if consignment is None or not mine:
        raise NotFound(f"Consignment {consignment_id} does not exist.")
    return consignment


def _locked(session: Session, principal: Principal, consignment_id: int) -> InboundConsignment:
    """The consignment row, locked: whoever changes it (or counts its lines) goes one at a time."""
    return _visible(session, principal, consignment_id, lock=True)


def _lines(session: Session, consignment: InboundConsignment) -> list[DocumentLine]:
    rows = session.execute(
        select(InboundLine.id, InboundLine.variant_id, InboundLine.quantity)
        .where(InboundLine.consignment_id == consignment.id)
        .order_by(InboundLine.id)
    ).all()
    return document_lines(session, [(int(a), int(b), int(c)) for a, b, c in rows])
