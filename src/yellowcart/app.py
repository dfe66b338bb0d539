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
from yellowcart.auth.api import router as auth_router
from yellowcart.bootstrap import Container, bootstrap
from yellowcart.catalog.api import router as catalog_router
from yellowcart.checkout.api import router as checkout_router
from yellowcart.content.api import router as content_router
from yellowcart.edge import EdgeGuard, Metrics
from yellowcart.feed.api import router as feed_router
from yellowcart.fulfillment.api import router as fulfillment_router
from yellowcart.fulfillment.shipping_api import router as shipping_router
from yellowcart.fulfillment.sla_api import router as sla_router
from yellowcart.http import install_error_handlers
from yellowcart.interactions.api import router as interactions_router
from yellowcart.inventory.api import router as inventory_router
from yellowcart.orders.api import router as orders_router
from yellowcart.sellers.api import router as sellers_router
from yellowcart.settings import Settings, get_settings
from yellowcart.web.pages import STATIC_FILES
from yellowcart.web.pages import router as pages_router


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

    # Swagger UI and ReDoc from assets shipped in a wheel, not a CDN: self-hosters may be offline.
    app = FastAPIOffline(
        title="yellowcart",
        version=__version__,
        summary="Interest commerce: shoppable feed, closed-loop checkout, fulfillment and returns.",
        lifespan=lifespan,
    )
    app.state.container = container
    app.add_middleware(EdgeGuard)
    app.add_middleware(Metrics)
    install_error_handlers(app)
    for router in (
        auth_router,
        catalog_router,
        sellers_router,
        inventory_router,
        fulfillment_router,
        shipping_router,
        sla_router,
        checkout_router,
        orders_router,
        content_router,
        interactions_router,
        feed_router,
    ):
        app.include_router(router)
    app.include_router(pages_router)
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
