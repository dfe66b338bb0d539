"""Operators read the audit log of privileged actions, newest first."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from yellowcart.audit import log
from yellowcart.audit.schemas import AuditEntryOut, AuditPage
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import MAX_ID
from yellowcart.errors import InvalidInput
from yellowcart.http import Db, decode_cursor, next_cursor, problems, require

router = APIRouter(tags=["audit"])
Operator = Annotated[Principal, require(Role.OPERATOR)]


def _utc(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidInput("Give a time zone (e.g. 2026-11-25T10:00:00Z).", field=field)
    return value.astimezone(dt.UTC)


@router.get(
    "/v1/operator/audit",
    response_model=AuditPage,
    responses=problems(),
    summary="The audit log of privileged actions, newest first (operators)",
)
def list_audit(
    db: Db,
    who: Operator,
    actor: Annotated[int | None, Query(ge=1, le=MAX_ID, description="The acting user's id")] = None,
    action: Annotated[str | None, Query(max_length=120, description="Exact, or a prefix and *")] = None,
    subject_kind: Annotated[str | None, Query(max_length=40)] = None,
    subject_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[dt.datetime | None, Query(description="From this instant (inclusive, with a time zone)")] = None,
    until: Annotated[dt.datetime | None, Query(description="Before this instant (with a time zone)")] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    if subject_id is not None and subject_kind is None:
        raise InvalidInput("subject_id needs subject_kind.", field="subject_id")
    filters = log.Filters(
        actor_id=actor,
        action=action,
        subject_kind=subject_kind,
        subject_id=subject_id,
        since=_utc(since, "since"),
        until=_utc(until, "until"),
    )
    with db.transaction() as session:
        rows = log.search(session, filters=filters, before_id=decode_cursor(cursor), limit=limit + 1)
        items = [AuditEntryOut.model_validate(r) for r in rows[:limit]]
    return AuditPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))
