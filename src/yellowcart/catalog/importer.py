"""Catalogue import from a Shopify product CSV, the database side: who may import for which seller,
category mapping, one SAVEPOINT per product, batches, the report.

The whole file is parsed and validated first (``shopify_csv``, pure): a file that is not a Shopify
product CSV imports nothing. Products are then written in batches of ``BATCH`` per transaction, each
product in its own savepoint, so a bad product is skipped with its rows' reasons and never half-written,
and a long import does not hold the database's write lock for its whole length (an import cut off
half-way is finished by running it again: it is idempotent). A dry run does all of it in one
transaction and rolls it back: the same checks, nothing written.

Like ``checkout.flow`` and the SLA jobs, this module owns its transactions (it takes the Database).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog import service
from yellowcart.catalog.category_match import CategoryNode, match_category
from yellowcart.catalog.import_apply import Applied, ImportContext, apply_product
from yellowcart.catalog.import_rows import ParsedProduct, SourceStatus
from yellowcart.catalog.import_schemas import ROW_OUTCOME, ImportReport, ProductReport, RowReport
from yellowcart.catalog.models import Category
from yellowcart.catalog.shopify_csv import ParsedFile, parse_shopify_csv
from yellowcart.db import Database
from yellowcart.errors import DomainError, NotFound
from yellowcart.inventory.models import Warehouse, WarehouseOperator
from yellowcart.sellers.models import Seller, SellerStatus

log = structlog.get_logger(__name__)
BATCH = 50
FALLBACK_SLUG, FALLBACK_NAME = "uncategorized", "Uncategorized"
Progress = Callable[[int, int], None]


def command_line_operator() -> Principal:
    """Whoever runs ``yellowcart import`` on the server acts as an operator (like ``yellowcart users``)."""
    return Principal(user_id=0, role=Role.OPERATOR)


@dataclass(frozen=True, slots=True)
class Placement:
    category_id: int | None  # None: the fallback category
    matched: bool


def _context(session: Session, principal: Principal, seller_id: int) -> ImportContext:
    """The seller, if the caller manages it (another seller's account reads as missing)."""
    seller = session.get(Seller, seller_id)
    if seller is None or not service.manages(principal, seller_id):
        raise NotFound(f"Seller {seller_id} does not exist.")
    warehouses = session.scalars(
        select(Warehouse.id).where(
            Warehouse.seller_id == seller_id,
            Warehouse.operator == WarehouseOperator.SELLER,
            Warehouse.is_active.is_(True),
        )
    ).all()
    note = None
    if len(warehouses) != 1:
        note = "the seller has no warehouse" if not warehouses else f"the seller has {len(warehouses)} warehouses"
    return ImportContext(
        principal=principal,
        seller_id=seller.id,
        seller_active=seller.status is SellerStatus.ACTIVE,
        seller_status=seller.status.value,
        mode=seller.default_selling_mode,
        store_url=seller.store_url,
        warehouse_id=warehouses[0] if len(warehouses) == 1 else None,
        warehouse_note=note,
    )


def _placements(session: Session, parsed: ParsedFile) -> dict[str, Placement]:
    nodes = [CategoryNode(c.id, c.slug, c.name, c.path) for c in service.list_categories(session)]
    nodes = [n for n in nodes if n.slug != FALLBACK_SLUG]
    out: dict[str, Placement] = {}
    for product in parsed.products:
        node = match_category(product.category_path, product.product_type, nodes)
        out[product.handle] = Placement(node.id if node else None, node is not None)
    return out


def fallback_category(session: Session) -> int:
    """The catalogue's "Uncategorized" root, made on first need (a concurrent maker wins the slug)."""
    found = session.scalar(select(Category.id).where(Category.slug == FALLBACK_SLUG))
    if found is not None:
        return found
    try:
        return service.create_category(session, slug=FALLBACK_SLUG, name=FALLBACK_NAME).id
    except service.SlugTaken:
        return session.scalars(select(Category.id).where(Category.slug == FALLBACK_SLUG)).one()


def _skip(reasons: list[str]) -> Applied:
    return Applied("skipped", notes=reasons)


def _import_one(
    session: Session, ctx: ImportContext, product: ParsedProduct, place: Placement, fallback: int | None
) -> tuple[Applied, bool]:
    """(what happened, whether it is an error) for one product, inside its own savepoint."""
    if product.gift_card:
        return _skip(["gift card: sold by the store itself, not listed here"]), False
    if product.problems and product.status is not SourceStatus.ARCHIVED:  # archiving needs no row data
        return _skip([f"row {n.row}: {n.message}" for n in product.problems]), True
    try:
        with session.begin_nested():
            category = place.category_id if place.category_id is not None else fallback
            return apply_product(session, ctx, product, category or 0, place.matched), False
    except DomainError as exc:
        return _skip([exc.detail]), True
    except ValidationError as exc:
        return _skip([f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]), True
    except IntegrityError:
        return _skip(["changed by someone else at the same time; import the file again"]), True


def _product_report(product: ParsedProduct, applied: Applied, dry_run: bool) -> ProductReport:
    notes = [f"row {n.row}: {n.message}" for n in product.notes]
    skipped = applied.outcome == "skipped"
    return ProductReport(
        handle=product.handle,
        title=product.title or None,
        product_id=None if dry_run and applied.outcome == "created" else applied.product_id,
        outcome=applied.outcome,
        rows=product.rows,
        variants=sum(1 for kind in product.row_kinds.values() if kind == "variant"),
        changes=applied.changes,
        notes=notes + ([] if skipped else applied.notes),
        reasons=applied.notes if skipped else [],
    )


def _row_reports(product: ParsedProduct, report: ProductReport) -> list[RowReport]:
    skus = {v.row: v.sku for v in product.variants}
    problems = {n.row: n.message for n in product.problems}
    notes: dict[int, list[str]] = {}
    for n in product.notes:
        notes.setdefault(n.row, []).append(n.message)
    out = []
    for row in product.rows:
        if report.outcome == "skipped":
            reason = problems.get(row) or (report.reasons[0] if report.reasons else None)
        else:
            reason = "; ".join(notes.get(row, [])) or None
        kind = product.row_kinds.get(row, "unreadable")
        out.append(RowReport(row=row, handle=product.handle, sku=skus.get(row), kind=kind,
                             outcome=ROW_OUTCOME[report.outcome], reason=reason))  # fmt: skip
    return out


def _write(
    db: Database, ctx: ImportContext, parsed: ParsedFile, dry_run: bool, progress: Progress | None
) -> list[tuple[ParsedProduct, Applied, bool]]:
    """Each product in its savepoint; batches committed (a dry run: one transaction, rolled back)."""
    products, done = parsed.products, []
    total = len(products)
    batches = [products] if dry_run else [products[i : i + BATCH] for i in range(0, total, BATCH)]
    with db.transaction() as session:
        places = _placements(session, parsed)
    needs_fallback = any(not p.matched for p in places.values())
    for batch in batches:
        with db.sessions() as session:
            session.begin()
            fallback = fallback_category(session) if needs_fallback else None
            for product in batch:
                applied, error = _import_one(session, ctx, product, places[product.handle], fallback)
                done.append((product, applied, error))
                if progress is not None:
                    progress(len(done), total)
            session.rollback() if dry_run else session.commit()
    return done


def import_shopify_csv(
    db: Database,
    *,
    principal: Principal,
    seller_id: int,
    data: bytes,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import (or with ``dry_run`` only check) a Shopify product CSV as ``seller_id``'s listings.
    Raises NotFound for a seller the caller does not manage and NotShopifyCsv for a file that is not one."""
    with db.transaction() as session:
        ctx = _context(session, principal, seller_id)
    parsed = parse_shopify_csv(data, seller_id=seller_id)
    results = _write(db, ctx, parsed, dry_run, progress)
    report = ImportReport(
        products=len(parsed.products),
        variants=sum(1 for p in parsed.products for kind in p.row_kinds.values() if kind == "variant"),
        dry_run=dry_run,
        format=parsed.format,
        rows=parsed.rows,
        notes=parsed.notes,
    )
    for n in parsed.errors:
        report.errors.append(f"row {n.row}: {n.message}")
        report.row_reports.append(RowReport(row=n.row, handle=None, sku=None, kind="unreadable",
                                             outcome="skipped", reason=n.message))  # fmt: skip
    for product, applied, error in results:
        entry = _product_report(product, applied, dry_run)
        report.results.append(entry)
        report.row_reports.extend(_row_reports(product, entry))
        _count(report, entry, error)
    report.row_reports.sort(key=lambda r: r.row)
    counts = report.summary().model_dump(include={"products", "variants", "created", "updated", "skipped", "dry_run"})
    log.info("catalog_import", seller_id=seller_id, errors=len(report.errors), **counts)
    return report


def _count(report: ImportReport, entry: ProductReport, error: bool) -> None:
    if entry.outcome == "created":
        report.created += 1
    elif entry.outcome == "updated":
        report.updated += 1
    else:
        report.skipped += 1
        report.unchanged += entry.outcome == "unchanged"
    if error:
        report.errors.extend(f"{entry.handle}: {reason}" for reason in entry.reasons)


__all__ = ["BATCH", "command_line_operator", "fallback_category", "import_shopify_csv"]
