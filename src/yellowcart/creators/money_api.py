"""A creator's money and performance: commissions (attributed lines and what each holds), balance,
semi-monthly statements (JSON and CSV) and payouts from the ledger's settlement, and the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from yellowcart.creators import dashboard, earnings
from yellowcart.creators.schemas import CommissionOut, CommissionPage, CreatorBalanceOut, DashboardOut
from yellowcart.db import utcnow
from yellowcart.errors import InvalidInput
from yellowcart.http import Caller, Db, PathId, decode_cursor, next_cursor, principal, problems
from yellowcart.ledger.statement_routes import Party, add_statement_routes

router = APIRouter(tags=["creators"])
PROBLEMS = problems(s403="Not allowed for this account", s404="Unknown creator (or another creator's)")
Cursor = Annotated[str | None, Query(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=200)]
DEFAULT_DAYS = 30


@router.get(
    "/v1/creators/{creator_id}/commissions",
    response_model=CommissionPage,
    responses=PROBLEMS,
    summary="Attributed orders with their rate, commission and what each holds now, newest first",
)
def list_commissions(
    creator_id: PathId, db: Db, who: Caller, cursor: Cursor = None, limit: Limit = 50
) -> CommissionPage:
    with db.transaction() as session:
        rows = earnings.list_commissions(
            session, principal=who, creator_id=creator_id, before_id=decode_cursor(cursor), limit=limit + 1
        )
        items = [CommissionOut.of(c) for c in rows[:limit]]
    return CommissionPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.get(
    "/v1/creators/{creator_id}/balance",
    response_model=CreatorBalanceOut,
    responses=PROBLEMS,
    summary="Commission the platform owes the creator now (the creator; operators)",
)
def get_balance(creator_id: PathId, db: Db, who: Caller) -> CreatorBalanceOut:
    now = utcnow()
    with db.transaction() as session:
        cents = earnings.balance(session, principal=who, creator_id=creator_id)
    return CreatorBalanceOut(creator_id=creator_id, payable_cents=cents, as_of=now)


add_statement_routes(
    router,
    Party(
        noun="creator",
        id_name="creator_id",
        statements=lambda s, who, pid: earnings.statements(s, principal=who, creator_id=pid),
        statement=lambda s, who, pid, period: earnings.statement(s, principal=who, creator_id=pid, period=period),
        payouts=lambda s, who, pid: earnings.payouts(s, principal=who, creator_id=pid),
        csv_prefix="yellowcart-creator-statement",
    ),
    caller=Depends(principal),
    responses=PROBLEMS,
)


@router.get(
    "/v1/creators/{creator_id}/dashboard",
    response_model=DashboardOut,
    responses=problems(s403="Not allowed for this account", s404="Unknown creator", s422="Bad date range"),
    summary="Per video and live room: views, cart taps, orders, GMV, commission accrued and reversed, with totals",
)
def get_dashboard(
    creator_id: PathId,
    db: Db,
    who: Caller,
    start: Annotated[
        dt.date | None, Query(alias="from", description="First day (UTC), default 29 days before to")
    ] = None,
    end: Annotated[dt.date | None, Query(alias="to", description="Last day (UTC, inclusive), default today")] = None,
) -> DashboardOut:
    last = end or utcnow().date()
    first = start or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidInput("'from' is after 'to'.", field="from")
    if (last - first).days >= dashboard.MAX_DAYS:
        raise InvalidInput(f"At most {dashboard.MAX_DAYS} days at once.", field="to")
    window_start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    window_end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    with db.transaction() as session:
        found = dashboard.dashboard(session, principal=who, creator_id=creator_id, start=window_start, end=window_end)
        return DashboardOut.of(found)
