"""One parsed product into the catalogue, through the catalogue's own services (so every rule of the
API applies: SKUs, listing rules, statuses) and inventory's for stock.

Idempotent by comparison: each field is compared with what is stored and only what differs is sent,
so importing the same file again writes nothing (no ``updated_at`` churn) and reports "unchanged".
The caller wraps each product in a SAVEPOINT: any error leaves nothing of it behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from yellowcart.auth.service import Principal
from yellowcart.catalog import service
from yellowcart.catalog.import_rows import ParsedProduct, ParsedVariant, SourceStatus
from yellowcart.catalog.import_schemas import ProductOutcome
from yellowcart.catalog.models import Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.catalog.schemas import Media, ProductIn, ProductPatch, VariantIn, VariantPut
from yellowcart.errors import Conflict, DomainError, InvalidInput
from yellowcart.inventory import service as inventory

#: Modes whose retail price the platform sets (DESIGN.md): an import does not reprice them.
PLATFORM_PRICED = frozenset({SellingMode.FULL_CUSTODY, SellingMode.PLATFORM_OWNED})


class SkuElsewhere(Conflict):
    code, title = "sku_elsewhere", "SKU belongs to another product"


class NoStoreUrl(InvalidInput):
    code, title = "store_url_required", "Redirect listings need the seller's store_url"


@dataclass
class ImportContext:
    """What every product of one import shares; plain values, valid across transactions."""

    principal: Principal
    seller_id: int
    seller_active: bool
    seller_status: str
    mode: SellingMode
    store_url: str | None
    warehouse_id: int | None  # the seller's only warehouse, else None
    warehouse_note: str | None  # why stock is not applied when warehouse_id is None


@dataclass
class Applied:
    outcome: ProductOutcome
    product_id: int | None = None
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _find(session: Session, seller_id: int, handle: str) -> Product | None:
    query = select(Product).where(Product.seller_id == seller_id, Product.handle == handle).with_for_update()
    return session.scalar(query.options(selectinload(Product.variants)))


def _owner_of_skus(
    session: Session, ctx: ImportContext, parsed: ParsedProduct, current: Product | None
) -> Product | None:
    """Refuse SKUs that are another product's; a handle-less product of this seller holding them (made
    by hand before the first import) is adopted, so it is updated rather than duplicated."""
    skus = [v.sku for v in parsed.variants]
    rows = session.execute(
        select(Variant.sku, Product).join(Product, Product.id == Variant.product_id).where(Variant.sku.in_(skus))
    ).all()
    adopt: Product | None = None
    for sku, owner in rows:
        if current is not None and owner.id == current.id:
            continue
        if owner.seller_id != ctx.seller_id:
            raise SkuElsewhere(f"SKU {sku} is already used by another seller.", sku=sku)
        if current is None and owner.handle is None and adopt in (None, owner):
            adopt = owner
            continue
        raise SkuElsewhere(f"SKU {sku} belongs to your product {owner.id} ({owner.handle or 'no handle'}).", sku=sku)
    return adopt


def _target_status(ctx: ImportContext, parsed: ParsedProduct, notes: list[str]) -> ProductStatus:
    if parsed.status is SourceStatus.ACTIVE and not ctx.seller_active:
        notes.append(f"the seller account is {ctx.seller_status}: kept as a draft until it is active")
        return ProductStatus.DRAFT
    return ProductStatus.ACTIVE if parsed.status is SourceStatus.ACTIVE else ProductStatus.DRAFT


def redirect_url(ctx: ImportContext, handle: str) -> str:
    """A redirect listing links to the product's page in the seller's store."""
    if not ctx.store_url:
        raise NoStoreUrl("The seller sells by redirect but has no store_url to link the product to.")
    return f"{ctx.store_url.rstrip('/')}/products/{quote(handle, safe='')}"


def _variant_in(v: ParsedVariant) -> VariantIn:
    return VariantIn(
        sku=v.sku,
        options=v.options,
        price_cents=v.price_cents,
        compare_at_cents=v.compare_at_cents,
        weight_grams=v.weight_grams,
    )


def _create(session: Session, ctx: ImportContext, parsed: ParsedProduct, category_id: int) -> Applied:
    notes: list[str] = []
    draft = ProductIn(
        seller_id=ctx.seller_id,
        title=parsed.title,
        description=parsed.description,
        brand=parsed.brand,
        category=category_id,
        selling_mode=ctx.mode,
        redirect_url=redirect_url(ctx, parsed.handle) if ctx.mode is SellingMode.REDIRECT else None,
        media=[Media.model_validate(m) for m in parsed.media],
        status=_target_status(ctx, parsed, notes),
        variants=[_variant_in(v) for v in parsed.variants],
    )
    listing = service.create_product(session, principal=ctx.principal, draft=draft)
    listing.product.handle = parsed.handle
    session.flush()
    applied = Applied("created", listing.product.id, notes=notes)
    _stock(session, ctx, listing.product, parsed, applied)
    return applied


def _media_of(product: Product) -> list[dict[str, Any]]:
    return [{"type": m.get("type"), "url": m.get("url"), "alt": m.get("alt")} for m in product.media or []]


def _product_patch(product: Product, parsed: ParsedProduct, category_id: int | None) -> dict[str, Any]:
    """The product fields the file changes; ``category_id`` None: the file's category matched nothing
    here, and a fallback never overrides a category the product already has."""
    patch: dict[str, Any] = {}
    wanted = {"title": parsed.title, "description": parsed.description, "brand": parsed.brand}
    for name, value in wanted.items():
        if getattr(product, name) != value:
            patch[name] = value
    if parsed.media != _media_of(product):
        patch["media"] = [Media.model_validate(m) for m in parsed.media]
    if category_id is not None and category_id != product.category_id:
        patch["category"] = category_id
    return patch


def _status_change(
    ctx: ImportContext, product: Product, parsed: ParsedProduct, notes: list[str]
) -> ProductStatus | None:
    """The status to set, if any: suspension is the platform's and stays; publishing needs an active seller
    (an active product stays active if the seller was suspended since: the shop window hides it)."""
    if product.status is ProductStatus.SUSPENDED:
        notes.append("suspended by the platform: status kept")
        return None
    wanted = ProductStatus.ACTIVE if parsed.status is SourceStatus.ACTIVE else ProductStatus.DRAFT
    if wanted is product.status:
        return None
    if wanted is ProductStatus.ACTIVE and not ctx.seller_active:
        notes.append(f"the seller account is {ctx.seller_status}: kept as a draft until it is active")
        return None
    return wanted


def _variant_put(product: Product, current: Variant | None, v: ParsedVariant, notes: list[str]) -> VariantPut:
    price, compare_at = v.price_cents, v.compare_at_cents
    if current is not None and product.selling_mode in PLATFORM_PRICED:
        if (price, compare_at) != (current.price_cents, current.compare_at_cents):
            notes.append(f"price of {v.sku} kept: the platform prices {product.selling_mode.value} listings")
        price, compare_at = current.price_cents, current.compare_at_cents
    return VariantPut(
        price_cents=price, compare_at_cents=compare_at, options=v.options, weight_grams=v.weight_grams, is_active=True
    )


def _differs(current: Variant, spec: VariantPut) -> bool:
    return (
        current.price_cents != spec.price_cents
        or current.compare_at_cents != spec.compare_at_cents
        or dict(current.options or {}) != spec.options
        or current.weight_grams != spec.weight_grams
        or not current.is_active
    )


def _update(
    session: Session, ctx: ImportContext, product: Product, parsed: ParsedProduct, category_id: int | None
) -> Applied:
    applied = Applied("updated", product.id)
    if product.handle != parsed.handle:
        product.handle = parsed.handle
        applied.changes.append("handle (matched by SKU)")
    by_sku = {v.sku: v for v in product.variants}
    for v in parsed.variants:  # variants first: publishing needs an active variant to exist
        spec = _variant_put(product, by_sku.get(v.sku), v, applied.notes)
        if v.sku not in by_sku or _differs(by_sku[v.sku], spec):
            service.put_variant(session, principal=ctx.principal, product_id=product.id, sku=v.sku, spec=spec)
            applied.changes.append(f"variant {v.sku}" + ("" if v.sku in by_sku else " added"))
    patch = _product_patch(product, parsed, category_id)
    status = _status_change(ctx, product, parsed, applied.notes)
    if status is not None:
        patch["status"] = status
    if patch:
        service.update_product(session, principal=ctx.principal, product_id=product.id, patch=ProductPatch(**patch))
        applied.changes.extend(sorted(patch))
    _retire_missing(session, ctx, product, {v.sku for v in parsed.variants}, applied)
    _stock(session, ctx, product, parsed, applied)
    if not applied.changes:
        applied.outcome = "unchanged"
    return applied


def _retire_missing(session: Session, ctx: ImportContext, product: Product, keep: set[str], applied: Applied) -> None:
    """Variants the store no longer has stop selling; they are kept (orders refer to them)."""
    for variant in list(product.variants):
        if variant.sku in keep or not variant.is_active:
            continue
        spec = VariantPut(price_cents=variant.price_cents, compare_at_cents=variant.compare_at_cents, is_active=False)
        service.put_variant(session, principal=ctx.principal, product_id=product.id, sku=variant.sku, spec=spec)
        applied.changes.append(f"variant {variant.sku} deactivated (not in the file)")


def _stock(session: Session, ctx: ImportContext, product: Product, parsed: ParsedProduct, applied: Applied) -> None:
    """Inventory quantity goes to the seller's own warehouse when it has exactly one; otherwise the
    report says why it was not applied. Each count in its own savepoint: a refused count (below
    what open orders hold) is reported without undoing the product."""
    wanted = [(v.sku, v.quantity) for v in parsed.variants if v.quantity is not None]
    if not wanted:
        return
    if product.selling_mode is not SellingMode.SELLER_FULFILLED:
        applied.notes.append(f"stock not applied: {product.selling_mode.value} listings are not stocked by the seller")
        return
    if ctx.warehouse_id is None:
        applied.notes.append(f"stock not applied: {ctx.warehouse_note}")
        return
    variants = {v.sku: v for v in product.variants}
    for sku, quantity in wanted:
        held = inventory.stock_for_variant(session, variant_id=variants[sku].id)
        current = next((s.on_hand for s, w in held if w.id == ctx.warehouse_id), 0)
        if current == quantity:
            continue
        try:
            with session.begin_nested():
                inventory.set_sku_on_hand(
                    session, principal=ctx.principal, sku=sku, warehouse_id=ctx.warehouse_id, on_hand=quantity
                )
        except DomainError as exc:
            applied.notes.append(f"stock for {sku} not applied: {exc.detail}")
            continue
        applied.changes.append(f"stock {sku} {current} -> {quantity}")


def _archive(session: Session, ctx: ImportContext, product: Product | None) -> Applied:
    """Archived in the store: never imported; a product imported earlier is taken off sale (draft)."""
    if product is None:
        return Applied("skipped", notes=["archived in the store: not imported"])
    if product.status is not ProductStatus.ACTIVE:
        return Applied("unchanged", product.id, notes=["archived in the store"])
    patch = ProductPatch(status=ProductStatus.DRAFT)
    service.update_product(session, principal=ctx.principal, product_id=product.id, patch=patch)
    return Applied("updated", product.id, changes=["status"], notes=["archived in the store: taken off sale"])


def apply_product(
    session: Session, ctx: ImportContext, parsed: ParsedProduct, category_id: int, matched: bool
) -> Applied:
    """Create or update one product (the caller holds a savepoint); ``matched`` False: ``category_id``
    is the fallback category, used for new products only."""
    product = _find(session, ctx.seller_id, parsed.handle)
    if parsed.status is SourceStatus.ARCHIVED:
        return _archive(session, ctx, product)
    adopted = _owner_of_skus(session, ctx, parsed, product)
    product = product or adopted
    if product is None:
        return _create(session, ctx, parsed, category_id)
    return _update(session, ctx, product, parsed, category_id if matched else None)
