"""Web pages: how long every page of the shopper's app, the seller centre and the operations console takes
to render on the demo market, cold and warm (issue 10: "pages render in under 200 ms on the demo market").

Setup (not measured). The demo market ``make demo`` builds (``yellowcart demo``: ``generate_market``, seed
42, scale 1.0 by default: 60 sellers, 5,400 products, 10,500 shoppers, ~3,300 orders, ~300,000 interaction
events) is written to a fresh SQLite file, migrated first as ``yellowcart migrate`` does; the feed's
models are trained on it as ``yellowcart train`` does (``make demo`` trains in the background: pages are
served before and after). The market's history ends where today starts (``as_of``; the CLI's fixed
reference date would leave the last-30-days windows nearly empty weeks later); ``YC_BENCH_AS_OF=reference``
keeps the CLI's date. The real app is served by one uvicorn process (``yellowcart serve``'s default) with
the default settings, as a subprocess. The demo logins sign in through the sign-in form (shopper, seller,
operator). The demo market has no shipments and no return requests (its orders are written without
events), so the shopper first walks one order through the real flows over HTTP, to have an order with a
parcel and a return to show: a product of the demo seller into the cart, checkout with the test card (the
in-process worker allocates the parcel), the seller buys the label and ships it in the seller centre, the
simulated carrier's signed webhook reports it accepted and delivered, the shopper asks to return it.
Then one more product goes into the cart, so that /cart and /checkout have something to show.

Measured. Every GET page of the three web apps (found in their routers, so a new page is timed without
touching this file), its path parameters filled from the market: first request (cold: templates compiled
and caches empty on first use), then ``YC_BENCH_REQUESTS`` (20) more (warm p50 and p95), one request at
a time, from the client (full HTTP round trip on 127.0.0.1). A page with a parameter the market has no
value for (the demo has no risk case or appeal) is listed as not measured. Baseline in the same run: GET
/signin (a template, a session cookie, no query), timed the same way; ``ratio`` = page warm p50 /
baseline warm p50. The headline: the share of measured pages whose warm p95 is under 200 ms.

    .venv/bin/python bench/web_pages.py
    # knobs: YC_BENCH_SCALE (1.0), YC_BENCH_REQUESTS (20), YC_BENCH_AS_OF (today | reference),
    #        YC_BENCH_TRAIN (1), YC_BENCH_DB (a demo SQLite file from an earlier run's YC_BENCH_KEEP: reuse it),
    #        YC_BENCH_KEEP (a path: keep the built demo there), YC_BENCH_ONLY (a path prefix: time only those)
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import math
import os
import pkgutil
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import structlog
from fastapi import APIRouter
from fastapi.routing import APIRoute
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

import yellowcart.web
from harness import HOST, free_port, start_server
from yellowcart.catalog.models import Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.content.models import Content, ContentKind, ContentStatus
from yellowcart.db import Database
from yellowcart.demo.generate import generate_market
from yellowcart.demo.people import DEMO_LOGINS
from yellowcart.demo.plan import REFERENCE_DATE
from yellowcart.feed.engines import train_engines
from yellowcart.feed.ranker_training import train_ranker
from yellowcart.feed.training import train as train_feed
from yellowcart.fulfillment.carriers import webhooks
from yellowcart.fulfillment.models import Shipment
from yellowcart.inventory.custody_models import InboundConsignment
from yellowcart.inventory.models import Stock, Warehouse, WarehouseOperator
from yellowcart.ledger.periods import last_closed
from yellowcart.migrate import upgrade
from yellowcart.promotions.models import Promotion
from yellowcart.risk.case_models import RiskAppeal, RiskAppealDocument, RiskCase
from yellowcart.sellers.models import SellerApplication
from yellowcart.support.models import Conversation

SCALE = float(os.environ.get("YC_BENCH_SCALE", "1.0"))
REQUESTS = int(os.environ.get("YC_BENCH_REQUESTS", "20"))
AS_OF = os.environ.get("YC_BENCH_AS_OF", "today")
TRAIN = os.environ.get("YC_BENCH_TRAIN", "1") != "0"
REUSE = os.environ.get("YC_BENCH_DB", "")
KEEP = os.environ.get("YC_BENCH_KEEP", "")
ONLY = os.environ.get("YC_BENCH_ONLY", "")
BUDGET_MS = 200.0
BASELINE = "/signin"
WEBHOOK_SECRET = "whsec_bench_web_pages"
#: Pages that are not one of the three apps' own: the baseline, the demo images, the public status page.
NOT_TIMED = frozenset({BASELINE, "/static/demo/{name:path}"})
#: Where the demo shopper has its parcels sent (its home ZIP, Manhattan).
ADDRESS = {"name": "Demo Shopper", "line1": "350 5th Ave", "city": "New York", "state": "NY", "zip": "10001"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# ---- the market ---------------------------------------------------------------------------------------------


def as_of() -> dt.datetime:
    if AS_OF == "reference":
        return REFERENCE_DATE
    return dt.datetime.combine(dt.datetime.now(dt.UTC).date(), dt.time(), tzinfo=dt.UTC)


def build(folder: Path, console: Console) -> tuple[Path, float]:
    """The demo market in ``folder``/demo.db (or a copy of ``YC_BENCH_DB``); returns it and the seconds taken."""
    path = folder / "demo.db"
    started = time.perf_counter()
    if REUSE:
        shutil.copyfile(REUSE, path)
        console.print(f"reusing the demo market in {REUSE}")
        return path, time.perf_counter() - started
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    console.print(f"building the demo market (scale {SCALE}, as of {as_of():%Y-%m-%d}) ...")
    summary = generate_market(db, seed=42, scale=SCALE, progress=False, as_of=as_of())
    console.print(
        f"  {summary.sellers} sellers, {summary.products:,} products, {summary.shoppers:,} shoppers, "
        f"{summary.orders:,} orders, {summary.content:,} videos and live rooms, {summary.events:,} interactions"
    )
    if TRAIN:
        console.print("training the feed's models (yellowcart train) ...")
        train_feed(db)
        train_engines(db)
        train_ranker(db)
    db.dispose()
    if KEEP:
        shutil.copyfile(path, KEEP)
    return path, time.perf_counter() - started


# ---- signing in and walking one order through ---------------------------------------------------------------


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    if found is None:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def sign_in(base: str, role: str) -> httpx.Client:
    email, password, _ = DEMO_LOGINS[role]
    client = httpx.Client(base_url=base, timeout=60)
    form = {"csrf_token": csrf_of(client.get("/signin").text), "email": email, "password": password}
    done = client.post("/signin", data=form)
    if done.status_code != 303:
        raise RuntimeError(f"{role} did not sign in: {done.status_code}")
    return client


def post(client: httpx.Client, url: str, form: dict[str, str], page: str) -> httpx.Response:
    """A form post from ``page`` (its CSRF token), expecting the redirect every write answers with."""
    done = client.post(url, data={"csrf_token": csrf_of(client.get(page).text), **form})
    if done.status_code != 303:
        raise RuntimeError(f"POST {url}: {done.status_code} {done.text[:300]}")
    return done


def skus(db: Database) -> list[str]:
    """Seller #1's (the demo seller's) seller-fulfilled variants with units in its own warehouses."""
    with db.transaction() as session:
        query = (
            select(Variant.sku)
            .join(Product, Product.id == Variant.product_id)
            .join(Stock, Stock.variant_id == Variant.id)
            .join(Warehouse, Warehouse.id == Stock.warehouse_id)
            .where(Product.seller_id == 1, Product.status == ProductStatus.ACTIVE)
            .where(Product.selling_mode == SellingMode.SELLER_FULFILLED, Variant.is_active.is_(True))
            .where(Warehouse.operator == WarehouseOperator.SELLER, Stock.on_hand - Stock.reserved >= 5)
            .order_by(Variant.id)
            .limit(2)
        )
        return list(session.scalars(query))


