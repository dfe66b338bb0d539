"""The live-stream flash sale: one hot SKU, 1,000 units, 64 concurrent shoppers, real HTTP.

Starts yellowcart with 2 uvicorn workers on a scratch PostgreSQL database, lets 64 clients place
orders (POST /v1/checkout with an Idempotency-Key) until the SKU sells out, then measures the bare
ceiling in the same run: the same 64 clients doing only the single SQL stock decrement through the
same driver (psycopg 3). Prints the figures and ends with one JSON line.

With ``YC_BENCH_DEAL=1`` (or ``--deal``) it then runs the same sale again through a live-only deal: the
SKU has twice the units, a live room on air sets 1,000 of them aside in a running deal, and every
checkout carries ``deal_id`` and ``room_id``. It reports both sales (one JSON line each) and checks the
deal: sold exactly its quantity, nothing oversold, and after the deal ends the SKU's stock adds up
(reserved = the deal's paid orders, every reserved unit has its reservation row, the rest on sale).

    .venv/bin/python bench/flash_sale.py  # YC_BENCH_DATABASE_URL, default the local server
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

import harness
from wrk_runner import run_wrk
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal, create_token, create_user
from yellowcart.catalog.models import Category, Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.content.models import Anchor, Content, ContentKind, ContentStatus, LiveState
from yellowcart.db import Database, utcnow
from yellowcart.inventory.models import Stock, Warehouse, WarehouseOperator
from yellowcart.live import deals
from yellowcart.live.deal_schemas import DealIn
from yellowcart.migrate import upgrade
from yellowcart.sellers.models import Seller, SellerStatus

UNITS = int(os.environ.get("YC_BENCH_UNITS", "1000"))
CLIENTS = int(os.environ.get("YC_BENCH_CLIENTS", "64"))
WORKERS = int(os.environ.get("YC_BENCH_WORKERS", "2"))
WRK_SECONDS = int(os.environ.get("YC_BENCH_WRK_SECONDS", "60"))
DEAL = os.environ.get("YC_BENCH_DEAL") == "1" or "--deal" in sys.argv
ADDRESS = {"name": "Flash Buyer", "line1": "1 Market St", "city": "San Francisco", "state": "CA", "zip": "94105"}


@dataclass(frozen=True)
class World:
    sku: str
    tokens: list[str]
    stock_id: int
    item: dict[str, Any]  # what each checkout buys


def seed(db: Database, units: int) -> World:
    """One seller, one hot SKU in one platform warehouse, CLIENTS shoppers with tokens."""
    with db.transaction() as s:
        seller = Seller(name="Flash Seller", status=SellerStatus.ACTIVE, default_selling_mode=SellingMode.FULL_CUSTODY)
        cat = Category(slug="beauty", name="Beauty", path="beauty/")
        s.add_all([seller, cat])
        s.flush()
        wh = Warehouse(
            code="NJ-1",
            name="Edison 3PL",
            operator=WarehouseOperator.PLATFORM,
            line1="1 Dock Rd",
            city="Edison",
            state="NJ",
            zip="08817",
        )
        product = Product(
            seller_id=seller.id,
            category_id=cat.id,
            title="Glow serum (live deal)",
            description="",
            status=ProductStatus.ACTIVE,
            selling_mode=SellingMode.FULL_CUSTODY,
        )
        # full custody sells once the platform accepted a supply price (the price check)
        product.variants.append(Variant(sku="FLASH-1", price_cents=1999, supply_price_cents=1200, options={}))
        s.add_all([wh, product])
        s.flush()
        stock = Stock(variant_id=product.variants[0].id, warehouse_id=wh.id, on_hand=units, reserved=0)
        s.add(stock)
        tokens = []
        for i in range(CLIENTS):
            user = create_user(s, email=f"buyer{i}@bench.example", display_name=f"b{i}", role=Role.SHOPPER)
            tokens.append(create_token(s, user_id=user.id)[0])
        s.flush()
        return World("FLASH-1", tokens, stock.id, {"sku": "FLASH-1", "quantity": 1})


def seed_deal(db: Database, world: World, units: int) -> tuple[World, int]:
    """The seller's live room on air with the SKU tagged, and a running deal of ``units`` units set
    aside from the SKU's stock, through the deals' own service (as the host's API calls would)."""
    with db.transaction() as s:
        product_id, seller_id = s.execute(
            text("SELECT p.id, p.seller_id FROM products p JOIN variants v ON v.product_id = p.id WHERE v.sku = :sku"),
            {"sku": world.sku},
        ).one()
        host = create_user(s, email="host@bench.example", display_name="host", role=Role.SELLER, seller_id=seller_id)
        room = Content(
            kind=ContentKind.LIVE,
            owner_user_id=host.id,
            seller_id=seller_id,
            title="Flash deal live",
            status=ContentStatus.PUBLISHED,
            live_state=LiveState.LIVE,
            published_at=utcnow(),
            anchors=[Anchor(product_id=product_id, position=0)],
        )
        s.add(room)
        s.flush()
        principal = Principal(user_id=host.id, role=Role.SELLER, seller_id=seller_id)
        terms = DealIn(sku=world.sku, price_cents=1499, quantity=units, per_shopper_limit=999, duration_seconds=3600)
        deal = deals.create_deal(s, principal=principal, room_id=room.id, data=terms, now=utcnow())
        deals.start_deal(s, deal_id=deal.id, now=utcnow())
        item = {**world.item, "deal_id": deal.id, "room_id": room.id}
        return World(world.sku, world.tokens, world.stock_id, item), deal.id


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    return harness.start_server(url, port, workers=WORKERS, wait_seconds=60, YC_DB_POOL_SIZE="20")


WRK_SCRIPT = """
local tokens = {%(tokens)s}
local body = '%(body)s'
local counter = 0
id = 0  -- global: setup() overrides it per thread
local nthreads = 0

function setup(thread)
  thread:set("id", nthreads)
  nthreads = nthreads + 1
end

request = function()
  counter = counter + 1
  local token = tokens[((counter * 7 + id) %% #tokens) + 1]
  return wrk.format("POST", "/v1/checkout", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = "flash-" .. id .. "-" .. counter,
  }, body)
end

response = function(status, headers, body)
  if status == 409 then wrk.thread:stop() end  -- sold out: this thread is done
end

"""


def run_sale_wrk(port: int, world: World) -> tuple[float, float, float, dict[str, int]]:
    """Load from wrk; each of its threads stops at its first 409 (sold out)."""
    body = json.dumps({"items": [world.item], "shipping_address": ADDRESS, "payment_method": "tok_visa"})
    script = WRK_SCRIPT % {"tokens": ", ".join(f'"{t}"' for t in world.tokens), "body": body}
    stats = run_wrk(script, f"http://127.0.0.1:{port}", connections=CLIENTS, seconds=WRK_SECONDS)
    # wrk always runs for -d, so the sale's own duration is read from the database afterwards:
    # first order placed to last order paid (server clock).
    return 0.0, stats["p50_us"] / 1000, stats["p99_us"] / 1000, stats


async def run_sale_httpx(port: int, world: World) -> tuple[float, float, float, dict[str, int]]:
    """Fallback when wrk is not installed (apt-get install wrk): the client then limits the figures."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sold_out = asyncio.Event()
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    body = {"items": [world.item], "shipping_address": ADDRESS, "payment_method": "tok_visa"}

    async def shopper(client: httpx.AsyncClient, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        while not sold_out.is_set():
            t0 = time.perf_counter()
            r = await client.post("/v1/checkout", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
            latencies.append(time.perf_counter() - t0)
            statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
            if r.status_code == 409:
                sold_out.set()

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as client:
        await asyncio.gather(*(client.get("/v1/health") for _ in range(CLIENTS)))  # warm connections
        start = time.perf_counter()
        await asyncio.gather(*(shopper(client, t) for t in world.tokens))
        elapsed = time.perf_counter() - start
    ms = sorted(x * 1000 for x in latencies)
    return elapsed, statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.99))], statuses


async def run_ceiling(url: str, stock_id: int) -> float:
    """The same number of clients, each doing only the conditional stock UPDATE (autocommit)."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conns = [await psycopg.AsyncConnection.connect(conninfo, autocommit=True) for _ in range(CLIENTS)]
    done = asyncio.Event()
    count = 0
    sql = "UPDATE stock SET reserved = reserved + 1 WHERE id = %s AND on_hand - reserved >= 1"

    async def client(conn: psycopg.AsyncConnection) -> None:
        nonlocal count
        while not done.is_set():
            cur = await conn.execute(sql, (stock_id,))
            if cur.rowcount == 0:
                done.set()
            else:
                count += 1

    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in conns))
    elapsed = time.perf_counter() - start
    for c in conns:
        await c.close()
    return count / elapsed


