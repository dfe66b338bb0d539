"""A live room under load: 5,000 viewers on Server-Sent Events and a 500-unit live deal bought by
2,000 shoppers at once, real HTTP on loopback.

Starts yellowcart with 2 uvicorn workers on a scratch PostgreSQL database (so the two processes share
the room through LISTEN/NOTIFY), opens a seller's live room with a hot full-custody listing, then:

1. baseline: a 500-unit deal (1 per shopper) bought by 2,000 shoppers at once, nobody watching;
2. the same again (a new deal on the same listing) with 5,000 viewers streaming the room.

Viewers are cheap asyncio sockets (uvloop) that read the stream's ``data:`` lines and note, per
update, the server's publish time (``ts``, the earliest hint the update answers), the time it arrived,
the room's order count and the deal's units left. Shoppers open their connections first and all send
at once. Measured: units sold (the deal's rows, the 201s), oversold (units placed beyond the deal's
quantity; the SKU's stock must add up), the publish-to-viewer delay p50/p99 of every update every
viewer got during the burst, a sale-to-viewer delay (a purchase row's commit time to the first update
showing that many orders, on a sample of viewers: it includes the outbox's delivery of
``live.deal_sold``),
messages per viewer per second (coalescing), and orders/s with viewers against the baseline.

    .venv/bin/python bench/live.py  # YC_BENCH_DATABASE_URL, default the local server
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import uvloop
from sqlalchemy import text

import harness
from yellowcart.auth.models import Role
from yellowcart.auth.service import create_token, create_user
from yellowcart.catalog.models import Category, Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Database
from yellowcart.inventory.models import Stock, Warehouse, WarehouseOperator
from yellowcart.migrate import upgrade
from yellowcart.sellers.models import Seller, SellerStatus

VIEWERS = int(os.environ.get("YC_BENCH_VIEWERS", "5000"))
SHOPPERS = int(os.environ.get("YC_BENCH_SHOPPERS", "2000"))
UNITS = int(os.environ.get("YC_BENCH_UNITS", "500"))
WORKERS = int(os.environ.get("YC_BENCH_WORKERS", "2"))
#: 0: viewers stream from the API workers themselves; N: from N dedicated stream workers (the same app,
#: another uvicorn on the same database, as a load balancer would route /stream), sharing via NOTIFY.
STREAM_WORKERS = int(os.environ.get("YC_BENCH_STREAM_WORKERS", "0"))
SAMPLE = 200  # viewers whose every update is checked against every sale (sale-to-viewer delay)
HOST = harness.HOST
ADDRESS = {"name": "Live Buyer", "line1": "1 Market St", "city": "San Francisco", "state": "CA", "zip": "94105"}

TS = re.compile(rb'"ts":([0-9.]+)')
ORDERS = re.compile(rb'"orders":\{"count":(\d+)')
REMAINING = re.compile(rb'"remaining":(\d+)')


# ---- world ---------------------------------------------------------------------------------------


@dataclass
class World:
    port: int
    host_token: str
    tokens: list[str]
    sku: str
    room_id: int = 0
    stream_port: int = 0  # where viewers connect


def seed(db: Database) -> tuple[str, list[str], str]:
    """A seller (and its host user) with one full-custody listing in a platform warehouse, holding
    stock for both deals, and SHOPPERS shoppers with tokens."""
    with db.transaction() as s:
        seller = Seller(name="Live Seller", status=SellerStatus.ACTIVE, default_selling_mode=SellingMode.FULL_CUSTODY)
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
            title="Glow serum (live)",
            description="",
            status=ProductStatus.ACTIVE,
            selling_mode=SellingMode.FULL_CUSTODY,
        )
        product.variants.append(Variant(sku="LIVE-1", price_cents=1999, supply_price_cents=1200, options={}))
        s.add_all([wh, product])
        s.flush()
        s.add(Stock(variant_id=product.variants[0].id, warehouse_id=wh.id, on_hand=3 * UNITS, reserved=0))
        host = create_user(s, email="host@bench.example", display_name="host", role=Role.SELLER, seller_id=seller.id)
        host_token = create_token(s, user_id=host.id)[0]
        tokens = []
        for i in range(SHOPPERS):
            user = create_user(s, email=f"shopper{i}@bench.example", display_name=f"s{i}", role=Role.SHOPPER)
            tokens.append(create_token(s, user_id=user.id)[0])
        return "LIVE-1", tokens, host_token


def start_server(url: str, port: int, workers: int, **extra: str) -> subprocess.Popen[bytes]:
    env = {"YC_DB_POOL_SIZE": "15", "YC_DB_MAX_OVERFLOW": "10", "YC_FEED_WARMUP": "false", **extra}
    return harness.start_server(url, port, workers=workers, backlog=8192, **env)


def host_api(world: World, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {world.host_token}"}
    r = httpx.request(method, f"http://{HOST}:{world.port}{path}", json=body, headers=headers, timeout=60)
    if r.status_code >= 300:
        raise RuntimeError(f"{method} {path}: {r.status_code} {r.text}")
    return dict(r.json())


def open_room(db: Database, world: World) -> None:
    with db.engine.connect() as conn:
        product_id = conn.execute(text("SELECT product_id FROM variants WHERE sku = :s"), {"s": world.sku}).scalar_one()
    room = host_api(world, "POST", "/v1/content", {"kind": "live", "title": "Glow live", "product_ids": [product_id]})
    world.room_id = int(room["id"])
    host_api(world, "PATCH", f"/v1/content/{world.room_id}", {"live_state": "live", "pinned_product_id": product_id})


def start_deal(world: World) -> int:
    terms = {"sku": world.sku, "price_cents": 1499, "quantity": UNITS, "per_shopper_limit": 1, "duration_seconds": 3600}
    deal = host_api(world, "POST", f"/v1/live-rooms/{world.room_id}/deals", terms)
    host_api(world, "POST", f"/v1/live-rooms/{world.room_id}/deals/{deal['id']}/start")
    return int(deal["id"])


# ---- viewers -------------------------------------------------------------------------------------


@dataclass
class Viewers:
    """Every viewer's updates as (viewer, received ms, ts ms, orders, remaining); -1 where absent."""

    updates: list[tuple[int, float, float, int, int]] = field(default_factory=list)
    connected: int = 0
    errors: int = 0
    latest: dict[int, tuple[int, int]] = field(default_factory=dict)  # viewer -> (orders, remaining)
    viewers: list[ViewerProtocol] = field(default_factory=list)

    def note(self, viewer: int, now: float, line: bytes) -> None:
        """Cheap on purpose (no JSON parse): 5,000 of these per update share the client's core."""
        ts = TS.search(line)
        orders = ORDERS.search(line) if b'"orders"' in line else None
        left = REMAINING.search(line) if b'"deals"' in line else None
        o, r = int(orders.group(1)) if orders else -1, int(left.group(1)) if left else -1
        self.updates.append((viewer, now, float(ts.group(1)) if ts else now, o, r))
        if o >= 0 or r >= 0:
            before = self.latest.get(viewer, (-1, -1))
            self.latest[viewer] = (o if o >= 0 else before[0], r if r >= 0 else before[1])


