"""What a creator earned: its attributed lines with what each holds now, its balance, statements and
payouts. Money is the ledger's: a creator is a settlement party like a seller (``Party.creator``), so
statements (JSON, CSV) and payouts come from the same settlement code.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.creators import programme
from yellowcart.creators.models import Attribution
from yellowcart.db import id_in
from yellowcart.ledger import creators as ledger
from yellowcart.ledger import settlement
from yellowcart.ledger.models import Payout, SettlementStatement
from yellowcart.ledger.parties import Party
from yellowcart.ledger.periods import Period
from yellowcart.orders.models import Order
from yellowcart.orders.state import OrderStatus


class CommissionStatus(enum.StrEnum):
    PENDING = "pending"  # attributed; the order has not completed yet
    EARNED = "earned"  # accrued (less any returned units)
    REVERSED = "reversed"  # accrued, then every unit came back (or the store refunded it all)
    CANCELLED = "cancelled"  # the order was cancelled before completing: nothing is owed


@dataclass(frozen=True, slots=True)
class Commission:
    attribution: Attribution
    held_cents: int
    status: CommissionStatus


def _status(a: Attribution, held: int, order_status: OrderStatus | None) -> CommissionStatus:
    if order_status is OrderStatus.CANCELLED:
        return CommissionStatus.CANCELLED
    if a.earned_at is None:
        return CommissionStatus.PENDING
    if held == 0 and a.commission_cents > 0:
        return CommissionStatus.REVERSED
    return CommissionStatus.EARNED


def list_commissions(
    session: Session, *, principal: Principal, creator_id: int, before_id: int | None, limit: int
) -> list[Commission]:
    """The creator's attributions newest first (cursor on the id), each with what it holds now."""
    programme.require_creator_access(session, principal=principal, creator_id=creator_id)
    query = select(Attribution).where(Attribution.creator_id == creator_id)
    if before_id is not None:
        query = query.where(Attribution.id < before_id)
    rows = list(session.scalars(query.order_by(Attribution.id.desc()).limit(limit)))
    lines = ledger.held_on_lines(session, [a.order_line_id for a in rows if a.order_line_id is not None])
    stores = ledger.held_on_conversions(session, [a.conversion_id for a in rows if a.conversion_id is not None])
    order_ids = sorted({a.order_id for a in rows if a.order_id is not None})
    statuses = dict(session.execute(select(Order.id, Order.status).where(id_in(session, Order.id, order_ids))).all())
    out = []
    for a in rows:
        held = (
            lines.get(a.order_line_id or 0, 0) if a.order_line_id is not None else stores.get(a.conversion_id or 0, 0)
        )
        out.append(Commission(a, held, _status(a, held, statuses.get(a.order_id or 0))))
    return out


def balance(session: Session, *, principal: Principal, creator_id: int) -> int:
    programme.require_creator_access(session, principal=principal, creator_id=creator_id)
    return ledger.creator_balance(session, creator_id=creator_id)


def statement(session: Session, *, principal: Principal, creator_id: int, period: Period) -> settlement.Statement:
    programme.require_creator_access(session, principal=principal, creator_id=creator_id)
    return settlement.build_statement(session, party=Party.creator(creator_id), period=period)


def statements(session: Session, *, principal: Principal, creator_id: int) -> Sequence[SettlementStatement]:
    programme.require_creator_access(session, principal=principal, creator_id=creator_id)
    return settlement.party_statements(session, party=Party.creator(creator_id))


def payouts(session: Session, *, principal: Principal, creator_id: int) -> Sequence[Payout]:
    programme.require_creator_access(session, principal=principal, creator_id=creator_id)
    return settlement.party_payouts(session, party=Party.creator(creator_id))
