"""Warehouse network settings (cut-off, handling, capacity, services, timezone). The warehouse row is
inventory's; these columns are fulfilment's, and this is the one place that writes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.errors import Forbidden, InvalidInput
from yellowcart.inventory import service as inventory
from yellowcart.inventory.models import Warehouse, WarehouseOperator

NETWORK_FIELDS = frozenset({"timezone", "cutoff_minutes", "handling_days", "daily_capacity", "services"})


def parse_cutoff(value: str) -> int:
    """``"14:30"`` -> 870 minutes after local midnight."""
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def update_network(
    session: Session, *, principal: Principal, warehouse_id: int, changes: Mapping[str, Any]
) -> Warehouse:
    """Operators change any warehouse; a seller only its own seller warehouses (another seller's
    reads as missing, a platform warehouse is forbidden)."""
    warehouse = inventory.visible_warehouse(session, principal=principal, warehouse_id=warehouse_id)
    if not principal.is_operator:
        own = principal.role is Role.SELLER and warehouse.seller_id == principal.seller_id
        if warehouse.operator is WarehouseOperator.PLATFORM or not own:
            raise Forbidden("Only operators change platform warehouses.")
    unknown = set(changes) - NETWORK_FIELDS
    if unknown:
        raise InvalidInput(f"Not a network setting: {sorted(unknown)}.", field=sorted(unknown)[0])
    for name, value in changes.items():
        setattr(warehouse, name, list(value) if name == "services" else value)
    session.flush()
    return warehouse
