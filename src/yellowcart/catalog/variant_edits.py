"""Variant edits as a seller centre page makes them: add a new variant (never a silent reprice of a SKU the
product already has), reprice or (de)activate an existing one (never a silent create of a SKU it lacks).

``PUT /v1/products/{id}/variants/{sku}`` is an upsert, which suits an API client that knows what it wants;
a form that says "add" or "change" must not turn into the other, so these two are narrower wrappers around
:func:`service.put_variant` and keep all of its rules (SKU uniqueness, the variant limit, prices, the
platform's price in full custody, an active product keeping an active variant)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.catalog import service
from yellowcart.catalog.models import Variant
from yellowcart.catalog.schemas import VariantIn, VariantPut
from yellowcart.errors import NotFound


def managed_listing(session: Session, *, principal: Principal, product_id: int) -> service.Listing:
    """A product the caller manages (its seller, an operator); anyone else's reads as missing, even when it
    is on sale in the shop window (where :func:`service.get_product` would show it)."""
    listing = service.get_product(session, principal=principal, product_id=product_id)
    if not service.manages(principal, listing.product.seller_id):
        raise NotFound(f"Product {product_id} does not exist.")
    return listing


def add_variant(session: Session, *, principal: Principal, product_id: int, spec: VariantIn) -> Variant:
    """A new active variant; a SKU already used, by this product or any other, is ``sku_taken``."""
    listing = managed_listing(session, principal=principal, product_id=product_id)
    if any(v.sku == spec.sku for v in listing.product.variants):
        raise service.SkuTaken(
            f"SKU already in use: {spec.sku} is a variant of this product.", skus=[spec.sku], field="sku"
        )
    put = VariantPut(
        price_cents=spec.price_cents,
        compare_at_cents=spec.compare_at_cents,
        options=dict(spec.options),
        weight_grams=spec.weight_grams,
        is_active=True,
    )
    variant, _ = service.put_variant(session, principal=principal, product_id=product_id, sku=spec.sku, spec=put)
    return variant


def _existing(listing: service.Listing, sku: str) -> Variant:
    variant = next((v for v in listing.product.variants if v.sku == sku), None)
    if variant is None:
        raise NotFound(f"SKU {sku} is not a variant of product {listing.product.id}.", sku=sku)
    return variant


def reprice_variant(
    session: Session, *, principal: Principal, product_id: int, sku: str, price_cents: int, compare_at_cents: int | None
) -> Variant:
    """New price and compare-at price of an existing variant (both validated as the API validates them)."""
    _existing(managed_listing(session, principal=principal, product_id=product_id), sku)
    put = VariantPut(price_cents=price_cents, compare_at_cents=compare_at_cents)
    variant, _ = service.put_variant(session, principal=principal, product_id=product_id, sku=sku, spec=put)
    return variant


def set_variant_active(session: Session, *, principal: Principal, product_id: int, sku: str, active: bool) -> Variant:
    """Take a variant off sale (or back on), its prices unchanged; an active product keeps one active variant."""
    current = _existing(managed_listing(session, principal=principal, product_id=product_id), sku)
    put = VariantPut(price_cents=current.price_cents, compare_at_cents=current.compare_at_cents, is_active=active)
    variant, _ = service.put_variant(session, principal=principal, product_id=product_id, sku=sku, spec=put)
    return variant
