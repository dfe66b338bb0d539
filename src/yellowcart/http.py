"""HTTP kernel shared by every domain router: who is calling, problem+json errors, cursors."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from yellowcart.audit import log as audit_log
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.bootstrap import Container
from yellowcart.db import MAX_ID, Database
from yellowcart.errors import PROBLEM_JSON, DomainError, Forbidden, InvalidInput, Unauthorized

_bearer = HTTPBearer(auto_error=False, description="API token: `Authorization: Bearer yc_...`")


# Dependencies without blocking I/O are ``async`` so FastAPI runs them on the event loop instead of
# sending each through the thread pool (measured: a few hundred microseconds per request each).


async def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


async def database(request: Request) -> Database:
    return (await container(request)).db


def _lookup_token(app: Container, token: str) -> Principal:
    with app.db.transaction() as session:
        return app.tokens.authenticate(session, token)


async def principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """Resolve the bearer token; every non-public endpoint depends on this."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send an API token as 'Authorization: Bearer <token>'.")
    app = await container(request)
    cached = app.tokens.get(credentials.credentials)
    who = cached if cached is not None else await run_in_threadpool(_lookup_token, app, credentials.credentials)
    audit_log.note_caller(who)  # the audit trail records operators' writes (yellowcart.audit.trail)
    return who


async def optional_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal | None:
    """Public endpoints (browsing) that show more to a known caller."""
    if credentials is None:
        return None
    return await principal(request, credentials)


def require(*roles: Role) -> Any:
    """Dependency factory: the caller must have one of ``roles``."""

    async def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role not in roles:
            raise Forbidden(f"This call is for {', '.join(r.value for r in roles)} accounts.")
        return who

    return Depends(check)


class Problem(BaseModel):
    """RFC 9457 problem details, as every error is answered (domain errors add their own fields)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    code: str
    detail: str
    instance: str | None = None


_PROBLEM_TEXT = {
    400: "Bad request",
    401: "No or bad token",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    422: "Invalid input (the field is named)",
}


def problems(**described: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the usual errors; ``problems(s409="Illegal transition", s402=...)``."""
    texts = {**_PROBLEM_TEXT, **{int(k[1:]): v for k, v in described.items()}}
    return {code: {"model": Problem, "description": text} for code, text in sorted(texts.items())}


def next_cursor(items: Sequence[Any], more: bool) -> str | None:
    """Lists fetch ``limit + 1`` rows: the extra one (``more``) says whether there is a next page."""
    return encode_cursor(int(items[-1].id)) if more and items else None


#: A primary key in a path: 32-bit on PostgreSQL, so anything larger is a 422, not a 500.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
Caller = Annotated[Principal, Depends(principal)]
MaybeCaller = Annotated[Principal | None, Depends(optional_principal)]
Db = Annotated[Database, Depends(database)]
App = Annotated[Container, Depends(container)]


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = raw.split(":", 1)
        if kind != "id" or not value.isdigit() or int(value) > MAX_ID:
            raise ValueError(raw)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("The cursor is not valid; use next_cursor from the previous page.", field="cursor") from exc


def problem(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem(exc.status, exc.to_problem(instance=request.url.path), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        first = errors[0]["field"] if errors else "body"
        body = InvalidInput(f"Invalid value for '{first}'.", errors=errors).to_problem(instance=request.url.path)
        body["code"] = "validation_error"
        return problem(422, body)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
        body = {
            "type": "about:blank",
            "title": str(exc.detail) if exc.detail else "Error",
            "status": exc.status_code,
            "code": codes.get(exc.status_code, "http_error"),
            "detail": str(exc.detail),
            "instance": request.url.path,
        }
        return problem(exc.status_code, body, dict(exc.headers) if exc.headers else None)
