"""Settlement endpoints: a seller's statements (JSON and CSV) and payouts; operators close a period."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import utcnow
from yellowcart.errors import InvalidInput
from yellowcart.http import Db, PathId, problems, require
from yellowcart.ledger import settlement
from yellowcart.ledger.payouts import make_payout_adapter
from yellowcart.ledger.periods import Period, parse_period
from yellowcart.ledger.schemas import (
    PERIOD_PATTERN,
    ClosedStatementList,
    ClosedStatementOut,
    PayoutList,
    PayoutOut,
    SettleIn,
    SettleOut,
    StatementOut,
)

router = APIRouter(tags=["ledger"])
PROBLEMS = problems(s403="Not allowed for this account", s404="Unknown seller (or another seller's)")
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
Operator = Annotated[Principal, require(Role.OPERATOR)]
PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, description="The period's first day (YYYY-MM-01 or -16)")]


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="period") from exc


@router.get(
    "/v1/sellers/{seller_id}/statements",
    response_model=ClosedStatementList,
    responses=PROBLEMS,
    summary="The seller's closed settlement periods, newest first (the seller; operators)",
)
def list_statements(seller_id: PathId, db: Db, who: Manager) -> ClosedStatementList:
    with db.transaction() as session:
        rows = settlement.list_statements(session, principal=who, seller_id=seller_id)
        return ClosedStatementList(items=[ClosedStatementOut.model_validate(r) for r in rows])


# Declared before the JSON route: "{period}.csv" must not be read as a period named "....csv".
@router.get(
    "/v1/sellers/{seller_id}/statements/{period}.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The statement as CSV"}, **PROBLEMS},
    summary="A period's statement as a CSV download (the seller; operators)",
)
def statement_csv(seller_id: PathId, period: PeriodPath, db: Db, who: Manager) -> Response:
    with db.transaction() as session:
        found = settlement.get_statement(session, principal=who, seller_id=seller_id, period=_period(period))
        body = settlement.statement_csv(found)
    filename = f"yellowcart-statement-{seller_id}-{period}.csv"
    return Response(
        content=body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/v1/sellers/{seller_id}/statements/{period}",
    response_model=StatementOut,
    responses=PROBLEMS,
    summary="A period's statement: opening and closing balance, every line item (the seller; operators)",
)
def get_statement(seller_id: PathId, period: PeriodPath, db: Db, who: Manager) -> StatementOut:
    with db.transaction() as session:
        found = settlement.get_statement(session, principal=who, seller_id=seller_id, period=_period(period))
        return StatementOut.of(found)


@router.get(
    "/v1/sellers/{seller_id}/payouts",
    response_model=PayoutList,
    responses=PROBLEMS,
    summary="Payouts to the seller, newest first (the seller; operators)",
)
def seller_payouts(seller_id: PathId, db: Db, who: Manager) -> PayoutList:
    with db.transaction() as session:
        rows = settlement.list_payouts(session, principal=who, seller_id=seller_id)
        return PayoutList(items=[PayoutOut.model_validate(r) for r in rows])


@router.get(
    "/v1/operator/payouts",
    response_model=PayoutList,
    responses=PROBLEMS,
    summary="Every payout, newest period first; ?period=YYYY-MM-DD for one period (operators)",
)
def all_payouts(
    db: Db, who: Operator, period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None
) -> PayoutList:
    with db.transaction() as session:
        chosen = _period(period) if period is not None else None
        rows = settlement.list_payouts(session, principal=who, period=chosen)
        return PayoutList(items=[PayoutOut.model_validate(r) for r in rows])


@router.post(
    "/v1/operator/settlements",
    response_model=SettleOut,
    responses=problems(s409="A later period is closed already", s422="Not over yet, or unknown adapter"),
    summary="Close a period: statements, netting and payouts for every seller (operators); a rerun pays nobody twice",
)
def settle(body: SettleIn, db: Db, who: Operator) -> SettleOut:
    adapter = make_payout_adapter(body.adapter)
    run = settlement.close_period(db, period=_period(body.period), adapter=adapter, now=utcnow())
    return SettleOut.of(run)
