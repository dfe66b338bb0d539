"""The redirect cutover: operators schedule, move or cancel the instant redirect links end in a market;
sellers see a countdown with what each listing's migration needs and migrate in one call; operators
read every seller's migration status.

Progress is read from the selling-mode history (``catalog.mode_change``): a listing counts as migrated
once it has left redirect through the audited switch and has not gone back.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog import mode_change
from yellowcart.catalog.mode_models import SellingModeChange
from yellowcart.catalog.models import Product, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.catalog.service import manages
from yellowcart.errors import Forbidden, InvalidInput, NotFound
from yellowcart.events import emit
from yellowcart.inventory.models import Warehouse, WarehouseOperator
from yellowcart.redirect import rules
from yellowcart.redirect.clicks import NotARedirectListing, in_app_path
from yellowcart.redirect.cutover_state import known_market, scheduled_cutover, seller_market, seller_markets
from yellowcart.redirect.models import Cutover, CutoverStatus
from yellowcart.sellers.models import Seller

TOPIC = "redirect.cutover_changed"
MIGRATION_TARGETS = (SellingMode.SELLER_FULFILLED, SellingMode.FULL_CUSTODY)
MIGRATION_REASON = "redirect cutover migration"


def _operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise Forbidden("Only operators schedule the redirect cutover.")


# ---- operators: schedule, move, cancel -----------------------------------------------------------------


def schedule_cutover(
    session: Session, *, principal: Principal, market: str, at: dt.datetime, note: str, now: dt.datetime
) -> tuple[Cutover, bool]:
    """Schedule (True) or move (False) the market's cutover; it must lie in the future, so sellers
    always get a countdown."""
    _operator(principal)
    if not known_market(session, market):
        raise InvalidInput(f"There is no market {market!r}.", field="market")
    if at <= now:
        raise InvalidInput("The cutover must be in the future.", field="cutover_at")
    row = session.scalar(select(Cutover).where(Cutover.market == market).with_for_update())
    created = row is None
    if row is None:
        row = Cutover(market=market, created_by=principal.user_id, created_at=now)
        session.add(row)
    row.cutover_at, row.status, row.note = at, CutoverStatus.SCHEDULED, note
    row.updated_by, row.updated_at = principal.user_id, now
    session.flush()
    emit(session, TOPIC, market=market, cutover_at=at.isoformat(), status=row.status.value, by=principal.user_id)
    return row, created


def cancel_cutover(session: Session, *, principal: Principal, market: str, now: dt.datetime) -> Cutover:
    """Cancel the market's cutover: redirect links keep (or start again) working."""
    _operator(principal)
    row = session.scalar(select(Cutover).where(Cutover.market == market).with_for_update())
    if row is None or row.status is CutoverStatus.CANCELLED:
        raise NotFound(f"No cutover is scheduled in market {market}.")
    row.status, row.updated_by, row.updated_at = CutoverStatus.CANCELLED, principal.user_id, now
    session.flush()
    emit(
        session,
        TOPIC,
        market=market,
        cutover_at=row.cutover_at.isoformat(),
        status=row.status.value,
        by=principal.user_id,
    )
    return row


def list_cutovers(session: Session, *, principal: Principal) -> Sequence[Cutover]:
    _operator(principal)
    return session.scalars(select(Cutover).order_by(Cutover.market)).all()


# ---- sellers: countdown and one-click migration ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SellerCutover:
    seller_id: int
    market: str
    cutover_at: dt.datetime | None
    countdown: rules.Countdown | None
    listings: list[Product]
    warehouses: list[Warehouse]
    needs: dict[str, list[str]] = field(default_factory=dict)


def _check_seller(session: Session, principal: Principal, seller_id: int) -> Seller:
    own = principal.role is Role.SELLER and principal.seller_id == seller_id
    seller = session.get(Seller, seller_id)
    if seller is None or not (own or principal.is_operator):
        raise NotFound(f"Seller {seller_id} does not exist.")
    return seller


def seller_cutover(session: Session, *, principal: Principal, seller_id: int, now: dt.datetime) -> SellerCutover:
    """The seller's market cutover with a countdown, its redirect listings and what migrating needs."""
    seller = _check_seller(session, principal, seller_id)
    market = seller_market(session, seller.id)
    cutover = scheduled_cutover(session, market)
    listings = session.scalars(
        select(Product)
        .where(Product.seller_id == seller.id, Product.selling_mode == SellingMode.REDIRECT)
        .options(selectinload(Product.variants))
        .order_by(Product.id)
    ).all()
    warehouses = session.scalars(
        select(Warehouse)
        .where(Warehouse.seller_id == seller.id, Warehouse.operator == WarehouseOperator.SELLER, Warehouse.is_active)
        .order_by(Warehouse.id)
    ).all()
    return SellerCutover(
        seller_id=seller.id,
        market=market,
        cutover_at=cutover.cutover_at if cutover else None,
        countdown=rules.countdown(cutover.cutover_at, now) if cutover else None,
        listings=list(listings),
        warehouses=list(warehouses),
        needs={t.value: mode_change.needs(t) for t in MIGRATION_TARGETS},
    )


