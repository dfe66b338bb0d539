"""Switching a listing between selling modes: an explicit, audited operation.

The product keeps its id, so content anchors, reviews, interactions and orders stay attached. Every
switch is validated against what the target mode needs before anything changes (a seller warehouse and
stock for seller_fulfilled, a supply price per variant for full_custody, an https store link for
redirect while the market's cutover has not passed), then recorded in ``selling_mode_changes`` and
announced as ``catalog.selling_mode_changed``. The catalog PATCH refuses mode changes and points here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.catalog import custody
from yellowcart.catalog.mode_models import SellingModeChange
from yellowcart.catalog.models import Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.catalog.schemas import https_only
from yellowcart.catalog.service import manages
from yellowcart.errors import Conflict, Forbidden, InvalidInput, NotFound
from yellowcart.events import emit
from yellowcart.inventory import service as inventory
from yellowcart.inventory.models import Warehouse, WarehouseOperator
from yellowcart.redirect.cutover_state import ensure_redirect_allowed

M = SellingMode
TOPIC = "catalog.selling_mode_changed"


class ModeUnchanged(Conflict):
    code, title = "mode_unchanged", "The listing already sells in this mode"


class OpenOrdersHoldStock(Conflict):
    code, title = "open_orders", "Units are reserved for open orders"


class CustodyStockHeld(Conflict):
    code, title = "custody_stock_held", "Consigned stock is still in platform warehouses"


class MissingModeData(InvalidInput):
    code, title = "mode_data_required", "The target mode needs more data"


@dataclass(frozen=True, slots=True)
class ModeData:
    """What the target mode needs: per SKU stock at a seller warehouse, or per SKU supply prices, or the
    store link. Only the part for the target is used."""

    redirect_url: str | None = None
    warehouse_id: int | None = None
    stock: Mapping[str, int] = field(default_factory=dict)
    supply_prices: Mapping[str, int] = field(default_factory=dict)


def needs(target: SellingMode) -> list[str]:
    """What a switch into ``target`` asks for (shown to sellers before they migrate)."""
    return {
        M.SELLER_FULFILLED: ["warehouse_id", "stock (on hand per active SKU, at least one unit)"],
        M.FULL_CUSTODY: ["supply_prices (per active SKU; the operator's price check activates the listing)"],
        M.REDIRECT: ["redirect_url (https)"],
        M.PLATFORM_OWNED: [],
    }[target]


def _product(session: Session, principal: Principal, product_id: int) -> Product:
    product = session.get(Product, product_id, with_for_update=True)
    if product is None or not manages(principal, product.seller_id):
        raise NotFound(f"Product {product_id} does not exist.")
    return product


def _check_who(principal: Principal, source: SellingMode, target: SellingMode) -> None:
    if target is source:
        raise ModeUnchanged(f"The listing already sells as {target.value}.", field="target")
    if M.PLATFORM_OWNED in (source, target) and not principal.is_operator:
        raise Forbidden("Only operators move listings into or out of platform_owned.", field="target")


def _check_stock_free(session: Session, product: Product, source: SellingMode) -> None:
    """Open orders hold units where the current mode put them; a platform warehouse holding consigned
    units must send them back (custody's withdrawal) before the listing leaves full custody."""
    for variant in product.variants:
        for stock, warehouse in inventory.stock_for_variant(session, variant_id=variant.id):
            if stock.reserved > 0:
                raise OpenOrdersHoldStock(
                    f"SKU {variant.sku} has units reserved for open orders; ship or cancel them first.",
                    sku=variant.sku,
                )
            held = warehouse.operator is WarehouseOperator.PLATFORM and stock.on_hand > 0
            if source is M.FULL_CUSTODY and held:
                raise CustodyStockHeld(
                    f"SKU {variant.sku} still has consigned units in a platform warehouse.", sku=variant.sku
                )


def _per_sku(values: Mapping[str, int], variants: list[Variant], name: str) -> dict[str, int]:
    """The mapping must name every active SKU of the product, and nothing else."""
    skus = {v.sku for v in variants}
    unknown = sorted(set(values) - skus)
    if unknown:
        raise InvalidInput(f"Not SKUs of this product: {', '.join(unknown)}.", field=name, skus=unknown)
    missing = sorted(skus - set(values))
    if missing:
        raise MissingModeData(f"{name} is missing for SKU {', '.join(missing)}.", field=name, skus=missing)
    return {sku: values[sku] for sku in sorted(skus)}


def _check_seller_fulfilled(session: Session, product: Product, data: ModeData) -> dict[str, Any]:
    if data.warehouse_id is None:
        raise MissingModeData("Seller-fulfilled listings ship from one of your warehouses.", field="warehouse_id")
    warehouse = session.get(Warehouse, data.warehouse_id)
    own = warehouse is not None and warehouse.seller_id == product.seller_id and warehouse.is_active
    if warehouse is None or not own or warehouse.operator is not WarehouseOperator.SELLER:
        raise InvalidInput("warehouse_id must be an active warehouse of the product's seller.", field="warehouse_id")
    stock = _per_sku(data.stock, [v for v in product.variants if v.is_active], "stock")
    if any(n < 0 for n in stock.values()) or sum(stock.values()) == 0:
        raise MissingModeData("Stock must be zero or more per SKU and at least one unit in all.", field="stock")
    return {"warehouse_id": warehouse.id, "stock": stock}


def _check_full_custody(product: Product, data: ModeData) -> dict[str, Any]:
    prices = _per_sku(data.supply_prices, [v for v in product.variants if v.is_active], "supply_prices")
    if not prices:
        raise MissingModeData("A full-custody listing needs an active variant to price.", field="supply_prices")
    if any(p <= 0 for p in prices.values()):
        raise InvalidInput("Supply prices are positive cents.", field="supply_prices")
    return {"supply_prices": prices}


def _check_redirect(session: Session, product: Product, data: ModeData, now: dt.datetime) -> dict[str, Any]:
    ensure_redirect_allowed(session, seller_id=product.seller_id, now=now)
    if not data.redirect_url:
        raise MissingModeData("A redirect listing needs the https link to the store page.", field="redirect_url")
    try:
        https_only(data.redirect_url)
    except ValueError as exc:
        raise InvalidInput("redirect_url must be an https:// URL with a host.", field="redirect_url") from exc
    return {"redirect_url": data.redirect_url}


def _validated(
    session: Session, product: Product, target: SellingMode, data: ModeData, now: dt.datetime
) -> dict[str, Any]:
    """Everything the target needs, checked before anything changes."""
    if target is M.SELLER_FULFILLED:
        return _check_seller_fulfilled(session, product, data)
    if target is M.FULL_CUSTODY:
        return _check_full_custody(product, data)
    if target is M.REDIRECT:
        return _check_redirect(session, product, data, now)
    return {}


def _enter(
    session: Session, principal: Principal, product: Product, target: SellingMode, details: dict[str, Any]
) -> None:
    """Apply the target mode's side effects through the owning domains' services."""
    by_sku = {v.sku: v for v in product.variants}
    if target is M.SELLER_FULFILLED:
        for sku, on_hand in details["stock"].items():
            inventory.set_sku_on_hand(
                session, principal=principal, sku=sku, warehouse_id=details["warehouse_id"], on_hand=on_hand
            )
    elif target is M.FULL_CUSTODY:
        for sku, price in details["supply_prices"].items():
            custody.offer_supply_price(
                session, principal=principal, variant_id=by_sku[sku].id, supply_price_cents=price, note="mode switch"
            )


def change_selling_mode(
    session: Session,
    *,
    principal: Principal,
    product_id: int,
    target: SellingMode,
    reason: str,
    now: dt.datetime,
    data: ModeData | None = None,
) -> SellingModeChange:
    """Move a listing to ``target`` keeping its id; returns the history row. Full custody leaves the
    listing a DRAFT awaiting the operator's price check (custody's offers activate it)."""
    data = data or ModeData()
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Say why the listing changes mode.", field="reason")
    product = _product(session, principal, product_id)
    source, status_before = product.selling_mode, product.status
    _check_who(principal, source, target)
    _check_stock_free(session, product, source)
    details = _validated(session, product, target, data, now)
    if source is M.REDIRECT:
        details["previous_redirect_url"] = product.redirect_url
    product.selling_mode = target
    product.redirect_url = data.redirect_url if target is M.REDIRECT else None
    if target is M.FULL_CUSTODY and product.status is ProductStatus.ACTIVE:
        product.status = ProductStatus.DRAFT  # awaiting the price check
    session.flush()
    _enter(session, principal, product, target, details)
    details |= {"status_before": status_before.value, "status_after": product.status.value}
    return _record(session, principal, product, source, reason, details, now)


def _record(
    session: Session,
    principal: Principal,
    product: Product,
    source: SellingMode,
    reason: str,
    details: dict[str, Any],
    now: dt.datetime,
) -> SellingModeChange:
    """The history row and the event, in the same transaction as the switch."""
    change = SellingModeChange(
        product_id=product.id,
        seller_id=product.seller_id,
        from_mode=source,
        to_mode=product.selling_mode,
        actor_user_id=principal.user_id,
        actor_role=principal.role.value,
        reason=reason[:300],
        details=details,
        created_at=now,
    )
    session.add(change)
    session.flush()
    emit(
        session,
        TOPIC,
        change_id=change.id,
        product_id=product.id,
        seller_id=product.seller_id,
        from_mode=source.value,
        to_mode=product.selling_mode.value,
    )
    return change


def mode_history(session: Session, *, principal: Principal, product_id: int) -> list[SellingModeChange]:
    """A product's switches, oldest first (its seller and operators)."""
    product = session.get(Product, product_id)
    if product is None or not manages(principal, product.seller_id):
        raise NotFound(f"Product {product_id} does not exist.")
    query = select(SellingModeChange).where(SellingModeChange.product_id == product_id)
    return list(session.scalars(query.order_by(SellingModeChange.id)))