class ViewerProtocol(asyncio.Protocol):
    """One viewer as a bare protocol: uvloop calls ``data_received`` directly (no task, no stream
    reader per socket), so the load generator spends its share of the 2 cores on reading, not on
    itself."""

    def __init__(self, i: int, out: Viewers, request: bytes) -> None:
        self.i, self.out, self.request = i, out, request
        self.buf, self.head, self.first, self.lost = b"", False, True, False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not asyncio.Transport subclasses
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.time() * 1000
        buf = self.buf + data
        if not self.head:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            if b" 200 " not in buf[: buf.find(b"\r\n")]:
                self.out.errors += 1
                assert self.transport is not None
                self.transport.close()
                return
            self.head, buf = True, buf[end + 4 :]
        *lines, self.buf = buf.split(b"\n")
        for line in lines:
            if line.startswith(b"data: "):
                if self.first:  # the snapshot: connected
                    self.first = False
                    self.out.connected += 1
                self.out.note(self.i, now, line)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True


async def connect_viewers(world: World, out: Viewers) -> float:
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    for start in range(0, VIEWERS, 250):  # the accept queue is deep, but a ramp is kinder to 2 cores
        batch = []
        for i in range(start, min(start + 250, VIEWERS)):
            path = f"/v1/live-rooms/{world.room_id}/stream?session=bench-viewer-{i:08d}"
            request = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: text/event-stream\r\n\r\n".encode()
            batch.append(
                loop.create_connection(lambda i=i, r=request: ViewerProtocol(i, out, r), HOST, world.stream_port)
            )
        for _transport, protocol in await asyncio.gather(*batch):
            out.viewers.append(protocol)
        await asyncio.sleep(0.05)
    deadline = time.monotonic() + 180
    while out.connected < VIEWERS and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return time.perf_counter() - started


async def close_viewers(out: Viewers) -> None:
    for viewer in out.viewers:
        if viewer.transport is not None:
            viewer.transport.close()
    await asyncio.sleep(0.5)


# ---- shoppers ------------------------------------------------------------------------------------