def wait_for(db: Database, order_id: int, seconds: float = 30) -> int:
    """The parcel the in-process worker allocates for a paid order (order.paid -> allocation)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with db.transaction() as session:
            found = session.scalar(select(Shipment.id).where(Shipment.order_id == order_id))
        if found is not None:
            return found
        time.sleep(0.2)
    raise RuntimeError(f"order {order_id} got no parcel")


def scan(base: str, tracking: str, status: str, at: dt.datetime) -> None:
    payload = {
        "tracking_number": tracking,
        "carrier": "ups",
        "events": [{"id": f"bench-{status}", "status": status, "occurred_at": at.isoformat(), "description": status}],
    }
    body = json.dumps(payload).encode()
    headers = {webhooks.SIGNATURE_HEADER: webhooks.sign(body, WEBHOOK_SECRET), "Content-Type": "application/json"}
    httpx.post(f"{base}/v1/carriers/simulated/webhooks", content=body, headers=headers, timeout=30).raise_for_status()


@dataclass(frozen=True, slots=True)
class Journey:
    order_id: int
    return_id: int
    product_id: int


def journey(db: Database, base: str, shopper: httpx.Client, seller_c: httpx.Client) -> Journey:
    """One order through checkout, the seller's label and hand-over, the carrier and a return request."""
    first, second = skus(db)
    post(shopper, "/cart/lines", {"sku": first, "quantity": "1"}, "/cart")
    post(shopper, "/checkout/address", ADDRESS, "/checkout")
    page = shopper.get("/checkout").text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    paid = shopper.post(
        "/checkout/pay",
        data={
            "csrf_token": csrf_of(page),
            "payment_method": "tok_visa",
            "idempotency_key": key.group(1) if key else "",
        },
    )
    placed = re.match(r"/orders/(\d+)", paid.headers.get("location", ""))
    if paid.status_code != 303 or placed is None:
        problem = re.search(r'role="alert"[^>]*>(.*?)<', paid.text, re.S)
        raise RuntimeError(f"checkout: {paid.status_code} {problem.group(1).strip() if problem else paid.text[:300]}")
    order_id = int(placed.group(1))
    parcel = wait_for(db, order_id)
    post(seller_c, f"/seller/shipments/{parcel}/label", {}, "/seller/orders")
    post(seller_c, f"/seller/shipments/{parcel}/ship", {}, "/seller/orders")
    with db.transaction() as session:
        tracking = session.scalars(select(Shipment.tracking_number).where(Shipment.id == parcel)).one()
        product_id = session.scalars(select(Variant.product_id).where(Variant.sku == first)).one()
    assert tracking is not None
    now = dt.datetime.now(dt.UTC)
    scan(base, tracking, "accepted", now - dt.timedelta(hours=3))
    scan(base, tracking, "delivered", now - dt.timedelta(hours=1))
    order_page = shopper.get(f"/orders/{order_id}").text
    line = re.search(r'name="(qty_\d+)"', order_page)
    if line is None:
        raise RuntimeError(f"order {order_id} offers no return (not delivered?)")
    asked = post(
        shopper, f"/orders/{order_id}/returns", {line.group(1): "1", "reason": "no_reason"}, f"/orders/{order_id}"
    )
    return_id = int(asked.headers["location"].rsplit("/", 1)[1])
    form = {"csrf_token": csrf_of(order_page), "text": "Could the replacement ship before Friday?"}
    shopper.post(f"/orders/{order_id}/messages", data=form)  # a conversation for the seller and operators
    post(shopper, "/cart/lines", {"sku": second, "quantity": "2"}, "/cart")  # /cart and /checkout show a cart
    return Journey(order_id, return_id, product_id)


