"""The seller centre's inventory: stock per warehouse (counted on-hand units in the seller's own
warehouses can be set here), and inbound consignments of full-custody stock to platform warehouses
(file a notice, mark it shipped with carrier and tracking, cancel it before the warehouse counts it).

Every write goes through the inventory services with the seller's principal, so the same rules as the
API apply: a seller counts stock only in its own warehouses and only for seller-fulfilled listings;
platform warehouses are counted by operators when a consignment arrives. Bad input re-renders the page
with the error and writes nothing (each write is one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from yellowcart.catalog.models import Product, Variant
from yellowcart.db import utcnow
from yellowcart.errors import DomainError, InvalidInput
from yellowcart.http import PathId
from yellowcart.inventory import inbound
from yellowcart.inventory import service as inventory
from yellowcart.inventory.custody_models import ConsignmentStatus
from yellowcart.inventory.custody_rules import CONSIGNMENT_MOVES
from yellowcart.inventory.custody_schemas import ConsignmentIn, ReasonIn, ShipIn
from yellowcart.inventory.models import Stock, Warehouse, WarehouseOperator
from yellowcart.inventory.schemas import OnHandIn
from yellowcart.web import session as web
from yellowcart.web.pages import app_of, fixed_notice, render
from yellowcart.web.seller import _see_other

router = APIRouter(include_in_schema=False)
STOCK_ROWS = 500
CONSIGNMENT_ROWS = 50
#: Before the warehouse starts counting (inventory.custody_rules.CONSIGNMENT_MOVES)
CANCELLABLE = frozenset(s for s, moves in CONSIGNMENT_MOVES.items() if ConsignmentStatus.CANCELLED in moves)
FORM_LINES = 5  # empty SKU rows on the new-consignment form (more lines: file a second notice, or the API)

NOTICES = {
    "stock_counted": "Stock counted.",
    "consignment_filed": "Consignment {ref} filed as a draft: mark it shipped when it leaves you.",
    "consignment_shipped": "Consignment {ref} marked shipped: the warehouse counts it on arrival.",
    "consignment_cancelled": "Consignment {ref} cancelled.",
}


def _notice(done: str, ref: str) -> str:
    return fixed_notice(NOTICES, done, ref)


@dataclass(frozen=True, slots=True)
class StockRow:
    warehouse_id: int
    warehouse: str
    platform: bool
    sku: str
    title: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return max(self.on_hand - self.reserved, 0)


def _stock(session: Session, seller_id: int) -> list[StockRow]:
    """Every stock row of the seller's SKUs, in its own warehouses and the platform's (full custody)."""
    rows = session.execute(
        select(Warehouse.id, Warehouse.code, Warehouse.operator, Variant.sku, Product.title)
        .add_columns(Stock.on_hand, Stock.reserved)
        .join(Warehouse, Warehouse.id == Stock.warehouse_id)
        .join(Variant, Variant.id == Stock.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .where(Product.seller_id == seller_id)
        .order_by(Warehouse.code, Variant.sku)
        .limit(STOCK_ROWS)
    )
    return [
        StockRow(wid, code, operator is not WarehouseOperator.SELLER, sku, title, int(on_hand), int(reserved))
        for wid, code, operator, sku, title, on_hand, reserved in rows
    ]


def _warehouses(session: Session, user: web.WebUser) -> tuple[Sequence[Warehouse], Sequence[Warehouse]]:
    """The seller's own active warehouses (to count stock in) and the platform's (to send stock to)."""
    visible = [w for w in inventory.list_warehouses(session, principal=user.principal, limit=200) if w.is_active]
    own = sorted((w for w in visible if w.operator is WarehouseOperator.SELLER), key=lambda w: w.code)
    platform = sorted((w for w in visible if w.operator is WarehouseOperator.PLATFORM), key=lambda w: w.code)
    return own, platform


def _page(
    request: Request,
    user: web.WebUser,
    *,
    notice: str = "",
    error: str = "",
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    seller_id = user.principal.seller_id
    assert seller_id is not None
    with app_of(request).db.transaction() as session:
        own, platform = _warehouses(session, user)
        consignments = inbound.list_consignments(session, principal=user.principal, limit=CONSIGNMENT_ROWS)
        codes = dict(session.execute(select(Warehouse.id, Warehouse.code)).all()) if consignments else {}
        context: dict[str, Any] = {
            "stock": _stock(session, seller_id),
            "own_warehouses": own,
            "platform_warehouses": platform,
            "consignments": consignments,
            "codes": codes,
            "draft": ConsignmentStatus.DRAFT,
            "cancellable": CANCELLABLE,
            "form_lines": range(FORM_LINES),
            "min_arrival": utcnow().date().isoformat(),
            "values": values or {},
            "notice": notice,
            "error": error,
        }
        return render(request, "seller_inventory.html", context, status_code)


def _failed(request: Request, user: web.WebUser, err: DomainError, form: FormData | None = None) -> Response:
    """The page again with what went wrong (the form's values kept, so nothing typed is lost)."""
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != web.CSRF_FIELD} if form else {}
    return _page(request, user, error=err.detail, values=values, status_code=err.status)


