"""Settlement endpoints: a seller's statements (JSON and CSV) and payouts (the routes every settled party
has, from ledger.statement_routes); operators list payouts and close a period."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import utcnow
from yellowcart.http import Db, problems, require
from yellowcart.ledger import settlement
from yellowcart.ledger.payouts import make_payout_adapter
from yellowcart.ledger.schemas import (
    PERIOD_PATTERN,
    PayoutList,
    PayoutOut,
    SettleIn,
    SettleOut,
)
from yellowcart.ledger.statement_routes import Party, add_statement_routes, parse

router = APIRouter(tags=["ledger"])
PROBLEMS = problems(s403="Not allowed for this account", s404="Unknown seller (or another seller's)")
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
Operator = Annotated[Principal, require(Role.OPERATOR)]
PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, description="The period's first day (YYYY-MM-01 or -16)")]


_period = parse


add_statement_routes(
    router,
    Party(
        noun="seller",
        id_name="seller_id",
        statements=lambda s, who, pid: settlement.list_statements(s, principal=who, seller_id=pid),
        statement=lambda s, who, pid, period: settlement.get_statement(s, principal=who, seller_id=pid, period=period),
        payouts=lambda s, who, pid: settlement.list_payouts(s, principal=who, seller_id=pid),
        csv_prefix="yellowcart-statement",
    ),
    caller=require(Role.SELLER, Role.OPERATOR),
    responses=PROBLEMS,
)


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