async def shopper(world: World, token: str, body: bytes, go: asyncio.Event) -> tuple[int, float]:
    reader, writer = await asyncio.open_connection(HOST, world.port)
    head = (
        f"POST /v1/checkout HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {token}\r\n"
        f"Idempotency-Key: {uuid.uuid4()}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    await go.wait()
    writer.write(head + body)
    status = int((await reader.readuntil(b"\r\n"))[9:12])
    await reader.read()  # to the end (Connection: close)
    done = time.time() * 1000
    writer.close()
    return status, done


async def burst(world: World, deal_id: int) -> tuple[list[tuple[int, float]], float, float]:
    """Every shopper buys one unit at once: connections first, then all requests together."""
    item = {"sku": world.sku, "quantity": 1, "deal_id": deal_id, "room_id": world.room_id}
    body = json.dumps({"items": [item], "shipping_address": ADDRESS, "payment_method": "tok_visa"}).encode()
    go = asyncio.Event()
    tasks = [asyncio.create_task(shopper(world, t, body, go)) for t in world.tokens]
    await asyncio.sleep(2.0)  # let the connections open
    started, go_ms = time.perf_counter(), time.time() * 1000
    go.set()
    results = await asyncio.gather(*tasks)
    return list(results), time.perf_counter() - started, go_ms


def sold_out_after(results: list[tuple[int, float]], go_ms: float) -> float:
    """Seconds from the burst to the last successful purchase's answer."""
    return max((t for s, t in results if s == 201), default=go_ms) / 1000 - go_ms / 1000


# ---- checks and figures --------------------------------------------------------------------------


def deal_figures(db: Database, deal_id: int) -> dict[str, int]:
    with db.engine.connect() as conn:
        remaining, quantity = conn.execute(
            text("SELECT remaining, quantity FROM live_deals WHERE id = :d"), {"d": deal_id}
        ).one()
        placed = conn.execute(
            text("SELECT COALESCE(SUM(quantity), 0) FROM live_deal_purchases WHERE deal_id = :d AND status = 'placed'"),
            {"d": deal_id},
        ).scalar_one()
        on_hand, reserved = conn.execute(text("SELECT on_hand, reserved FROM stock")).one()
        held = conn.execute(
            text("SELECT COALESCE(SUM(quantity), 0) FROM reservations WHERE status = 'active'")
        ).scalar_one()
    return {
        "sold": int(quantity) - int(remaining),
        "placed_units": int(placed),
        "oversold": max(0, int(placed) - int(quantity)),
        "stock_reserved_matches_reservations": int(int(reserved) == int(held) and int(reserved) <= int(on_hand)),
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1) if ordered else float("nan")


def fan_out(window: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """Per update frame (one ``ts``, several per round: one per process): publish to its first viewer,
    and first to last viewer (how long writing it to everyone took, client included)."""
    by_ts: dict[float, list[float]] = {}
    for recv, ts in window:
        by_ts.setdefault(ts, []).append(recv)
    first = [min(r) - ts for ts, r in by_ts.items()]
    spread = [max(r) - min(r) for r in by_ts.values() if len(r) > 1]
    return first, spread


def sale_times(db: Database, deal_id: int) -> list[float]:
    """When each unit of the deal was sold (its purchase row written, server clock), epoch ms."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT created_at FROM live_deal_purchases WHERE deal_id = :d AND status = 'placed' "
                "ORDER BY created_at"
            ),
            {"d": deal_id},
        ).scalars()
        return [at.timestamp() * 1000 for at in rows]


def sale_to_view(out: Viewers, sold_at: list[float], since: float, before: int) -> list[float]:
    """For SAMPLE viewers: each sale (its purchase row) to the first update showing that many orders
    (the room's count, ``before`` of them from the first deal); includes the hint and the coalescing."""
    delays: list[float] = []
    per: dict[int, list[tuple[float, int]]] = {}
    for v, recv, _ts, orders, _left in out.updates:
        if v < SAMPLE and recv >= since and orders >= 0:
            per.setdefault(v, []).append((recv, orders))
    for seen in per.values():
        k = 0
        for recv, orders in seen:
            while k < len(sold_at) and k < orders - before:
                delays.append(recv - sold_at[k])
                k += 1
    return delays


async def run(db: Database, world: World) -> dict[str, Any]:
    deal_a = start_deal(world)
    base_results, base_elapsed, base_go = await burst(world, deal_a)
    host_api(world, "POST", f"/v1/live-rooms/{world.room_id}/deals/{deal_a}/end")
    base_ok = sum(1 for s, _ in base_results if s == 201)
    base_sold_out = sold_out_after(base_results, base_go)
    base = {**deal_figures(db, deal_a), "ok": base_ok, "seconds": round(base_elapsed, 2)}
    base["sold_out_s"] = round(base_sold_out, 2)
    print(f"baseline (no viewers): {base}", flush=True)

    out = Viewers()
    ramp = await connect_viewers(world, out)
    await asyncio.sleep(max(3.0, ramp / 2))  # joins settle (the hubs batch them), counts reach everyone
    counted = int(host_api(world, "GET", f"/v1/live-rooms/{world.room_id}")["viewers"])  # joined via their streams
    print(f"{out.connected} viewers connected in {ramp:.1f} s ({out.errors} errors), {counted} counted", flush=True)
    deal_b = start_deal(world)
    await asyncio.sleep(1.0)
    since = time.time() * 1000
    results, elapsed, go = await burst(world, deal_b)
    ok = sum(1 for s, _ in results if s == 201)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until every viewer saw the deal sold out and every order
        seen = [out.latest.get(v, (-1, -1)) for v in range(VIEWERS)]
        if all(o >= base_ok + ok and r == 0 for o, r in seen):
            break
        await asyncio.sleep(0.1)
    converged = (time.time() * 1000 - since) / 1000
    window = [(recv, ts) for _v, recv, ts, _o, _r in out.updates if recv >= since]
    delays = [recv - ts for recv, ts in window]
    first, spread = fan_out(window)
    sale_delays = sale_to_view(out, sale_times(db, deal_b), since, base_ok)
    still = sum(1 for v in out.viewers if not v.lost)
    await close_viewers(out)
    sold_out = sold_out_after(results, go)
    live = {**deal_figures(db, deal_b), "ok": ok, "seconds": round(elapsed, 2), "sold_out_s": round(sold_out, 2)}
    statuses: dict[str, int] = {}
    for s, _ in results:
        statuses[str(s)] = statuses.get(str(s), 0) + 1
    return {
        "viewers": still,
        "viewers_counted": counted,
        "stream_workers": STREAM_WORKERS,
        "base": base,
        "live": live,
        "statuses": statuses,
        "updates": len(window),
        "msgs_per_viewer_s": round(len(window) / max(still, 1) / max(converged, 0.001), 2),
        "update_p50_ms": pct(delays, 0.50),
        "update_p99_ms": pct(delays, 0.99),
        "update_max_ms": round(max(delays), 1) if delays else float("nan"),
        "first_viewer_p50_ms": pct(first, 0.50),
        "first_viewer_p99_ms": pct(first, 0.99),
        "fan_out_spread_p50_ms": pct(spread, 0.50),
        "fan_out_spread_p99_ms": pct(spread, 0.99),
        "sale_to_view_p50_ms": pct(sale_delays, 0.50),
        "sale_to_view_p99_ms": pct(sale_delays, 0.99),
        "all_saw_final_after_s": round(converged, 2),
        "orders_per_s": round(ok / sold_out, 1) if sold_out > 0 else 0.0,
        "orders_per_s_no_viewers": round(base_ok / base_sold_out, 1) if base_sold_out > 0 else 0.0,
        "requests_per_s": round(len(results) / elapsed, 1),
        "requests_per_s_no_viewers": round(len(base_results) / base_elapsed, 1),
    }


def main() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 7,000 sockets here, as many in the server
    name, url = harness.scratch_database("yc_bench_live")
    proc = streams = None
    try:
        db = Database(url, pool_size=5, max_overflow=0)
        upgrade(db)
        sku, tokens, host_token = seed(db)
        port = harness.free_port()
        proc = start_server(url, port, WORKERS)
        world = World(port, host_token, tokens, sku, stream_port=port)
        if STREAM_WORKERS:
            world.stream_port = harness.free_port()
            small = {"YC_DB_POOL_SIZE": "5", "YC_DB_MAX_OVERFLOW": "5", "YC_INLINE_WORKER": "false"}
            streams = start_server(url, world.stream_port, STREAM_WORKERS, **small)
        open_room(db, world)
        figures = uvloop.run(run(db, world))
        print(json.dumps(figures, indent=2), flush=True)
        line = {
            "bench": "live",
            "viewers": figures["viewers"],
            "sold": figures["live"]["sold"],
            "oversold": figures["live"]["oversold"] + figures["base"]["oversold"],
            "update_p99_ms": figures["update_p99_ms"],
            "orders_per_s": figures["orders_per_s"],
            "update_p50_ms": figures["update_p50_ms"],
            "sale_to_view_p99_ms": figures["sale_to_view_p99_ms"],
            "msgs_per_viewer_s": figures["msgs_per_viewer_s"],
            "orders_per_s_no_viewers": figures["orders_per_s_no_viewers"],
            "stream_workers": STREAM_WORKERS,
            "throughput_ratio": round(figures["orders_per_s"] / figures["orders_per_s_no_viewers"], 2),
        }
        db.dispose()
        print(json.dumps(line), flush=True)
    finally:
        for server in (proc, streams):
            if server is not None:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
        harness.drop_database(name)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


if __name__ == "__main__":
    main()
