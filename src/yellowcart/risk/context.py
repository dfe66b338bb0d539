"""Request context for risk signals and rate limits: who is on the other end of the socket, minimised.

What a request tells us about where it comes from:
- the client IP: the socket peer, or the first hop of ``X-Forwarded-For`` only when ``YC_TRUST_PROXY`` is
  set (behind our own load balancer; otherwise anyone could claim any address);
- its network prefix (``/24`` for IPv4, ``/48`` for IPv6): what several people at one place share;
- ``X-Device-Id``: a stable device fingerprint id clients send (the app's install id, a browser's local id);
- the user agent, reduced to a coarse family (``ios/app``, ``windows/chrome``);
- ``X-Client-Timezone``: the IANA time zone the client claims (``America/Chicago``), our "geo" without a
  GeoIP database.

Personal data is minimised: the full IP and the device id exist only in memory for the request; what is
stored is the prefix plus keyed hashes (HMAC-SHA256 under ``YC_PII_HASH_KEY``), so the same address or
device can be matched without anyone reading it back. Nothing here is ever logged raw.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yellowcart.sellers.identity import keyed_hash, pii_key
from yellowcart.settings import Settings

DEVICE_HEADER = "x-device-id"
TIMEZONE_HEADER = "x-client-timezone"
_DEVICE = re.compile(r"^[A-Za-z0-9._:\-]{4,128}$")
_TZ = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-/]{1,63}$")
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("yc_risk_context", default=None)


@dataclass(frozen=True, slots=True)
class RequestContext:
    """One request's origin. ``ip`` and ``device_id`` are never stored: use the hashes."""

    ip: str | None = None
    network: str | None = None
    ip_hash: str | None = None
    device_id: str | None = None
    device_hash: str | None = None
    user_agent: str | None = None
    ua_family: str | None = None
    timezone: str | None = None

    def stored(self) -> dict[str, str | None]:
        """The minimised columns a signal keeps."""
        return {
            "network": self.network,
            "ip_hash": self.ip_hash,
            "device_hash": self.device_hash,
            "ua_family": self.ua_family,
            "timezone": self.timezone,
        }


EMPTY = RequestContext()


def network_prefix(ip: str | None) -> str | None:
    """``203.0.113.7`` -> ``203.0.113.0/24``; ``2001:db8:1:2::5`` -> ``2001:db8:1::/48``; junk -> None."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


def normalise_ip(ip: str | None) -> str | None:
    """A parseable address in its canonical spelling (IPv4-mapped IPv6 as IPv4), else None."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


@lru_cache(maxsize=2048)
def valid_timezone(name: str | None) -> str | None:
    """The IANA zone name if it is one (``UTC``, ``America/New_York``), else None."""
    if not name or not _TZ.match(name):
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def utc_offset_hours(zone: str, at: dt.datetime) -> float:
    """The zone's offset from UTC at that instant, in hours (DST included)."""
    offset = at.astimezone(ZoneInfo(zone)).utcoffset()
    return offset.total_seconds() / 3600 if offset is not None else 0.0


_OS = (
    ("iphone", "ios"),
    ("ipad", "ios"),
    ("android", "android"),
    ("windows", "windows"),
    ("mac os", "mac"),
    ("cros", "chromeos"),
    ("linux", "linux"),
)
_CLIENTS = (
    ("yellowcart", "app"),
    ("edg/", "edge"),
    ("firefox", "firefox"),
    ("chrome", "chrome"),
    ("safari", "safari"),
    ("python", "script"),
    ("curl", "script"),
    ("okhttp", "script"),
    ("bot", "bot"),
)


@lru_cache(maxsize=4096)
def ua_family(user_agent: str | None) -> str | None:
    """A coarse ``os/client`` family: enough to notice a change of kind of device, not to single anyone out."""
    if not user_agent:
        return None
    text = user_agent.lower()[:512]
    os_name = next((name for token, name in _OS if token in text), "other")
    client = next((name for token, name in _CLIENTS if token in text), "other")
    return f"{os_name}/{client}"


def build(
    *, key: bytes, ip: str | None, device_id: str | None, user_agent: str | None, timezone: str | None
) -> RequestContext:
    """A context from raw values (tests, benchmarks, jobs replaying history)."""
    ip = normalise_ip(ip)
    device = device_id.strip() if device_id else None
    device = device if device and _DEVICE.match(device) else None
    return RequestContext(
        ip=ip,
        network=network_prefix(ip),
        ip_hash=keyed_hash(key, "ip", ip) if ip else None,
        device_id=device,
        device_hash=keyed_hash(key, "device", device) if device else None,
        user_agent=user_agent[:300] if user_agent else None,
        ua_family=ua_family(user_agent[:512]) if user_agent else None,
        timezone=valid_timezone(timezone.strip()) if timezone else None,
    )


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def client_ip(scope: Scope, *, trust_proxy: bool) -> str | None:
    """The socket peer, or the first ``X-Forwarded-For`` hop when our own proxy sets it."""
    if trust_proxy:
        forwarded = _header(scope.get("headers") or (), b"x-forwarded-for")
        if forwarded:
            first = normalise_ip(forwarded.split(",")[0])
            if first:
                return first
    peer = scope.get("client")
    return normalise_ip(peer[0]) if peer else None


def from_scope(scope: Scope, *, settings: Settings) -> RequestContext:
    """The context of an ASGI HTTP request (R3's limiter and the signal hooks use this)."""
    headers = scope.get("headers") or ()
    return build(
        key=pii_key(settings.pii_hash_key),
        ip=client_ip(scope, trust_proxy=settings.trust_proxy),
        device_id=_header(headers, DEVICE_HEADER.encode()),
        user_agent=_header(headers, b"user-agent"),
        timezone=_header(headers, TIMEZONE_HEADER.encode()),
    )


def from_request(request: Any) -> RequestContext:
    """The context of a Starlette/FastAPI request (its app's container holds the settings)."""
    return from_scope(request.scope, settings=request.app.state.container.settings)


def current() -> RequestContext:
    """The context of the request being handled (set by :class:`ContextMiddleware`), else empty (CLI, jobs)."""
    return _current.get() or EMPTY


def bind(context: RequestContext | None) -> contextvars.Token[RequestContext | None]:
    """Make ``context`` current (tests and the middleware); undo with :func:`reset`."""
    return _current.set(context)


def reset(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


#: Called after a response went out: (scope, context, status). The token-use recorder is one.
AfterResponse = Callable[[Scope, RequestContext, int], Awaitable[None]]


class ContextMiddleware:
    """Pure ASGI: computes the request context once, makes it current for the handlers (it flows into the
    thread pool with the request's contextvars), then calls ``after`` with the response status."""

    def __init__(self, app: ASGIApp, after: AfterResponse | None = None) -> None:
        self.app, self.after = app, after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = from_scope(scope, settings=scope["app"].state.container.settings)
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        token = _current.set(context)
        try:
            await self.app(scope, receive, watch)
        finally:
            _current.reset(token)
        if self.after is not None and status:
            await self.after(scope, context, status)