def _invalid(err: ValidationError) -> InvalidInput:
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "form"
    return InvalidInput(f"{where}: {first['msg']}", field=where)


def _int(form: FormData, name: str, label: str) -> int:
    text = web.field(form, name, limit=12).replace(",", "")
    if not text.isascii() or not text.isdigit():
        raise InvalidInput(f"{label}: enter a whole number.", field=name)
    return int(text)


@router.get("/seller/inventory", response_class=HTMLResponse)
def inventory_page(request: Request, user: web.Seller, done: str = "", ref: str = "") -> Response:
    return _page(request, user, notice=_notice(done, ref))


@router.post("/seller/inventory/stock")
def count_stock(request: Request, form: web.Form, user: web.Seller) -> Response:
    """Set the counted on-hand units of one of the seller's SKUs in one of its own warehouses."""
    try:
        warehouse_id = _int(form, "warehouse_id", "Warehouse")
        body = OnHandIn(on_hand=_int(form, "on_hand", "On hand"))
        sku = web.field(form, "sku", limit=64)
        with app_of(request).db.transaction() as session:
            inventory.set_sku_on_hand(
                session, principal=user.principal, sku=sku, warehouse_id=warehouse_id, on_hand=body.on_hand
            )
    except ValidationError as err:
        return _failed(request, user, _invalid(err))
    except DomainError as err:
        return _failed(request, user, err)
    return _see_other("/seller/inventory", "stock_counted")


def _consignment_in(form: FormData) -> ConsignmentIn:
    lines = []
    for i in range(FORM_LINES):
        sku = web.field(form, f"sku_{i}", limit=64)
        quantity = web.field(form, f"qty_{i}", limit=12)
        if sku or quantity:
            lines.append({"sku": sku, "quantity": quantity or "0"})
    raw = {
        "warehouse_id": web.field(form, "warehouse_id", limit=12) or "0",
        "expected_arrival": web.field(form, "expected_arrival", limit=10) or None,
        "lines": lines,
        "carrier": web.field(form, "carrier", limit=64) or None,
        "tracking_number": web.field(form, "tracking_number", limit=64) or None,
        "note": web.field(form, "note", limit=500) or None,
    }
    if not lines:
        raise InvalidInput("Add at least one SKU and quantity.", field="lines")
    return ConsignmentIn.model_validate(raw)


@router.post("/seller/consignments")
def file_consignment(request: Request, form: web.Form, user: web.Seller) -> Response:
    """A draft notice of full-custody stock the seller will send to a platform warehouse."""
    try:
        body = _consignment_in(form)
        spec = inbound.NewConsignment(
            warehouse_id=body.warehouse_id,
            expected_arrival=body.expected_arrival,
            lines=[(line.sku, line.quantity) for line in body.lines],
            carrier=body.carrier,
            tracking_number=body.tracking_number,
            note=body.note,
        )
        with app_of(request).db.transaction() as session:
            made = inbound.create_consignment(session, principal=user.principal, spec=spec, now=utcnow())
            consignment_id = made.id
    except ValidationError as err:
        return _failed(request, user, _invalid(err), form)
    except DomainError as err:
        return _failed(request, user, err, form)
    return _see_other("/seller/inventory", "consignment_filed", consignment_id)


@router.post("/seller/consignments/{consignment_id}/ship")
def ship_consignment(request: Request, consignment_id: PathId, form: web.Form, user: web.Seller) -> Response:
    try:
        body = ShipIn(
            carrier=web.field(form, "carrier", limit=64) or None,
            tracking_number=web.field(form, "tracking_number", limit=64) or None,
        )
        with app_of(request).db.transaction() as session:
            inbound.ship_consignment(
                session, principal=user.principal, consignment_id=consignment_id, carrier=body.carrier,
                tracking_number=body.tracking_number, now=utcnow(),
            )  # fmt: skip
    except ValidationError as err:
        return _failed(request, user, _invalid(err))
    except DomainError as err:
        return _failed(request, user, err)
    return _see_other("/seller/inventory", "consignment_shipped", consignment_id)


@router.post("/seller/consignments/{consignment_id}/cancel")
def cancel_consignment(request: Request, consignment_id: PathId, form: web.Form, user: web.Seller) -> Response:
    try:
        body = ReasonIn(reason=web.field(form, "reason", limit=500) or None)
        with app_of(request).db.transaction() as session:
            inbound.cancel_consignment(
                session, principal=user.principal, consignment_id=consignment_id, reason=body.reason, now=utcnow()
            )
    except ValidationError as err:
        return _failed(request, user, _invalid(err))
    except DomainError as err:
        return _failed(request, user, err)
    return _see_other("/seller/inventory", "consignment_cancelled", consignment_id)


__all__ = ["router"]
