"""Ledger endpoints: a seller's balance and postings; operators' trial balance, entries, commission
rates and chargebacks. Statements and payouts are in ``settlement_api``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import utcnow
from yellowcart.http import Db, PathId, decode_cursor, next_cursor, problems, require
from yellowcart.ledger import balances, rates, service
from yellowcart.ledger.chart import EntryKind
from yellowcart.ledger.models import LedgerEntry, LedgerPosting
from yellowcart.ledger.schemas import (
    BalanceOut,
    ChargebackIn,
    EntryOut,
    EntryPage,
    PostingOut,
    RateIn,
    RateList,
    RateOut,
    TrialBalanceOut,
)

router = APIRouter(tags=["ledger"])
PROBLEMS = problems(s403="Not allowed for this account", s404="Unknown seller (or another seller's)")
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
Operator = Annotated[Principal, require(Role.OPERATOR)]
Cursor = Annotated[str | None, Query(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get(
    "/v1/sellers/{seller_id}/balance",
    response_model=BalanceOut,
    responses=PROBLEMS,
    summary="What the platform owes the seller now (the seller; operators)",
)
def get_balance(seller_id: PathId, db: Db, who: Manager) -> BalanceOut:
    now = utcnow()
    with db.transaction() as session:
        balances.require_seller_access(session, principal=who, seller_id=seller_id)
        return BalanceOut.of(balances.seller_balance(session, seller_id=seller_id), now)


@router.get(
    "/v1/sellers/{seller_id}/ledger",
    response_model=EntryPage,
    responses=PROBLEMS,
    summary="Postings on the seller's accounts, newest first, each with its entry (the seller; operators)",
)
def seller_ledger(seller_id: PathId, db: Db, who: Manager, cursor: Cursor = None, limit: Limit = 50) -> EntryPage:
    with db.transaction() as session:
        balances.require_seller_access(session, principal=who, seller_id=seller_id)
        rows = balances.seller_postings(
            session, seller_id=seller_id, before_id=decode_cursor(cursor), limit=limit + 1, newest_first=True
        )
        items = [_seller_entry(posting, entry) for posting, entry in rows[:limit]]
        more = len(rows) > limit
        cursor_rows = [p for p, _ in rows[:limit]]
    return EntryPage(items=items, next_cursor=next_cursor(cursor_rows, more))


def _seller_entry(posting: LedgerPosting, entry: LedgerEntry) -> EntryOut:
    """The entry with only the posting on the seller's account (the other side is the platform's)."""
    fields = {name: getattr(entry, name) for name in EntryOut.model_fields if name != "postings"}
    return EntryOut(**fields, postings=[PostingOut.model_validate(posting)])


@router.get(
    "/v1/operator/ledger/trial-balance",
    response_model=TrialBalanceOut,
    responses=PROBLEMS,
    summary="Every account's balance; the ledger and each entry must sum to zero (operators)",
)
def get_trial_balance(db: Db, who: Operator) -> TrialBalanceOut:
    with db.transaction() as session:
        return TrialBalanceOut.of(balances.trial_balance(session))


@router.get(
    "/v1/operator/ledger/entries",
    response_model=EntryPage,
    responses=PROBLEMS,
    summary="Journal entries with their postings, newest first (operators)",
)
def list_entries(
    db: Db,
    who: Operator,
    order_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    seller_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    kind: EntryKind | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> EntryPage:
    with db.transaction() as session:
        rows = balances.list_entries(
            session, order_id=order_id, seller_id=seller_id, kind=kind, before_id=decode_cursor(cursor), limit=limit + 1
        )
        items = [EntryOut.model_validate(e) for e in rows[:limit]]
    return EntryPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.post(
    "/v1/operator/chargebacks",
    response_model=EntryOut,
    status_code=201,
    responses=problems(
        s404="Unknown order",
        s409="Not captured, or the reference was used with another amount",
        s422="More than the order still holds",
    ),
    summary="Record a chargeback the processor reported (operators); a replay of (order, reference) is 200",
)
def record_chargeback(body: ChargebackIn, db: Db, who: Operator, response: Response) -> EntryOut:
    with db.transaction() as session:
        entry, created = service.record_chargeback(
            session,
            principal=who,
            order_id=body.order_id,
            amount_cents=body.amount_cents,
            reference=body.reference,
            now=utcnow(),
        )
        session.refresh(entry)
        out = EntryOut.model_validate(entry)
    if not created:
        response.status_code = 200
    return out


@router.get(
    "/v1/operator/commission-rates",
    response_model=RateList,
    responses=PROBLEMS,
    summary="Commission and fee rates: the default and per-category overrides (operators)",
)
def list_rates(db: Db, who: Operator) -> RateList:
    with db.transaction() as session:
        items = [RateOut.model_validate(r) for r in rates.list_rates(session)]
    built_in = RateIn(commission_bps=rates.BUILT_IN_COMMISSION_BPS, fee_bps=rates.BUILT_IN_FEE_BPS)
    return RateList(items=items, built_in_default=built_in)


@router.put(
    "/v1/operator/commission-rates/default",
    response_model=RateOut,
    responses=PROBLEMS,
    summary="Set the default commission and fee (operators); applies to captures from now on",
)
def put_default_rate(body: RateIn, db: Db, who: Operator) -> RateOut:
    with db.transaction() as session:
        row = rates.set_rate(
            session, principal=who, category_id=None, commission_bps=body.commission_bps, fee_bps=body.fee_bps
        )
        return RateOut.model_validate(row)


@router.put(
    "/v1/operator/commission-rates/categories/{category_id}",
    response_model=RateOut,
    responses=problems(s404="Unknown category"),
    summary="Set a category's commission and fee; applies to its whole subtree (operators)",
)
def put_category_rate(category_id: PathId, body: RateIn, db: Db, who: Operator) -> RateOut:
    with db.transaction() as session:
        row = rates.set_rate(
            session, principal=who, category_id=category_id, commission_bps=body.commission_bps, fee_bps=body.fee_bps
        )
        return RateOut.model_validate(row)


@router.delete(
    "/v1/operator/commission-rates/categories/{category_id}",
    status_code=204,
    responses=problems(s404="The category has no rate of its own"),
    summary="Remove a category's own rate: it falls back to its parent's (or the default) (operators)",
)
def delete_category_rate(category_id: PathId, db: Db, who: Operator) -> Response:
    with db.transaction() as session:
        rates.delete_rate(session, principal=who, category_id=category_id)
    return Response(status_code=204)
