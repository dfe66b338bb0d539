"""A creator's money and performance: commissions (attributed lines and what each holds), balance,
semi-monthly statements (JSON and CSV) and payouts from the ledger's settlement, and the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from yellowcart.creators import dashboard, earnings
from yellowcart.creators.schemas import CommissionOut, CommissionPage, CreatorBalanceOut, DashboardOut
from yellowcart.db import utcnow
from yellowcart.errors import InvalidInput
from yellowcart.http import Caller, Db, PathId, decode_cursor, next_cursor, problems
from yellowcart.ledger import settlement
from yellowcart.ledger.periods import Period, parse_period
from yellowcart.ledger.schemas import (
    PERIOD_PATTERN,
    ClosedStatementList,
    ClosedStatementOut,
    PayoutList,
    PayoutOut,
    StatementOut,
)

router = APIRouter(tags=["creators"])
PROBLEMS = problems(s403="Not allowed for this account", s404="Unknown creator (or another creator's)")
PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, description="The period's first day (YYYY-MM-01 or -16)")]
Cursor = Annotated[str | None, Query(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=200)]
DEFAULT_DAYS = 30


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="period") from exc


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


@router.get(
    "/v1/creators/{creator_id}/statements",
    response_model=ClosedStatementList,
    responses=PROBLEMS,
    summary="The creator's closed settlement periods, newest first (the creator; operators)",
)
def list_statements(creator_id: PathId, db: Db, who: Caller) -> ClosedStatementList:
    with db.transaction() as session:
        rows = earnings.statements(session, principal=who, creator_id=creator_id)
        return ClosedStatementList(items=[ClosedStatementOut.model_validate(r) for r in rows])


# Declared before the JSON route: "{period}.csv" must not be read as a period named "....csv".
@router.get(
    "/v1/creators/{creator_id}/statements/{period}.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The statement as CSV"}, **PROBLEMS},
    summary="A period's statement as a CSV download (the creator; operators)",
)
def statement_csv(creator_id: PathId, period: PeriodPath, db: Db, who: Caller) -> Response:
    with db.transaction() as session:
        found = earnings.statement(session, principal=who, creator_id=creator_id, period=_period(period))
        body = settlement.statement_csv(found)
    filename = f"yellowcart-creator-statement-{creator_id}-{period}.csv"
    return Response(
        content=body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/v1/creators/{creator_id}/statements/{period}",
    response_model=StatementOut,
    responses=PROBLEMS,
    summary="A period's statement: opening and closing balance, every commission line (the creator; operators)",
)
def get_statement(creator_id: PathId, period: PeriodPath, db: Db, who: Caller) -> StatementOut:
    with db.transaction() as session:
        found = earnings.statement(session, principal=who, creator_id=creator_id, period=_period(period))
        return StatementOut.of(found)


@router.get(
    "/v1/creators/{creator_id}/payouts",
    response_model=PayoutList,
    responses=PROBLEMS,
    summary="Payouts to the creator, newest first (the creator; operators)",
)
def list_payouts(creator_id: PathId, db: Db, who: Caller) -> PayoutList:
    with db.transaction() as session:
        rows = earnings.payouts(session, principal=who, creator_id=creator_id)
        return PayoutList(items=[PayoutOut.model_validate(r) for r in rows])


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
