"""The ASGI application: routers of every domain, problem+json errors, metrics, the outbox worker."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from yellowcart import __version__, logs
from yellowcart.analytics.api import router as analytics_router
from yellowcart.audit.api import router as audit_router
from yellowcart.audit.ratelimit import RateLimit
from yellowcart.audit.throttle import LoginGuard
from yellowcart.audit.trail import AuditTrail
from yellowcart.auth.api import router as auth_router
from yellowcart.bootstrap import Container, bootstrap
from yellowcart.catalog.api import router as catalog_router
from yellowcart.catalog.custody_api import router as custody_router
from yellowcart.catalog.import_api import router as catalog_import_router
from yellowcart.catalog.mode_api import router as mode_router
from yellowcart.checkout.api import router as checkout_router
from yellowcart.content.api import router as content_router
from yellowcart.creators.api import router as creators_router
from yellowcart.creators.money_api import router as creator_money_router
from yellowcart.edge import EdgeGuard, Metrics
from yellowcart.feed.api import router as feed_router
from yellowcart.fulfillment.api import router as fulfillment_router
from yellowcart.fulfillment.shipping_api import router as shipping_router
from yellowcart.fulfillment.sla_api import router as sla_router
from yellowcart.http import install_error_handlers
from yellowcart.interactions.api import router as interactions_router
from yellowcart.inventory.api import router as inventory_router
from yellowcart.inventory.inbound_api import router as inbound_router
from yellowcart.inventory.purchasing_api import router as purchasing_router
from yellowcart.inventory.removals_api import router as removals_router
from yellowcart.ledger.api import router as ledger_router
from yellowcart.ledger.settlement_api import router as settlement_router
from yellowcart.live.deal_api import router as live_deals_router
from yellowcart.live.room_api import router as live_rooms_router
from yellowcart.orders.api import router as orders_router
from yellowcart.privacy.api import router as privacy_router
from yellowcart.promotions.analytics_api import router as promotion_analytics_router
from yellowcart.promotions.api import router as promotions_router
from yellowcart.redirect.api import router as redirect_router
from yellowcart.redirect.cutover_api import router as cutover_router
from yellowcart.redirect.public import router as redirect_public_router
from yellowcart.returns.api import router as returns_router
from yellowcart.risk.cases_api import router as risk_cases_router
from yellowcart.risk.context import ContextMiddleware
from yellowcart.risk.signals import token_uses
from yellowcart.risk.signals_api import router as risk_signals_router
from yellowcart.sellers.api import router as sellers_router
from yellowcart.sellers.onboarding_api import router as onboarding_router
from yellowcart.settings import Settings, get_settings
from yellowcart.support.admin_api import router as support_admin_router
from yellowcart.support.api import router as support_router
from yellowcart.web.live_pages import router as live_pages_router
from yellowcart.web.ops import router as ops_web_router
from yellowcart.web.ops_conversations import router as ops_conversations_router
from yellowcart.web.ops_receiving import router as ops_receiving_router
from yellowcart.web.pages import STATIC_FILES
from yellowcart.web.pages import install as install_web_pages
from yellowcart.web.pages import router as pages_router
from yellowcart.web.seller import router as seller_web_router
from yellowcart.web.seller_catalogue import router as seller_catalogue_router
from yellowcart.web.seller_conversations import router as seller_conversations_router
from yellowcart.web.seller_inventory import router as seller_inventory_router
from yellowcart.web.shop import router as shop_router


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    settings = settings or get_settings()
    logs.configure(settings.log_level, settings.log_json)
    container = container or bootstrap(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Fewer threads than anyio's default 40: sync handlers mostly wait on the database, and past
        # a handful of threads per process they only fight over the GIL (measured in bench/flash_sale.py).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        if settings.inline_worker and container.worker is not None:
            container.worker.start()
        if settings.feed_warmup:
            threading.Thread(target=container.warm_feed, name="yc-feed-warmup", daemon=True).start()
        yield
        if container.worker is not None:
            container.worker.stop()
        await container.live.aclose()

    # Swagger UI and ReDoc from assets shipped in a wheel, not a CDN: self-hosters may be offline.
    app = FastAPIOffline(
        title="yellowcart",
        version=__version__,
        summary="Interest commerce: shoppable feed, closed-loop checkout, fulfillment and returns.",
        lifespan=lifespan,
    )
    app.state.container = container
    app.add_middleware(AuditTrail)  # innermost: it sees the resolved caller (yellowcart.audit.trail)
    app.add_middleware(LoginGuard, settings=settings)
    app.add_middleware(EdgeGuard)
    app.add_middleware(RateLimit, settings=settings)  # before bodies are read: a 429 costs next to nothing
    app.add_middleware(ContextMiddleware, after=token_uses)  # risk: request context, token uses
    app.add_middleware(Metrics)
    install_error_handlers(app)
    for router in (
        auth_router,
        audit_router,
        catalog_router,
        catalog_import_router,
        mode_router,
        redirect_router,
        cutover_router,
        sellers_router,
        onboarding_router,
        inventory_router,
        custody_router,
        inbound_router,
        removals_router,
        purchasing_router,
        fulfillment_router,
        shipping_router,
        sla_router,
        returns_router,
        support_router,
        support_admin_router,
        risk_cases_router,
        risk_signals_router,
        promotions_router,
        promotion_analytics_router,
        checkout_router,
        orders_router,
        ledger_router,
        settlement_router,
        analytics_router,
        content_router,
        creators_router,
        creator_money_router,
        live_rooms_router,
        live_deals_router,
        interactions_router,
        feed_router,
        privacy_router,
    ):
        app.include_router(router)
    app.include_router(pages_router)
    app.include_router(shop_router)  # the shopper's web app (yellowcart.web.shop)
    app.include_router(seller_web_router)  # the seller centre (yellowcart.web.seller)
    app.include_router(seller_catalogue_router)  # its product pages with variants (yellowcart.web.seller_catalogue)
    app.include_router(seller_conversations_router)  # its messages (yellowcart.web.seller_conversations)
    app.include_router(seller_inventory_router)  # its stock and inbound consignments
    app.include_router(ops_web_router)  # the operations console (yellowcart.web.ops)
    app.include_router(ops_receiving_router)  # its receiving dock
    app.include_router(ops_conversations_router)  # its escalated conversations (yellowcart.web.ops_conversations)
    app.include_router(live_pages_router)  # live room recaps and the seller's rooms (yellowcart.web.live_pages)
    install_web_pages(app)  # sign-in redirects and 403 pages for the web apps
    app.include_router(redirect_public_router)  # /r/{click_id} and the product page's store form
    app.mount("/static", STATIC_FILES, name="static")  # after pages_router: it answers /static/demo/*

    @app.get("/v1/health", tags=["ops"], summary="Liveness and database reachability")
    def health() -> dict[str, str]:
        with container.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "database": container.db.dialect}

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)

    return app
