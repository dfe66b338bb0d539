"""Fulfilment endpoints: the public delivery promise and warehouse network settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.schemas import SKU_PATTERN
from yellowcart.db import utcnow
from yellowcart.errors import InvalidInput
from yellowcart.fulfillment import network, service
from yellowcart.fulfillment.schemas import ZIP_PATTERN, DeliveryPromiseOut, PromiseOut, WarehouseNetworkPatch
from yellowcart.http import Db, PathId, problems, require
from yellowcart.inventory.schemas import WarehouseOut

router = APIRouter(tags=["fulfillment"])
PROBLEMS = problems(
    s404="Unknown SKU or warehouse",
    s422="Invalid input: unknown_zip, military_zip_not_supported, po_box_not_deliverable (the field is named)",
)
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
ZipQuery = Annotated[str, Query(pattern=ZIP_PATTERN, description="5-digit ship-to ZIP")]
NOT_NULL = ("cutoff_local", "handling_days", "services")


@router.get(
    "/v1/delivery-promise",
    response_model=DeliveryPromiseOut,
    responses=PROBLEMS,
    summary="The fastest delivery date the network can keep for a SKU to a ZIP (public)",
)
def delivery_promise(
    db: Db,
    sku: Annotated[str, Query(min_length=1, max_length=64, pattern=SKU_PATTERN)],
    zip: ZipQuery,
    qty: Annotated[int, Query(ge=1, le=999)] = 1,
) -> DeliveryPromiseOut:
    with db.transaction() as session:
        quote = service.quote(session, sku=sku, qty=qty, ship_to_zip=zip, now=utcnow())
    return DeliveryPromiseOut(
        sku=sku,
        qty=qty,
        zip=zip,
        promise=PromiseOut.of(quote.promise) if quote.promise else None,
        reason=quote.reason,
    )


@router.patch(
    "/v1/warehouses/{warehouse_id}",
    response_model=WarehouseOut,
    responses=PROBLEMS,
    summary="Change a warehouse's network settings (operator; seller: its own warehouses)",
)
def patch_warehouse(warehouse_id: PathId, body: WarehouseNetworkPatch, db: Db, who: Manager) -> WarehouseOut:
    given = body.model_dump(exclude_unset=True)
    for name in NOT_NULL:
        if name in given and given[name] is None:
            raise InvalidInput(f"'{name}' cannot be null.", field=name)
    changes: dict[str, Any] = {k: v for k, v in given.items() if k != "cutoff_local"}
    if "cutoff_local" in given:
        changes["cutoff_minutes"] = network.parse_cutoff(given["cutoff_local"])
    with db.transaction() as session:
        warehouse = network.update_network(session, principal=who, warehouse_id=warehouse_id, changes=changes)
        return WarehouseOut.model_validate(warehouse)
