"""Receiving, shared by inbound consignments and purchase orders: count a document's lines, put the
good units on the warehouse's shelves (``on_hand``) in the same transaction, record each line's
count once.

Idempotent per line: a line already counted with the same numbers is a replay (nothing added); with
other numbers a 409. The caller locks the document row first, so two receivers of one document
queue; the UNIQUE line reference on ``stock_receipts`` backs that up. Stock rows are then locked in
primary-key order, like every other writer of stock, and changed while locked, so units that
shoppers reserve meanwhile (one-statement holds) are never overwritten.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Product, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import flush_guarded, id_in, utcnow
from yellowcart.errors import Conflict, InvalidInput, NotFound
from yellowcart.inventory.custody_models import StockReceipt
from yellowcart.inventory.custody_rules import Count, Counted, settle_counts
from yellowcart.inventory.models import Stock, Warehouse, WarehouseOperator
from yellowcart.inventory.service import lock_stock

MAX_LINES = 200
MAX_UNITS = 100_000


class ReceiptKind(enum.StrEnum):
    INBOUND = "inbound"
    PURCHASE = "purchase"


class AlreadyReceived(Conflict):
    code, title = "already_received", "This line was already received with other counts"


class UnknownLine(InvalidInput):
    code, title = "unknown_line", "SKU not on this document"


class WrongWarehouse(InvalidInput):
    code, title = "wrong_warehouse", "Not a platform warehouse"


class WrongSellingMode(InvalidInput):
    code, title = "wrong_selling_mode", "SKU in the wrong selling mode"


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """One line of a consignment or purchase order, as receiving sees it."""

    line_id: int
    variant_id: int
    sku: str
    expected: int


# ---- documents: where they go and what they carry -------------------------------------------------


def platform_warehouse(session: Session, warehouse_id: int) -> Warehouse:
    """An active platform warehouse: consigned and bought stock lives only there."""
    warehouse = session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise NotFound(f"Warehouse {warehouse_id} does not exist.", field="warehouse_id")
    if warehouse.operator is not WarehouseOperator.PLATFORM or not warehouse.is_active:
        raise WrongWarehouse(f"Warehouse {warehouse_id} is not an active platform warehouse.", field="warehouse_id")
    return warehouse


def resolve_skus(
    session: Session, lines: Sequence[tuple[str, int]], *, mode: SellingMode, visible: set[int] | None
) -> dict[str, tuple[Variant, Product]]:
    """Each SKU's variant and product; every one must exist (among sellers ``visible``, None: all)
    and sell in ``mode``. Quantities are 1..MAX_UNITS, SKUs distinct, at most MAX_LINES lines."""
    skus = [sku for sku, _ in lines]
    if not 1 <= len(skus) <= MAX_LINES:
        raise InvalidInput(f"Give 1 to {MAX_LINES} lines.", field="lines")
    if len(set(skus)) != len(skus):
        raise InvalidInput("Each SKU appears on one line only.", field="lines")
    if any(not 1 <= qty <= MAX_UNITS for _, qty in lines):
        raise InvalidInput(f"Quantities are 1..{MAX_UNITS}.", field="lines")
    rows = session.execute(
        select(Variant, Product).join(Product, Product.id == Variant.product_id).where(Variant.sku.in_(skus))
    ).all()
    found = {v.sku: (v, p) for v, p in rows if visible is None or p.seller_id in visible}
    missing = sorted(set(skus) - set(found))
    if missing:
        raise NotFound(f"Unknown SKU: {', '.join(missing)}.", field="lines", skus=missing)
    wrong = sorted(sku for sku, (_, p) in found.items() if p.selling_mode is not mode)
    if wrong:
        raise WrongSellingMode(f"Only {mode.value} listings here: {', '.join(wrong)}.", field="lines", skus=wrong)
    return found


def document_lines(session: Session, rows: Sequence[tuple[int, int, int]]) -> list[DocumentLine]:
    """(line id, variant id, expected) rows with their SKUs."""
    skus = dict(
        session.execute(select(Variant.id, Variant.sku).where(id_in(session, Variant.id, [r[1] for r in rows]))).all()
    )
    return [DocumentLine(line_id, variant_id, skus[variant_id], expected) for line_id, variant_id, expected in rows]


# ---- receiving -------------------------------------------------------------------------------------


def receipts_for(session: Session, kind: ReceiptKind, line_ids: Sequence[int]) -> dict[int, StockReceipt]:
    """The receipts already recorded for these lines, by line id."""
    column = StockReceipt.inbound_line_id if kind is ReceiptKind.INBOUND else StockReceipt.purchase_line_id
    if not line_ids:
        return {}
    rows = session.scalars(select(StockReceipt).where(id_in(session, column, line_ids))).all()
    return {int((r.inbound_line_id if kind is ReceiptKind.INBOUND else r.purchase_line_id) or 0): r for r in rows}


def receive_lines(
    session: Session,
    *,
    principal: Principal,
    kind: ReceiptKind,
    warehouse_id: int,
    lines: Sequence[DocumentLine],
    counts: Mapping[str, Count],
    now: dt.datetime,
) -> dict[int, StockReceipt]:
    """Count lines of a (locked) document by SKU; returns every receipt of the document afterwards."""
    by_sku = {line.sku: line for line in lines}
    unknown = sorted(set(counts) - set(by_sku))
    if unknown:
        raise UnknownLine(f"Not on this document: {', '.join(unknown)}.", field="lines", skus=unknown)
    done = receipts_for(session, kind, [line.line_id for line in lines])
    fresh: list[tuple[DocumentLine, Counted]] = []
    for sku, count in counts.items():
        line = by_sku[sku]
        counted = settle_counts(line.expected, count, sku=sku)
        prior = done.get(line.line_id)
        if prior is None:
            fresh.append((line, counted))
        elif _counted(prior) != counted:
            raise AlreadyReceived(
                f"SKU {sku} was already received as {_describe(_counted(prior))}.",
                sku=sku, received=prior.received, damaged=prior.damaged, short=prior.short, surplus=prior.surplus,
            )  # fmt: skip
    if not fresh:
        return done
    stock = add_to_stock(session, warehouse_id=warehouse_id, units={ln.variant_id: c.received for ln, c in fresh})
    made = [_receipt(kind, ln, c, warehouse_id, stock[ln.variant_id].id, principal, now) for ln, c in fresh]
    flush_guarded(
        session,
        lambda: session.add_all(made),
        lambda: AlreadyReceived("These lines were received at the same moment by someone else; reload them."),
    )
    done.update({ln.line_id: r for (ln, _), r in zip(fresh, made, strict=True)})
    return done


def add_to_stock(session: Session, *, warehouse_id: int, units: Mapping[int, int]) -> dict[int, Stock]:
    """Add units per variant to the warehouse's stock rows (created when missing), locking them in
    primary-key order first; returns the rows by variant id."""
    _ensure_rows(session, warehouse_id, sorted(units))
    ids = session.scalars(
        select(Stock.id).where(Stock.warehouse_id == warehouse_id, id_in(session, Stock.variant_id, list(units)))
    ).all()
    rows = lock_stock(session, stock_ids=list(ids))
    by_variant = {row.variant_id: row for row in rows.values()}
    for stock_id in sorted(rows):
        row = rows[stock_id]
        if units[row.variant_id]:
            row.on_hand += units[row.variant_id]
            row.updated_at = utcnow()
    session.flush()
    return by_variant


def _ensure_rows(session: Session, warehouse_id: int, variant_ids: Sequence[int]) -> None:
    """Create missing stock rows, each in a savepoint: another transaction creating the same row
    first (UNIQUE variant, warehouse) is not an error, the row is simply there to lock."""
    present = set(
        session.scalars(
            select(Stock.variant_id).where(
                Stock.warehouse_id == warehouse_id, id_in(session, Stock.variant_id, variant_ids)
            )
        )
    )
    for variant_id in variant_ids:
        if variant_id in present:
            continue
        try:
            with session.begin_nested():
                session.add(Stock(warehouse_id=warehouse_id, variant_id=variant_id, on_hand=0, reserved=0))
                session.flush()
        except IntegrityError:
            continue


def _receipt(
    kind: ReceiptKind,
    line: DocumentLine,
    counted: Counted,
    warehouse_id: int,
    stock_id: int,
    principal: Principal,
    now: dt.datetime,
) -> StockReceipt:
    return StockReceipt(
        inbound_line_id=line.line_id if kind is ReceiptKind.INBOUND else None,
        purchase_line_id=line.line_id if kind is ReceiptKind.PURCHASE else None,
        warehouse_id=warehouse_id,
        variant_id=line.variant_id,
        stock_id=stock_id,
        expected=counted.expected,
        received=counted.received,
        damaged=counted.damaged,
        short=counted.short,
        surplus=counted.surplus,
        received_by=principal.user_id,
        received_at=now,
    )


def _counted(receipt: StockReceipt) -> Counted:
    return Counted(receipt.expected, receipt.received, receipt.damaged, receipt.short, receipt.surplus)


def _describe(c: Counted) -> str:
    return f"received {c.received}, damaged {c.damaged}, short {c.short}, surplus {c.surplus}"


def short_counts(lines: Sequence[DocumentLine], done: Mapping[int, StockReceipt]) -> dict[str, Count]:
    """Closing a document: every line not counted yet is recorded as entirely short."""
    return {line.sku: Count(received=0, short=line.expected) for line in lines if line.line_id not in done}
