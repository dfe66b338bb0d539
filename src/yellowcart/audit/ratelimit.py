"""API rate limits: per token and per client IP on write requests, and a tighter per-IP limit on the
endpoints that make accounts or tokens (sign-up, login, seller sign-up). Over a limit the answer is a
429 problem with ``Retry-After``, before the request reaches a handler (nothing changes).

Each limit is GCRA (pyrate-limiter's ``GCRA``: a leaky bucket kept as one timestamp per key, so a key
costs a few bytes and the wait comes out exact). State lives in this process's memory by default, or in
Redis when ``YC_REDIS_URL`` is set (pyrate-limiter's ``RedisStateStore``: one hash per key, updated by a
Lua script, expiring on its own), which makes the limits hold across API processes. If Redis fails the
request is let through and the failure logged: a limiter must not take the API down with it.

Reads (GET, HEAD, OPTIONS) are not limited here and pay one comparison. Clients on
``YC_RATE_LIMIT_EXEMPT_NETWORKS`` (loopback by default: health checks, benchmarks, a local proxy that
does not forward the client's address) skip the per-IP limits; their tokens are still limited.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from inspect import isawaitable
from typing import Any, Protocol

import structlog
from pyrate_limiter import GCRA, Decision, Duration, Rate, RedisStateStore
from starlette.types import ASGIApp, Receive, Scope, Send

from yellowcart.errors import PROBLEM_JSON
from yellowcart.risk.context import client_ip, normalise_ip
from yellowcart.settings import Settings

log = structlog.get_logger(__name__)

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Endpoints that create accounts or tokens: limited per IP more tightly than other writes.
AUTH_ENDPOINTS = frozenset({("POST", "/v1/users"), ("POST", "/v1/auth/tokens"), ("POST", "/v1/seller-signups")})
_ALGORITHM = GCRA()


@dataclass(frozen=True)
class Limit:
    """``per_minute`` sustained with bursts of ``burst``; ``per_minute=0`` switches it off."""

    name: str  # "token" | "ip" | "auth": what the 429 says ran out
    per_minute: int
    burst: int

    @cached_property
    def rates(self) -> list[Rate]:
        return [Rate(self.per_minute, Duration.MINUTE, burst=max(1, self.burst))]


@dataclass(frozen=True)
class Policy:
    token: Limit
    ip: Limit
    auth: Limit
    exempt: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            token=Limit("token", settings.rate_limit_token_per_minute, settings.rate_limit_token_burst),
            ip=Limit("ip", settings.rate_limit_ip_per_minute, settings.rate_limit_ip_burst),
            auth=Limit("auth", settings.rate_limit_auth_per_minute, settings.rate_limit_auth_burst),
            exempt=tuple(ipaddress.ip_network(n, strict=False) for n in settings.rate_limit_exempt_networks),
        )


class Store(Protocol):
    async def hit(self, key: str, limit: Limit, now_ms: int) -> Decision: ...


class MemoryStore:
    """GCRA state per key in a dict. The event loop is the only writer (no await between read and write),
    so it needs no lock. Bounded: past ``max_keys`` the keys whose bucket has drained are dropped (a
    drained key and a new one behave the same)."""

    def __init__(self, max_keys: int = 200_000) -> None:
        self.max_keys = max_keys
        self._state: dict[str, tuple[float, ...]] = {}

    async def hit(self, key: str, limit: Limit, now_ms: int) -> Decision:
        rates = limit.rates
        state = self._state.get(key) or _ALGORITHM.initial(rates)
        new_state, decision = _ALGORITHM.step(rates, state, now_ms, 1)
        if decision.allowed:
            self._state[key] = new_state
            if len(self._state) > self.max_keys:
                self._sweep(now_ms)
        return decision

    def _sweep(self, now_ms: int) -> None:
        now_us = now_ms * 1000
        self._state = {k: v for k, v in self._state.items() if max(v) > now_us}
        while len(self._state) > self.max_keys:  # every key still owes: forget the oldest
            self._state.pop(next(iter(self._state)))


class RedisStore:
    """GCRA state in Redis under ``prefix`` (one small hash per key, with a TTL)."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisStore:
        import redis.asyncio  # only when configured

        client = redis.asyncio.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        return cls(client, prefix)

    async def hit(self, key: str, limit: Limit, now_ms: int) -> Decision:
        store = RedisStateStore(self.client, key=self.prefix + key)
        found = store.check(_ALGORITHM, limit.rates, now_ms, 1)  # type: ignore[no-untyped-call]
        decision: Decision = await found if isawaitable(found) else found
        return decision


