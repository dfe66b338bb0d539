"""Rate limits kept in Redis (YC_REDIS_URL): shared by every API process, expiring on their own, and
failing open when Redis is down. Each test uses its own key prefix and deletes its keys afterwards.
Skipped when no Redis answers at YC_TEST_REDIS_URL (default: the local one) unless YC_REQUIRE_REDIS=1."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from support import LiveServer, Market
from yellowcart.audit.ratelimit import Limit, MemoryStore, RedisStore
from yellowcart.auth.models import Role

REDIS_URL = os.environ.get("YC_TEST_REDIS_URL", os.environ.get("YC_REDIS_URL", "redis://127.0.0.1:6379/0"))
PREFIX = f"yc:test:{uuid.uuid4().hex[:8]}:"


def _redis_down() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return None
    except redis.RedisError as exc:
        return f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}"


_DOWN = _redis_down()
if _DOWN and os.environ.get("YC_REQUIRE_REDIS") == "1":
    raise RuntimeError(f"YC_REQUIRE_REDIS=1 but {_DOWN}")
needs_redis = pytest.mark.skipif(_DOWN is not None, reason=_DOWN or "")


@pytest.fixture
def prefix() -> Iterator[str]:
    mine = f"{PREFIX}{uuid.uuid4().hex[:6]}:"
    yield mine
    if _DOWN is None:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=mine + "*"))
        if keys:
            client.delete(*keys)
        client.close()


def _hits(store: Any, key: str, limit: Limit, at_ms: list[int]) -> list[int | None]:
    """The retry-after (ms) of each hit, None when allowed."""

    async def run() -> list[int | None]:
        out: list[int | None] = []
        for now in at_ms:
            decision = await store.hit(key, limit, now)
            out.append(None if decision.allowed else decision.retry_after_ms)
        return out

    return asyncio.run(run())


LIMIT = Limit("token", per_minute=60, burst=3)  # one a second, three at once
NOW = 1_900_000_000_000


@needs_redis
def test_redis_and_memory_agree_on_the_limit_and_the_wait(prefix: str) -> None:
    times = [NOW, NOW, NOW, NOW, NOW + 400, NOW + 1000, NOW + 1000]
    memory = _hits(MemoryStore(), "k", LIMIT, times)
    shared = _hits(RedisStore.from_url(REDIS_URL, prefix), "k", LIMIT, times)
    assert memory == shared == [None, None, None, 1000, 600, None, 1000]
    client = redis.Redis.from_url(REDIS_URL)
    assert client.pttl(prefix + "k") > 0  # the state expires on its own
    client.close()


@needs_redis
def test_two_processes_share_one_allowance(prefix: str) -> None:
    a, b = RedisStore.from_url(REDIS_URL, prefix), RedisStore.from_url(REDIS_URL, prefix)
    assert _hits(a, "k", LIMIT, [NOW, NOW]) == [None, None]
    assert _hits(b, "k", LIMIT, [NOW, NOW]) == [None, 1000]


def test_memory_store_stays_bounded() -> None:
    store = MemoryStore(max_keys=100)
    limit = Limit("ip", per_minute=600, burst=10)
    for i in range(1000):
        _hits(store, f"k{i}", limit, [NOW + i * 10])
    assert len(store._state) <= 101


@pytest.fixture
def limits(prefix: str) -> dict[str, Any]:
    return {"redis_url": REDIS_URL, "rate_limit_redis_prefix": prefix, "rate_limit_token_burst": 2,
            "rate_limit_token_per_minute": 1}  # fmt: skip


@needs_redis
def test_the_api_limits_through_redis(server: LiveServer, market: Market, prefix: str) -> None:
    with server.client(market.user("alice", Role.SHOPPER)) as c:
        statuses = [c.post("/v1/carts", json={}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    client = redis.Redis.from_url(REDIS_URL)
    assert len(list(client.scan_iter(match=prefix + "token:*"))) == 1
    client.close()


@pytest.mark.parametrize("limits", [{"redis_url": "redis://127.0.0.1:1/0", "rate_limit_token_burst": 1}])
def test_the_api_fails_open_when_redis_is_down(server: LiveServer, market: Market) -> None:
    with server.client(market.user("alice", Role.SHOPPER)) as c:
        assert [c.post("/v1/carts", json={}).status_code for _ in range(3)] == [200, 200, 200]