def migrate_listing(
    session: Session,
    *,
    principal: Principal,
    product_id: int,
    target: SellingMode,
    data: mode_change.ModeData,
    now: dt.datetime,
) -> SellingModeChange:
    """One click: a redirect listing moves in-app (seller_fulfilled or full_custody) with its data."""
    if target not in MIGRATION_TARGETS:
        raise InvalidInput("Migrate to seller_fulfilled or full_custody.", field="target")
    product = session.get(Product, product_id)
    if (
        product is not None
        and product.selling_mode is not SellingMode.REDIRECT
        and manages(principal, product.seller_id)
    ):
        raise NotARedirectListing(
            f"Product {product_id} already sells in the app.", product_url=in_app_path(product_id)
        )
    return mode_change.change_selling_mode(
        session, principal=principal, product_id=product_id, target=target, reason=MIGRATION_REASON, now=now, data=data
    )


# ---- operators: the report -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SellerMigration:
    seller_id: int
    seller_name: str
    market: str
    total: int
    migrated: int
    remaining: int
    last_migration_at: dt.datetime | None

    @property
    def status(self) -> rules.MigrationStatus:
        return rules.migration_status(self.total, self.remaining)


REPORT_COLUMNS = (
    "seller_id",
    "seller_name",
    "market",
    "listings_total",
    "migrated",
    "remaining",
    "last_migration_at",
    "status",
)


def report_row(row: SellerMigration) -> list[object]:
    """One CSV row of the report, in REPORT_COLUMNS order."""
    at = row.last_migration_at.isoformat() if row.last_migration_at else ""
    return [row.seller_id, row.seller_name, row.market, row.total, row.migrated, row.remaining, at, row.status]


def _remaining(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Product.seller_id, func.count())
        .where(Product.selling_mode == SellingMode.REDIRECT)
        .group_by(Product.seller_id)
    )
    return {seller_id: int(n) for seller_id, n in rows}


def _migrated(session: Session) -> tuple[dict[int, int], dict[int, dt.datetime]]:
    """Per seller: listings that left redirect and are not back, and the last such switch."""
    rows = session.execute(
        select(SellingModeChange.seller_id, SellingModeChange.product_id, SellingModeChange.created_at)
        .join(Product, Product.id == SellingModeChange.product_id)
        .where(SellingModeChange.from_mode == SellingMode.REDIRECT, Product.selling_mode != SellingMode.REDIRECT)
    )
    products: dict[int, set[int]] = defaultdict(set)
    last: dict[int, dt.datetime] = {}
    for seller_id, product_id, at in rows:
        products[seller_id].add(product_id)
        last[seller_id] = max(at, last.get(seller_id, at))
    return {s: len(p) for s, p in products.items()}, last


def migration_report(session: Session, *, principal: Principal, market: str | None) -> list[SellerMigration]:
    """Every seller that has (or had) redirect listings, with its migration progress (operators)."""
    _operator(principal)
    return seller_migrations(session, market=market)


def seller_migrations(session: Session, *, market: str | None) -> list[SellerMigration]:
    """The report itself, for callers that already decided who may read it (the API, the CLI)."""
    remaining = _remaining(session)
    migrated, last = _migrated(session)
    ids = sorted(set(remaining) | set(migrated))
    names = {i: n for i, n in session.execute(select(Seller.id, Seller.name).where(Seller.id.in_(ids)))} if ids else {}
    markets = seller_markets(session, ids)
    report = []
    for seller_id in ids:
        seller_market_code = markets[seller_id]
        if market is not None and seller_market_code != market:
            continue
        left, moved = remaining.get(seller_id, 0), migrated.get(seller_id, 0)
        report.append(
            SellerMigration(
                seller_id=seller_id,
                seller_name=str(names.get(seller_id, "")),
                market=seller_market_code,
                total=left + moved,
                migrated=moved,
                remaining=left,
                last_migration_at=last.get(seller_id),
            )
        )
    return report


def active_variants(product: Product) -> list[Variant]:
    return [v for v in product.variants if v.is_active]
