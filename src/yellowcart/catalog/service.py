"""Catalog use cases: categories, listing search, and products with their variants.

Who may see what: the shop window (ACTIVE products of ACTIVE sellers) is public; a seller also sees
and edits its own products, an operator everything. Someone else's hidden product is indistinguishable
from a missing one (404), so ids do not leak what exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Category, Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.catalog.schemas import MAX_VARIANTS, ProductIn, ProductPatch, VariantPut
from yellowcart.db import flush_guarded, utcnow
from yellowcart.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from yellowcart.redirect.cutover_state import ensure_redirect_allowed
from yellowcart.risk import enforcement
from yellowcart.sellers.models import Seller, SellerStatus


class SkuTaken(Conflict):
    code, title = "sku_taken", "SKU already in use"


class SlugTaken(Conflict):
    code, title = "slug_taken", "Category slug already in use"


class UnknownCategory(InvalidInput):
    code, title = "unknown_category", "Unknown category"


class UnknownSeller(InvalidInput):
    code, title = "unknown_seller", "Unknown seller"


class NotPublishable(InvalidInput):
    code, title = "not_publishable", "Product cannot be active"


class RedirectUrlRequired(InvalidInput):
    code, title = "redirect_url_required", "Redirect listings need a redirect_url"


class RedirectUrlNotAllowed(InvalidInput):
    code, title = "redirect_url_not_allowed", "Only redirect listings have a redirect_url"


class TooManyVariants(InvalidInput):
    code, title = "too_many_variants", "Too many variants"


class StatusNotAllowed(Forbidden):
    code, title = "status_not_allowed", "Status change not allowed"


class PlatformSetsPrice(Conflict):
    code, title = "platform_sets_price", "The platform sets this price"


class UseModeSwitch(Conflict):
    code, title = "use_selling_mode_endpoint", "Selling modes change through the audited switch"


@dataclass(frozen=True, slots=True)
class Listing:
    """A product with what every view of it shows: its category and its seller."""

    product: Product
    category: Category
    seller: Seller


@dataclass(frozen=True, slots=True)
class ProductFilter:
    q: str | None = None
    category: str | None = None
    seller_id: int | None = None
    mode: SellingMode | None = None
    min_price: int | None = None
    max_price: int | None = None
    status: ProductStatus | None = None


# ---- categories ---------------------------------------------------------------------------------


def list_categories(session: Session) -> Sequence[Category]:
    """Every category, parents before children (path order)."""
    return session.scalars(select(Category).order_by(Category.path)).all()


def find_category(session: Session, ref: int | str, *, field: str = "category") -> Category:
    """A category by id or slug, or 422 naming ``field``."""
    query = select(Category).where(Category.id == ref if isinstance(ref, int) else Category.slug == ref)
    category = session.scalar(query)
    if category is None:
        raise UnknownCategory(f"Category {ref!r} does not exist.", field=field)
    return category


def create_category(session: Session, *, slug: str, name: str, parent: int | str | None = None) -> Category:
    """A category under ``parent`` (or a root); its path is the parent's path plus its slug."""
    parent_row = find_category(session, parent, field="parent") if parent is not None else None
    path = f"{parent_row.path if parent_row else ''}{slug}/"
    if len(path) > 400:
        raise InvalidInput("The category tree is too deep here.", field="parent")
    if session.scalar(select(Category.id).where(Category.slug == slug)) is not None:
        raise SlugTaken(f"Category slug {slug!r} is taken.", field="slug")
    category = Category(slug=slug, name=name, parent_id=parent_row.id if parent_row else None, path=path)
    flush_guarded(
        session, lambda: session.add(category), lambda: SlugTaken(f"Category slug {slug!r} is taken.", field="slug")
    )
    return category


# ---- reading products ---------------------------------------------------------------------------


def _listings() -> Select[Product, Category, Seller]:
    return (
        select(Product, Category, Seller)
        .join(Category, Category.id == Product.category_id)
        .join(Seller, Seller.id == Product.seller_id)
        .options(selectinload(Product.variants))
    )