# ---- the pages --------------------------------------------------------------------------------------------


def samples(db: Database, trip: Journey) -> dict[str, str]:
    """A value for every path parameter the pages take, from the market (missing: nothing to show)."""
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as session:
        found = {
            "ref": trip.product_id,
            "order_id": trip.order_id,
            "return_id": trip.return_id,
            "room_id": session.scalar(
                select(Content.id)
                .where(Content.kind == ContentKind.LIVE, Content.status == ContentStatus.PUBLISHED)
                .order_by(Content.id)
            ),
            "promotion_id": session.scalar(
                select(Promotion.id).where(Promotion.seller_id == 1).order_by(Promotion.id.desc())
            ),
            "period": last_closed(now).start.isoformat(),
            "application_id": session.scalar(select(SellerApplication.id).order_by(SellerApplication.id.desc())),
            "case_id": session.scalar(select(RiskCase.id).order_by(RiskCase.id.desc())),
            "appeal_id": session.scalar(select(RiskAppeal.id).order_by(RiskAppeal.id.desc())),
            "document_id": session.scalar(select(RiskAppealDocument.id).order_by(RiskAppealDocument.id.desc())),
            "conversation_id": session.scalar(select(Conversation.id).order_by(Conversation.id.desc())),
            "product_id": trip.product_id,
        }
        consignment = session.scalar(select(InboundConsignment.id).order_by(InboundConsignment.id.desc()))
    values = {k: str(v) for k, v in found.items() if v is not None}
    if consignment is not None:  # /ops/receiving/{kind}/{document_id}: the appeal document takes precedence
        values.setdefault("kind", "consignments")
        values.setdefault("document_id", str(consignment))
    return values


