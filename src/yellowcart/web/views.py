"""What the storefront pages show, shaped from catalog listings: prices as text, selling modes in words.

Pages read through the catalog and inventory services, so who may see what stays decided in one place.
The API's shaping (``catalog.api._products_out``) is not reused: it re-validates stored media against
the write schema (https only, no extra keys), which the demo market's ``/static/demo/...`` media fail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from yellowcart.catalog.models import Category, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.catalog.service import Listing
from yellowcart.db import utcnow
from yellowcart.inventory import service as inventory
from yellowcart.money import format_usd
from yellowcart.promotions import showing
from yellowcart.promotions.schemas import ProductPromotionsOut
from yellowcart.redirect.cutover_state import links_open_for_seller

PLACEHOLDER_IMAGE = "/static/demo/placeholder.svg"


@dataclass(frozen=True, slots=True)
class Mode:
    """A selling mode as shoppers read it: a badge and one sentence on who sells and ships."""

    badge: str
    tone: str
    explain: str


MODES: dict[SellingMode, Mode] = {
    SellingMode.REDIRECT: Mode(
        "On seller's store",
        "redirect",
        "Sold on the seller's own store: buying takes you to their site, and they handle payment, "
        "shipping and returns.",
    ),
    SellingMode.SELLER_FULFILLED: Mode(
        "Ships from seller",
        "seller",
        "You check out in yellowcart; the seller packs and ships it from their own US warehouse.",
    ),
    SellingMode.FULL_CUSTODY: Mode(
        "Fulfilled by yellowcart",
        "platform",
        "You check out in yellowcart; the seller's stock sits in a yellowcart warehouse and we ship it.",
    ),
    SellingMode.PLATFORM_OWNED: Mode(
        "Sold by yellowcart",
        "platform",
        "yellowcart buys, sells and ships this item itself.",
    ),
}


@dataclass(frozen=True, slots=True)
class Card:
    """One product in a grid."""

    id: int
    title: str
    brand: str | None
    seller: str
    price: str | None
    compare_at: str | None
    price_varies: bool
    mode: Mode
    image: str
    image_alt: str
    in_stock: bool | None  # None: stock is kept on the seller's own store (redirect listings)


@dataclass(frozen=True, slots=True)
class VariantRow:
    sku: str
    options: tuple[tuple[str, str], ...]
    price: str
    compare_at: str | None
    available: int


@dataclass(frozen=True, slots=True)
class ProductView:
    card: Card
    description: str
    trail: list[Category]
    variants: list[VariantRow]
    closed_loop: bool
    store_link: bool  # a redirect listing whose (tracked) link to the seller's store still works
    store_link_ended: bool  # a redirect listing after its market's cutover: no link out any more
    images: list[str]
    buy_sku: str | None  # the SKU the "buy in the app" example uses: the first one in stock
    promotions: ProductPromotionsOut | None = None  # running promotions, as an anonymous visitor sees them


def safe_url(url: Any) -> str | None:
    """Only https links and our own static files end up in src/href attributes."""
    if not isinstance(url, str) or any(c.isspace() or c == "\\" for c in url):
        return None
    return url if url.startswith(("https://", "/static/")) else None


def _images(media: Sequence[dict[str, Any]] | None) -> list[str]:
    urls = (safe_url(m.get("url")) for m in media or [] if isinstance(m, dict) and m.get("type") == "image")
    return [u for u in urls if u]


def _cheapest(variants: Sequence[Variant]) -> Variant | None:
    return min(variants, key=lambda v: (v.price_cents, v.id), default=None)


def _card(listing: Listing, available: dict[int, int]) -> Card:
    product = listing.product
    variants = [v for v in product.variants if v.is_active]
    cheapest = _cheapest(variants)
    images = _images(product.media)
    closed_loop = product.selling_mode.closed_loop
    return Card(
        id=product.id,
        title=product.title,
        brand=product.brand,
        seller=listing.seller.name,
        price=format_usd(cheapest.price_cents) if cheapest else None,
        compare_at=format_usd(cheapest.compare_at_cents) if cheapest and cheapest.compare_at_cents else None,
        price_varies=len({v.price_cents for v in variants}) > 1,
        mode=MODES[product.selling_mode],
        image=images[0] if images else PLACEHOLDER_IMAGE,
        image_alt=product.title,
        in_stock=any(available.get(v.id, 0) > 0 for v in variants) if closed_loop else None,
    )


def _stock(session: Session, listings: Sequence[Listing]) -> dict[int, int]:
    """Available units of every variant on the page, in one query."""
    ids = [v.id for listing in listings for v in listing.product.variants if v.is_active]
    return inventory.available_by_variant(session, ids) if ids else {}


def cards(session: Session, listings: Sequence[Listing]) -> list[Card]:
    available = _stock(session, listings)
    return [_card(listing, available) for listing in listings]


def trail(categories: Sequence[Category], path: str) -> list[Category]:
    """The category at ``path`` and its ancestors, root first ("beauty/skin-care/" -> Beauty, Skin care)."""
    by_path = {c.path: c for c in categories}
    parts = [p for p in path.split("/") if p]
    prefixes = ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    return [by_path[p] for p in prefixes if p in by_path]


def subcategories(categories: Sequence[Category], selected: Category | None) -> list[Category]:
    """Chips under the top row: the selected category's children, or its siblings when it is a leaf."""
    if selected is None:
        return []
    children = [c for c in categories if c.parent_id == selected.id]
    if children or selected.parent_id is None:
        return children
    return [c for c in categories if c.parent_id == selected.parent_id]