def manages(principal: Principal | None, seller_id: int) -> bool:
    """Operators manage every product, a seller its own account's."""
    if principal is None:
        return False
    return principal.is_operator or (principal.role is Role.SELLER and principal.seller_id == seller_id)


def _scope(
    query: Select[Product, Category, Seller], principal: Principal | None, status: ProductStatus | None
) -> Select[Product, Category, Seller]:
    """No status: the shop window. A status: the back office (own products for a seller, all for operators)."""
    back_office = principal is not None and principal.role in (Role.SELLER, Role.OPERATOR)
    if status is None or (status is ProductStatus.ACTIVE and not back_office):
        return query.where(Product.status == ProductStatus.ACTIVE, Seller.status == SellerStatus.ACTIVE)
    if principal is None:
        raise Unauthorized("Filtering by status needs a seller or operator token.")
    if principal.is_operator:
        return query.where(Product.status == status)
    if principal.role is Role.SELLER:
        return query.where(Product.status == status, Product.seller_id == principal.seller_id)
    raise Forbidden("Only sellers and operators may filter by status.", field="status")


def _text_terms(query: Select[Product, Category, Seller], q: str) -> Select[Product, Category, Seller]:
    """Every whitespace-separated term must appear in the title, description or brand."""
    for term in q.split():
        query = query.where(
            or_(
                Product.title.icontains(term, autoescape=True),
                Product.description.icontains(term, autoescape=True),
                Product.brand.icontains(term, autoescape=True),
            )
        )
    return query


def _price_range(
    query: Select[Product, Category, Seller], low: int | None, high: int | None
) -> Select[Product, Category, Seller]:
    """Some active variant's price lies in [low, high]."""
    if low is not None and high is not None and low > high:
        raise InvalidInput("min_price is above max_price.", field="min_price")
    if low is None and high is None:
        return query
    in_range = exists().where(Variant.product_id == Product.id, Variant.is_active.is_(True))
    if low is not None:
        in_range = in_range.where(Variant.price_cents >= low)
    if high is not None:
        in_range = in_range.where(Variant.price_cents <= high)
    return query.where(in_range)


def search_products(
    session: Session, *, principal: Principal | None, filters: ProductFilter, after_id: int | None, limit: int
) -> list[Listing]:
    """Listings matching ``filters``, newest (highest id) first, ids below ``after_id``."""
    query = _scope(_listings(), principal, filters.status)
    if filters.q:
        query = _text_terms(query, filters.q)
    if filters.category is not None:
        root = find_category(session, filters.category)
        query = query.where(Category.path.startswith(root.path, autoescape=True))
    if filters.seller_id is not None:
        query = query.where(Product.seller_id == filters.seller_id)
    if filters.mode is not None:
        query = query.where(Product.selling_mode == filters.mode)
    query = _price_range(query, filters.min_price, filters.max_price)
    if after_id is not None:
        query = query.where(Product.id < after_id)
    rows = session.execute(query.order_by(Product.id.desc()).limit(limit))
    return [Listing(product, category, seller) for product, category, seller in rows]


def get_product(session: Session, *, principal: Principal | None, product_id: int) -> Listing:
    """A product the caller may see: public when on sale, else only to its seller and operators."""
    row = session.execute(_listings().where(Product.id == product_id)).one_or_none()
    if row is not None:
        product, category, seller = row
        on_sale = product.status is ProductStatus.ACTIVE and seller.status is SellerStatus.ACTIVE
        if on_sale or manages(principal, product.seller_id):
            return Listing(product, category, seller)
    raise NotFound(f"Product {product_id} does not exist.")


def owned_variant(session: Session, *, principal: Principal, sku: str) -> tuple[Variant, Product]:
    """A variant of a product the caller manages; anyone else's SKU reads as missing."""
    row = session.execute(
        select(Variant, Product).join(Product, Product.id == Variant.product_id).where(Variant.sku == sku)
    ).one_or_none()
    if row is None or not manages(principal, row[1].seller_id):
        raise NotFound(f"SKU {sku} does not exist.", sku=sku)
    return row[0], row[1]


