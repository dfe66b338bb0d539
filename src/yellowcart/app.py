"""The ASGI application: routers of every domain, problem+json errors, metrics, the outbox worker."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text

from yellowcart import __version__, logs
from yellowcart.auth.api import router as auth_router
from yellowcart.bootstrap import Container, bootstrap
from yellowcart.catalog.api import router as catalog_router
from yellowcart.checkout.api import router as checkout_router
from yellowcart.edge import EdgeGuard
from yellowcart.http import install_error_handlers
from yellowcart.inventory.api import router as inventory_router
from yellowcart.orders.api import router as orders_router
from yellowcart.sellers.api import router as sellers_router
from yellowcart.settings import Settings, get_settings

REQUESTS = Counter("yc_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("yc_http_request_seconds", "HTTP request latency", ["method", "route"])


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
        yield
        if container.worker is not None:
            container.worker.stop()

    app = FastAPI(
        title="yellowcart",
        version=__version__,
        summary="Interest commerce: shoppable feed, closed-loop checkout, fulfillment and returns.",
        lifespan=lifespan,
    )
    app.state.container = container
    app.add_middleware(EdgeGuard)
    install_error_handlers(app)
    for router in (auth_router, catalog_router, sellers_router, inventory_router, checkout_router, orders_router):
        app.include_router(router)

    @app.get("/v1/health", tags=["ops"], summary="Liveness and database reachability")
    def health() -> dict[str, str]:
        with container.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "database": container.db.dialect}

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        LATENCY.labels(request.method, route).observe(time.perf_counter() - start)
        return response

    return app
