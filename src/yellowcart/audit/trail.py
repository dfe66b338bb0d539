"""The generic audit hook: every successful write request by an operator leaves one audit record.

Pure ASGI (cheap per request: a context variable, and for writes a copy of the body's references). The
caller is known once :func:`yellowcart.http.principal` resolves the token (it calls
:func:`yellowcart.audit.log.note_caller`), so this one place covers seller reviews, price checks,
settlement runs, refunds, return decisions, policy and commission changes, members added to a seller
account: any operator endpoint, present or future, without an edit in each. Domains still call
:func:`yellowcart.audit.log.record` for what an HTTP request does not say by itself (a case's evidence,
a privacy erasure); both carry the same request id.

The record is written in its own transaction just before the response goes out, so a client that got an
answer finds it in the log. If the write fails the action has already committed: the failure is logged
(``audit_write_failed``) and the response is sent anyway.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import anyio
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yellowcart.audit import log as audit_log
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import Database

log = structlog.get_logger(__name__)

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Request bodies larger than this are described by their size only.
MAX_BODY_KEPT = 16_384


def _audited(principal: Principal | None) -> bool:
    return principal is not None and principal.role is Role.OPERATOR


class AuditTrail:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = audit_log.RequestAudit(scope)
        token = audit_log.bind(request)
        try:
            if scope["method"] in WRITES:
                await self._write_request(scope, receive, send, request)
            else:
                await self.app(scope, receive, send)
        finally:
            audit_log.unbind(token)

    async def _write_request(self, scope: Scope, receive: Receive, send: Send, request: audit_log.RequestAudit) -> None:
        chunks: list[bytes] = []
        held: list[Message] = []

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        async def send_after_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                if not _audited(request.principal) or int(message["status"]) >= 400:
                    held.clear()
                    await send(message)
                    return
                held.append(message)
                return
            if not held:
                await send(message)
                return
            held.append(message)  # an operator's successful write: keep its answer until it is recorded
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                await self._record(scope, request, b"".join(chunks), held)
                for kept in held:
                    await send(kept)
                held.clear()

        await self.app(scope, receive_and_keep, send_after_record)

    async def _record(self, scope: Scope, request: audit_log.RequestAudit, body: bytes, answer: list[Message]) -> None:
        assert request.principal is not None
        status = int(answer[0]["status"])
        reply = b"".join(m.get("body", b"") for m in answer[1:] if m["type"] == "http.response.body")
        route = getattr(scope.get("route"), "path", None) or scope.get("path", "")
        kind, subject = _subject(route, scope.get("path_params") or {}, reply)
        detail = {
            "method": scope["method"],
            "route": route,
            "status": status,
            "path_params": dict(scope.get("path_params") or {}),
            "query": dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))) or None,
            "body": _body(body),
        }
        db: Database = scope["app"].state.container.db
        try:
            await anyio.to_thread.run_sync(_write, db, request, f"{scope['method']} {route}", kind, subject, detail)
        except Exception:
            log.error("audit_write_failed", action=f"{scope['method']} {route}", exc_info=True)


def _write(
    db: Database,
    request: audit_log.RequestAudit,
    action: str,
    kind: str | None,
    subject: str | None,
    detail: dict[str, Any],
) -> None:
    assert request.principal is not None
    token = audit_log.bind(request)  # the worker thread runs in a copy of the context: make sure
    try:
        with db.transaction() as session:
            audit_log.record(
                session,
                actor_id=request.principal.user_id,
                actor_role=request.principal.role.value,
                action=action,
                subject_kind=kind,
                subject_id=subject,
                detail=detail,
            )
    finally:
        audit_log.unbind(token)


def _body(body: bytes) -> Any:
    if not body:
        return None
    if len(body) > MAX_BODY_KEPT:
        return {"bytes": len(body)}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {"bytes": len(body)}


def _singular(segment: str) -> str:
    name = segment.replace("-", "_")
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def _subject(route: str, path_params: dict[str, Any], reply: bytes) -> tuple[str | None, str | None]:
    """What the request acted on: the last ``{param}`` of the route (its kind is the segment before it:
    ``/v1/returns/{return_id}/decision`` is return 7), else the created row's ``id`` from the answer
    (``POST /v1/sellers`` is seller 12)."""
    segments = [s for s in route.split("/") if s]
    for index in range(len(segments) - 1, -1, -1):
        part = segments[index]
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1].split(":")[0]
            value = path_params.get(name)
            before = segments[index - 1] if index > 0 and not segments[index - 1].startswith("{") else name
            return _singular(before), None if value is None else str(value)
    statics = [s for s in segments if s not in ("v1", "operator")]
    kind = _singular(statics[-1]) if statics else None
    try:
        created = json.loads(reply) if reply and len(reply) <= 1_048_576 else None
    except (ValueError, UnicodeDecodeError):
        created = None
    if isinstance(created, dict) and isinstance(created.get("id"), int | str):
        return kind, str(created["id"])
    return kind, None