@dataclass(frozen=True, slots=True)
class Page:
    app: str  # shopper, seller, ops
    route: str
    url: str | None  # None: a parameter the market has no value for
    htmx: bool = False


def app_of(path: str) -> str:
    return "seller" if path.startswith("/seller") else "ops" if path.startswith("/ops") else "shopper"


def routers() -> list[APIRouter]:
    """The router of every module of ``yellowcart.web`` (the three apps' pages, however they are split)."""
    found = []
    for module in pkgutil.iter_modules(yellowcart.web.__path__, "yellowcart.web."):
        router = getattr(importlib.import_module(module.name), "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found


def discover(values: dict[str, str]) -> list[Page]:
    """Every GET page of the web routers, in app order, with its parameters filled in."""
    found: list[Page] = []
    for router in routers():
        for route in router.routes:
            if not isinstance(route, APIRoute) or "GET" not in route.methods or route.path in NOT_TIMED:
                continue
            if route.path.endswith("/stream"):  # server-sent events: a stream that stays open, not a page
                continue
            names = re.findall(r"{(\w+)(?::\w+)?}", route.path)
            url: str | None = route.path
            for name in names:
                url = None if name not in values or url is None else re.sub(rf"{{{name}(?::\w+)?}}", values[name], url)
            found.append(Page(app_of(route.path), route.path, url))
            if route.path == "/seller/numbers":  # the home page loads it with HTMX: time the fragment too
                found.append(Page("seller", route.path + " (htmx)", url, htmx=True))
    order = {"shopper": 0, "seller": 1, "ops": 2}
    return sorted(found, key=lambda p: order[p.app]) if not ONLY else [p for p in found if p.route.startswith(ONLY)]


@dataclass(frozen=True, slots=True)
class Timing:
    page: Page
    status: int
    cold_ms: float
    warm_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.warm_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.warm_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def timed(client: httpx.Client, url: str, htmx: bool = False) -> tuple[int, float]:
    """One GET, read to the end: (status, ms); status 0 when the connection failed (the server logs why)."""
    headers = {"HX-Request": "true"} if htmx else {}
    started = time.perf_counter()
    try:
        status = client.get(url, headers=headers).status_code
    except httpx.HTTPError:
        status = 0
    return status, (time.perf_counter() - started) * 1000


def measure(client: httpx.Client, page: Page) -> Timing:
    assert page.url is not None
    status, cold = timed(client, page.url, page.htmx)
    warm = [timed(client, page.url, page.htmx)[1] for _ in range(REQUESTS)]
    return Timing(page, status, cold, warm)


# ---- the run ------------------------------------------------------------------------------------------------


@contextmanager
def served(path: Path) -> Iterator[str]:
    port = free_port()
    proc = start_server(f"sqlite:///{path}", port, workers=1, YC_CARRIER_WEBHOOK_SECRET=WEBHOOK_SECRET)
    try:
        yield f"http://{HOST}:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def report(console: Console, rows: list[Timing], baseline: Timing, skipped: list[Page]) -> None:
    table = Table(title=f"page render times: cold, then {REQUESTS} warm requests (ms, client side)")
    for name in ("app", "page", "status", "cold", "warm p50", "warm p95", "ratio", "< 200 ms"):
        table.add_column(name, justify="left" if name in ("app", "page") else "right")
    for t in [baseline, *rows]:
        ok = "yes" if t.p95 < BUDGET_MS else "[red]no[/red]"
        table.add_row(
            t.page.app, t.page.route, str(t.status), f"{t.cold_ms:.0f}", f"{t.p50:.1f}", f"{t.p95:.1f}",
            f"{t.p50 / baseline.p50:.1f}", ok,
        )  # fmt: skip
    console.print(table)
    for page in skipped:
        console.print(f"not measured: {page.route} (no value on this market for its parameter)")


def main() -> None:
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    console = Console(stderr=True, width=160)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path, built = build(Path(tmp), console)
        db = Database(f"sqlite:///{path}")
        with served(path) as base:
            shopper, seller_c, operator = (sign_in(base, role) for role in ("shopper", "seller", "operator"))
            trip = journey(db, base, shopper, seller_c)
            pages_ = discover(samples(db, trip))
            clients = {"shopper": shopper, "seller": seller_c, "ops": operator}
            with httpx.Client(base_url=base, timeout=60) as anonymous:
                baseline = measure(anonymous, Page("baseline", BASELINE, BASELINE))
            rows = [measure(clients[p.app], p) for p in pages_ if p.url is not None]
            for client in clients.values():
                client.close()
        db.dispose()
    skipped = [p for p in pages_ if p.url is None]
    report(console, rows, baseline, skipped)
    failed = [f"{t.page.route} ({t.status})" for t in rows if t.status != 200]
    ok = [t for t in rows if t.status == 200]  # a refusal or an error page says nothing about render times
    fast = [t for t in ok if t.p95 < BUDGET_MS]
    worst = max(ok, key=lambda t: t.p95)
    slowest_cold = max(ok, key=lambda t: t.cold_ms)
    console.print(
        f"{len(fast)} of {len(ok)} pages under {BUDGET_MS:.0f} ms at warm p95 ({len(fast) / len(ok):.0%}); slowest "
        f"warm {worst.page.route} p95 {worst.p95:.0f} ms; slowest cold {slowest_cold.page.route} "
        f"{slowest_cold.cold_ms:.0f} ms; baseline {BASELINE} p50 {baseline.p50:.1f} ms; market built in {built:.0f} s;"
        f" run {time.perf_counter() - started:.0f} s" + (f"; not 200 (left out): {', '.join(failed)}" if failed else "")
    )
    line = {
        "bench": "web_pages",
        "pages": len(ok),
        "share_under_200ms": round(len(fast) / len(ok), 3),
        "baseline_p50_ms": round(baseline.p50, 1),
        "median_ratio": round(statistics.median(t.p50 / baseline.p50 for t in ok), 1),
        "worst_p95_ms": round(worst.p95, 1),
        "worst_page": worst.page.route,
        "worst_cold_ms": round(slowest_cold.cold_ms, 1),
        "worst_cold_page": slowest_cold.page.route,
        "over_200ms": sorted(t.page.route for t in ok if t.p95 >= BUDGET_MS),
        "not_measured": sorted(p.route for p in skipped),
        "not_200": failed,
        "scale": SCALE,
        "setup_s": round(built),
    }
    print(json.dumps(line))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