def sale_duration(db: Database) -> float:
    with db.engine.connect() as conn:
        first, last = conn.execute(text("SELECT min(placed_at), max(paid_at) FROM orders")).one()
    return float((last - first).total_seconds())


def check_oversold(db: Database, units: int) -> tuple[int, int, int]:
    with db.engine.connect() as conn:
        orders = conn.execute(text("SELECT count(*) FROM orders WHERE status <> 'CANCELLED'")).scalar_one()
        reserved, _on_hand = conn.execute(text("SELECT reserved, on_hand FROM stock")).one()
    return max(0, int(orders) - units), int(orders), int(reserved)


def check_deal(db: Database, deal_id: int, units: int) -> dict[str, Any]:
    """End the deal (as its job would) and read what the deal sold and what the SKU's stock says."""
    with db.transaction() as s:
        deals.end_deal(s, deal_id=deal_id, reason="bench", now=utcnow())
    with db.engine.connect() as conn:
        remaining, released = conn.execute(
            text("SELECT remaining, released_units FROM live_deals WHERE id = :id"), {"id": deal_id}
        ).one()
        sold = conn.execute(
            text("SELECT COALESCE(SUM(quantity), 0) FROM live_deal_purchases WHERE status = 'placed'")
        ).scalar_one()
        on_hand, reserved = conn.execute(text("SELECT on_hand, reserved FROM stock")).one()
        held = conn.execute(
            text("SELECT COALESCE(SUM(quantity), 0) FROM reservations WHERE status = 'active'")
        ).scalar_one()
        paid = conn.execute(
            text("SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id "
                 "WHERE o.status <> 'CANCELLED'")
        ).scalar_one()  # fmt: skip
    consistent = int(reserved) == int(held) == int(paid) and int(on_hand) - int(reserved) == 2 * units - int(sold)
    return {
        "deal_sold": int(sold),
        "deal_remaining": int(remaining),
        "released": int(released or 0),
        "deal_oversold": max(0, int(sold) - units),
        "stock_on_hand": int(on_hand),
        "stock_reserved": int(reserved),
        "stock_consistent": consistent,
    }


