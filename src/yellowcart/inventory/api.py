"""Warehouse and stock endpoints for sellers and operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.schemas import SKU_PATTERN
from yellowcart.http import Db, PathId, decode_cursor, next_cursor, problems, require
from yellowcart.inventory import service
from yellowcart.inventory.models import Stock, Warehouse
from yellowcart.inventory.schemas import (
    OnHandIn,
    SkuStockOut,
    WarehouseIn,
    WarehouseOut,
    WarehousePage,
    WarehouseStockOut,
)

router = APIRouter(tags=["inventory"])
PROBLEMS = problems(s409="Conflict (warehouse code taken)")
SkuPath = Annotated[str, Path(min_length=1, max_length=64, pattern=SKU_PATTERN)]
WarehouseId = PathId
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]


def _row(stock: Stock, warehouse: Warehouse) -> WarehouseStockOut:
    return WarehouseStockOut(
        warehouse_id=warehouse.id,
        warehouse_code=warehouse.code,
        operator=warehouse.operator,
        warehouse_active=warehouse.is_active,
        on_hand=stock.on_hand,
        reserved=stock.reserved,
        available=max(stock.available, 0),
    )


@router.get(
    "/v1/warehouses",
    response_model=WarehousePage,
    responses=PROBLEMS,
    summary="Warehouses I may use (operator: all; seller: platform and own)",
)
def list_warehouses(
    db: Db,
    who: Manager,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> WarehousePage:
    after_id = decode_cursor(cursor)
    with db.transaction() as session:
        rows = service.list_warehouses(session, principal=who, after_id=after_id, limit=limit + 1)
        items = [WarehouseOut.model_validate(w) for w in rows[:limit]]
    return WarehousePage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.get("/v1/warehouses/{warehouse_id}", response_model=WarehouseOut, responses=PROBLEMS, summary="One warehouse")
def get_warehouse(warehouse_id: WarehouseId, db: Db, who: Manager) -> WarehouseOut:
    with db.transaction() as session:
        return WarehouseOut.model_validate(service.visible_warehouse(session, principal=who, warehouse_id=warehouse_id))


@router.post(
    "/v1/warehouses",
    response_model=WarehouseOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Open a warehouse (operator: platform or a seller's; seller: its own)",
)
def create_warehouse(body: WarehouseIn, db: Db, who: Manager) -> WarehouseOut:
    spec = service.NewWarehouse(**body.model_dump())
    with db.transaction() as session:
        return WarehouseOut.model_validate(service.create_warehouse(session, principal=who, spec=spec))


@router.get(
    "/v1/inventory/{sku}",
    response_model=SkuStockOut,
    responses=PROBLEMS,
    summary="Stock of a SKU per warehouse (owner seller, operator)",
)
def sku_stock(sku: SkuPath, db: Db, who: Manager) -> SkuStockOut:
    with db.transaction() as session:
        variant, product, rows = service.sku_stock(session, principal=who, sku=sku)
        out = [_row(stock, warehouse) for stock, warehouse in rows]
        available = service.available_by_variant(session, [variant.id])[variant.id]
        return SkuStockOut(
            sku=variant.sku,
            product_id=product.id,
            selling_mode=product.selling_mode,
            on_hand=sum(r.on_hand for r in out),
            reserved=sum(r.reserved for r in out),
            available=available,
            warehouses=out,
        )


@router.put(
    "/v1/inventory/{sku}/warehouses/{warehouse_id}",
    response_model=WarehouseStockOut,
    responses=PROBLEMS,
    summary="Set the counted on-hand units of a SKU in a warehouse",
)
def set_on_hand(sku: SkuPath, warehouse_id: WarehouseId, body: OnHandIn, db: Db, who: Manager) -> WarehouseStockOut:
    with db.transaction() as session:
        _, stock, warehouse = service.set_sku_on_hand(
            session, principal=who, sku=sku, warehouse_id=warehouse_id, on_hand=body.on_hand
        )
        return _row(stock, warehouse)
