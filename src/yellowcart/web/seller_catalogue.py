"""The seller centre's product page, ``/seller/products/{id}``: the listing's details and media, and its
variants (options, SKU, price, compare-at price, stock per warehouse); add a variant, change a variant's
price, take a variant off sale or back on.

Every write goes through the catalog services with the seller's principal (:mod:`yellowcart.catalog.service`
and :mod:`yellowcart.catalog.variant_edits`), after the form is read into the API's own request models
(:mod:`yellowcart.web.seller_product_forms`), so the page refuses what the API refuses. Someone else's
product is missing (404) even when it is on sale. A refused write re-renders the page (422) with each
message next to its input and writes nothing (each write is one transaction); a done write redirects (303)
with a fixed notice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from yellowcart.catalog import service as catalog
from yellowcart.catalog import variant_edits
from yellowcart.catalog.models import ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.catalog.schemas import MAX_VARIANTS
from yellowcart.errors import DomainError
from yellowcart.http import PathId
from yellowcart.inventory import service as inventory
from yellowcart.inventory.models import Stock, Warehouse
from yellowcart.web import seller_product_forms as forms
from yellowcart.web import session as web
from yellowcart.web.pages import app_of, render, render_problem

router = APIRouter(include_in_schema=False)
MAX_OPTIONS = 5  # VariantIn's own limit
SkuPath = Annotated[str, Path(min_length=1, max_length=64)]

NOTICES = {
    "details_saved": "Product details saved.",
    "variant_added": "Variant added.",
    "price_saved": "Price saved.",
    "variant_off": "Variant taken off sale.",
    "variant_on": "Variant back on sale.",
}


def _back(product_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"/seller/products/{product_id}?done={done}", status_code=303)


@dataclass(frozen=True, slots=True)
class VariantView:
    variant: Variant
    stock: list[tuple[Stock, Warehouse]]
    available: int
    platform_priced: bool  # full custody with an accepted supply price: the retail price is the platform's


@dataclass(frozen=True, slots=True)
class Typed:
    """What the seller typed into the form that was refused, to show it again with the problems."""

    where: str  # "details", "add" or "variant:<sku>"
    problems: forms.Problems
    details: forms.DetailsForm | None = None
    row: forms.VariantRow | None = None
    price: tuple[str, str] = ("", "")


def option_names(variants: list[Variant]) -> list[str]:
    """The product's option names in order of first appearance (a new variant gives a value for each)."""
    names: list[str] = []
    for variant in variants:
        names += [name for name in variant.options or {} if name not in names]
    return names[:MAX_OPTIONS]


def _details_on_file(listing: catalog.Listing) -> forms.DetailsForm:
    product = listing.product
    media = tuple(
        forms.MediaRow(str(m.get("type", "image")), str(m.get("url", "")), str(m.get("alt") or ""))
        for m in product.media or []
    )
    return forms.DetailsForm(
        title=product.title,
        description=product.description,
        brand=product.brand or "",
        category=listing.category.slug,
        status="" if product.status is ProductStatus.SUSPENDED else product.status.value,
        media=media,
    ).with_blank_media()


def _variants(session: Session, variants: list[Variant], mode: SellingMode) -> list[VariantView]:
    available = inventory.available_by_variant(session, [v.id for v in variants]) if variants else {}
    custody = mode is SellingMode.FULL_CUSTODY
    return [
        VariantView(
            v,
            inventory.stock_for_variant(session, variant_id=v.id),
            available.get(v.id, 0),
            custody and v.supply_price_cents is not None,
        )
        for v in variants
    ]


def _context(session: Session, listing: catalog.Listing, typed: Typed | None, notice: str = "") -> dict[str, Any]:
    product = listing.product
    names = option_names(product.variants)
    details = typed.details if typed and typed.details else _details_on_file(listing)
    slots = len(names) or forms.OPTION_SLOTS
    return {
        "listing": listing,
        "p": product,
        "variants": _variants(session, product.variants, product.selling_mode),
        "categories": [(c.slug, c.name) for c in catalog.list_categories(session)],
        "details": details,
        "fixed_names": names,
        "add_row": typed.row if typed and typed.row else forms.VariantRow(values=("",) * slots),
        "slots": slots,
        "may_add": len(product.variants) < MAX_VARIANTS,
        "typed": typed,
        "problems": typed.problems if typed else forms.Problems(),
        "summary": _summary(typed),
        "notice": notice,
    }


def _summary(typed: Typed | None) -> list[str]:
    if typed is None:
        return []
    if typed.where == "details":
        return typed.problems.messages(forms.details_label)
    if typed.where == "add":
        return typed.problems.messages(forms.new_product_label)
    return typed.problems.messages(lambda key: {"price": "Price", "compare_at": "Compare-at price"}.get(key, key))


def _failed(request: Request, err: DomainError) -> HTMLResponse:
    return render_problem(request, err.status, err.title, err.detail)


