"""The live-stream flash sale: one hot SKU, 1,000 units, 64 concurrent shoppers, real HTTP.

Starts yellowcart with 2 uvicorn workers on a scratch PostgreSQL database, lets 64 clients place
orders (POST /v1/checkout with an Idempotency-Key) until the SKU sells out, then measures the bare
ceiling in the same run: the same 64 clients doing only the single SQL stock decrement through the
same driver (psycopg 3). Prints the figures and ends with one JSON line.

    .venv/bin/python bench/flash_sale.py  # YC_BENCH_DATABASE_URL, default the local server
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from wrk_runner import run_wrk
from yellowcart.auth.models import Role
from yellowcart.auth.service import create_token, create_user
from yellowcart.catalog.models import Category, Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Database
from yellowcart.inventory.models import Stock, Warehouse, WarehouseOperator
from yellowcart.migrate import upgrade
from yellowcart.sellers.models import Seller, SellerStatus

ADMIN_URL = os.environ.get("YC_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
UNITS = int(os.environ.get("YC_BENCH_UNITS", "1000"))
CLIENTS = int(os.environ.get("YC_BENCH_CLIENTS", "64"))
WORKERS = int(os.environ.get("YC_BENCH_WORKERS", "2"))
WRK_SECONDS = int(os.environ.get("YC_BENCH_WRK_SECONDS", "60"))
ADDRESS = {"name": "Flash Buyer", "line1": "1 Market St", "city": "San Francisco", "state": "CA", "zip": "94105"}


def scratch_database() -> tuple[str, str]:
    name = f"yc_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(db: Database, units: int) -> tuple[str, list[str], int]:
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
        product.variants.append(Variant(sku="FLASH-1", price_cents=1999, options={}))
        s.add_all([wh, product])
        s.flush()
        stock = Stock(variant_id=product.variants[0].id, warehouse_id=wh.id, on_hand=units, reserved=0)
        s.add(stock)
        tokens = []
        for i in range(CLIENTS):
            user = create_user(s, email=f"buyer{i}@bench.example", display_name=f"b{i}", role=Role.SHOPPER)
            tokens.append(create_token(s, user_id=user.id)[0])
        s.flush()
        return "FLASH-1", tokens, stock.id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "YC_DATABASE_URL": url, "YC_LOG_LEVEL": "WARNING", "YC_DB_POOL_SIZE": "20"}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "yellowcart.asgi:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(cmd, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("server did not start")


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


def run_sale_wrk(port: int, sku: str, tokens: list[str]) -> tuple[float, float, float, dict[str, int]]:
    """Load from wrk; each of its threads stops at its first 409 (sold out)."""
    body = json.dumps(
        {"items": [{"sku": sku, "quantity": 1}], "shipping_address": ADDRESS, "payment_method": "tok_visa"}
    )
    script = WRK_SCRIPT % {"tokens": ", ".join(f'"{t}"' for t in tokens), "body": body}
    stats = run_wrk(script, f"http://127.0.0.1:{port}", connections=CLIENTS, seconds=WRK_SECONDS)
    # wrk always runs for -d, so the sale's own duration is read from the database afterwards:
    # first order placed to last order paid (server clock).
    return 0.0, stats["p50_us"] / 1000, stats["p99_us"] / 1000, stats


async def run_sale_httpx(port: int, sku: str, tokens: list[str]) -> tuple[float, float, float, dict[str, int]]:
    """Fallback when wrk is not installed (apt-get install wrk): the client then limits the figures."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sold_out = asyncio.Event()
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    body = {"items": [{"sku": sku, "quantity": 1}], "shipping_address": ADDRESS, "payment_method": "tok_visa"}

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
        await asyncio.gather(*(shopper(client, t) for t in tokens))
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


def main() -> None:
    name, url = scratch_database()
    proc = None
    try:
        db = Database(url, pool_size=5, max_overflow=0)
        upgrade(db)
        sku, tokens, stock_id = seed(db, UNITS)
        port = free_port()
        proc = start_server(url, port)
        client = "wrk" if shutil.which("wrk") else "httpx"
        if client == "wrk":
            elapsed, p50, p99, statuses = run_sale_wrk(port, sku, tokens)
        else:
            elapsed, p50, p99, statuses = asyncio.run(run_sale_httpx(port, sku, tokens))
        oversold, orders, reserved = check_oversold(db, UNITS)
        if client == "wrk":
            elapsed = sale_duration(db)
        proc.terminate()
        proc.wait(timeout=30)
        proc = None
        with db.engine.begin() as conn:  # reset the same row for the ceiling run
            conn.execute(
                text("UPDATE stock SET reserved = 0, on_hand = :u WHERE id = :id"), {"u": UNITS, "id": stock_id}
            )
        ceiling = asyncio.run(run_ceiling(url, stock_id))
        db.dispose()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        drop_database(name)

    checkouts_per_s = orders / elapsed
    print(f"flash sale: {orders} orders for {UNITS} units in {elapsed:.2f}s with {CLIENTS} clients, {WORKERS} workers")
    print(f"  client {client}: {statuses}; reserved at end: {reserved}")
    print(f"  checkouts/s {checkouts_per_s:.1f}   p50 {p50:.1f} ms   p99 {p99:.1f} ms   oversold {oversold}")
    print(f"  bare ceiling (single SQL decrement, same driver, {CLIENTS} clients): {ceiling:.1f}/s")
    print(f"  ratio {checkouts_per_s / ceiling:.3f}  (goal >= 0.35, p99 <= 150 ms, 0 oversold)")
    print(
        json.dumps(
            {
                "bench": "flash_sale",
                "checkouts_per_s": round(checkouts_per_s, 1),
                "p50_ms": round(p50, 1),
                "p99_ms": round(p99, 1),
                "ceiling_per_s": round(ceiling, 1),
                "ratio": round(checkouts_per_s / ceiling, 3),
                "oversold": oversold,
            }
        )
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
