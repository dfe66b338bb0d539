"""Catalog endpoints: the category tree, product search, and products for sellers and operators."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog import service
from yellowcart.catalog.models import ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.catalog.schemas import (
    MAX_ID,
    MAX_PRICE_CENTS,
    SKU_PATTERN,
    CategoryIn,
    CategoryOut,
    CategoryRefOut,
    MediaOut,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductPatch,
    SellerRefOut,
    VariantOut,
    VariantPut,
)
from yellowcart.db import utcnow
from yellowcart.fulfillment import service as fulfillment
from yellowcart.fulfillment.schemas import ZIP_PATTERN, DeliveryQuoteOut, PromiseOut
from yellowcart.http import Db, MaybeCaller, PathId, decode_cursor, next_cursor, problems, require
from yellowcart.inventory import service as inventory
from yellowcart.redirect import cutover_state as redirect_links
from yellowcart.redirect.clicks import redirect_click_path

router = APIRouter(tags=["catalog"])
PROBLEMS = problems(s409="Conflict (SKU or slug taken)")
ProductId = PathId
SkuPath = Annotated[str, Path(min_length=1, max_length=64, pattern=SKU_PATTERN)]
Price = Annotated[int | None, Query(ge=0, le=MAX_PRICE_CENTS)]
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]


def _variant_out(variant: Variant, available: dict[int, int]) -> VariantOut:
    return VariantOut(
        sku=variant.sku,
        options=dict(variant.options or {}),
        price_cents=variant.price_cents,
        compare_at_cents=variant.compare_at_cents,
        weight_grams=variant.weight_grams,
        is_active=variant.is_active,
        available=available.get(variant.id, 0),
    )


def _products_out(session: Session, listings: Sequence[service.Listing], who: Principal | None) -> list[ProductOut]:
    """Shape listings, with stock for every variant on the page in one query."""
    variant_ids = [v.id for listing in listings for v in listing.product.variants]
    available = inventory.available_by_variant(session, variant_ids) if variant_ids else {}
    linking = [x.product.seller_id for x in listings if x.product.selling_mode is SellingMode.REDIRECT]
    open_links = redirect_links.sellers_with_links_open(session, seller_ids=linking, now=utcnow()) if linking else set()
    out = []
    for listing in listings:
        product, owner_view = listing.product, service.manages(who, listing.product.seller_id)
        linked = product.selling_mode is SellingMode.REDIRECT and product.seller_id in open_links
        variants = [v for v in product.variants if v.is_active or owner_view]
        out.append(
            ProductOut(
                id=product.id,
                title=product.title,
                description=product.description,
                brand=product.brand,
                status=product.status,
                selling_mode=product.selling_mode,
                redirect_url=product.redirect_url if owner_view else None,  # shoppers go through a tracked click
                redirect_click=redirect_click_path(product.id) if linked else None,
                media=[MediaOut.model_validate(m) for m in product.media or []],
                category=CategoryRefOut.model_validate(listing.category),
                seller=SellerRefOut(id=listing.seller.id, name=listing.seller.name),
                variants=[_variant_out(v, available) for v in variants],
                created_at=product.created_at,
                updated_at=product.updated_at,
            )
        )
    return out


# ---- categories ---------------------------------------------------------------------------------


@router.get("/v1/categories", response_model=list[CategoryOut], summary="All categories, parents first")
def list_categories(db: Db) -> list[CategoryOut]:
    with db.transaction() as session:
        return [CategoryOut.model_validate(c) for c in service.list_categories(session)]


@router.post(
    "/v1/categories",
    response_model=CategoryOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Add a category (operator)",
)
def create_category(body: CategoryIn, db: Db, who: Principal = require(Role.OPERATOR)) -> CategoryOut:
    with db.transaction() as session:
        category = service.create_category(session, slug=body.slug, name=body.name, parent=body.parent)
        return CategoryOut.model_validate(category)


# ---- products -----------------------------------------------------------------------------------


@router.get("/v1/products", response_model=ProductPage, responses=PROBLEMS, summary="Search products, newest first")
def search_products(
    db: Db,
    who: MaybeCaller,
    q: Annotated[
        str | None, Query(max_length=200, description="Every word must match title, description or brand")
    ] = None,
    category: Annotated[str | None, Query(max_length=60, description="Category slug; includes subcategories")] = None,
    seller_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    mode: Annotated[SellingMode | None, Query(description="Selling mode")] = None,
    min_price: Price = None,
    max_price: Price = None,
    status: Annotated[
        ProductStatus | None,
        Query(description="Back office: a seller's own or (operator) all products in this status"),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ProductPage:
    filters = service.ProductFilter(
        q=q, category=category, seller_id=seller_id, mode=mode, min_price=min_price, max_price=max_price, status=status
    )
    after_id = decode_cursor(cursor)
    with db.transaction() as session:
        rows = service.search_products(session, principal=who, filters=filters, after_id=after_id, limit=limit + 1)
        items = _products_out(session, rows[:limit], who)
    return ProductPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.get("/v1/products/{product_id}", response_model=ProductOut, responses=PROBLEMS, summary="One product")
def get_product(
    product_id: ProductId,
    db: Db,
    who: MaybeCaller,
    zip: Annotated[str | None, Query(pattern=ZIP_PATTERN, description="Ship-to ZIP: adds delivery_promise")] = None,
) -> ProductOut:
    with db.transaction() as session:
        listing = service.get_product(session, principal=who, product_id=product_id)
        out = _products_out(session, [listing], who)[0]
        if zip is not None:
            promise, reason = fulfillment.product_promise(
                session, product=listing.product, ship_to_zip=zip, now=utcnow()
            )
            out.delivery_promise = DeliveryQuoteOut(
                zip=zip, promise=PromiseOut.of(promise) if promise else None, reason=reason
            )
        return out


@router.post(
    "/v1/products",
    response_model=ProductOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Create a product with its variants (seller, operator)",
)
def create_product(body: ProductIn, db: Db, who: Manager) -> ProductOut:
    with db.transaction() as session:
        listing = service.create_product(session, principal=who, draft=body)
        return _products_out(session, [listing], who)[0]


@router.patch(
    "/v1/products/{product_id}",
    response_model=ProductOut,
    responses=PROBLEMS,
    summary="Change a product's fields (owner seller, operator)",
)
def update_product(product_id: ProductId, body: ProductPatch, db: Db, who: Manager) -> ProductOut:
    with db.transaction() as session:
        listing = service.update_product(session, principal=who, product_id=product_id, patch=body)
        return _products_out(session, [listing], who)[0]


@router.put(
    "/v1/products/{product_id}/variants/{sku}",
    response_model=VariantOut,
    responses={201: {"model": VariantOut, "description": "Variant created"}, **PROBLEMS},
    summary="Create or reprice a variant (owner seller, operator)",
    description="200 when the SKU already belonged to this product, 201 when it was added.",
)
def put_variant(
    product_id: ProductId, sku: SkuPath, body: VariantPut, db: Db, who: Manager, response: Response
) -> VariantOut:
    with db.transaction() as session:
        variant, created = service.put_variant(session, principal=who, product_id=product_id, sku=sku, spec=body)
        out = _variant_out(variant, inventory.available_by_variant(session, [variant.id]))
    response.status_code = 201 if created else 200
    return out