def _again(request: Request, user: web.WebUser, product_id: int, typed: Typed) -> Response:
    """The page again, with what was typed and what is wrong with it (nothing was written)."""
    try:
        with app_of(request).db.transaction() as session:
            listing = variant_edits.managed_listing(session, principal=user.principal, product_id=product_id)
            context = _context(session, listing, typed)
            return render(request, "seller_product.html", context, status_code=422)
    except DomainError as err:
        return _failed(request, err)


def _refused(err: DomainError, keys: tuple[str, ...]) -> forms.Problems:
    """A service's refusal next to the input it names (when the form has it), else for the whole form."""
    problems = forms.Problems()
    name = err.extra.get("field")
    problems.add(name if name in keys else None, err.detail)
    return problems


@router.get("/seller/products/{product_id}", response_class=HTMLResponse)
def product_page(request: Request, product_id: PathId, user: web.Seller, done: str = "") -> Response:
    try:
        with app_of(request).db.transaction() as session:
            listing = variant_edits.managed_listing(session, principal=user.principal, product_id=product_id)
            context = _context(session, listing, None, NOTICES.get(done[:20], ""))
            return render(request, "seller_product.html", context)
    except DomainError as err:
        return _failed(request, err)


@router.post("/seller/products/{product_id}/details")
def save_details(request: Request, product_id: PathId, form: web.Form, user: web.Seller) -> Response:
    """Title, description, brand, category, status and media, as ``PATCH /v1/products/{id}``."""
    typed = forms.DetailsForm.read(form)
    try:
        patch = typed.patch()
        with app_of(request).db.transaction() as session:
            catalog.update_product(session, principal=user.principal, product_id=product_id, patch=patch)
    except forms.Problems as problems:
        return _again(request, user, product_id, Typed("details", problems, details=typed.with_blank_media()))
    except DomainError as err:
        if err.status == 404:
            return _failed(request, err)
        refused = _refused(err, ("title", "description", "brand", "category", "status"))
        return _again(request, user, product_id, Typed("details", refused, details=typed.with_blank_media()))
    return _back(product_id, "details_saved")


@router.post("/seller/products/{product_id}/variants")
def add_variant(request: Request, product_id: PathId, form: web.Form, user: web.Seller) -> Response:
    """A new variant: option values (for each of the product's options), SKU, price, compare-at price."""
    row = forms.VariantRow()
    try:
        with app_of(request).db.transaction() as session:
            listing = variant_edits.managed_listing(session, principal=user.principal, product_id=product_id)
            names = option_names(listing.product.variants)
            row = forms.variant_row(form, len(names) or forms.OPTION_SLOTS)
            names = names or forms.option_names(form, forms.OPTION_SLOTS)
            spec = forms.variant_spec(row, names)
            variant_edits.add_variant(session, principal=user.principal, product_id=product_id, spec=spec)
    except forms.Problems as problems:
        return _again(request, user, product_id, Typed("add", problems, row=row))
    except DomainError as err:
        if err.status == 404:
            return _failed(request, err)
        refused = forms.Problems()
        refused.add("sku-0" if isinstance(err, catalog.SkuTaken) else None, err.detail)
        return _again(request, user, product_id, Typed("add", refused, row=row))
    return _back(product_id, "variant_added")


@router.post("/seller/products/{product_id}/variants/{sku}")
def reprice_variant(request: Request, product_id: PathId, sku: SkuPath, form: web.Form, user: web.Seller) -> Response:
    """A variant's price and compare-at price (blank compare-at: none), as the API's variant PUT."""
    price = (web.field(form, "price", limit=20), web.field(form, "compare_at", limit=20))
    try:
        spec = forms.new_price(form)
        with app_of(request).db.transaction() as session:
            variant_edits.reprice_variant(
                session, principal=user.principal, product_id=product_id, sku=sku,
                price_cents=spec.price_cents, compare_at_cents=spec.compare_at_cents,
            )  # fmt: skip
    except forms.Problems as problems:
        return _again(request, user, product_id, Typed(f"variant:{sku}", problems, price=price))
    except DomainError as err:
        if err.status == 404:
            return _failed(request, err)
        refused = forms.Problems()
        refused.add("price" if err.extra.get("field") == "price_cents" else None, err.detail)
        return _again(request, user, product_id, Typed(f"variant:{sku}", refused, price=price))
    return _back(product_id, "price_saved")


@router.post("/seller/products/{product_id}/variants/{sku}/active")
def set_active(request: Request, product_id: PathId, sku: SkuPath, form: web.Form, user: web.Seller) -> Response:
    """Off sale (``active=0``) or back on (``active=1``); an active product keeps at least one on sale."""
    active = web.field(form, "active", limit=1) == "1"
    try:
        with app_of(request).db.transaction() as session:
            variant_edits.set_variant_active(
                session, principal=user.principal, product_id=product_id, sku=sku, active=active
            )
    except DomainError as err:
        if err.status == 404:
            return _failed(request, err)
        refused = forms.Problems(general=[err.detail])
        return _again(request, user, product_id, Typed(f"variant:{sku}", refused))
    return _back(product_id, "variant_on" if active else "variant_off")


__all__ = ["router"]
