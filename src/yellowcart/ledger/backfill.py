"""Backfill: post the ledger for orders that were written without events (the demo market inserts
its ninety days of orders in bulk), idempotently.

An order whose payment was captured (it reached IN_TRANSIT: capture happens at shipment) and that has
no sale entry gets one, booked when it shipped. Orders the live path already posted are skipped
whole, so a backfill never doubles a refund the events posted. Bulk-written orders carry no refund
records, only statuses and their payment's refunded total, so refunds are inferred: a RETURNED order
is refunded in full (every unit back); a PARTIALLY_RETURNED one gets its payment's refunded cents
not explained by full returns, with the units of the line whose goods and tax match that amount
when exactly one does. Creators' commissions on the orders' attributed lines (attribution is the
creators domain's, done for demo orders by ``demo/affiliates.py``) are posted by ``creators.backfill``:
accrued when the order completed, reversed for the units these refunds took back after that. Entries are
never booked into a closed settlement period: an instant before the last closed period's end is moved
to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from yellowcart.checkout.models import Payment
from yellowcart.creators.backfill import backfill_orders as creator_commissions
from yellowcart.db import Database
from yellowcart.ledger import service
from yellowcart.ledger.chart import EntryKind
from yellowcart.ledger.models import LedgerEntry, SettlementStatement
from yellowcart.ledger.periods import Period
from yellowcart.ledger.postings import Reversal
from yellowcart.orders.models import Order, OrderHistory
from yellowcart.orders.state import OrderStatus

S = OrderStatus
RETURN_STATES = (S.RETURNED, S.PARTIALLY_RETURNED)
Progress = Callable[[int, int], None]


@dataclass
class BackfillRun:
    orders: int = 0  # orders given a sale entry
    refunds: int = 0
    skipped: int = 0  # already in the ledger
    creator_entries: int = 0  # creators' commissions accrued or reversed


def backfill(db: Database, *, batch: int = 500, progress: Progress | None = None) -> BackfillRun:
    """Post sales (and inferred refunds) for captured orders the ledger does not know; one transaction
    per batch, so a crash resumes where it stopped."""
    with db.transaction() as session:
        shipped = _captured_orders(session)
        known = set(session.scalars(select(LedgerEntry.order_id).where(LedgerEntry.kind == EntryKind.SALE)).all())
        floor = _closed_through(session)
    todo = [(oid, at) for oid, at in shipped if oid not in known]
    run = BackfillRun(skipped=len(shipped) - len(todo))
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        with db.transaction() as session:
            _post_batch(session, chunk, floor, run)
        if progress is not None:
            progress(min(start + batch, len(todo)), len(todo))
    if progress is not None and not todo:
        progress(0, 0)
    return run


def _captured_orders(session: Session) -> list[tuple[int, dt.datetime]]:
    """(order, first shipped instant) for every order that ever reached IN_TRANSIT, in id order."""
    rows = session.execute(
        select(OrderHistory.order_id, func.min(OrderHistory.at))
        .where(OrderHistory.to_status == S.IN_TRANSIT)
        .group_by(OrderHistory.order_id)
        .order_by(OrderHistory.order_id)
    )
    return [(int(oid), at) for oid, at in rows]


def _closed_through(session: Session) -> dt.datetime | None:
    last = session.scalar(select(func.max(SettlementStatement.period_start)))
    return Period(last).end_at if last is not None else None


def _post_batch(
    session: Session, chunk: Sequence[tuple[int, dt.datetime]], floor: dt.datetime | None, run: BackfillRun
) -> None:
    ids = [oid for oid, _ in chunk]
    returned_at = dict(
        session.execute(
            select(OrderHistory.order_id, func.min(OrderHistory.at))
            .where(OrderHistory.order_id.in_(ids), OrderHistory.to_status.in_(RETURN_STATES))
            .group_by(OrderHistory.order_id)
        ).all()
    )
    orders = {
        o.id: o
        for o in session.scalars(select(Order).where(Order.id.in_(ids)).options(selectinload(Order.lines))).all()
    }
    todo = [(orders[oid], max(at, floor) if floor is not None else at) for oid, at in chunk]
    try:
        with session.begin_nested():
            run.orders += service.post_sales(session, orders=todo)
    except IntegrityError:  # the live path posted one of them meanwhile: one at a time, skipping those
        for order, at in todo:
            posted = service.post_sale(session, order_id=order.id, posted_at=at) is not None
            run.orders, run.skipped = run.orders + posted, run.skipped + (not posted)
    for order, _ in todo:
        if order.status in RETURN_STATES and order.id in returned_at:
            when = max(returned_at[order.id], floor) if floor is not None else returned_at[order.id]
            run.refunds += _infer_refund(session, order, when)
    run.creator_entries += creator_commissions(session, order_ids=ids, floor=floor)


def _infer_refund(session: Session, order: Order, at: dt.datetime) -> int:
    """Post the refund a bulk-written return implies; 1 when something was posted."""
    units: dict[int, int] | None
    if order.status is S.RETURNED:
        amount, units = order.total_cents, {ln.id: ln.quantity for ln in order.lines}
    else:
        amount = _unexplained_refund(session, order)
        paid = service.goods_paid(order)  # net of promotions: what a return of the line refunds
        matching = [ln for ln, goods in zip(order.lines, paid, strict=True) if goods + ln.line_tax_cents == amount]
        units = {matching[0].id: matching[0].quantity} if len(matching) == 1 else None
    if amount <= 0:
        return 0
    entry = service.post_reversal(
        session,
        order_id=order.id,
        reversal=Reversal(EntryKind.REFUND, amount, units),
        source_key=service.refund_key(order.id, "backfill"),
        posted_at=at,
        reference="backfill",
    )
    return int(entry is not None)


def _unexplained_refund(session: Session, order: Order) -> int:
    """The payment's refunded cents less full returns of its orders, when this is its only partial return."""
    if order.payment_id is None:
        return 0
    payment = session.get(Payment, order.payment_id)
    siblings = session.execute(
        select(Order.id, Order.status, Order.total_cents).where(Order.payment_id == order.payment_id)
    ).all()
    partial = [oid for oid, status, _ in siblings if status is S.PARTIALLY_RETURNED]
    if payment is None or partial != [order.id]:
        return 0
    full = sum(total for _, status, total in siblings if status is S.RETURNED)
    return max(payment.refunded_cents - full, 0)


def backfill_with_progress(db: Database, *, progress: bool = True) -> BackfillRun:
    """:func:`backfill` behind a Rich progress bar (the CLI and the demo generator)."""
    if not progress:
        return backfill(db)
    columns = (TextColumn("{task.description:<36}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with RichProgress(*columns, transient=False) as bar:
        task = bar.add_task("ledger backfill", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return backfill(db, progress=step)