@lru_cache(maxsize=65_536)
def _ip_key(raw: str, exempt: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> str | None:
    """The per-IP key: the address (IPv4) or its /64 (IPv6: one subscriber's); None when exempt or junk.
    Cached: parsing an address costs more than the rest of the check."""
    ip = normalise_ip(raw)
    if ip is None:
        return None
    address = ipaddress.ip_address(ip)
    if any(address in network for network in exempt):
        return None
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return ip


def _bearer_key(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            token = token.strip()
            if scheme.lower() == b"bearer" and token:
                return hashlib.sha256(token).hexdigest()[:32]
    return None


class RateLimit:
    """Pure ASGI middleware; see the module's docstring."""

    def __init__(self, app: ASGIApp, settings: Settings, store: Store | None = None) -> None:
        self.app = app
        self.enabled = settings.rate_limits_enabled
        self.policy = Policy.from_settings(settings)
        self.trust_proxy = settings.trust_proxy
        if store is None:
            url = settings.redis_url
            store = RedisStore.from_url(url, settings.rate_limit_redis_prefix) if url else MemoryStore()
        self.store = store
        self._last_error_log = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http" or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        refused = await self._check(scope)
        if refused is None:
            await self.app(scope, receive, send)
            return
        limit, wait_ms = refused
        await _too_many(send, limit, max(1, math.ceil(wait_ms / 1000)), scope.get("path", ""))

    async def _check(self, scope: Scope) -> tuple[Limit, int] | None:
        policy, now_ms = self.policy, int(time.time() * 1000)
        checks: list[tuple[Limit, str]] = []
        peer = scope.get("client")
        ip = client_ip(scope, trust_proxy=True) if self.trust_proxy else (peer[0] if peer else None)
        ip_key = _ip_key(ip, policy.exempt) if ip else None
        if ip_key is not None:
            if (scope["method"], scope.get("path", "")) in AUTH_ENDPOINTS and policy.auth.per_minute:
                checks.append((policy.auth, "auth:" + ip_key))
            if policy.ip.per_minute:
                checks.append((policy.ip, "ip:" + ip_key))
        token_key = _bearer_key(scope.get("headers") or ())
        if token_key is not None and policy.token.per_minute:
            checks.append((policy.token, "token:" + token_key))
        for limit, key in checks:
            try:
                decision = await self.store.hit(key, limit, now_ms)
            except Exception:
                self._log_store_error()
                return None  # fail open
            if not decision.allowed:
                return limit, decision.retry_after_ms or 1000
        return None

    def _log_store_error(self) -> None:
        now = time.monotonic()
        if now - self._last_error_log >= 10:
            self._last_error_log = now
            log.warning("rate_limit_store_failed", exc_info=True)


_WHAT = {
    "token": "write requests with this token",
    "ip": "write requests from this address",
    "auth": "sign-up and login attempts from this address",
}


async def _too_many(send: Send, limit: Limit, retry_after: int, path: str) -> None:
    detail = f"Too many {_WHAT[limit.name]}; retry in {retry_after} s."
    await send_problem(send, 429, "rate_limited", "Too many requests", detail, path, retry_after, limit=limit.name)


async def send_problem(
    send: Send, status: int, code: str, title: str, detail: str, path: str, retry_after: int, **extra: Any
) -> None:
    """An RFC 9457 problem straight from the edge, with ``Retry-After`` (seconds)."""
    body = json.dumps(
        {
            "type": f"https://yellowcart.dev/problems/{code.replace('_', '-')}",
            "title": title,
            "status": status,
            "code": code,
            "detail": detail,
            "instance": path,
            "retry_after_seconds": retry_after,
            **extra,
        }
    ).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
