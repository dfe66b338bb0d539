"""Operators' changes to a warehouse's daily capacity and cut-off (the operations console's form).

The write goes through :func:`network.update_network`, the one writer of the network columns, and leaves
an audit record with the values before and after: the console's forms are not API calls, so the generic
audit trail (:mod:`yellowcart.audit.trail`, which records operators' API writes) never sees them.

Nothing is cached: the delivery promise (``service.load_stocked``) and allocation (``allocate._sites``)
read the warehouse row on every call, so a new value holds from the next quote or allocation on. Orders
already booked keep their day; lowering the capacity below what a day has booked only stops new bookings
on that day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from yellowcart.audit import log as audit_log
from yellowcart.auth.service import Principal
from yellowcart.errors import Forbidden, InvalidInput
from yellowcart.fulfillment import network
from yellowcart.inventory import service as inventory
from yellowcart.inventory.models import Warehouse

#: The API's own limit (``WarehouseNetworkPatch.daily_capacity``): one bound for both ways in.
MAX_DAILY_CAPACITY = 10_000_000
_CUTOFF = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_WHOLE = re.compile(r"^\d{1,9}$")
AUDIT_ACTION = "warehouse.schedule_changed"


@dataclass(frozen=True, slots=True)
class Schedule:
    """What the form changes: orders per day (None: no limit) and the local cut-off in minutes."""

    daily_capacity: int | None
    cutoff_minutes: int

    @property
    def cutoff_local(self) -> str:
        return format_cutoff(self.cutoff_minutes)


def format_cutoff(minutes: int) -> str:
    """870 -> ``"14:30"`` (warehouse local time)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_capacity(text: str) -> int | None:
    """Orders per day as typed: empty is no limit; a whole number from 0 (takes no orders) to the limit."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not cleaned:
        return None
    if not _WHOLE.match(cleaned):
        raise InvalidInput(
            "Daily capacity must be a whole number of orders (or empty for no limit).", field="daily_capacity"
        )
    value = int(cleaned)
    if value > MAX_DAILY_CAPACITY:
        raise InvalidInput(f"Daily capacity is at most {MAX_DAILY_CAPACITY:,} orders.", field="daily_capacity")
    return value


def parse_cutoff(text: str) -> int:
    """``"14:30"`` -> 870; anything but a 24-hour HH:MM time is refused."""
    found = _CUTOFF.match(text.strip())
    if found is None:
        raise InvalidInput("The cut-off is a 24-hour time such as 14:30.", field="cutoff_local")
    return int(found.group(1)) * 60 + int(found.group(2))


def parse_schedule(*, daily_capacity: str, cutoff_local: str) -> Schedule:
    """The console form's two fields, checked (InvalidInput names the field)."""
    return Schedule(parse_capacity(daily_capacity), parse_cutoff(cutoff_local))


def current_schedule(warehouse: Warehouse) -> Schedule:
    return Schedule(warehouse.daily_capacity, warehouse.cutoff_minutes)


def _audit_view(schedule: Schedule) -> dict[str, int | str | None]:
    return {"daily_capacity": schedule.daily_capacity, "cutoff_local": schedule.cutoff_local}


def change_schedule(session: Session, *, principal: Principal, warehouse_id: int, schedule: Schedule) -> Warehouse:
    """Set a warehouse's daily capacity and cut-off (operators only: the console acts for the platform, and
    a seller changes its own warehouses through the API). Audited when anything changed; a form sent
    again with the same values writes nothing."""
    if not principal.is_operator:
        raise Forbidden("Only operators change warehouse capacity here.")
    if schedule.daily_capacity is not None and not 0 <= schedule.daily_capacity <= MAX_DAILY_CAPACITY:
        raise InvalidInput(f"Daily capacity is 0 to {MAX_DAILY_CAPACITY:,} orders.", field="daily_capacity")
    if not 0 <= schedule.cutoff_minutes < 24 * 60:
        raise InvalidInput("The cut-off is a time of day.", field="cutoff_local")
    warehouse = inventory.visible_warehouse(session, principal=principal, warehouse_id=warehouse_id)
    session.refresh(warehouse, with_for_update=True)  # the "before" of the audit record is the row's own
    before = current_schedule(warehouse)
    changes: dict[str, int | None] = {}
    if schedule.daily_capacity != before.daily_capacity:
        changes["daily_capacity"] = schedule.daily_capacity
    if schedule.cutoff_minutes != before.cutoff_minutes:
        changes["cutoff_minutes"] = schedule.cutoff_minutes
    if not changes:
        return warehouse
    warehouse = network.update_network(session, principal=principal, warehouse_id=warehouse_id, changes=changes)
    audit_log.record(
        session,
        actor_id=principal.user_id,
        action=AUDIT_ACTION,
        subject_kind="warehouse",
        subject_id=warehouse.id,
        detail={"code": warehouse.code, "before": _audit_view(before), "after": _audit_view(schedule)},
    )
    return warehouse