# ---- writing products ---------------------------------------------------------------------------


def _taken_skus(session: Session, skus: Sequence[str]) -> list[str]:
    if not skus:
        return []
    with session.no_autoflush:
        return sorted(session.scalars(select(Variant.sku).where(Variant.sku.in_(list(skus)))).all())


def _sku_taken(skus: list[str]) -> SkuTaken:
    return SkuTaken(f"SKU already in use: {', '.join(skus)}.", skus=skus)


def _insert_with_skus(session: Session, add: Callable[[], None], skus: Sequence[str]) -> None:
    """Insert new variants; a concurrent insert of the same SKU surfaces as sku_taken."""
    flush_guarded(session, add, lambda: _sku_taken(_taken_skus(session, skus) or sorted(skus)))


def _ensure_skus_free(session: Session, skus: Sequence[str]) -> None:
    taken = _taken_skus(session, skus)
    if taken:
        raise _sku_taken(taken)


def _seller_for_new_product(session: Session, principal: Principal, requested: int | None) -> Seller:
    """Sellers create for their own account; operators say for whom."""
    if principal.role is Role.SELLER:
        if requested is not None and requested != principal.seller_id:
            raise Forbidden("Sellers create products for their own account only.", field="seller_id")
        requested = principal.seller_id
    elif not principal.is_operator:
        raise Forbidden("Only sellers and operators create products.")
    if requested is None:
        raise InvalidInput("Operators must say which seller the product is for.", field="seller_id")
    seller = session.get(Seller, requested)
    if seller is None:
        raise UnknownSeller(f"Seller {requested} does not exist.", field="seller_id")
    return seller


def _check_listing(product: Product) -> None:
    """Rules that span fields: the redirect link, and an active product keeps a variant to sell."""
    if product.selling_mode is SellingMode.REDIRECT and not product.redirect_url:
        raise RedirectUrlRequired("A redirect listing needs an https redirect_url.", field="redirect_url")
    if product.selling_mode is not SellingMode.REDIRECT and product.redirect_url:
        raise RedirectUrlNotAllowed(
            f"A {product.selling_mode.value} listing sells in-app; drop redirect_url.", field="redirect_url"
        )
    if product.status is ProductStatus.ACTIVE and not any(v.is_active for v in product.variants):
        raise NotPublishable("An active product needs at least one active variant.", field="variants")


def _check_seller_may_publish(seller: Seller) -> None:
    """Going on sale needs an active seller; a later suspension hides listings without blocking edits."""
    if seller.status is not SellerStatus.ACTIVE:
        raise NotPublishable(f"Seller {seller.id} is {seller.status.value}; keep the product a draft.", field="status")


def create_product(session: Session, *, principal: Principal, draft: ProductIn) -> Listing:
    """A new product with its variants, all or nothing."""
    seller = _seller_for_new_product(session, principal, draft.seller_id)
    enforcement.require_not_restricted(session, seller_id=seller.id, what="new listings")  # risk actions
    category = find_category(session, draft.category)
    skus = [v.sku for v in draft.variants]
    _ensure_skus_free(session, skus)
    product = Product(
        seller_id=seller.id,
        category_id=category.id,
        title=draft.title,
        description=draft.description,
        brand=draft.brand,
        status=ProductStatus(draft.status),
        selling_mode=draft.selling_mode or seller.default_selling_mode,
        redirect_url=draft.redirect_url,
        media=[m.model_dump() for m in draft.media],
        variants=[Variant(**v.model_dump(), is_active=True) for v in draft.variants],
    )
    _check_listing(product)
    if product.status is ProductStatus.ACTIVE:
        _check_seller_may_publish(seller)
    if product.selling_mode is SellingMode.REDIRECT:
        ensure_redirect_allowed(session, seller_id=seller.id, now=utcnow())
    _insert_with_skus(session, lambda: session.add(product), skus)
    return Listing(product, category, seller)


