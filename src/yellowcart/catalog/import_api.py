"""Catalogue import endpoint: a Shopify product CSV uploaded for a seller (the seller itself, or
operators). Thin: reads the upload, hands it to ``importer`` off the event loop, returns its report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog import importer
from yellowcart.catalog.import_schemas import ImportReport
from yellowcart.errors import DomainError, InvalidInput
from yellowcart.http import App, PathId, problems, require

router = APIRouter(tags=["catalog"])
#: The largest CSV accepted (a 20 MB export is tens of thousands of variants); the edge lets upload
#: routes' bodies through up to a little more, for the multipart envelope.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
PROBLEMS = problems(
    s404="Unknown seller (or another seller's)",
    s413="File over 20 MB",
    s422="Not a Shopify product CSV (binary, not UTF-8, no Title/Handle column, broken quoting), or no file",
)
CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


class FileTooLarge(DomainError):
    status, code, title = 413, "file_too_large", "File too large"


async def _upload(request: Request) -> bytes:
    """The CSV: the multipart field ``file``, or the whole body (text/csv or any other type)."""
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InvalidInput("Send the CSV as the multipart file field 'file'.", field="file")
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
    else:
        data = await request.body()
    if len(data) > MAX_UPLOAD_BYTES:
        raise FileTooLarge(f"The file is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; split it.")
    if not data.strip():
        raise InvalidInput("The file is empty.", field="file")
    return data


@router.post(
    "/v1/sellers/{seller_id}/imports/shopify-csv",
    response_model=ImportReport,
    responses=PROBLEMS,
    openapi_extra=CSV_BODY,
    summary="Import a Shopify product CSV as the seller's listings (the seller; operators)",
    description=(
        "Current or legacy Shopify headers. Rows sharing a handle are one product; each product is imported "
        "whole or not at all. `dry_run=true` checks everything and writes nothing. Importing the same file "
        "again changes nothing (every product reports `unchanged`)."
    ),
)
async def import_shopify_csv(
    seller_id: PathId,
    request: Request,
    app: App,
    who: Manager,
    dry_run: Annotated[bool, Query(description="Check and report; write nothing")] = False,
) -> ImportReport:
    data = await _upload(request)
    return await run_in_threadpool(
        importer.import_shopify_csv, app.db, principal=who, seller_id=seller_id, data=data, dry_run=dry_run
    )