def run_once(deal: bool) -> dict[str, Any]:
    """One sale on its own scratch database and server: plain, or through a running live deal."""
    name, url = harness.scratch_database()
    proc = None
    try:
        db = Database(url, pool_size=5, max_overflow=0)
        upgrade(db)
        world = seed(db, 2 * UNITS if deal else UNITS)
        deal_id = None
        if deal:
            world, deal_id = seed_deal(db, world, UNITS)
        port = harness.free_port()
        proc = start_server(url, port)
        client = "wrk" if shutil.which("wrk") else "httpx"
        if client == "wrk":
            elapsed, p50, p99, statuses = run_sale_wrk(port, world)
        else:
            elapsed, p50, p99, statuses = asyncio.run(run_sale_httpx(port, world))
        oversold, orders, reserved = check_oversold(db, UNITS)
        if client == "wrk":
            elapsed = sale_duration(db)
        proc.terminate()
        proc.wait(timeout=30)
        proc = None
        extra = check_deal(db, deal_id, UNITS) if deal_id is not None else {}
        with db.engine.begin() as conn:  # reset the same row for the ceiling run
            conn.execute(
                text("UPDATE stock SET reserved = 0, on_hand = :u WHERE id = :id"), {"u": UNITS, "id": world.stock_id}
            )
        ceiling = asyncio.run(run_ceiling(url, world.stock_id))
        db.dispose()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        harness.drop_database(name)
    return {
        "mode": "deal" if deal else "plain",
        "client": client,
        "statuses": statuses,
        "orders": orders,
        "elapsed": elapsed,
        "reserved": reserved,
        "checkouts_per_s": orders / elapsed,
        "p50": p50,
        "p99": p99,
        "ceiling": ceiling,
        "oversold": oversold,
        **extra,
    }


def report(r: dict[str, Any]) -> None:
    how = "through a live deal" if r["mode"] == "deal" else "plain"
    print(f"flash sale ({how}): {r['orders']} orders for {UNITS} units in {r['elapsed']:.2f}s with {CLIENTS} clients")
    print(f"  client {r['client']}: {r['statuses']}; reserved at end: {r['reserved']}; {WORKERS} workers")
    print(
        f"  checkouts/s {r['checkouts_per_s']:.1f}   p50 {r['p50']:.1f} ms   p99 {r['p99']:.1f} ms"
        f"   oversold {r['oversold']}"
    )
    print(f"  bare ceiling (single SQL decrement, same driver, {CLIENTS} clients): {r['ceiling']:.1f}/s")
    print(f"  ratio {r['checkouts_per_s'] / r['ceiling']:.3f}  (goal >= 0.35, p99 <= 150 ms, 0 oversold)")
    line = {
        "bench": "flash_sale" if r["mode"] == "plain" else "flash_sale_deal",
        "checkouts_per_s": round(r["checkouts_per_s"], 1),
        "p50_ms": round(r["p50"], 1),
        "p99_ms": round(r["p99"], 1),
        "ceiling_per_s": round(r["ceiling"], 1),
        "ratio": round(r["checkouts_per_s"] / r["ceiling"], 3),
        "oversold": r["oversold"],
    }
    if r["mode"] == "deal":
        print(
            f"  deal: sold {r['deal_sold']} of {UNITS}, remaining {r['deal_remaining']}, released {r['released']} at"
            f" its end; stock on_hand {r['stock_on_hand']} reserved {r['stock_reserved']} (consistent:"
            f" {r['stock_consistent']})"
        )
        line.update({k: r[k] for k in ("deal_sold", "deal_remaining", "deal_oversold", "stock_consistent")})
    print(json.dumps(line))


def main() -> None:
    results = [run_once(deal=False)] + ([run_once(deal=True)] if DEAL else [])
    for r in results:
        report(r)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
