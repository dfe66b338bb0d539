"""Redirect cutover endpoints: operators schedule, move and cancel it and read the migration report
(JSON or CSV); sellers read their countdown and migrate a listing in one call."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import PlainTextResponse

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.mode_api import ModeChangeOut
from yellowcart.catalog.models import Product
from yellowcart.db import utcnow
from yellowcart.http import Db, PathId, problems, require
from yellowcart.redirect import cutover
from yellowcart.redirect.cutover_state import MARKET_PATTERN, scheduled_cutover
from yellowcart.redirect.schemas import (
    CountdownOut,
    CutoverIn,
    CutoverOut,
    ListingToMigrateOut,
    MigrateIn,
    MigrateOut,
    MigrationReportOut,
    SellerCutoverOut,
    SellerMigrationOut,
    VariantNeedOut,
    WarehouseRefOut,
)

router = APIRouter(tags=["redirect"])
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
Operator = Annotated[Principal, require(Role.OPERATOR)]
MarketCode = Annotated[str, Path(pattern=MARKET_PATTERN, description="Market code, e.g. US or US-XB")]


def _migrate_path(product_id: int) -> str:
    return f"/v1/products/{product_id}/migrate"


@router.put(
    "/v1/operator/redirect-cutovers/{market}",
    response_model=CutoverOut,
    responses={201: {"model": CutoverOut, "description": "Scheduled"}, **problems(s422="In the past")},
    summary="Schedule (201) or move (200) a market's redirect cutover (operators)",
)
def schedule(market: MarketCode, body: CutoverIn, db: Db, who: Operator, response: Response) -> CutoverOut:
    with db.transaction() as session:
        row, created = cutover.schedule_cutover(
            session, principal=who, market=market, at=body.cutover_at, note=body.note, now=utcnow()
        )
        out = CutoverOut.model_validate(row)
    response.status_code = 201 if created else 200
    return out


@router.delete(
    "/v1/operator/redirect-cutovers/{market}",
    response_model=CutoverOut,
    responses=problems(s404="No cutover scheduled"),
    summary="Cancel a market's redirect cutover (operators)",
)
def cancel(market: MarketCode, db: Db, who: Operator) -> CutoverOut:
    with db.transaction() as session:
        return CutoverOut.model_validate(cutover.cancel_cutover(session, principal=who, market=market, now=utcnow()))


@router.get(
    "/v1/operator/redirect-cutovers",
    response_model=list[CutoverOut],
    responses=problems(),
    summary="Every market's cutover, cancelled ones too (operators)",
)
def list_cutovers(db: Db, who: Operator) -> list[CutoverOut]:
    with db.transaction() as session:
        return [CutoverOut.model_validate(c) for c in cutover.list_cutovers(session, principal=who)]


def _seller_out(found: cutover.SellerCutover) -> SellerCutoverOut:
    left = found.countdown
    return SellerCutoverOut(
        seller_id=found.seller_id,
        market=found.market,
        cutover_at=found.cutover_at,
        countdown=CountdownOut(
            seconds_left=left.seconds_left, days=left.days, hours=left.hours, minutes=left.minutes, passed=left.passed
        )
        if left
        else None,
        listings=[
            ListingToMigrateOut(
                product_id=p.id,
                title=p.title,
                status=p.status,
                variants=[VariantNeedOut(sku=v.sku, price_cents=v.price_cents) for v in cutover.active_variants(p)],
                migrate_path=_migrate_path(p.id),
            )
            for p in found.listings
        ],
        warehouses=[WarehouseRefOut(id=w.id, code=w.code, name=w.name) for w in found.warehouses],
        needs=found.needs,
    )


@router.get(
    "/v1/sellers/{seller_id}/redirect-cutover",
    response_model=SellerCutoverOut,
    responses=problems(s404="Unknown seller (or another seller's)"),
    summary="The market's cutover countdown, your redirect listings and what migrating each needs",
)
def seller_cutover(seller_id: PathId, db: Db, who: Manager) -> SellerCutoverOut:
    with db.transaction() as session:
        return _seller_out(cutover.seller_cutover(session, principal=who, seller_id=seller_id, now=utcnow()))


@router.post(
    "/v1/products/{product_id}/migrate",
    response_model=MigrateOut,
    responses=problems(s404="Unknown product (or another seller's)", s409="Not a redirect listing, or open orders"),
    summary="One-click migration of a redirect listing to seller_fulfilled or full_custody (owner seller, operator)",
)
def migrate(product_id: PathId, body: MigrateIn, db: Db, who: Manager) -> MigrateOut:
    with db.transaction() as session:
        change = cutover.migrate_listing(
            session, principal=who, product_id=product_id, target=body.target, data=body.data(), now=utcnow()
        )
        product = session.get_one(Product, product_id)
        return MigrateOut(change=ModeChangeOut.of(change), selling_mode=product.selling_mode, status=product.status)


def _report_csv(rows: list[cutover.SellerMigration]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(cutover.REPORT_COLUMNS)
    writer.writerows(cutover.report_row(r) for r in rows)
    return out.getvalue()


@router.get(
    "/v1/operator/redirect-cutover/report",
    response_model=MigrationReportOut,
    responses={200: {"content": {"text/csv": {}}}, **problems()},
    summary="Every seller with redirect listings: total, migrated, remaining, last migration, status (JSON or CSV)",
)
def report(
    db: Db,
    who: Operator,
    market: Annotated[str | None, Query(pattern=MARKET_PATTERN)] = None,
    format: Literal["json", "csv"] = "json",
) -> MigrationReportOut | PlainTextResponse:
    with db.transaction() as session:
        found = cutover.migration_report(session, principal=who, market=market)
        scheduled = scheduled_cutover(session, market) if market else None
    rows = [
        SellerMigrationOut(
            seller_id=r.seller_id,
            seller_name=r.seller_name,
            market=r.market,
            listings_total=r.total,
            migrated=r.migrated,
            remaining=r.remaining,
            last_migration_at=r.last_migration_at,
            status=r.status,
        )
        for r in found
    ]
    if format == "csv":
        headers = {"Content-Disposition": 'attachment; filename="redirect-migration.csv"'}
        return PlainTextResponse(_report_csv(found), media_type="text/csv", headers=headers)
    return MigrationReportOut(market=market, cutover_at=scheduled.cutover_at if scheduled else None, sellers=rows)
