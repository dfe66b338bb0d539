"""The operations console's receiving dock: what is on its way to, or being counted at, the platform's
warehouses — sellers' inbound consignments of full-custody stock and the platform's own purchase orders.
A receiver counts each line (received, damaged, short, or a declared over-receipt) and the good units go
on sale in the same transaction; the rest of a document can be closed as short, with a reason.

The counting rules, the once-only receipts and the stock movement are the inventory services'
(:mod:`yellowcart.inventory.inbound`, :mod:`yellowcart.inventory.purchasing`,
:mod:`yellowcart.inventory.receiving`); a form is validated with the API's own request schema
(:class:`~yellowcart.inventory.custody_schemas.ReceiptIn`), so a count that does not add up is refused here
exactly as over the API, and nothing is written."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from yellowcart.auth.service import Principal
from yellowcart.db import utcnow
from yellowcart.errors import DomainError, InvalidInput, NotFound
from yellowcart.http import PathId
from yellowcart.inventory import inbound, purchasing
from yellowcart.inventory.custody_models import ConsignmentStatus, PurchaseOrderStatus, StockReceipt
from yellowcart.inventory.custody_rules import Count
from yellowcart.inventory.custody_schemas import ReceiptIn, RequiredReasonIn
from yellowcart.inventory.models import Warehouse, WarehouseOperator
from yellowcart.inventory.receiving import DocumentLine
from yellowcart.web import session as web
from yellowcart.web.ops import _errors, _seller_names
from yellowcart.web.pages import app_of, render, render_problem

router = APIRouter(include_in_schema=False)
LIST_LIMIT = 100
NOTICES = {
    "counted": "Counted: the good units are on sale.",
    "closed": "Closed: lines not counted were recorded as short.",
}


@dataclass(frozen=True, slots=True)
class Arrival:
    """A consignment or a purchase order, as the dock sees it."""

    kind: str  # the URL segment: "consignments" or "purchase-orders"
    id: int
    label: str  # "Consignment #12", "Purchase order #3"
    sender: str  # the seller, or the supplier
    warehouse_id: int
    status: enum.Enum
    expected_arrival: dt.date | None
    lines: list[DocumentLine]
    receipts: dict[int, StockReceipt]
    tracking: str | None
    note: str | None
    countable: bool  # at the dock: lines may be counted, the rest closed as short

    @property
    def href(self) -> str:
        return f"/ops/receiving/{self.kind}/{self.id}"


Lister = Callable[[Session, Principal, str | None], list[Arrival]]


@dataclass(frozen=True, slots=True)
class Kind:
    """How the dock reads, counts and closes one kind of document."""

    statuses: tuple[str, ...]
    at_dock: frozenset[str]
    listing: Lister
    one: Callable[[Session, Principal, int], Arrival]
    receive: Callable[[Session, Principal, int, Mapping[str, Count], dt.datetime], object]
    close: Callable[[Session, Principal, int, str, dt.datetime], object]


def _consignment(view: inbound.ConsignmentView, names: Mapping[int, str]) -> Arrival:
    c = view.consignment
    return Arrival(
        kind="consignments", id=c.id, label=f"Consignment #{c.id}",
        sender=names.get(c.seller_id, f"seller {c.seller_id}"),
        warehouse_id=c.warehouse_id, status=c.status, expected_arrival=c.expected_arrival, lines=view.lines,
        receipts=view.receipts, tracking=f"{c.carrier} {c.tracking_number}" if c.tracking_number else None,
        note=c.note, countable=c.status.value in CONSIGNMENTS_AT_DOCK,
    )  # fmt: skip


def _purchase_order(view: purchasing.PurchaseOrderView) -> Arrival:
    o = view.order
    return Arrival(
        kind="purchase-orders", id=o.id, label=f"Purchase order #{o.id}", sender=o.supplier_name,
        warehouse_id=o.warehouse_id, status=o.status, expected_arrival=o.expected_arrival, lines=view.lines,
        receipts=view.receipts, tracking=None, note=o.note, countable=o.status.value in ORDERS_AT_DOCK,
    )  # fmt: skip


CONSIGNMENTS_AT_DOCK = frozenset({ConsignmentStatus.SHIPPED.value, ConsignmentStatus.RECEIVING.value})
ORDERS_AT_DOCK = frozenset({PurchaseOrderStatus.ORDERED.value, PurchaseOrderStatus.RECEIVING.value})


def _list_consignments(session: Session, who: Principal, status: str | None) -> list[Arrival]:
    wanted = [ConsignmentStatus(status)] if status else [ConsignmentStatus(s) for s in sorted(CONSIGNMENTS_AT_DOCK)]
    views = [v for s in wanted for v in inbound.list_consignments(session, principal=who, status=s, limit=LIST_LIMIT)]
    names = _seller_names(session, {v.consignment.seller_id for v in views})
    return [_consignment(v, names) for v in views]


def _one_consignment(session: Session, who: Principal, document_id: int) -> Arrival:
    view = inbound.get_consignment(session, principal=who, consignment_id=document_id)
    return _consignment(view, _seller_names(session, {view.consignment.seller_id}))


def _list_orders(session: Session, who: Principal, status: str | None) -> list[Arrival]:
    wanted = [PurchaseOrderStatus(status)] if status else [PurchaseOrderStatus(s) for s in sorted(ORDERS_AT_DOCK)]
    views = [
        v for s in wanted for v in purchasing.list_purchase_orders(session, principal=who, status=s, limit=LIST_LIMIT)
    ]
    return [_purchase_order(v) for v in views]


KINDS: dict[str, Kind] = {
    "consignments": Kind(
        statuses=tuple(s.value for s in ConsignmentStatus),
        at_dock=CONSIGNMENTS_AT_DOCK,
        listing=_list_consignments,
        one=_one_consignment,
        receive=lambda s, who, i, counts, now: inbound.receive_consignment(
            s, principal=who, consignment_id=i, counts=counts, now=now
        ),
        close=lambda s, who, i, reason, now: inbound.close_consignment(
            s, principal=who, consignment_id=i, reason=reason, now=now
        ),
    ),
    "purchase-orders": Kind(
        statuses=tuple(s.value for s in PurchaseOrderStatus),
        at_dock=ORDERS_AT_DOCK,
        listing=_list_orders,
        one=lambda s, who, i: _purchase_order(purchasing.get_purchase_order(s, principal=who, order_id=i)),
        receive=lambda s, who, i, counts, now: purchasing.receive_purchase_order(
            s, principal=who, order_id=i, counts=counts, now=now
        ),
        close=lambda s, who, i, reason, now: purchasing.close_purchase_order(
            s, principal=who, order_id=i, reason=reason, now=now
        ),
    ),
}


def _missing(request: Request) -> Response:
    return render_problem(request, 404, "Not found", "There is no such consignment or purchase order.")


def _platform_warehouses(session: Session) -> Sequence[Warehouse]:
    query = select(Warehouse).where(Warehouse.operator == WarehouseOperator.PLATFORM).order_by(Warehouse.code)
    return session.scalars(query).all()


@router.get("/ops/receiving", response_class=HTMLResponse)
def dock(request: Request, user: web.Operator, kind: str = "", status: str = "", warehouse_id: str = "") -> Response:
    """Both kinds, earliest expected arrival first. By default what is on its way or being counted;
    ``kind`` narrows to one kind, and then ``status`` to one of its statuses."""
    chosen = {kind: KINDS[kind]} if kind in KINDS else KINDS
    digits = warehouse_id.isascii() and warehouse_id.isdigit() and len(warehouse_id) < 10
    warehouse = int(warehouse_id) if digits else None
    with app_of(request).db.transaction() as session:
        arrivals = [
            a
            for k in chosen.values()
            for a in k.listing(session, user.principal, status if status in k.statuses and len(chosen) == 1 else None)
            if warehouse is None or a.warehouse_id == warehouse
        ]
        arrivals.sort(key=lambda a: (a.expected_arrival or dt.date.max, a.kind, a.id))
        warehouses = _platform_warehouses(session)
        context: dict[str, Any] = {
            "arrivals": arrivals[:LIST_LIMIT],
            "warehouses": warehouses,
            "codes": {w.id: w.code for w in warehouses},
            "kind": kind if kind in KINDS else "",
            "statuses": KINDS[kind].statuses if kind in KINDS else (),
            "status": status if kind in KINDS and status in KINDS[kind].statuses else "",
            "warehouse_id": warehouse,
            "notice": None,
            "error": None,
        }
        return render(request, "ops_receiving.html", context)


def _detail(
    request: Request, user: web.WebUser, kind: str, document_id: PathId, *, notice: str | None = None,
    error: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    if kind not in KINDS:
        return _missing(request)
    with app_of(request).db.transaction() as session:
        try:
            arrival = KINDS[kind].one(session, user.principal, document_id)
        except NotFound:
            return _missing(request)
        context = {
            "a": arrival,
            "warehouse": session.get(Warehouse, arrival.warehouse_id),
            "notice": notice,
            "error": error,
        }
        return render(request, "ops_receiving_one.html", context, status_code)


@router.get("/ops/receiving/{kind}/{document_id}", response_class=HTMLResponse)
def document_page(request: Request, kind: str, document_id: PathId, user: web.Operator, done: str = "") -> Response:
    return _detail(request, user, kind, document_id, notice=NOTICES.get(done[:16]))


def _receipt(form: FormData) -> ReceiptIn:
    """The lines the receiver filled in (``received__<sku>``, ``damaged__<sku>``, ``short__<sku>``,
    ``over__<sku>``); a line left blank is not counted yet."""
    lines: dict[str, dict[str, Any]] = {}
    for name, value in form.multi_items():
        field, _, sku = name.partition("__")
        if not isinstance(value, str) or field not in {"received", "damaged", "short", "over"} or not sku:
            continue
        if field == "over":
            lines.setdefault(sku, {})["over_receipt"] = value == "on"
        elif value.strip():
            lines.setdefault(sku, {})[field] = value.strip()[:8]
    counted = [
        {"received": "0", "sku": sku, **fields} for sku, fields in lines.items() if set(fields) - {"over_receipt"}
    ]
    if not counted:
        raise InvalidInput("Fill in the count of at least one line.", field="lines")
    return ReceiptIn.model_validate({"lines": counted})


def _act(request: Request, user: web.WebUser, kind: str, document_id: PathId, run: Callable[[Session], object],
         done: str) -> Response:  # fmt: skip
    try:
        with app_of(request).db.transaction() as session:
            run(session)
    except NotFound:
        return _missing(request)
    except DomainError as err:
        return _detail(request, user, kind, document_id, error=f"{err.title}: {err.detail}", status_code=err.status)
    return RedirectResponse(f"/ops/receiving/{kind}/{document_id}?done={done}", status_code=303)


@router.post("/ops/receiving/{kind}/{document_id}/receipts")
def count(request: Request, kind: str, document_id: PathId, form: web.Form, user: web.Operator) -> Response:
    if kind not in KINDS:
        return _missing(request)
    try:
        counts = _receipt(form).counts()
    except ValidationError as err:
        return _detail(request, user, kind, document_id, error=_errors(err), status_code=422)
    except InvalidInput as err:
        return _detail(request, user, kind, document_id, error=err.detail, status_code=422)
    receive = KINDS[kind].receive
    return _act(request, user, kind, document_id, lambda s: receive(s, user.principal, document_id, counts, utcnow()),
                "counted")  # fmt: skip


@router.post("/ops/receiving/{kind}/{document_id}/close")
def close(request: Request, kind: str, document_id: PathId, form: web.Form, user: web.Operator) -> Response:
    if kind not in KINDS:
        return _missing(request)
    try:
        reason = RequiredReasonIn(reason=web.field(form, "reason", limit=500)).reason
    except ValidationError:
        return _detail(request, user, kind, document_id, error="Say why it is closed.", status_code=422)
    finish = KINDS[kind].close
    return _act(request, user, kind, document_id, lambda s: finish(s, user.principal, document_id, reason, utcnow()),
                "closed")  # fmt: skip


__all__ = ["router"]
