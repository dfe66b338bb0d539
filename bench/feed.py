"""The interest feed under load: 100,000 items, 1,000,000 interactions, PostgreSQL, 2 workers, 32 shoppers.

Measures GET /v1/feed (p50/p99 latency, requests/s) with wrk and, in the same run, a trivial
authenticated endpoint (GET /v1/me) as the ceiling; then freshness: the time from POST /v1/events to a
next feed that reflects it. First runs ``yellowcart train`` (co-engagement, both engines, the ranker) as
its own process and reports its time and peak memory; ``YC_BENCH_TRAIN_ONLY=1`` stops there (with
``YC_BENCH_EVENTS=10000000``: training at ten million interactions).

    .venv/bin/python bench/feed.py   # YC_BENCH_DATABASE_URL, default the local server
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import psycopg
from rich.progress import track
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flash_sale import start_server
from harness import drop_database, free_port, scratch_database
from wrk_runner import run_wrk
from yellowcart.auth.service import hash_token
from yellowcart.db import Database, utcnow
from yellowcart.migrate import upgrade

ITEMS = int(os.environ.get("YC_BENCH_ITEMS", "100000"))
EVENTS = int(os.environ.get("YC_BENCH_EVENTS", "1000000"))
USERS, CLIENTS, CATEGORIES, SELLERS = 20_000, 32, 50, 200
SECONDS = int(os.environ.get("YC_BENCH_SECONDS", "20"))


def _copy(conn: psycopg.Connection, table: str, columns: str, rows: Iterable[tuple[object, ...]]) -> None:
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def generate(conninfo: str, rng: random.Random) -> list[str]:
    """Bulk-load a synthetic market with COPY; returns clear tokens for the benchmark shoppers."""
    now = utcnow()
    listed = now - dt.timedelta(days=30)  # listed before the week of interactions (the ranker replays it)
    tokens = [f"yc_bench_{i:04d}_{rng.getrandbits(64):016x}" for i in range(CLIENTS)]
    with psycopg.connect(conninfo, autocommit=False) as conn:
        _copy(
            conn,
            "sellers",
            "id, name, status, default_selling_mode, created_at",
            [(s, f"seller {s}", "active", "seller_fulfilled", now) for s in range(1, SELLERS + 1)],
        )
        _copy(
            conn,
            "categories",
            "id, slug, name, path",
            [(c, f"cat-{c}", f"Category {c}", f"cat-{c}/") for c in range(1, CATEGORIES + 1)],
        )
        _copy(
            conn,
            "warehouses",
            "id, code, name, operator, line1, city, state, zip, is_active, created_at",
            [(1, "NJ-1", "Edison", "platform", "1 Dock Rd", "Edison", "NJ", "08817", True, now)],
        )
        _copy(
            conn,
            "users",
            "id, email, display_name, role, is_active, created_at",
            [(u, f"u{u}@bench.example", f"u{u}", "shopper", True, now) for u in range(1, USERS + 1)],
        )
        _copy(
            conn,
            "api_tokens",
            "user_id, token_hash, prefix, name, created_at",
            [(i + 1, hash_token(t), t[:10], "bench", now) for i, t in enumerate(tokens)],
        )
        _copy(
            conn,
            "products",
            "id, seller_id, category_id, title, description, status, selling_mode, media, created_at, updated_at",
            [
                (
                    p,
                    1 + p % SELLERS,
                    1 + p % CATEGORIES,
                    f"Item {p}",
                    "",
                    "active",
                    "seller_fulfilled",
                    "[]",
                    listed,
                    now,
                )
                for p in range(1, ITEMS + 1)
            ],
        )
        _copy(
            conn,
            "variants",
            "id, product_id, sku, options, price_cents, weight_grams, is_active",
            [(p, p, f"B-{p}", "{}", 500 + p % 5000, 100, True) for p in range(1, ITEMS + 1)],
        )
        _copy(
            conn,
            "stock",
            "variant_id, warehouse_id, on_hand, reserved, updated_at",
            [(p, 1, 0 if p % 20 == 0 else 100, 0, now) for p in range(1, ITEMS + 1)],
        )
        taste = [rng.sample(range(1, CATEGORIES + 1), 3) for _ in range(USERS + 1)]
        _copy(
            conn,
            "interaction_events",
            "user_id, client_event_id, type, product_id, watch_ms, occurred_at, received_at",
            track(_events(rng, taste, now), total=EVENTS, description="interactions", transient=True),
        )
        for table in ("sellers", "categories", "warehouses", "users", "products", "variants"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.execute("ANALYZE")
        conn.commit()
    return tokens


def _events(rng: random.Random, taste: list[list[int]], now: dt.datetime) -> Iterator[tuple[object, ...]]:
    """Shoppers engage within their 3 favourite categories, down a long tail; purchases are what
    order.paid would have written."""
    kinds = ["impression"] * 10 + ["view"] * 5 + ["like", "cart_tap", "add_to_cart", "purchase"]
    per_category = ITEMS // CATEGORIES
    for n in range(EVENTS):
        user = 1 + int(USERS * rng.random() ** 1.5) % USERS  # some shoppers far more active than others
        cat = rng.choice(taste[user])
        rank = min(int(rng.paretovariate(0.8)) - 1, per_category - 1)  # a long tail inside each category
        product = cat + CATEGORIES * rank
        kind = rng.choice(kinds)
        at = now.timestamp() - rng.random() * 7 * 86400
        stamp = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(at))
        yield (user, f"g{n}", kind, product, 3000 if kind == "view" else None, stamp, now)


def train_in_child(url: str) -> tuple[float, float]:
    """``yellowcart train`` as its own process, as an operator runs it: wall seconds and peak RSS (MiB)."""
    env = {**os.environ, "YC_DATABASE_URL": url}
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "yellowcart"), "train"], env=env, check=True)
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def wrk(port: int, path: str, tokens: list[str]) -> dict[str, float]:
    script = """
