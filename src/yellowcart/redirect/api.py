"""Redirect endpoints: tracked clicks, store connections, the Shopify webhook, conversions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.bootstrap import Container
from yellowcart.db import utcnow
from yellowcart.http import App, Db, MaybeCaller, PathId, decode_cursor, next_cursor, problems, require
from yellowcart.redirect import clicks, conversions, stores, webhooks
from yellowcart.redirect.attribution import AttributionConfig
from yellowcart.redirect.models import ConversionStatus, StoreConnection
from yellowcart.redirect.schemas import (
    ClickIn,
    ClickOut,
    ConversionOut,
    ConversionPage,
    StoreConnectionIn,
    StoreConnectionOut,
    StoreConnectionPatch,
    WebhookAck,
)

router = APIRouter(tags=["redirect"])
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
OWN = problems(s404="Unknown seller or connection (or another seller's)", s409="Store already connected")


def webhook_path(connection_id: int) -> str:
    return f"/v1/stores/shopify/{connection_id}/webhooks"


def _connection_out(connection: StoreConnection) -> StoreConnectionOut:
    return StoreConnectionOut(
        id=connection.id,
        seller_id=connection.seller_id,
        platform=connection.platform.value,
        shop_domain=connection.shop_domain,
        is_active=connection.is_active,
        webhook_path=webhook_path(connection.id),
        created_at=connection.created_at,
    )


def attribution_config(app: Container) -> AttributionConfig:
    settings = app.settings
    return AttributionConfig(
        window=dt.timedelta(days=settings.redirect_attribution_days), rate_bps=settings.redirect_commission_bps
    )


# ---- clicks -------------------------------------------------------------------------------------------


@router.post(
    "/v1/products/{product_id}/redirect-clicks",
    response_model=ClickOut,
    status_code=201,
    responses=problems(
        s404="Unknown product, or not on sale",
        s409="The listing sells in the app (product_url)",
        s410="Redirect links ended in the seller's market",
        s422="content_id does not tag this product",
    ),
    summary="A tap on a redirect listing: record the click, get the tracked link (anonymous or shopper)",
)
def create_click(product_id: PathId, body: ClickIn, request: Request, db: Db, who: MaybeCaller) -> ClickOut:
    with db.transaction() as session:
        click = clicks.create_click(
            session,
            principal=who,
            product_id=product_id,
            content_id=body.content_id,
            source=body.source,
            user_agent=request.headers.get("user-agent"),
            now=utcnow(),
        )
    url = str(request.base_url).rstrip("/") + clicks.click_path(click.id)
    return ClickOut(click_id=click.id, url=url, medium=click.medium, created_at=click.created_at)


# ---- store connections ----------------------------------------------------------------------------------


@router.post(
    "/v1/sellers/{seller_id}/store-connections",
    response_model=StoreConnectionOut,
    status_code=201,
    responses=OWN,
    summary="Connect a Shopify store (the seller; operators); the webhook secret is write-only",
)
def connect_store(seller_id: PathId, body: StoreConnectionIn, db: Db, who: Manager) -> StoreConnectionOut:
    with db.transaction() as session:
        connection = stores.connect_store(
            session,
            principal=who,
            seller_id=seller_id,
            shop_domain=body.shop_domain,
            webhook_secret=body.webhook_secret.get_secret_value(),
        )
        return _connection_out(connection)


@router.get(
    "/v1/sellers/{seller_id}/store-connections",
    response_model=list[StoreConnectionOut],
    responses=OWN,
    summary="A seller's connected stores (the seller; operators)",
)
def list_connections(seller_id: PathId, db: Db, who: Manager) -> list[StoreConnectionOut]:
    with db.transaction() as session:
        return [_connection_out(c) for c in stores.list_connections(session, principal=who, seller_id=seller_id)]


@router.patch(
    "/v1/store-connections/{connection_id}",
    response_model=StoreConnectionOut,
    responses=OWN,
    summary="Rotate a store's webhook secret or switch the connection off/on (the seller; operators)",
)
def update_connection(connection_id: PathId, body: StoreConnectionPatch, db: Db, who: Manager) -> StoreConnectionOut:
    with db.transaction() as session:
        connection = stores.update_connection(
            session,
            principal=who,
            connection_id=connection_id,
            webhook_secret=body.webhook_secret.get_secret_value() if body.webhook_secret else None,
            is_active=body.is_active,
        )
        return _connection_out(connection)


def _ingest(app: Container, connection_id: int, body: bytes, headers: dict[str, str]) -> WebhookAck:
    with app.db.transaction() as session:
        done = webhooks.handle_webhook(
            session,
            connection_id=connection_id,
            body=body,
            headers=headers,
            config=attribution_config(app),
            now=utcnow(),
        )
    return WebhookAck(outcome=done.outcome, conversion_id=done.conversion_id)


@router.post(
    "/v1/stores/shopify/{connection_id}/webhooks",
    response_model=WebhookAck,
    responses=problems(
        s401="X-Shopify-Hmac-Sha256 missing or wrong", s404="Unknown connection", s422="Not JSON, or no event id"
    ),
    summary="Shopify webhook: orders/create, orders/cancelled, refunds/create (HMAC of the raw body)",
)
async def shopify_webhook(connection_id: PathId, request: Request, app: App) -> WebhookAck:
    body = await request.body()  # the raw bytes: the signature covers exactly these
    return await run_in_threadpool(_ingest, app, connection_id, body, dict(request.headers))


# ---- conversions -------------------------------------------------------------------------------------------


@router.get(
    "/v1/sellers/{seller_id}/conversions",
    response_model=ConversionPage,
    responses=problems(s404="Unknown seller (or another seller's)"),
    summary="Store orders attributed (or not) to tracked clicks, newest first (the seller; operators)",
)
def list_conversions(
    seller_id: PathId,
    db: Db,
    who: Manager,
    response: Response,
    status: ConversionStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ConversionPage:
    with db.transaction() as session:
        rows = conversions.list_conversions(
            session, principal=who, seller_id=seller_id, status=status, after_id=decode_cursor(cursor), limit=limit + 1
        )
        items = [ConversionOut.model_validate(c) for c in rows[:limit]]
    response.headers["Cache-Control"] = "no-store"
    return ConversionPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))
