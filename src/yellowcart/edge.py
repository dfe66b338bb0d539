"""Edge middleware, pure ASGI (Starlette's BaseHTTPMiddleware costs a task per request): request
metrics, a body-size limit and NUL bytes.

PostgreSQL text cannot hold NUL and no legitimate commerce input contains one, so any request that
carries a NUL in its query or JSON body is refused with a 422 problem before it reaches a handler.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yellowcart.errors import PROBLEM_JSON

MAX_BODY_BYTES = 1_048_576
#: File uploads (catalogue imports, risk appeal documents) may be larger: their routes enforce their own limits.
MAX_UPLOAD_BYTES = 21 * 1_048_576
UPLOAD_PATHS = re.compile(r"^/v1/sellers/[^/]+/imports/[^/]+$|^/v1/me/risk-actions/[^/]+/appeals$")
#: Binary documents (PDF, images) hold NUL bytes as content; their route refuses NUL in its text fields itself.
BINARY_UPLOAD_PATHS = re.compile(r"^/v1/me/risk-actions/[^/]+/appeals$")


async def _reply(send: Send, status: int, code: str, detail: str, path: str) -> None:
    body = json.dumps(
        {
            "type": f"https://yellowcart.dev/problems/{code.replace('_', '-')}",
            "title": detail,
            "status": status,
            "code": code,
            "detail": detail,
            "instance": path,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class EdgeGuard:
    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        raw_query: bytes = scope.get("query_string", b"")
        if b"%00" in raw_query or b"\x00" in raw_query or "\x00" in path:
            await _reply(send, 422, "invalid_characters", "NUL characters are not allowed.", path)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = MAX_UPLOAD_BYTES if UPLOAD_PATHS.match(path) else self.max_body
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _reply(send, 413, "body_too_large", f"Request body over {limit} bytes.", path)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if (b"\\u0000" in body or b"\x00" in body) and not BINARY_UPLOAD_PATHS.match(path):
            await _reply(send, 422, "invalid_characters", "NUL characters are not allowed.", path)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    queue: list[Any] = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)  # type: ignore[no-any-return]
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


REQUESTS = Counter("yc_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("yc_http_request_seconds", "HTTP request latency", ["method", "route"])


class Metrics:
    """Prometheus counters and latency per route template (never per raw path: bounded labels)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def send_with_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(scope["method"], route, str(status[0])).inc()
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - start)