local tokens = {__TOKENS__}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "__PATH__", {["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]})
end
""".replace("__TOKENS__", ", ".join(f'"{t}"' for t in tokens)).replace("__PATH__", path)
    stats = run_wrk(script, f"http://127.0.0.1:{port}", connections=CLIENTS, seconds=SECONDS, timeout_s=10)
    return {
        "p50_ms": stats["p50_us"] / 1000,
        "p99_ms": stats["p99_us"] / 1000,
        "rps": stats["requests"] / (stats["duration_us"] / 1e6),
        "non2xx": stats["non2xx"],
    }


def warm_up(port: int, tokens: list[str]) -> None:
    """Steady state is what is measured: every worker has built its snapshots and loaded the models."""
    for token in tokens * 2:
        httpx.get(
            f"http://127.0.0.1:{port}/v1/feed", headers={"Authorization": f"Bearer {token}"}, timeout=120
        ).raise_for_status()


def freshness(port: int, token: str) -> float:
    """POST an add-to-cart on a product outside the shopper's tastes, then poll the feed until the next
    page changes (the page is first read until two reads agree, so a background refresh of the global
    signals is not mistaken for the shopper's own event)."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10) as c:

        def page() -> list[int]:
            return [i["product"]["id"] for i in c.get("/v1/feed", params={"limit": 20}).json()["items"]]

        before, again = page(), page()
        while again != before:
            before, again = again, page()
        target = next(p for p in range(7, ITEMS, CATEGORIES) if p not in before)
        event = {
            "client_event_id": f"fresh-{time.time_ns()}",
            "type": "add_to_cart",
            "product_id": target,
            "occurred_at": utcnow().isoformat(),
        }
        start = time.perf_counter()
        c.post("/v1/events", json={"events": [event]}).raise_for_status()
        while time.perf_counter() - start < 10:
            if page() != before:
                return (time.perf_counter() - start) * 1000
        return float("inf")


def main() -> None:
    rng = random.Random(7)
    name, url = scratch_database()
    proc = None
    try:
        db = Database(url, pool_size=2, max_overflow=0)
        upgrade(db)
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        t0 = time.perf_counter()
        tokens = generate(conninfo, rng)
        print(f"generated {ITEMS:,} items and {EVENTS:,} interactions in {time.perf_counter() - t0:.1f}s")
        train_s, peak_mb = train_in_child(url)
        print(f"yellowcart train on {EVENTS:,} interactions: {train_s:.1f}s, peak RSS {peak_mb:,.0f} MiB")
        if os.environ.get("YC_BENCH_TRAIN_ONLY"):
            print(
                json.dumps(
                    {
                        "bench": "feed_train",
                        "events": EVENTS,
                        "items": ITEMS,
                        "train_s": round(train_s, 1),
                        "peak_mib": round(peak_mb),
                    }
                )
            )
            return
        port = free_port()
        proc = start_server(url, port)
        warm_up(port, tokens)
        ceiling = wrk(port, "/v1/me", tokens)
        feed = wrk(port, "/v1/feed?limit=20", tokens)
        fresh_ms = freshness(port, tokens[0])
        db.dispose()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        drop_database(name)
    ratio = feed["rps"] / ceiling["rps"]
    print(
        f"feed: {feed['rps']:.1f} req/s  p50 {feed['p50_ms']:.1f} ms  p99 {feed['p99_ms']:.1f} ms  "
        f"non-2xx {feed['non2xx']}"
    )
    print(f"ceiling (GET /v1/me): {ceiling['rps']:.1f} req/s  p50 {ceiling['p50_ms']:.1f} ms")
    print(f"ratio {ratio:.3f}  freshness {fresh_ms:.0f} ms  (goals: p99 <= 50 ms, ratio >= 0.3, freshness <= 1000 ms)")
    print(
        json.dumps(
            {
                "bench": "feed",
                "p50_ms": round(feed["p50_ms"], 1),
                "p99_ms": round(feed["p99_ms"], 1),
                "rps": round(feed["rps"], 1),
                "ceiling_rps": round(ceiling["rps"], 1),
                "ratio": round(ratio, 3),
                "freshness_ms": round(fresh_ms, 1),
                "train_s": round(train_s, 1),
                "train_peak_mib": round(peak_mb),
            }
        )
    )


if __name__ == "__main__":
    main()
