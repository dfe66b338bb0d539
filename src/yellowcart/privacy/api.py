"""Privacy rights: download everything held about me, delete my account's personal data; operators
carry out requests received elsewhere and list every request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import MAX_ID, utcnow
from yellowcart.http import App, Caller, PathId, decode_cursor, next_cursor, problems, require
from yellowcart.privacy import service
from yellowcart.privacy.models import PrivacyRequest, RequestKind
from yellowcart.privacy.schemas import (
    DeletionIn,
    ExportList,
    ExportOut,
    OperatorDeletionIn,
    RequestOut,
    RequestPage,
)

router = APIRouter(tags=["privacy"])
Operator = Annotated[Principal, require(Role.OPERATOR)]


def _export_out(request: PrivacyRequest) -> ExportOut:
    out = ExportOut.model_validate(request)
    out.download_url = f"/v1/me/privacy/exports/{request.id}"
    return out


def _bearer(request: Request) -> str:
    return request.headers.get("authorization", "").partition(" ")[2].strip()


@router.post("/v1/me/privacy/exports", response_model=ExportOut, status_code=201,
             responses=problems(), summary="Export everything held about me (one JSON document)")  # fmt: skip
def create_export(app: App, who: Caller, response: Response) -> ExportOut:
    with app.db.transaction() as session:
        made = service.start_export(session, principal=who, now=utcnow())
        out = _export_out(made)
    response.headers["Location"] = out.download_url
    return out


@router.get("/v1/me/privacy/exports", response_model=ExportList, responses=problems(), summary="My exports")
def list_exports(app: App, who: Caller) -> ExportList:
    with app.db.transaction() as session:
        return ExportList(items=[_export_out(r) for r in service.list_exports(session, principal=who)])


@router.get(
    "/v1/me/privacy/exports/{export_id}",
    responses={
        200: {"content": {"application/json": {}}, "description": "The export: a JSON document, as an attachment"},
        **problems(s404="Unknown export (or not yours)", s410="Expired: request a new export"),
    },
    summary="Download one of my exports",
)
def download_export(export_id: PathId, app: App, who: Caller) -> Response:
    with app.db.transaction() as session:
        request, raw = service.download(session, principal=who, request_id=export_id, now=utcnow())
    return Response(
        raw,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="yellowcart-personal-data-{request.id}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/v1/me/privacy/deletions",
    response_model=RequestOut,
    status_code=201,
    responses=problems(
        s403="Re-authentication failed, or not a shopper or creator account",
        s409="Orders, returns or a risk case in progress must finish first",
    ),
    summary="Delete my personal data (needs my password or a fresh login); the account is closed",
)
def delete_me(body: DeletionIn, request: Request, app: App, who: Caller) -> RequestOut:
    with app.db.transaction() as session:
        done = service.delete_own_account(
            session, principal=who, password=body.password, token=_bearer(request), now=utcnow()
        )
        out = RequestOut.model_validate(done)
    app.tokens.clear()  # this process forgets the tokens now; others within the cache's few seconds
    return out


@router.post(
    "/v1/privacy/deletions",
    response_model=RequestOut,
    status_code=201,
    responses={200: {"model": RequestOut, "description": "Already deleted: swept again"}, **problems()},
    summary="Operators: carry out a deletion request received elsewhere (repeating it sweeps again)",
)
def delete_user(body: OperatorDeletionIn, app: App, who: Operator, response: Response) -> RequestOut:
    with app.db.transaction() as session:
        done, created = service.delete_for_user(
            session, operator=who, user_id=body.user_id, note=body.note, now=utcnow()
        )
        out = RequestOut.model_validate(done)
    app.tokens.clear()
    if not created:
        response.status_code = 200
    return out


@router.get("/v1/privacy/requests", response_model=RequestPage, responses=problems(),
            summary="Operators: privacy requests (exports and deletions), newest first")  # fmt: skip
def list_requests(
    app: App,
    who: Operator,
    kind: RequestKind | None = None,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RequestPage:
    with app.db.transaction() as session:
        found, more = service.list_requests(
            session, kind=kind, user_id=user_id, after=decode_cursor(cursor), limit=limit
        )
        return RequestPage(items=[RequestOut.model_validate(r) for r in found], next_cursor=next_cursor(found, more))