def product_view(
    session: Session, listing: Listing, categories: Sequence[Category], now: dt.datetime | None = None
) -> ProductView:
    """The product page. A redirect listing links out only through a tracked click (a form posting to
    ``/products/{id}/store``), and not at all once its market's cutover has passed."""
    available = _stock(session, [listing])
    product = listing.product
    rows = [
        VariantRow(
            sku=v.sku,
            options=tuple(sorted((str(k), str(val)) for k, val in (v.options or {}).items())),
            price=format_usd(v.price_cents),
            compare_at=format_usd(v.compare_at_cents) if v.compare_at_cents else None,
            available=available.get(v.id, 0),
        )
        for v in product.variants
        if v.is_active
    ]
    linked = product.selling_mode is SellingMode.REDIRECT and bool(safe_url(product.redirect_url))
    links_open = linked and links_open_for_seller(session, seller_id=product.seller_id, now=now or utcnow())
    return ProductView(
        card=_card(listing, available),
        description=product.description,
        trail=trail(categories, listing.category.path),
        variants=rows,
        closed_loop=product.selling_mode.closed_loop,
        store_link=links_open,
        store_link_ended=product.selling_mode is SellingMode.REDIRECT and not links_open,
        images=_images(product.media) or [PLACEHOLDER_IMAGE],
        buy_sku=next((r.sku for r in rows if r.available > 0), rows[0].sku if rows else None),
        promotions=_promotions(session, listing, now or utcnow()),
    )


def _promotions(session: Session, listing: Listing, now: dt.datetime) -> ProductPromotionsOut | None:
    """The page's promotions (one query): the browser sends no token, so as anonymous visitors see them."""
    product = listing.product
    cheapest = _cheapest([v for v in product.variants if v.is_active])
    if cheapest is None or not product.selling_mode.closed_loop:
        return None
    facts = showing.ProductFacts(
        product.id,
        product.seller_id,
        listing.category.path,
        str(product.selling_mode),
        cheapest.id,
        cheapest.price_cents,
        cheapest.supply_price_cents,
    )
    shown = showing.annotate_one(facts, showing.load(session, seller_ids=[product.seller_id], shopper_id=None, now=now))
    return None if shown.empty else shown


def delivery(session: Session, product_id: int, zip_code: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """The product page's delivery line for a ZIP: the date and speed, or why nothing can be promised."""
    from yellowcart.catalog.models import Product
    from yellowcart.errors import InvalidInput
    from yellowcart.fulfillment import service as fulfillment

    product = session.get(Product, product_id)
    if product is None:
        return {"zip": zip_code, "date": None, "reason": "not found"}
    try:
        promise, reason = fulfillment.product_promise(
            session, product=product, ship_to_zip=zip_code, now=now or utcnow()
        )
    except InvalidInput as err:
        return {"zip": zip_code, "date": None, "reason": err.detail}
    if promise is None:
        return {"zip": zip_code, "date": None, "reason": str(reason or "no promise").replace("_", " ")}
    return {"zip": zip_code, "date": promise.delivery_date, "level": promise.level.value.replace("_", " ")}