def _managed_product(session: Session, principal: Principal, product_id: int) -> Product:
    product = session.get(Product, product_id, with_for_update=True)
    if product is None or not manages(principal, product.seller_id):
        raise NotFound(f"Product {product_id} does not exist.")
    return product


def _check_status_change(principal: Principal, product: Product, target: ProductStatus) -> None:
    """Suspension is the platform's call: sellers neither suspend nor reinstate."""
    if principal.is_operator or target is product.status:
        return
    if ProductStatus.SUSPENDED in (target, product.status):
        raise StatusNotAllowed("Only operators suspend or reinstate products.", field="status")


def _listing_of(session: Session, product: Product) -> Listing:
    category = session.get_one(Category, product.category_id)
    return Listing(product, category, session.get_one(Seller, product.seller_id))


def update_product(session: Session, *, principal: Principal, product_id: int, patch: ProductPatch) -> Listing:
    """Change the fields sent; cross-field rules are checked on the result."""
    product = _managed_product(session, principal, product_id)
    sent = patch.model_fields_set
    publishing = patch.status is ProductStatus.ACTIVE and product.status is not ProductStatus.ACTIVE
    if patch.status is not None:
        _check_status_change(principal, product, patch.status)
        product.status = patch.status
    if patch.category is not None:
        product.category_id = find_category(session, patch.category).id
    if patch.selling_mode is not None and patch.selling_mode is not product.selling_mode:
        # A switch needs data (stock, supply prices) and leaves history: never a silent field edit.
        raise UseModeSwitch(
            f"Change the selling mode with POST /v1/products/{product.id}/selling-mode.",
            field="selling_mode",
            endpoint=f"/v1/products/{product.id}/selling-mode",
        )
    if patch.media is not None:
        product.media = [m.model_dump() for m in patch.media]
    for name in ("title", "description", "brand", "redirect_url"):
        if name in sent:
            setattr(product, name, getattr(patch, name))
    listing = _listing_of(session, product)
    _check_listing(product)
    if publishing:
        _check_seller_may_publish(listing.seller)
    session.flush()
    return listing


def _apply_variant(variant: Variant, spec: VariantPut) -> None:
    variant.price_cents = spec.price_cents
    variant.compare_at_cents = spec.compare_at_cents
    if spec.options is not None:
        variant.options = dict(spec.options)
    if spec.weight_grams is not None:
        variant.weight_grams = spec.weight_grams
    if spec.is_active is not None:
        variant.is_active = spec.is_active


def put_variant(
    session: Session, *, principal: Principal, product_id: int, sku: str, spec: VariantPut
) -> tuple[Variant, bool]:
    """Create or reprice a variant of a product the caller manages; returns it and whether it is new."""
    product = _managed_product(session, principal, product_id)
    variant = next((v for v in product.variants if v.sku == sku), None)
    created = variant is None
    if variant is None:
        _ensure_skus_free(session, [sku])
        if len(product.variants) >= MAX_VARIANTS:
            raise TooManyVariants(f"A product has at most {MAX_VARIANTS} variants.", field="sku")
        variant = Variant(sku=sku, options={}, weight_grams=0, is_active=True, price_cents=spec.price_cents)
        _apply_variant(variant, spec)
        _insert_with_skus(session, lambda: product.variants.append(variant), [sku])
    else:
        _check_platform_price(principal, product, variant, spec)
        _apply_variant(variant, spec)
    _check_listing(product)
    session.flush()
    return variant, created


def _check_platform_price(principal: Principal, product: Product, variant: Variant, spec: VariantPut) -> None:
    """Full custody: once the price check accepted a supply price, the retail price is the platform's
    (a seller changes its offer through /v1/supply-offers, not the shelf price)."""
    priced = product.selling_mode is SellingMode.FULL_CUSTODY and variant.supply_price_cents is not None
    if priced and not principal.is_operator and spec.price_cents != variant.price_cents:
        raise PlatformSetsPrice(
            f"The platform sets the retail price of {variant.sku}; offer a new supply price instead.",
            field="price_cents",
            endpoint="/v1/supply-offers",
        )
