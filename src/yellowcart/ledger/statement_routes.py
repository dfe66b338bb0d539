"""The statement and payout routes every settled party has (sellers, creators), built once.

A party's statements are its closed settlement periods (JSON and CSV) and its payouts; who may read them
and where the party's rows come from differ per party, so each router passes its own readers.
"""

# No ``from __future__ import annotations``: the routes' annotations name types local to
# add_statement_routes, which FastAPI must resolve when it reads the signatures.

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.db import MAX_ID
from yellowcart.errors import InvalidInput
from yellowcart.http import Db
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

PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, description="The period's first day (YYYY-MM-01 or -16)")]


def parse(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="period") from exc


@dataclass(frozen=True, slots=True)
class Party:
    """How one kind of party's statements are read: ``statements(session, principal=, id=)``,
    ``statement(session, principal=, id=, period=)``, ``payouts(session, principal=, id=)``."""

    noun: str  # "seller", "creator"
    id_name: str  # the path parameter: "seller_id", "creator_id"
    statements: Callable[[Session, Principal, int], Sequence[Any]]
    statement: Callable[[Session, Principal, int, Period], settlement.Statement]
    payouts: Callable[[Session, Principal, int], Sequence[Any]]
    csv_prefix: str  # the download's file name starts so


def add_statement_routes(router: APIRouter, party: Party, *, caller: Any, responses: dict[int | str, Any]) -> None:
    """GET /v1/{party}s/{id}/statements, .../statements/{period}.csv, .../statements/{period}, .../payouts."""
    base = f"/v1/{party.noun}s/{{{party.id_name}}}"
    PartyId = Annotated[int, Path(alias=party.id_name, ge=1, le=MAX_ID)]
    Who = Annotated[Principal, caller]  # a Depends(...) that authenticates (and may authorise) the caller
    whose = f"(the {party.noun}; operators)"

    def list_statements(party_id: PartyId, db: Db, who: Who) -> ClosedStatementList:
        with db.transaction() as session:
            rows = party.statements(session, who, party_id)
            return ClosedStatementList(items=[ClosedStatementOut.model_validate(r) for r in rows])

    def statement_csv(party_id: PartyId, period: PeriodPath, db: Db, who: Who) -> Response:
        with db.transaction() as session:
            body = settlement.statement_csv(party.statement(session, who, party_id, parse(period)))
        filename = f"{party.csv_prefix}-{party_id}-{period}.csv"
        return Response(
            content=body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    def get_statement(party_id: PartyId, period: PeriodPath, db: Db, who: Who) -> StatementOut:
        with db.transaction() as session:
            return StatementOut.of(party.statement(session, who, party_id, parse(period)))

    def list_payouts(party_id: PartyId, db: Db, who: Who) -> PayoutList:
        with db.transaction() as session:
            return PayoutList(items=[PayoutOut.model_validate(r) for r in party.payouts(session, who, party_id)])

    noun = party.noun
    router.add_api_route(
        f"{base}/statements",
        list_statements,
        methods=["GET"],
        response_model=ClosedStatementList,
        responses=responses,
        summary=f"The {noun}'s closed settlement periods, newest first {whose}",
        name=f"list_{noun}_statements",
    )
    # Declared before the JSON route: "{period}.csv" must not be read as a period named "....csv".
    router.add_api_route(
        f"{base}/statements/{{period}}.csv",
        statement_csv,
        methods=["GET"],
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}, "description": "The statement as CSV"}, **responses},
        summary=f"A period's statement as a CSV download {whose}",
        name=f"{noun}_statement_csv",
    )
    router.add_api_route(
        f"{base}/statements/{{period}}",
        get_statement,
        methods=["GET"],
        response_model=StatementOut,
        responses=responses,
        summary=f"A period's statement: opening and closing balance, every line {whose}",
        name=f"get_{noun}_statement",
    )
    router.add_api_route(
        f"{base}/payouts",
        list_payouts,
        methods=["GET"],
        response_model=PayoutList,
        responses=responses,
        summary=f"Payouts to the {noun}, newest first {whose}",
        name=f"list_{noun}_payouts",
    )
